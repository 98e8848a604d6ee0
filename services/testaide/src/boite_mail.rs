//! The SMTP catcher tests use: maildev, started by `cargo xtask test` on its own ports.

use serde_json::Value;

/// SMTP port of the test catcher (`TEST_SMTP_PORT`, default 11025).
pub fn port_smtp() -> u16 {
    std::env::var("TEST_SMTP_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(11025)
}

/// Base URL of its HTTP API (`TEST_MAILDEV_URL`, default http://127.0.0.1:18025).
pub fn url_api() -> String {
    std::env::var("TEST_MAILDEV_URL").unwrap_or_else(|_| "http://127.0.0.1:18025".into())
}

/// Every email received for `adresse` (maildev's JSON: `subject`, `text`, `html`, `to`…).
/// Panics with a hint when no catcher runs.
pub async fn emails_pour(adresse: &str) -> Vec<Value> {
    lire(&[("to.address", adresse)]).await
}

/// Every email the catcher holds.
pub async fn tous_les_emails() -> Vec<Value> {
    lire(&[]).await
}

async fn lire(filtre: &[(&str, &str)]) -> Vec<Value> {
    let url = format!("{}/api/email", url_api());
    reqwest::Client::new()
        .get(&url)
        .query(filtre)
        .send()
        .await
        .unwrap_or_else(|e| {
            panic!("pas de maildev sur {url} ({e}) : lancez les tests avec `cargo xtask test`")
        })
        .json()
        .await
        .expect("réponse JSON de maildev")
}
