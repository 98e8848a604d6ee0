//! Reading orders: one by its public reference, or the admin list.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::header::HeaderName;
use socle::http::{Admin, Json, Path, Query};
use uuid::Uuid;

use socle::pagination::Pagination;

use contrats::http::Commande;

use super::dto::ParamsListe;
use super::AppState;
use crate::depot;
use crate::erreur::ErreurApi;

/// One order, by its reference (public: the reference is an unguessable UUID).
#[utoipa::path(
    get, path = "/{reference}", tag = "commandes",
    params(("reference" = Uuid, Path, description = "Référence de la commande")),
    responses(
        (status = 200, description = "La commande", body = Commande),
        (status = 400, description = "Référence illisible", body = socle::http::CorpsErreur),
        (status = 404, description = "Commande inconnue", body = socle::http::CorpsErreur),
    )
)]
pub async fn obtenir(
    State(s): State<AppState>,
    Path(reference): Path<Uuid>,
) -> Result<Json<Commande>, ErreurApi> {
    depot::par_reference(&s.db, reference)
        .await?
        .map(|c| Json(c.into()))
        .ok_or_else(|| ErreurApi::Introuvable(reference.to_string()))
}

/// Every order, newest first (admin only: it shows customers' emails).
#[utoipa::path(
    get, path = "", tag = "commandes",
    params(ParamsListe),
    security(("admin" = [])),
    responses(
        (status = 200, description = "Une page de commandes", body = Vec<Commande>,
         headers(("X-Total-Count" = i64, description = "Nombre total de commandes"))),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 422, description = "Pagination hors limites", body = socle::http::CorpsErreur),
    )
)]
pub async fn lister(
    State(s): State<AppState>,
    _admin: Admin,
    Query(params): Query<ParamsListe>,
) -> Result<Response, ErreurApi> {
    let p = Pagination::try_from(params)?;
    let (commandes, total) = depot::lister(&s.db, p).await?;
    Ok((
        [(HeaderName::from_static("x-total-count"), total.to_string())],
        Json(
            commandes
                .into_iter()
                .map(Commande::from)
                .collect::<Vec<_>>(),
        ),
    )
        .into_response())
}
