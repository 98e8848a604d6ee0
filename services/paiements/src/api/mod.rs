//! The HTTP API of payments and its OpenAPI document.

mod creation;
pub mod dto;
mod lecture;

use axum::extract::FromRef;
use axum::Router;
use socle::http::CorpsErreur;
use sqlx::PgPool;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use utoipa_swagger_ui::SwaggerUi;

use crate::fournisseur::Fournisseur;

/// Base path of the resource.
pub const BASE: &str = "/api/paiements";
/// Swagger UI and the spec under it.
pub const DOCS: &str = "/api/paiements/docs";
pub const SPEC: &str = "/api/paiements/docs/openapi.json";

/// What every handler may use.
#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: PgPool,
    pub fournisseur: Fournisseur,
    /// Wakes the outbox relay once a payment (and so its event) is committed.
    pub reveil: socle::outbox::Reveil,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Boutique 321 — API Paiements",
        description = "Paiement des commandes par carte, auprès d'un fournisseur **simulé**. \
Le montant est celui que la commande doit (annoncé par le service commandes), jamais celui du client ; \
une commande n'est débitée qu'une fois ; `Idempotency-Key` est requise. \
Seuls la marque et les quatre derniers chiffres de la carte sont gardés.\n\n\
Cartes de test (toutes valides selon Luhn, expiration `MM/AA` non passée, CVC de 3 ou 4 chiffres quelconque) :\n\n\
| carte | réponse |\n|---|---|\n\
| `4242 4242 4242 4242` | acceptée (201) |\n\
| `4000 0000 0000 0002` | refusée (402, `carte_refusee`) |\n\
| `4000 0000 0000 9995` | refusée (402, `fonds_insuffisants`) |\n\
| `4000 0000 0000 0119` | le fournisseur répond après `DELAI_CARTE_LENTE_MS` (30 s) ; paiements n'attend que `DELAI_FOURNISSEUR_MS` (3 s) : 504 `fournisseur_indisponible`, rien n'est débité |\n\
| tout autre numéro valide | acceptée (201) |"
    ),
    components(schemas(CorpsErreur)),
    tags((name = "paiements", description = "Paiements des commandes"))
)]
struct ApiDoc;

/// The resource routes and the document that describes them.
pub fn router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut spec) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(
            BASE,
            OpenApiRouter::new()
                .routes(routes!(creation::payer))
                .routes(routes!(lecture::obtenir)),
        )
        .split_for_parts();
    socle::http::documenter_reponses_communes(&mut spec);
    (router, spec)
}

/// Swagger UI serving `spec`.
pub fn docs(spec: utoipa::openapi::OpenApi) -> Router {
    SwaggerUi::new(DOCS).url(SPEC, spec).into()
}
