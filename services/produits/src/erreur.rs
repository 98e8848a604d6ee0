//! The service's one error type and how each case is answered: the cases every service
//! shares (invalid input, a database rule, a bug) come from `socle::http::ErreurCommune`.

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use socle::http::{reponse_erreur, CorpsErreur, ErreurCommune};

use crate::domaine::{Erreurs, Refus};

#[derive(Debug, thiserror::Error)]
pub enum ErreurApi {
    #[error(transparent)]
    Commune(#[from] ErreurCommune),
    #[error("produit {0} introuvable")]
    Introuvable(i64),
    /// A header that does not parse (`If-Match` without quotes…): 400.
    #[error("en-tête {en_tete} illisible")]
    EnTeteInvalide { en_tete: &'static str },
    /// `If-Match` names a version the product no longer has: 412, nothing written.
    #[error("produit {0} : version différente de If-Match")]
    VersionDifferente(i64),
    /// A write that overwrites the stock came without `If-Match`: 428, nothing written.
    #[error("produit {0} : If-Match requis")]
    PreconditionRequise(i64),
    /// A stock adjustment that would leave the stock below zero (or above the maximum): 409.
    #[error("produit {id} : ajustement de {delta} impossible sur un stock de {stock}")]
    StockHorsLimites { id: i64, stock: i32, delta: i32 },
}

impl ErreurApi {
    /// The error for a write to product `id` that was refused.
    pub fn refus(id: i64, r: Refus) -> Self {
        match r {
            Refus::Introuvable => ErreurApi::Introuvable(id),
            Refus::VersionDifferente => ErreurApi::VersionDifferente(id),
            Refus::StockHorsLimites { stock, delta } => {
                ErreurApi::StockHorsLimites { id, stock, delta }
            }
        }
    }
}

impl IntoResponse for ErreurApi {
    fn into_response(self) -> Response {
        match self {
            ErreurApi::Commune(e) => e.into_response(),
            ErreurApi::Introuvable(id) => reponse_erreur(
                StatusCode::NOT_FOUND,
                CorpsErreur::new("introuvable", format!("le produit {id} n'existe pas")),
            ),
            ErreurApi::EnTeteInvalide { en_tete } => reponse_erreur(
                StatusCode::BAD_REQUEST,
                CorpsErreur::new(
                    "en_tete_invalide",
                    format!(
                        "en-tête {en_tete} illisible : une liste d'ETags entre guillemets \
                         (\"3\") ou *"
                    ),
                ),
            ),
            ErreurApi::VersionDifferente(id) => reponse_erreur(
                StatusCode::PRECONDITION_FAILED,
                CorpsErreur::new(
                    "version_differente",
                    format!(
                        "le produit {id} a changé depuis votre lecture (If-Match ne correspond \
                         plus) : rien n'a été écrit ; relisez-le et réessayez"
                    ),
                ),
            ),
            ErreurApi::PreconditionRequise(id) => reponse_erreur(
                StatusCode::PRECONDITION_REQUIRED,
                CorpsErreur::new(
                    "precondition_requise",
                    format!(
                        "If-Match requis pour écrire le stock du produit {id} : renvoyez l'ETag \
                         lu par GET /api/produits/{id}, ou ajustez le stock par \
                         POST /api/produits/{id}/stock"
                    ),
                ),
            ),
            ErreurApi::StockHorsLimites { id, stock, delta } => {
                let corps = if delta < 0 {
                    CorpsErreur::new(
                        "stock_insuffisant",
                        format!(
                            "le stock du produit {id} est de {stock} : impossible d'en retirer {}",
                            -i64::from(delta)
                        ),
                    )
                } else {
                    CorpsErreur::new(
                        "stock_trop_grand",
                        format!(
                            "le stock du produit {id} ({stock}) dépasserait {} avec {delta} de plus",
                            i32::MAX
                        ),
                    )
                };
                reponse_erreur(StatusCode::CONFLICT, corps)
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
