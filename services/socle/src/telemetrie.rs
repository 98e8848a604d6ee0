//! Logging setup: human-readable by default, one JSON object per line with `LOG_FORMAT=json`.

use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber once; later calls (several apps in one test binary) are no-ops.
pub fn init(defaut: &str) {
    let filtre = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(defaut))
        // lapin logs a message the broker returned (mandatory publish, no queue) with its
        // payload at WARN: customers' emails and addresses would land in the logs. The relay
        // logs the return itself, without the payload. Holds whatever RUST_LOG says.
        .add_directive(
            "lapin::returned_messages=error"
                .parse()
                .expect("directive de filtre valide"),
        );
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let resultat = if json {
        fmt()
            .json()
            .with_env_filter(filtre)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        fmt().with_env_filter(filtre).try_init()
    };
    // Already installed: keep the first one.
    let _ = resultat;
}
