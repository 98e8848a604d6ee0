//! Settings of the mail worker, from the environment (defaults documented in README).

use std::time::Duration;

use socle::config::{texte, valeur, ConfigService, Defauts};

#[derive(Debug, Clone)]
pub struct Config {
    /// Health port, database (a batch holds one connection while its emails are sent),
    /// broker, and prefetch: messages delivered at once, hence the largest batch, and SMTP
    /// connections kept open (the batch's emails are sent concurrently).
    pub service: ConfigService,
    pub smtp_host: String,
    pub smtp_port: u16,
    pub smtp_from: String,
    /// Public URL of the storefront, for the order link in emails.
    pub storefront_url: String,
    /// Failed sends before a message goes to the dead-letter queue.
    pub tentatives_max: u32,
    /// First retry delay (doubles each time, at most 60 s).
    pub delai_reessai: Duration,
}

impl Config {
    pub fn depuis_env() -> anyhow::Result<Self> {
        Ok(Config {
            service: ConfigService::depuis_env(Defauts {
                port: 8083,
                base: "mail",
                prefetch: 64,
                connexions_db: 20,
            })?,
            smtp_host: texte("SMTP_HOST", "127.0.0.1"),
            smtp_port: valeur("SMTP_PORT", 1025)?,
            smtp_from: texte("SMTP_FROM", "Boutique 321 <commandes@boutique321.ch>"),
            storefront_url: texte("STOREFRONT_URL", "http://localhost:8000"),
            tentatives_max: valeur("MAX_ATTEMPTS", 5)?,
            delai_reessai: Duration::from_millis(valeur("RETRY_BASE_MS", 1000)?),
        })
    }
}
