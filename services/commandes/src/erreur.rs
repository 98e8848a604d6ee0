//! The service's one error type and how each case is answered: the cases every service
//! shares (invalid input, a database rule, a bug) come from `socle::http::ErreurCommune`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use socle::http::{reponse_erreur, CorpsErreur, ErreurCommune};

use contrats::http::StatutCommande;

use crate::domaine::Erreurs;

/// What was asked of an order that its status does not allow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Annuler,
    Expedier,
}

#[derive(Debug, thiserror::Error)]
pub enum ErreurApi {
    #[error(transparent)]
    Commune(#[from] ErreurCommune),
    #[error("commande introuvable")]
    Introuvable(String),
    #[error("clé d'idempotence déjà utilisée pour une autre commande")]
    ConflitIdempotence,
    #[error("service produits indisponible")]
    ProduitsIndisponible(String),
    /// The order exists, but its status does not allow this (or no longer: someone else
    /// moved it first): 409.
    #[error("transition impossible depuis {statut}")]
    TransitionImpossible {
        action: Action,
        statut: StatutCommande,
    },
}

impl IntoResponse for ErreurApi {
    fn into_response(self) -> Response {
        match self {
            ErreurApi::Commune(e) => e.into_response(),
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
            ErreurApi::TransitionImpossible { action, statut } => {
                let verbe = match action {
                    Action::Annuler => "annulée",
                    Action::Expedier => "expédiée",
                };
                reponse_erreur(
                    StatusCode::CONFLICT,
                    CorpsErreur::new(
                        "transition_impossible",
                        format!(
                            "la commande est « {} » (statut {statut}) : elle ne peut pas être {verbe}",
                            statut.libelle()
                        ),
                    ),
                )
            }
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
