//! The HTTP API of orders and its OpenAPI document.
//!
//! - `creation`: placing an order (idempotent); `lecture`: one order, the admin list;
//!   `actions`: cancelling (customer or shop) and shipping (shop); [`dto`]: what travels.

mod actions;
mod creation;
pub mod dto;
mod lecture;

use axum::extract::FromRef;
use axum::routing::post;
use axum::Router;
use socle::http::{CorpsErreur, JetonAdmin, SecuriteAdmin};
use sqlx::PgPool;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::catalogue::ClientProduits;

/// Base path of the resource, as in the seed.
pub const BASE: &str = "/api/commandes";
/// Swagger UI (the seed's URL) and the spec under it.
pub const DOCS: &str = "/api/commandes/docs";
pub const SPEC: &str = "/api/commandes/docs/openapi.json";

/// What every handler may use.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: PgPool,
    pub produits: ClientProduits,
    /// Wakes the outbox relay once an order (and so its event) is committed.
    pub reveil: socle::outbox::Reveil,
    pub jeton_admin: JetonAdmin,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Boutique 321 — API Commandes",
        description = "Commandes : prix fixés par le service produits, total exact en CHF, création idempotente (`Idempotency-Key`), puis le cycle de vie : en_attente → a_payer (stock réservé, à payer avant `echeance_paiement`) → confirmee (payée) → expediee ; annulee en chemin (stock, expiree, client, boutique), avec l'historique de chaque étape."
    ),
    components(schemas(CorpsErreur)),
    modifiers(&SecuriteAdmin),
    tags((name = "commandes", description = "Commandes des clients"))
)]
struct ApiDoc;

/// The resource routes and the document that describes them.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            BASE,
            OpenApiRouter::new()
                .routes(routes!(creation::creer, lecture::lister))
                .routes(routes!(lecture::obtenir))
                .routes(routes!(actions::annuler))
                .routes(routes!(actions::expedier)),
        )
        .split_for_parts();
    // The seed's clients post to `/api/commandes/` too.
    let router = router.route(&format!("{BASE}/"), post(creation::creer));
    socle::http::documenter_reponses_communes(&mut spec);
    (router, spec)
}

/// Swagger UI serving `spec`.
pub fn docs(spec: utoipa::openapi::OpenApi) -> Router {
    SwaggerUi::new(DOCS).url(SPEC, spec).into()
}
