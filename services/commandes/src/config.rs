//! Settings of the commandes service, from the environment (defaults documented in README).

use std::time::Duration;

use socle::config::{texte, valeur, ConfigService, Defauts};

#[derive(Debug, Clone)]
pub struct Config {
    /// Address, database, broker, prefetch (stock outcomes handled at once), admin token.
    pub service: ConfigService,
    /// Internal URL of produits (not through the gateway).
    pub produits_url: String,
    pub delai_produits: Duration,
}

impl Config {
    pub fn depuis_env() -> anyhow::Result<Self> {
        Ok(Config {
            service: ConfigService::depuis_env(Defauts {
                port: 8082,
                base: "commandes",
                prefetch: 32,
                connexions_db: 10,
            })?,
            produits_url: texte("PRODUITS_URL", "http://127.0.0.1:8081"),
            delai_produits: Duration::from_millis(valeur("PRODUITS_TIMEOUT_MS", 3000)?),
        })
    }
}
