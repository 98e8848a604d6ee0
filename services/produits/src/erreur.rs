//! The service's one error type and how each case is answered: the cases every service
//! shares (invalid input, a database rule, a bug) come from `socle::http::ErreurCommune`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use socle::http::{reponse_erreur, CorpsErreur, ErreurCommune};

use crate::domaine::Erreurs;

#[derive(Debug, thiserror::Error)]
pub enum ErreurApi {
    #[error(transparent)]
    Commune(#[from] ErreurCommune),
    #[error("produit {0} introuvable")]
    Introuvable(i64),
}

impl IntoResponse for ErreurApi {
    fn into_response(self) -> Response {
        match self {
            ErreurApi::Commune(e) => e.into_response(),
            ErreurApi::Introuvable(id) => reponse_erreur(
                StatusCode::NOT_FOUND,
                CorpsErreur::new("introuvable", format!("le produit {id} n'existe pas")),
            ),
        }
    }
}

impl From<Erreurs> for ErreurApi {
    fn from(champs: Erreurs) -> Self {
        ErreurCommune::Validation(champs).into()
    }
}

impl From<anyhow::Error> for ErreurApi {
    fn from(e: anyhow::Error) -> Self {
        ErreurCommune::from(e).into()
    }
}
