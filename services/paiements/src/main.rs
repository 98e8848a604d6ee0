//! Entry point of the paiements service: configuration from the environment, then run.

use paiements::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    socle::telemetrie::init("info,paiements=info,sqlx=warn");
    let config = Config::depuis_env()?;
    tracing::info!(?config, "démarrage de paiements");
    Application::build(config).await?.run_until_stopped().await
}
