//! Settings of the commandes service, from the environment (defaults documented in README).

use std::time::Duration;

use socle::config::{masquer_mot_de_passe, texte, valeur};

pub const ADMIN_TOKEN_DEV: &str = "dev-admin-token";

#[derive(Clone)]
pub struct Config {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    pub database_url: String,
    pub amqp_url: String,
    pub admin_token: String,
    /// Internal URL of produits (not through the gateway).
    pub produits_url: String,
    pub delai_produits: Duration,
    pub max_connexions_db: u32,
    /// Prefix of every exchange and queue name (empty in production; unique per test).
    pub prefixe_broker: String,
    /// Stock outcomes handled at once (the consumer's prefetch).
    pub prefetch: u16,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database_url", &masquer_mot_de_passe(&self.database_url))
            .field("amqp_url", &masquer_mot_de_passe(&self.amqp_url))
            .field("produits_url", &self.produits_url)
            .field("delai_produits", &self.delai_produits)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn depuis_env() -> anyhow::Result<Self> {
        Ok(Config {
            host: texte("HOST", "127.0.0.1"),
            port: valeur("PORT", 8082)?,
            database_url: texte(
                "DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/commandes",
            ),
            amqp_url: texte("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            admin_token: texte("ADMIN_TOKEN", ADMIN_TOKEN_DEV),
            produits_url: texte("PRODUITS_URL", "http://127.0.0.1:8081"),
            delai_produits: Duration::from_millis(valeur("PRODUITS_TIMEOUT_MS", 3000)?),
            max_connexions_db: valeur("DB_MAX_CONNECTIONS", 10)?,
            prefixe_broker: texte("BROKER_PREFIX", ""),
            prefetch: valeur("PREFETCH", 32)?,
        })
    }
}
