//! Building and running the service: bind, migrate, wire state, serve until stopped.

use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use contrats::noms::{Topologie, STOCK_UPDATE};
use socle::amqp::{Broker, OptionsConsommateur};
use socle::http::{avec_couches, JetonAdmin};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::api::{self, AppState};
use crate::cache::{self, CacheCatalogue};
use crate::config::Config;
use crate::{demo, reservation};

/// Migrations of this service, embedded in the binary and run at start-up.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

pub struct Application {
    port: u16,
    listener: TcpListener,
    router: Router,
    arret: CancellationToken,
    taches: TaskTracker,
    db: PgPool,
}

impl Application {
    /// Creates the database if needed, migrates it, loads demo data, binds the port.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        socle::db::creer_si_absente(&config.database_url).await?;
        let db = socle::db::pool(&config.database_url, config.max_connexions_db).await?;
        MIGRATIONS
            .run(&db)
            .await
            .context("migrations de la base produits")?;
        if config.demo {
            demo::charger_si_vide(&db).await?;
        }

        let arret = CancellationToken::new();
        let taches = TaskTracker::new();
        let broker = Broker::demarrer(config.amqp_url.clone(), arret.clone());
        let cache = Arc::new(CacheCatalogue::default());
        taches.spawn(cache::ecouter_modifications(
            db.clone(),
            cache.clone(),
            arret.clone(),
        ));
        let topologie = Topologie::new(config.prefixe_broker.as_str());
        taches.spawn(socle::outbox::relayer(
            db.clone(),
            broker.clone(),
            topologie.clone(),
            arret.clone(),
        ));
        taches.spawn(socle::amqp::consommer(
            broker.clone(),
            topologie,
            STOCK_UPDATE,
            OptionsConsommateur {
                prefetch: config.prefetch,
                ..Default::default()
            },
            arret.clone(),
            {
                let db = db.clone();
                let cache = cache.clone();
                move |message| reservation::traiter(db.clone(), cache.clone(), message)
            },
        ));

        let etat = AppState {
            db: db.clone(),
            cache,
            jeton_admin: JetonAdmin::new(config.admin_token.as_str()),
        };
        let (api, spec) = api::router();
        let router = avec_couches(
            api.with_state(etat)
                .merge(api::docs(spec))
                .merge(socle::sante::router(db.clone(), broker)),
        );

        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .with_context(|| format!("écoute sur {}:{}", config.host, config.port))?;
        let port = listener.local_addr().context("adresse locale")?.port();
        Ok(Application {
            port,
            listener,
            router,
            arret,
            taches,
            db,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A token that stops the application when cancelled (tests, embedding).
    pub fn jeton_arret(&self) -> CancellationToken {
        self.arret.clone()
    }

    /// Serves until Ctrl-C/SIGTERM or [`Self::jeton_arret`]; then stops accepting, lets
    /// in-flight requests finish, stops background tasks and closes the pool.
    pub async fn run_until_stopped(self) -> anyhow::Result<()> {
        let arret = self.arret.clone();
        tokio::spawn({
            let arret = arret.clone();
            async move {
                tokio::select! {
                    () = socle::arret::signal() => arret.cancel(),
                    () = arret.cancelled() => {}
                }
            }
        });
        tracing::info!(port = self.port, "produits à l'écoute");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move { arret.cancelled().await })
            .await
            .context("serveur HTTP")?;
        self.taches.close();
        self.taches.wait().await;
        self.db.close().await;
        tracing::info!("produits arrêté");
        Ok(())
    }
}
