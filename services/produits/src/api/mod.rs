//! The HTTP API of the catalogue and its OpenAPI document.

pub mod dto;
mod ecriture;
mod lecture;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::Router;
use socle::http::{CorpsErreur, JetonAdmin, SecuriteAdmin};
use sqlx::PgPool;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::cache::CacheCatalogue;

/// Base path of the resource, as in the seed.
pub const BASE: &str = "/api/produits";
/// Swagger UI (the seed's URL) and the spec under it.
pub const DOCS: &str = "/produits/docs";
pub const SPEC: &str = "/produits/docs/openapi.json";

/// What every handler may use.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: PgPool,
    pub cache: Arc<CacheCatalogue>,
    pub jeton_admin: JetonAdmin,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Boutique 321 — API Produits",
        description = "Catalogue et stock. Les écritures demandent `Authorization: Bearer <ADMIN_TOKEN>`. \
            Chaque produit a une version, son `ETag` ; `If-Match` est requis par les écritures \
            qui remplacent le stock (`PUT`, `PATCH` avec `quantite_en_stock`) : 428 sans lui, 412 \
            si le produit a changé depuis la lecture. `POST /api/produits/{id}/stock` ajuste le \
            stock d'un delta, sans version."
    ),
    components(schemas(CorpsErreur)),
    modifiers(&SecuriteAdmin),
    tags((name = "produits", description = "Catalogue et stock"))
)]
struct ApiDoc;

/// The resource routes and the document that describes them.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            BASE,
            OpenApiRouter::new()
                .routes(routes!(lecture::lister, ecriture::creer))
                .routes(routes!(
                    lecture::obtenir,
                    ecriture::remplacer,
                    ecriture::modifier,
                    ecriture::supprimer
                ))
                .routes(routes!(ecriture::ajuster_stock)),
        )
        .split_for_parts();
    socle::http::documenter_reponses_communes(&mut spec);
    (router, spec)
}

/// Swagger UI serving `spec`.
pub fn docs(spec: utoipa::openapi::OpenApi) -> Router {
    SwaggerUi::new(DOCS).url(SPEC, spec).into()
}
