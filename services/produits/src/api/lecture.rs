//! Reading the catalogue: the (cached) list and one product.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderValue};
use socle::http::{Json, Path, Query};

use contrats::http::Produit;

use super::dto::{etag, ParamsListe};
use super::AppState;
use crate::cache::{self, Page};
use crate::depot;
use crate::domaine::Filtre;
use crate::erreur::ErreurApi;

/// List products, with search and pagination. The total is in `X-Total-Count`. Served from
/// the cache: a write made through another instance, or a stock reservation, shows within
/// `cache::SONDAGE` (250 ms) plus a query; this instance's own admin writes at once.
#[utoipa::path(
    get, path = "", tag = "produits",
    params(ParamsListe),
    responses(
        (status = 200, description = "Une page du catalogue", body = Vec<Produit>,
         headers(("X-Total-Count" = i64, description = "Nombre total de produits correspondants"))),
        (status = 400, description = "Paramètre illisible", body = socle::http::CorpsErreur),
        (status = 422, description = "Paramètre hors limites", body = socle::http::CorpsErreur),
    )
)]
pub async fn lister(
    State(s): State<AppState>,
    Query(params): Query<ParamsListe>,
) -> Result<Response, ErreurApi> {
    let filtre = Filtre::try_from(params)?;
    let cle = cache::cle(&filtre);
    let page = match s.cache.lire(&cle) {
        Some(p) => p,
        None => {
            let generation = s.cache.generation();
            let (produits, total) = depot::lister(&s.db, &filtre).await?;
            let ids = produits.iter().map(|p| p.id).collect();
            let produits: Vec<Produit> = produits.into_iter().map(Produit::from).collect();
            let json = serde_json::to_vec(&produits)
                .map_err(anyhow::Error::from)?
                .into();
            let page = Page { json, total, ids };
            s.cache.ecrire(cle, generation, page.clone());
            page
        }
    };
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::HeaderName::from_static("x-total-count"),
                page.total.into(),
            ),
        ],
        page.json,
    )
        .into_response())
}

/// One product, with its version as a strong `ETag` (to send back in `If-Match`). Never
/// cached: it is always the committed state.
#[utoipa::path(
    get, path = "/{id}", tag = "produits",
    params(("id" = i64, Path, description = "Identifiant du produit")),
    responses(
        (status = 200, description = "Le produit", body = Produit,
         headers(("ETag" = String, description = "Version du produit (\"3\"), à renvoyer dans If-Match"))),
        (status = 400, description = "Identifiant illisible", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
    )
)]
pub async fn obtenir(
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Response, ErreurApi> {
    let p = depot::obtenir(&s.db, id)
        .await?
        .ok_or(ErreurApi::Introuvable(id))?;
    Ok(([etag(&p)], Json(Produit::from(p))).into_response())
}
