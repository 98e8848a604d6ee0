//! Writing the catalogue (admin only). Each write drops this instance's cached pages that it
//! changes at once (read-your-writes); other instances drop theirs at their next poll (see
//! `cache`).
//!
//! Lost updates: a product's `ETag` is its version, bumped by every write (the stock consumer's
//! too). `If-Match` makes a write apply only to the version its client read (412 otherwise).
//! It is required (428 without it) on the writes that overwrite the stock — `PUT`, and a
//! `PATCH` that sets `quantite_en_stock` — since a stock read then written back would erase
//! the reservations committed in between; it is optional on the other writes. A relative
//! change goes through `POST /{id}/stock`, which needs no version: it adds to whatever the
//! stock is when it runs.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, StatusCode};
use socle::http::{Admin, Json, Path};

use contrats::http::Produit;

use super::dto::{etag, AjustementEntrant, ProduitEntrant, ProduitPatch, SiVersion};
use super::{AppState, BASE};
use crate::depot;
use crate::domaine::{Ajustement, ModificationProduit, NouveauProduit};
use crate::erreur::ErreurApi;

/// A written product with its new ETag.
fn avec_etag(statut: StatusCode, p: crate::domaine::Produit) -> Response {
    (statut, [etag(&p)], Json(Produit::from(p))).into_response()
}

/// Create a product.
#[utoipa::path(
    post, path = "", tag = "produits",
    request_body = ProduitEntrant,
    security(("admin" = [])),
    responses(
        (status = 201, description = "Produit créé", body = Produit,
         headers(
             ("Location" = String, description = "Adresse du nouveau produit"),
             ("ETag" = String, description = "Version du produit, à renvoyer dans If-Match"),
         )),
        (status = 400, description = "JSON malformé", body = socle::http::CorpsErreur),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 413, description = "Corps trop grand", body = socle::http::CorpsErreur),
        (status = 415, description = "Corps qui n'est pas du JSON", body = socle::http::CorpsErreur),
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
    let mut r = avec_etag(StatusCode::CREATED, produit);
    r.headers_mut().insert(
        header::LOCATION,
        location.parse().map_err(anyhow::Error::from)?,
    );
    Ok(r)
}

/// Replace a product entirely. `If-Match` is required: a replacement sets the stock.
#[utoipa::path(
    put, path = "/{id}", tag = "produits",
    params(
        ("id" = i64, Path, description = "Identifiant du produit"),
        // Declared optional although a PUT without it is a 428: OpenAPI's `required` would
        // make API fuzzers (Schemathesis) expect a 400-class answer, not RFC 6585's 428.
        ("If-Match" = Option<String>, Header,
         description = "ETag lu par GET (\"3\") : requis (428 sans lui), le remplacement écrit le stock"),
    ),
    request_body = ProduitEntrant,
    security(("admin" = [])),
    responses(
        (status = 200, description = "Produit remplacé", body = Produit,
         headers(("ETag" = String, description = "Nouvelle version du produit"))),
        (status = 400, description = "JSON malformé, identifiant ou If-Match illisible", body = socle::http::CorpsErreur),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
        (status = 412, description = "Le produit a changé depuis la lecture (If-Match) : rien n'est écrit", body = socle::http::CorpsErreur),
        (status = 413, description = "Corps trop grand", body = socle::http::CorpsErreur),
        (status = 415, description = "Corps qui n'est pas du JSON", body = socle::http::CorpsErreur),
        (status = 422, description = "Champs invalides", body = socle::http::CorpsErreur),
        (status = 428, description = "If-Match manquant", body = socle::http::CorpsErreur),
    )
)]
pub async fn remplacer(
    State(s): State<AppState>,
    _admin: Admin,
    Path(id): Path<i64>,
    SiVersion(condition): SiVersion,
    Json(dto): Json<ProduitEntrant>,
) -> Result<Response, ErreurApi> {
    let nouveau = NouveauProduit::try_from(dto)?;
    let condition = condition.ok_or(ErreurApi::PreconditionRequise(id))?;
    let produit = depot::remplacer(&s.db, id, &nouveau, Some(&condition))
        .await?
        .map_err(|r| ErreurApi::refus(id, r))?;
    s.cache.invalider();
    Ok(avec_etag(StatusCode::OK, produit))
}

