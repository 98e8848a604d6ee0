//! Settings of the mail worker, from the environment (defaults documented in README).

use std::time::Duration;

use socle::config::{masquer_mot_de_passe, texte, valeur};

#[derive(Clone)]
pub struct Config {
    pub host: String,
    /// Port of `/health` and `/ready`; 0 picks a free one (tests).
    pub port: u16,
    pub database_url: String,
    pub amqp_url: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_from: String,
    /// Public URL of the storefront, for the order link in emails.
    pub storefront_url: String,
    pub prefixe_broker: String,
    /// Messages delivered at once, hence the largest batch, and SMTP connections kept open
    /// (the batch's emails are sent concurrently).
    pub prefetch: u16,
    /// Database connections (a batch holds one while its emails are sent).
    pub max_connexions_db: u32,
    /// Failed sends before a message goes to the dead-letter queue.
    pub tentatives_max: u32,
    /// First retry delay (doubles each time, at most 60 s).
    pub delai_reessai: Duration,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("port", &self.port)
            .field("database_url", &masquer_mot_de_passe(&self.database_url))
            .field("amqp_url", &masquer_mot_de_passe(&self.amqp_url))
            .field("smtp", &format!("{}:{}", self.smtp_host, self.smtp_port))
            .field("storefront_url", &self.storefront_url)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn depuis_env() -> anyhow::Result<Self> {
        Ok(Config {
            host: texte("HOST", "127.0.0.1"),
            port: valeur("PORT", 8083)?,
            database_url: texte("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/mail"),
            amqp_url: texte("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            smtp_host: texte("SMTP_HOST", "127.0.0.1"),
            smtp_port: valeur("SMTP_PORT", 1025)?,
            smtp_from: texte("SMTP_FROM", "Boutique 321 <commandes@boutique321.ch>"),
            storefront_url: texte("STOREFRONT_URL", "http://localhost:8000"),
            prefixe_broker: texte("BROKER_PREFIX", ""),
            prefetch: valeur("PREFETCH", 64)?,
            max_connexions_db: valeur("DB_MAX_CONNECTIONS", 20)?,
            tentatives_max: valeur("MAX_ATTEMPTS", 5)?,
            delai_reessai: Duration::from_millis(valeur("RETRY_BASE_MS", 1000)?),
        })
    }
}
