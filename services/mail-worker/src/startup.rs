//! Building and running the worker: migrate, consume `mail_notifier`, answer health probes.

use std::sync::Arc;
use std::time::Duration;

use contrats::noms::MAIL_NOTIFIER;
use socle::amqp::OptionsConsommateur;
use socle::messagerie::Messagerie;
use socle::serveur::{Parties, Serveur};

use crate::config::Config;
use crate::envoi::Expediteur;
use crate::gabarits::Gabarits;
use crate::notification::Notificateur;

pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Builds the service; what it gives back is the bound [`Serveur`]: `port()`,
/// `jeton_arret()` (stops it when cancelled: tests, embedding) and `run_until_stopped()`.
pub struct Application;

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Serveur> {
        let db = socle::db::ouvrir(
            &config.service.database_url,
            config.service.max_connexions_db,
            &MIGRATIONS,
        )
        .await?;
        let notificateur = Arc::new(Notificateur {
            db: db.clone(),
            gabarits: Gabarits::new(&config.storefront_url)?,
            expediteur: Expediteur::new(
                &config.smtp_host,
                config.smtp_port,
                &config.smtp_from,
                config.service.prefetch.into(),
            )?,
        });

        let m = Messagerie::demarrer(&config.service.amqp_url, &config.service.prefixe_broker);
        m.consommer_par_lots(
            MAIL_NOTIFIER,
            OptionsConsommateur {
                prefetch: config.service.prefetch,
                tentatives_max: config.tentatives_max,
                delai_base: config.delai_reessai,
                delai_max: Duration::from_secs(60),
            },
            move |messages| {
                let n = notificateur.clone();
                async move { n.traiter_lot(messages).await }
            },
        );
        m.purger_table(db.clone(), "emails_envoyes", "envoye_le");
        let router = socle::http::reponses_json_par_defaut(socle::sante::router(
            db.clone(),
            m.broker.clone(),
        ));
        let parties = Parties {
            router,
            arret: m.arret,
            taches: m.taches,
            db: Some(db),
        };
        Serveur::lier(
            "mail-worker",
            &config.service.host,
            config.service.port,
            parties,
        )
        .await
    }
}
