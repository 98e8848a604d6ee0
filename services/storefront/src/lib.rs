//! The storefront server: renders every page of the `app` crate with its data, and serves
//! the WASM bundle that hydrates it, the CSS and the product images.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`Application`]: build, bind, serve, stop gracefully.

pub mod config;

use std::sync::Arc;

use app::api::ApiInterne;
use app::{shell, App};
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use socle::serveur::{Parties, Serveur};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower_http::services::ServeDir;

pub use config::Config;

/// The name wasm-bindgen gives the bundle (`pkg/frontend.js`, `pkg/frontend_bg.wasm`).
pub const NOM_BUNDLE: &str = "frontend";

/// Builds the service; what it gives back is the bound [`Serveur`]: `port()`,
/// `jeton_arret()` (stops it when cancelled: tests, embedding) and `run_until_stopped()`.
pub struct Application;

impl Application {
    pub async fn build(config: Config) -> anyhow::Result<Serveur> {
        let options = LeptosOptions::builder()
            .output_name(Arc::<str>::from(NOM_BUNDLE))
            .site_root(Arc::<str>::from(
                config.site_root.to_string_lossy().as_ref(),
            ))
            .site_pkg_dir(Arc::<str>::from("pkg"))
            .build();
        let api = ApiInterne {
            produits: config.produits_url.trim_end_matches('/').to_owned(),
            commandes: config.commandes_url.trim_end_matches('/').to_owned(),
            traceparent: None,
        };
        let routes = generate_route_list(App);
        let pages = Router::new()
            .leptos_routes_with_context(
                &options,
                routes,
                // Runs inside the request's span: its trace goes on with the page's API calls.
                move || {
                    provide_context(ApiInterne {
                        traceparent: socle::telemetrie::traceparent_courant(),
                        ..api.clone()
                    })
                },
                {
                    let options = options.clone();
                    move || shell(options.clone())
                },
            )
            .fallback(leptos_axum::file_and_error_handler(shell))
            .with_state(options);
        let router = Router::new()
            .route(
                "/health",
                get(|| async { axum::Json(serde_json::json!({"statut": "ok"})) }),
            )
            .nest_service(
                "/pkg",
                ServeDir::new(config.site_root.join("pkg")).precompressed_gzip(),
            )
            .route("/erreurs/trop-de-requetes", get(trop_de_requetes))
            .merge(socle::metriques::router(None))
            .nest_service("/style", ServeDir::new(&config.style_dir))
            .nest_service("/images", ServeDir::new(config.style_dir.join("images")))
            .merge(pages);
        let parties = Parties {
            router,
            arret: CancellationToken::new(),
            taches: TaskTracker::new(),
            db: None,
        };
        Serveur::lier("storefront", &config.host, config.port, parties).await
    }
}

/// The body the gateway answers with when it rate-limits order creation (Traefik's `errors`
/// middleware fetches it here and keeps the 429 status): the APIs' JSON error shape, so a
/// client reads it like any other error.
async fn trop_de_requetes() -> axum::Json<contrats::http::CorpsErreur> {
    axum::Json(contrats::http::CorpsErreur::new(
        "trop_de_requetes",
        "trop de commandes depuis cette adresse en peu de temps ; réessayez dans un moment",
    ))
}