/// Change some fields of a product. `If-Match` is required when `quantite_en_stock` is sent,
/// optional otherwise.
#[utoipa::path(
    patch, path = "/{id}", tag = "produits",
    params(
        ("id" = i64, Path, description = "Identifiant du produit"),
        ("If-Match" = Option<String>, Header,
         description = "ETag lu par GET (\"3\") : requis si le corps contient quantite_en_stock (428 sans lui), vérifié s'il est présent"),
    ),
    request_body = ProduitPatch,
    security(("admin" = [])),
    responses(
        (status = 200, description = "Produit modifié", body = Produit,
         headers(("ETag" = String, description = "Nouvelle version du produit"))),
        (status = 400, description = "JSON malformé, identifiant ou If-Match illisible", body = socle::http::CorpsErreur),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
        (status = 412, description = "Le produit a changé depuis la lecture (If-Match) : rien n'est écrit", body = socle::http::CorpsErreur),
        (status = 413, description = "Corps trop grand", body = socle::http::CorpsErreur),
        (status = 415, description = "Corps qui n'est pas du JSON", body = socle::http::CorpsErreur),
        (status = 422, description = "Champs invalides", body = socle::http::CorpsErreur),
        (status = 428, description = "quantite_en_stock envoyé sans If-Match", body = socle::http::CorpsErreur),
    )
)]
pub async fn modifier(
    State(s): State<AppState>,
    _admin: Admin,
    Path(id): Path<i64>,
    SiVersion(condition): SiVersion,
    Json(dto): Json<ProduitPatch>,
) -> Result<Response, ErreurApi> {
    let modif = ModificationProduit::try_from(dto)?;
    if modif.quantite_en_stock.is_some() && condition.is_none() {
        return Err(ErreurApi::PreconditionRequise(id));
    }
    let produit = depot::modifier(&s.db, id, &modif, condition.as_ref())
        .await?
        .map_err(|r| ErreurApi::refus(id, r))?;
    if modif.nom.is_some() || modif.description.is_some() {
        // Searches may now find it, or not: any page may change.
        s.cache.invalider();
    } else {
        s.cache.invalider_produits(&[id]);
    }
    Ok(avec_etag(StatusCode::OK, produit))
}

/// Add to or take from a product's stock, atomically: it never goes below zero.
#[utoipa::path(
    post, path = "/{id}/stock", tag = "produits",
    params(
        ("id" = i64, Path, description = "Identifiant du produit"),
        ("If-Match" = Option<String>, Header,
         description = "Facultatif : n'ajuster que si le produit est encore à cette version"),
    ),
    request_body = AjustementEntrant,
    security(("admin" = [])),
    responses(
        (status = 200, description = "Stock ajusté : le produit", body = Produit,
         headers(("ETag" = String, description = "Nouvelle version du produit"))),
        (status = 400, description = "JSON malformé, identifiant ou If-Match illisible", body = socle::http::CorpsErreur),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
        (status = 409, description = "Le stock passerait sous zéro (ou au-delà du maximum) : rien n'est écrit", body = socle::http::CorpsErreur),
        (status = 412, description = "Le produit a changé depuis la lecture (If-Match) : rien n'est écrit", body = socle::http::CorpsErreur),
        (status = 413, description = "Corps trop grand", body = socle::http::CorpsErreur),
        (status = 415, description = "Corps qui n'est pas du JSON", body = socle::http::CorpsErreur),
        (status = 422, description = "Champs invalides", body = socle::http::CorpsErreur),
    )
)]
pub async fn ajuster_stock(
    State(s): State<AppState>,
    _admin: Admin,
    Path(id): Path<i64>,
    SiVersion(condition): SiVersion,
    Json(dto): Json<AjustementEntrant>,
) -> Result<Response, ErreurApi> {
    let ajustement = Ajustement::try_from(dto)?;
    let produit = depot::ajuster_stock(&s.db, id, &ajustement, condition.as_ref())
        .await?
        .map_err(|r| ErreurApi::refus(id, r))?;
    tracing::info!(
        produit = id,
        delta = ajustement.delta.valeur(),
        raison = ajustement.raison.as_str(),
        stock = produit.quantite_en_stock,
        "stock ajusté"
    );
    s.cache.invalider_produits(&[id]);
    Ok(avec_etag(StatusCode::OK, produit))
}

/// Delete a product. `If-Match` is optional, checked when present.
#[utoipa::path(
    delete, path = "/{id}", tag = "produits",
    params(
        ("id" = i64, Path, description = "Identifiant du produit"),
        ("If-Match" = Option<String>, Header,
         description = "Facultatif : ne supprimer que si le produit est encore à cette version"),
    ),
    security(("admin" = [])),
    responses(
        (status = 204, description = "Produit supprimé"),
        (status = 400, description = "Identifiant ou If-Match illisible", body = socle::http::CorpsErreur),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Produit inconnu", body = socle::http::CorpsErreur),
        (status = 412, description = "Le produit a changé depuis la lecture (If-Match) : rien n'est supprimé", body = socle::http::CorpsErreur),
    )
)]
pub async fn supprimer(
    State(s): State<AppState>,
    _admin: Admin,
    Path(id): Path<i64>,
    SiVersion(condition): SiVersion,
) -> Result<StatusCode, ErreurApi> {
    depot::supprimer(&s.db, id, condition.as_ref())
        .await?
        .map_err(|r| ErreurApi::refus(id, r))?;
    s.cache.invalider();
    Ok(StatusCode::NO_CONTENT)
}
