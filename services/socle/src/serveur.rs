//! The running shape every service shares: an HTTP listener, background tasks, a pool, and
//! the graceful stop that ties them together.

use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;
use axum::Router;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// A bound service, ready to run: what each service's `Application::build` returns.
pub struct Serveur {
    nom: &'static str,
    port: u16,
    listener: TcpListener,
    router: Router,
    arret: CancellationToken,
    taches: TaskTracker,
    db: Option<PgPool>,
    delai_requete: Duration,
}

/// What a service built before binding: its routes, the token its background tasks
/// watch, those tasks, and its pool.
pub struct Parties {
    pub router: Router,
    pub arret: CancellationToken,
    pub taches: TaskTracker,
    /// The service's pool, closed last; `None` for a service without a database.
    pub db: Option<PgPool>,
}

impl Serveur {
    /// Binds `host:port` (0 picks a free port); the router gets the shared layers and the
    /// request time limit when it runs.
    pub async fn lier(
        nom: &'static str,
        host: &str,
        port: u16,
        p: Parties,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind((host, port))
            .await
            .with_context(|| format!("écoute sur {host}:{port}"))?;
        let port = listener.local_addr().context("adresse locale")?.port();
        Ok(Serveur {
            nom,
            port,
            listener,
            router: p.router,
            arret: p.arret,
            taches: p.taches,
            db: p.db,
            delai_requete: Duration::from_millis(crate::config::valeur(
                "REQUEST_TIMEOUT_MS",
                crate::http::DELAI_REQUETE_MS,
            )?),
        })
    }

    /// Another request time limit than `REQUEST_TIMEOUT_MS` (tests).
    pub fn avec_delai_requete(mut self, delai: Duration) -> Self {
        self.delai_requete = delai;
        self
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A token that stops the service when cancelled (tests, embedding).
    pub fn jeton_arret(&self) -> CancellationToken {
        self.arret.clone()
    }

    /// Serves until Ctrl-C/SIGTERM or [`Self::jeton_arret`]; then stops accepting, lets
    /// in-flight requests finish, waits for background tasks (consumers finish and ack their
    /// in-flight messages) and closes the pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let arret = self.arret.clone();
        tokio::spawn({
            let arret = arret.clone();
            async move {
                tokio::select! {
                    () = crate::arret::signal() => arret.cancel(),
                    () = arret.cancelled() => {}
                }
            }
        });
        tracing::info!(service = self.nom, port = self.port, "à l'écoute");
        // Streamed bodies (files, server-rendered HTML) go out in several writes: without
        // TCP_NODELAY, Nagle's algorithm meets the client's delayed ACK and each response
        // waits ~20-40 ms.
        let listener = self.listener.tap_io(|flux| {
            if let Err(e) = flux.set_nodelay(true) {
                tracing::debug!(erreur = %e, "TCP_NODELAY impossible");
            }
        });
        let router = crate::http::avec_couches(
            crate::http::avec_delai(self.router, self.delai_requete),
            self.nom,
        );
        axum::serve(listener, router)
            .with_graceful_shutdown(async move { arret.cancelled().await })
            .await
            .context("serveur HTTP")?;
        self.taches.close();
        self.taches.wait().await;
        if let Some(db) = self.db {
            db.close().await;
        }
        // The last spans go to the trace backend before the process exits (a no-op without one).
        let _ = tokio::task::spawn_blocking(crate::telemetrie::vider).await;
        tracing::info!(service = self.nom, "arrêté");
        Ok(())
    }
}
