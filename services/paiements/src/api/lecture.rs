//! Reading one payment attempt by its id.

use axum::extract::State;
use socle::http::{Json, Path};
use uuid::Uuid;

use contrats::http::Paiement;

use super::AppState;
use crate::depot;
use crate::erreur::ErreurApi;

/// One payment attempt (public: its id is an unguessable UUID, and it shows no more of the
/// card than its brand and last four digits).
#[utoipa::path(
    get, path = "/{id_paiement}", tag = "paiements",
    params(("id_paiement" = Uuid, Path, description = "Identifiant du paiement")),
    responses(
        (status = 200, description = "Le paiement", body = Paiement),
        (status = 400, description = "Identifiant illisible", body = socle::http::CorpsErreur),
        (status = 404, description = "Paiement inconnu", body = socle::http::CorpsErreur),
    )
)]
pub async fn obtenir(
    State(s): State<AppState>,
    Path(id_paiement): Path<Uuid>,
) -> Result<Json<Paiement>, ErreurApi> {
    depot::par_id(&s.db, id_paiement)
        .await?
        .map(|p| Json(p.into()))
        .ok_or(ErreurApi::Introuvable(id_paiement))
}
