//! Settings of the commandes service, from the environment (defaults documented in README).

use std::time::Duration;

use socle::config::{texte, valeur, ConfigService, Defauts};

/// `DELAI_PAIEMENT` by default: 15 minutes to pay once the stock is reserved.
pub const DELAI_PAIEMENT_DEFAUT: Duration = Duration::from_secs(900);
/// `INTERVALLE_EXPIRATION_MS` by default.
pub const INTERVALLE_EXPIRATION_DEFAUT: Duration = Duration::from_millis(1000);
/// Due orders one expiry transaction cancels at most.
pub const LOT_EXPIRATION_DEFAUT: i64 = 100;
/// `PRODUITS_TIMEOUT_MS` by default.
pub const DELAI_PRODUITS_DEFAUT: Duration = Duration::from_millis(3000);

#[derive(Debug, Clone)]
pub struct Config {
    /// Address, database, broker, prefetch (stock and payment outcomes handled at once),
    /// admin token.
    pub service: ConfigService,
    /// Internal URL of produits (not through the gateway).
    pub produits_url: String,
    pub delai_produits: Duration,
    /// How long an order waits for its payment once its stock is reserved
    /// (`DELAI_PAIEMENT`, seconds).
    pub delai_paiement: Duration,
    /// Pause between two scans for orders past their deadline (`INTERVALLE_EXPIRATION_MS`).
    pub intervalle_expiration: Duration,
    /// Orders one scan transaction cancels at most.
    pub lot_expiration: i64,
}

impl Config {
    /// `service` and `produits_url` with every other setting at its default.
    pub fn new(service: ConfigService, produits_url: impl Into<String>) -> Self {
        Config {
            service,
            produits_url: produits_url.into(),
            delai_produits: DELAI_PRODUITS_DEFAUT,
            delai_paiement: DELAI_PAIEMENT_DEFAUT,
            intervalle_expiration: INTERVALLE_EXPIRATION_DEFAUT,
            lot_expiration: LOT_EXPIRATION_DEFAUT,
        }
    }

    pub fn depuis_env() -> anyhow::Result<Self> {
        let delai_paiement = valeur("DELAI_PAIEMENT", DELAI_PAIEMENT_DEFAUT.as_secs())?;
        anyhow::ensure!(
            delai_paiement >= 1,
            "DELAI_PAIEMENT : le délai de paiement doit durer au moins une seconde"
        );
        let intervalle = valeur(
            "INTERVALLE_EXPIRATION_MS",
            INTERVALLE_EXPIRATION_DEFAUT.as_millis() as u64,
        )?;
        anyhow::ensure!(
            intervalle >= 1,
            "INTERVALLE_EXPIRATION_MS : au moins une milliseconde entre deux passages"
        );
        Ok(Config {
            delai_produits: Duration::from_millis(valeur(
                "PRODUITS_TIMEOUT_MS",
                DELAI_PRODUITS_DEFAUT.as_millis() as u64,
            )?),
            delai_paiement: Duration::from_secs(delai_paiement),
            intervalle_expiration: Duration::from_millis(intervalle),
            ..Config::new(
                ConfigService::depuis_env(Defauts {
                    port: 8082,
                    base: "commandes",
                    prefetch: 256,
                    connexions_db: 10,
                })?,
                texte("PRODUITS_URL", "http://127.0.0.1:8081"),
            )
        })
    }
}
