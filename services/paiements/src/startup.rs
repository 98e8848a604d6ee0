//! Building and running the service: bind, migrate, wire state, serve until stopped.

use contrats::noms::PAIEMENTS_COMMANDES;
use socle::amqp::OptionsConsommateur;
use socle::messagerie::Messagerie;
use socle::serveur::{Parties, Serveur};

use crate::api::{self, AppState};
use crate::config::Config;
use crate::fournisseur::Fournisseur;
use crate::saga;

/// Migrations of this service, embedded in the binary and run at start-up.
pub static MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Builds the service; what it gives back is the bound [`Serveur`]: `port()`,
/// `jeton_arret()` (stops it when cancelled: tests, embedding) and `run_until_stopped()`.
pub struct Application;

impl Application {
    /// Creates the database if needed, migrates it, binds the port.
    pub async fn build(config: Config) -> anyhow::Result<Serveur> {
        let db = socle::db::ouvrir(
            &config.service.database_url,
            config.service.max_connexions_db,
            &MIGRATIONS,
        )
        .await?;
        let fournisseur = Fournisseur {
            delai_max: config.delai_fournisseur,
            delai_carte_lente: config.delai_carte_lente,
        };

        let m = Messagerie::demarrer(&config.service.amqp_url, &config.service.prefixe_broker);
        m.relayer_outbox(db.clone());
        m.consommer_par_lots(
            PAIEMENTS_COMMANDES,
            OptionsConsommateur {
                prefetch: config.service.prefetch,
                ..Default::default()
            },
            {
                let db = db.clone();
                let reveil = m.reveil.clone();
                let fournisseur = fournisseur.clone();
                move |messages| {
                    saga::traiter_lot(db.clone(), reveil.clone(), fournisseur.clone(), messages)
                }
            },
        );
        let etat = AppState {
            db: db.clone(),
            fournisseur,
            reveil: m.reveil.clone(),
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
            "paiements",
            &config.service.host,
            config.service.port,
            parties,
        )
        .await
    }
}
