//! Entry point of the storefront: configuration from the environment, then run.

// The pages' view types are deep (the cart island holds the whole checkout); `app` and
// `frontend` raise the limit too.
#![recursion_limit = "256"]

use storefront::{Application, Config};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    socle::telemetrie::init("info,storefront=info");
    let config = Config::depuis_env()?;
    tracing::info!(?config, "démarrage du storefront");
    Application::build(config).await?.run_until_stopped().await
}
