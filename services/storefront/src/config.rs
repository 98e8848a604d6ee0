//! Settings of the storefront, from the environment (defaults documented in README).

use std::path::PathBuf;

use socle::config::{texte, valeur};

#[derive(Debug, Clone)]
pub struct Config {
    pub host: String,
    /// 0 picks a free port (tests).
    pub port: u16,
    /// Internal URLs used for server-side rendering (not through the gateway).
    pub produits_url: String,
    pub commandes_url: String,
    /// Where `pkg/frontend.js` and `pkg/frontend_bg.wasm` are (built by `cargo xtask`).
    pub site_root: PathBuf,
    /// The `style/` folder: CSS and images.
    pub style_dir: PathBuf,
}

/// The workspace root, for development defaults.
fn racine() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl Config {
    pub fn depuis_env() -> anyhow::Result<Self> {
        Ok(Config {
            host: texte("HOST", "127.0.0.1"),
            port: valeur("PORT", 3000)?,
            produits_url: texte("PRODUITS_URL", "http://127.0.0.1:8081"),
            commandes_url: texte("COMMANDES_URL", "http://127.0.0.1:8082"),
            site_root: PathBuf::from(texte(
                "SITE_ROOT",
                &racine().join("target/site").to_string_lossy(),
            )),
            style_dir: PathBuf::from(texte(
                "STYLE_DIR",
                &racine().join("style").to_string_lossy(),
            )),
        })
    }
}
