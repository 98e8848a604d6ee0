//! Building and running the service: bind, migrate, wire state, serve until stopped.

use contrats::noms::COMMANDES_STATUT;
use socle::amqp::OptionsConsommateur;
use socle::messagerie::Messagerie;
use socle::serveur::{Parties, Serveur};

use crate::api::{self, AppState};
use crate::catalogue::ClientProduits;
use crate::config::Config;
use crate::expiration::{self, OptionsExpiration};
use crate::{evenements, saga};

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

        evenements::decrire_metriques();
        let m = Messagerie::demarrer(&config.service.amqp_url, &config.service.prefixe_broker);
        m.relayer_outbox(db.clone());
        m.consommer_par_lots(
            COMMANDES_STATUT,
            OptionsConsommateur {
                prefetch: config.service.prefetch,
                ..Default::default()
            },
            {
                let db = db.clone();
                let reveil = m.reveil.clone();
                let delai = config.delai_paiement;
                move |messages| saga::traiter_lot(db.clone(), reveil.clone(), delai, messages)
            },
        );
        // Started like the consumers: stopped by the same token, waited for by the same
        // tracker (a scan in progress commits before the service exits).
        m.taches.spawn(expiration::surveiller(
            db.clone(),
            m.reveil.clone(),
            OptionsExpiration {
                intervalle: config.intervalle_expiration,
                lot: config.lot_expiration,
            },
            m.arret.clone(),
        ));
        let etat = AppState {
            db: db.clone(),
            produits: ClientProduits::new(&config.produits_url, config.delai_produits)?,
            reveil: m.reveil.clone(),
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
            "commandes",
            &config.service.host,
            config.service.port,
            parties,
        )
        .await
    }
}
