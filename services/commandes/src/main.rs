//! Entry point of the commandes service: configuration from the environment, then run.

use commandes::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    socle::telemetrie::init("info,commandes=info,sqlx=warn");
    let config = Config::depuis_env()?;
    tracing::info!(?config, "démarrage de commandes");
    Application::build(config).await?.run_until_stopped().await
}
