//! The service's one error type and how each case is answered: the cases every service
//! shares (invalid input, a database rule, a bug) come from `socle::http::ErreurCommune`.

use axum::response::{IntoResponse, Response};
use http::{HeaderValue, StatusCode};
use socle::http::{reponse_erreur, CorpsErreur, ErreurCommune};
use uuid::Uuid;

use crate::domaine::{Blocage, Erreurs};

/// The header every payment needs.
pub const IDEMPOTENCY_KEY: &str = "Idempotency-Key";

#[derive(Debug, thiserror::Error)]
pub enum ErreurApi {
    #[error(transparent)]
    Commune(#[from] ErreurCommune),
    #[error("paiement introuvable")]
    Introuvable(Uuid),
    /// No `Idempotency-Key`: a payment must be safe to retry.
    #[error("Idempotency-Key manquante")]
    CleManquante,
    #[error("Idempotency-Key invalide")]
    CleInvalide(String),
    #[error("clé d'idempotence déjà utilisée pour une autre demande")]
    ConflitIdempotence,
    #[error("commande non payable")]
    NonPayable(Blocage),
    /// The provider did not answer in time: nothing was captured.
    #[error("fournisseur de paiement indisponible")]
    FournisseurIndisponible,
}

impl IntoResponse for ErreurApi {
    fn into_response(self) -> Response {
        let champ_cle = |m: &str| Erreurs::from([(IDEMPOTENCY_KEY.to_owned(), m.to_owned())]);
        match self {
            ErreurApi::Commune(e) => e.into_response(),
            ErreurApi::Introuvable(id) => reponse_erreur(
                StatusCode::NOT_FOUND,
                CorpsErreur::new(
                    "introuvable",
                    format!("aucun paiement ne porte l'identifiant {id}"),
                ),
            ),
            ErreurApi::CleManquante => reponse_erreur(
                StatusCode::BAD_REQUEST,
                CorpsErreur::new(
                    "cle_idempotence_requise",
                    "l'en-tête Idempotency-Key est requis : une clé choisie par le client, la même pour chaque nouvel essai du même paiement",
                )
                .avec_champs(champ_cle("requis")),
            ),
            ErreurApi::CleInvalide(m) => reponse_erreur(
                StatusCode::BAD_REQUEST,
                CorpsErreur::new("en_tete_invalide", format!("en-tête invalide : {m}"))
                    .avec_champs(champ_cle(&m)),
            ),
            ErreurApi::ConflitIdempotence => reponse_erreur(
                StatusCode::UNPROCESSABLE_ENTITY,
                CorpsErreur::new(
                    "idempotence_conflit",
                    "cette clé Idempotency-Key a déjà servi pour une autre demande de paiement",
                ),
            ),
            ErreurApi::NonPayable(Blocage::PasOuverte) => {
                let mut r = reponse_erreur(
                    StatusCode::CONFLICT,
                    CorpsErreur::new(
                        "paiement_pas_ouvert",
                        "cette commande ne peut pas encore être payée (son stock n'est pas encore réservé) ; réessayez dans un instant",
                    ),
                );
                r.headers_mut()
                    .insert(http::header::RETRY_AFTER, HeaderValue::from_static("1"));
                r
            }
            ErreurApi::NonPayable(Blocage::Annulee) => reponse_erreur(
                StatusCode::CONFLICT,
                CorpsErreur::new(
                    "commande_annulee",
                    "cette commande est annulée : elle ne peut plus être payée",
                ),
            ),
            ErreurApi::NonPayable(Blocage::DejaPayee) => reponse_erreur(
                StatusCode::CONFLICT,
                CorpsErreur::new("deja_payee", "cette commande est déjà payée"),
            ),
            ErreurApi::FournisseurIndisponible => reponse_erreur(
                StatusCode::GATEWAY_TIMEOUT,
                CorpsErreur::new(
                    "fournisseur_indisponible",
                    "le fournisseur de paiement n'a pas répondu à temps : rien n'a été débité ; réessayez",
                ),
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

impl From<sqlx::Error> for ErreurApi {
    fn from(e: sqlx::Error) -> Self {
        ErreurCommune::from(e).into()
    }
}
