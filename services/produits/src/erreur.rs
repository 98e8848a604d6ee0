//! The service's one error type and how each case is answered.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use socle::http::{reponse_erreur, reponse_interne, resumer_champs, CorpsErreur};

use crate::domaine::Erreurs;

#[derive(Debug, thiserror::Error)]
pub enum ErreurApi {
    #[error("données invalides")]
    Validation(Erreurs),
    #[error("produit {0} introuvable")]
    Introuvable(i64),
    /// Details are logged, never sent.
    #[error(transparent)]
    Interne(#[from] anyhow::Error),
}

impl IntoResponse for ErreurApi {
    fn into_response(self) -> Response {
        match self {
            ErreurApi::Validation(champs) => {
                let liste = resumer_champs(&champs);
                reponse_erreur(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    CorpsErreur::new("validation", format!("données invalides — {liste}"))
                        .avec_champs(champs),
                )
            }
            ErreurApi::Introuvable(id) => reponse_erreur(
                StatusCode::NOT_FOUND,
                CorpsErreur::new("introuvable", format!("le produit {id} n'existe pas")),
            ),
            ErreurApi::Interne(e) => reponse_interne(&e),
        }
    }
}

impl From<sqlx::Error> for ErreurApi {
    fn from(e: sqlx::Error) -> Self {
        ErreurApi::Interne(e.into())
    }
}
