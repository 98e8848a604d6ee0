//! Settings of the produits service, from the environment (defaults documented in README).

use socle::config::{booleen, ConfigService, Defauts};

#[derive(Debug, Clone)]
pub struct Config {
    /// Address, database, broker, prefetch (stock reservations handled at once), admin token.
    pub service: ConfigService,
    /// Load the demo catalogue into an empty database.
    pub demo: bool,
}

impl Config {
    pub fn depuis_env() -> anyhow::Result<Self> {
        Ok(Config {
            service: ConfigService::depuis_env(Defauts {
                port: 8081,
                base: "produits",
                prefetch: 256,
                connexions_db: 10,
            })?,
            demo: booleen("DEMO_DATA", false),
        })
    }
}
