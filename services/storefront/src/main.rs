//! Entry point of the storefront: configuration from the environment, then run.

use storefront::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    socle::telemetrie::init("info,storefront=info");
    let config = Config::depuis_env()?;
    tracing::info!(?config, "démarrage du storefront");
    Application::build(config).await?.run_until_stopped().await
}
