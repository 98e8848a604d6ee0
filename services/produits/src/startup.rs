//! Building and running the service: bind, migrate, wire state, consume `stock_update` and
//! `stock_liberation`, serve until stopped.

use std::sync::Arc;

use contrats::noms::{STOCK_LIBERATION, STOCK_UPDATE};
use socle::amqp::OptionsConsommateur;
use socle::messagerie::Messagerie;
use socle::serveur::{Parties, Serveur};

use crate::api::{self, AppState};
use crate::cache::{self, CacheCatalogue};
use crate::config::Config;
use crate::{demo, liberation, reservation};

/// Migrations of this service, embedded in the binary and run at start-up.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Builds the service; what it gives back is the bound [`Serveur`]: `port()`,
/// `jeton_arret()` (stops it when cancelled: tests, embedding) and `run_until_stopped()`.
pub struct Application;

impl Application {
    /// Creates the database if needed, migrates it, loads demo data, binds the port.
    pub async fn build(config: Config) -> anyhow::Result<Serveur> {
        let db = socle::db::ouvrir(
            &config.service.database_url,
            config.service.max_connexions_db,
            &MIGRATIONS,
        )
        .await?;
        if config.demo {
            demo::charger_si_vide(&db).await?;
        }

        let m = Messagerie::demarrer(&config.service.amqp_url, &config.service.prefixe_broker);
        let cache = Arc::new(CacheCatalogue::default());
        m.taches.spawn(cache::suivre_modifications(
            db.clone(),
            cache.clone(),
            m.arret.clone(),
        ));
        m.relayer_outbox(db.clone());
        m.consommer_par_lots(
            STOCK_UPDATE,
            OptionsConsommateur {
                prefetch: config.service.prefetch,
                ..Default::default()
            },
            {
                let db = db.clone();
                let reveil = m.reveil.clone();
                move |messages| reservation::traiter_lot(db.clone(), reveil.clone(), messages)
            },
        );
        m.consommer_par_lots(
            STOCK_LIBERATION,
            OptionsConsommateur {
                prefetch: config.service.prefetch,
                ..Default::default()
            },
            {
                let db = db.clone();
                move |messages| liberation::traiter_lot(db.clone(), messages)
            },
        );
        // What orders still hold is kept; given-back rows go after RETENTION_JOURS.
        m.purger_table(db.clone(), "reservations", "libere_le");

        let etat = AppState {
            db: db.clone(),
            cache,
            jeton_admin: config.service.jeton_admin.clone(),
        };
        let (api, spec) = api::router();
        let router = socle::http::reponses_json_par_defaut(
            api.with_state(etat)
                .merge(api::docs(spec))
                .merge(socle::sante::router(db.clone(), m.broker.clone())),
        );
        let parties = Parties {
            router,
            arret: m.arret,
            taches: m.taches,
            db: Some(db),
        };
        Serveur::lier(
            "produits",
            &config.service.host,
            config.service.port,
            parties,
        )
        .await
    }
}
