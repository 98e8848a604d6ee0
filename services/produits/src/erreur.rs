//! The service's one error type and how each case is answered.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use socle::http::{reponse_erreur, CorpsErreur};

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
                let liste = champs
                    .iter()
                    .map(|(c, m)| format!("{c} : {m}"))
                    .collect::<Vec<_>>()
                    .join(" ; ");
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
            ErreurApi::Interne(e) => {
                tracing::error!(erreur = ?e, "erreur interne");
                reponse_erreur(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    CorpsErreur::new("interne", "erreur interne, réessayez plus tard"),
                )
            }
        }
    }
}

impl From<sqlx::Error> for ErreurApi {
    fn from(e: sqlx::Error) -> Self {
        ErreurApi::Interne(e.into())
    }
}
