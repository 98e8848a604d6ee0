//! The service's one error type and how each case is answered.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use socle::http::{reponse_erreur, reponse_interne, CorpsErreur};

use crate::domaine::Erreurs;

#[derive(Debug, thiserror::Error)]
pub enum ErreurApi {
    #[error("données invalides")]
    Validation(Erreurs),
    #[error("commande introuvable")]
    Introuvable(String),
    #[error("clé d'idempotence déjà utilisée pour une autre commande")]
    ConflitIdempotence,
    #[error("service produits indisponible")]
    ProduitsIndisponible(String),
    /// Details are logged, never sent.
    #[error(transparent)]
    Interne(#[from] anyhow::Error),
}

impl IntoResponse for ErreurApi {
    fn into_response(self) -> Response {
        match self {
            ErreurApi::Validation(champs) => {
                let liste = champs.values().cloned().collect::<Vec<_>>().join(" ; ");
                reponse_erreur(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    CorpsErreur::new("validation", format!("commande invalide — {liste}"))
                        .avec_champs(champs),
                )
            }
            ErreurApi::Introuvable(reference) => reponse_erreur(
                StatusCode::NOT_FOUND,
                CorpsErreur::new(
                    "introuvable",
                    format!("aucune commande ne porte la référence {reference}"),
                ),
            ),
            ErreurApi::ConflitIdempotence => reponse_erreur(
                StatusCode::UNPROCESSABLE_ENTITY,
                CorpsErreur::new(
                    "idempotence_conflit",
                    "cette clé Idempotency-Key a déjà servi pour une autre commande",
                ),
            ),
            ErreurApi::ProduitsIndisponible(detail) => {
                tracing::warn!(%detail, "produits indisponible");
                let mut r = reponse_erreur(
                    StatusCode::SERVICE_UNAVAILABLE,
                    CorpsErreur::new(
                        "produits_indisponible",
                        "le catalogue est momentanément indisponible, aucune commande n'a été enregistrée ; réessayez dans un instant",
                    ),
                );
                r.headers_mut().insert(
                    http::header::RETRY_AFTER,
                    http::HeaderValue::from_static("5"),
                );
                r
            }
            ErreurApi::Interne(e) => reponse_interne(&e),
        }
    }
}

impl From<sqlx::Error> for ErreurApi {
    fn from(e: sqlx::Error) -> Self {
        ErreurApi::Interne(e.into())
    }
}
