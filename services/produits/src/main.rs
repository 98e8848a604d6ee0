//! Entry point of the produits service: configuration from the environment, then run.

use produits::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    socle::telemetrie::init("info,produits=info,sqlx=warn");
    let config = Config::depuis_env()?;
    tracing::info!(?config, "démarrage de produits");
    Application::build(config).await?.run_until_stopped().await
}
