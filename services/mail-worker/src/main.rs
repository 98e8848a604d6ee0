//! Entry point of the mail worker: configuration from the environment, then run.

use mail_worker::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    socle::telemetrie::init("info,mail_worker=info,sqlx=warn");
    let config = Config::depuis_env()?;
    tracing::info!(?config, "démarrage du mail-worker");
    Application::build(config).await?.run_until_stopped().await
}
