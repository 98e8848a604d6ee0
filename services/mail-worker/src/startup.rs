//! Building and running the worker: migrate, consume `mail_notifier`, answer health probes.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use contrats::noms::{Topologie, MAIL_NOTIFIER};
use socle::amqp::{Broker, OptionsConsommateur};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::Config;
use crate::envoi::Expediteur;
use crate::gabarits::Gabarits;
use crate::notification::Notificateur;

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
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        socle::db::creer_si_absente(&config.database_url).await?;
        let db = socle::db::pool(&config.database_url, config.max_connexions_db).await?;
        MIGRATIONS
            .run(&db)
            .await
            .context("migrations de la base mail")?;
        let notificateur = Arc::new(Notificateur {
            db: db.clone(),
            gabarits: Gabarits::new(&config.storefront_url)?,
            expediteur: Expediteur::new(&config.smtp_host, config.smtp_port, &config.smtp_from)?,
        });

        let arret = CancellationToken::new();
        let taches = TaskTracker::new();
        let broker = Broker::demarrer(config.amqp_url.clone(), arret.clone());
        taches.spawn(socle::amqp::consommer(
            broker.clone(),
            Topologie::new(config.prefixe_broker.as_str()),
            MAIL_NOTIFIER,
            OptionsConsommateur {
                prefetch: config.prefetch,
                tentatives_max: config.tentatives_max,
                delai_base: config.delai_reessai,
                delai_max: Duration::from_secs(60),
            },
            arret.clone(),
            move |message| {
                let n = notificateur.clone();
                async move { n.traiter(message).await }
            },
        ));
        let router = socle::http::avec_couches(socle::sante::router(db.clone(), broker));
        let listener = TcpListener::bind((config.host.as_str(), config.port))
            .await
            .with_context(|| format!("écoute sur {}:{}", config.host, config.port))?;
        let port = listener.local_addr()?.port();
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

    pub fn jeton_arret(&self) -> CancellationToken {
        self.arret.clone()
    }

    /// Runs until Ctrl-C/SIGTERM or [`Self::jeton_arret`]; in-flight emails are finished
    /// and acked before it returns.
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
        tracing::info!(port = self.port, "mail-worker démarré");
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(async move { arret.cancelled().await })
            .await
            .context("serveur HTTP")?;
        self.taches.close();
        self.taches.wait().await;
        self.db.close().await;
        tracing::info!("mail-worker arrêté");
        Ok(())
    }
}
