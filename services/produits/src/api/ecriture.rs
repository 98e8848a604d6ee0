//! Writing the catalogue (admin only). Each write invalidates this instance's cache at once;
//! other instances learn of it through NOTIFY.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use socle::http::{Admin, Json, Path};

use contrats::http::Produit;

use super::dto::{ProduitEntrant, ProduitPatch};
use super::{AppState, BASE};
use crate::depot;
use crate::domaine::{ModificationProduit, NouveauProduit};
use crate::erreur::ErreurApi;

/// Create a product.
#[utoipa::path(
    post, path = "", tag = "produits",
    request_body = ProduitEntrant,
    security(("admin" = [])),
    responses(
        (status = 201, description = "Produit créé", body = Produit,
         headers(("Location" = String, description = "Adresse du nouveau produit"))),
        (status = 400, description = "JSON malformé", body = socle::http::CorpsErreur),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 413, description = "Corps trop grand", body = socle::http::CorpsErreur),
        (status = 422, description = "Champs invalides", body = socle::http::CorpsErreur),
    )
)]
pub async fn creer(
    State(s): State<AppState>,
    _admin: Admin,
    Json(dto): Json<ProduitEntrant>,
) -> Result<Response, ErreurApi> {
    let nouveau = NouveauProduit::try_from(dto)?;
    let produit = depot::creer(&s.db, &nouveau).await?;
    s.cache.invalider();
    let location = format!("{BASE}/{}", produit.id);
    Ok((
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(Produit::from(produit)),
    )
        .into_response())
}

/// Replace a product entirely.
#[utoipa::path(
    put, path = "/{id}", tag = "produits",
    params(("id" = i64, Path, description = "Identifiant du produit")),
    request_body = ProduitEntrant,
    security(("admin" = [])),
    responses(
        (status = 200, description = "Produit remplacé", body = Produit),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
        (status = 422, description = "Champs invalides", body = socle::http::CorpsErreur),
    )
)]
pub async fn remplacer(
    State(s): State<AppState>,
    _admin: Admin,
    Path(id): Path<i64>,
    Json(dto): Json<ProduitEntrant>,
) -> Result<Json<Produit>, ErreurApi> {
    let nouveau = NouveauProduit::try_from(dto)?;
    let produit = depot::remplacer(&s.db, id, &nouveau)
        .await?
        .ok_or(ErreurApi::Introuvable(id))?;
    s.cache.invalider();
    Ok(Json(produit.into()))
}

/// Change some fields of a product.
#[utoipa::path(
    patch, path = "/{id}", tag = "produits",
    params(("id" = i64, Path, description = "Identifiant du produit")),
    request_body = ProduitPatch,
    security(("admin" = [])),
    responses(
        (status = 200, description = "Produit modifié", body = Produit),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
        (status = 422, description = "Champs invalides", body = socle::http::CorpsErreur),
    )
)]
pub async fn modifier(
    State(s): State<AppState>,
    _admin: Admin,
    Path(id): Path<i64>,
    Json(dto): Json<ProduitPatch>,
) -> Result<Json<Produit>, ErreurApi> {
    let modif = ModificationProduit::try_from(dto)?;
    let produit = depot::modifier(&s.db, id, &modif)
        .await?
        .ok_or(ErreurApi::Introuvable(id))?;
    s.cache.invalider();
    Ok(Json(produit.into()))
}

/// Delete a product.
#[utoipa::path(
    delete, path = "/{id}", tag = "produits",
    params(("id" = i64, Path, description = "Identifiant du produit")),
    security(("admin" = [])),
    responses(
        (status = 204, description = "Produit supprimé"),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
    )
)]
pub async fn supprimer(
    State(s): State<AppState>,
    _admin: Admin,
    Path(id): Path<i64>,
) -> Result<StatusCode, ErreurApi> {
    if !depot::supprimer(&s.db, id).await? {
        return Err(ErreurApi::Introuvable(id));
    }
    s.cache.invalider();
    Ok(StatusCode::NO_CONTENT)
}
