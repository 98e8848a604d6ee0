//! The one JSON error body every service answers with.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `{"erreur": "...", "code": "...", "champs": {...}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CorpsErreur {
    /// What went wrong, in French, for a person.
    pub erreur: String,
    /// A stable machine-readable code (`validation`, `introuvable`, `non_autorise`…).
    pub code: String,
    /// For validation errors: each bad field and what is wrong with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub champs: BTreeMap<String, String>,
}

impl CorpsErreur {
    pub fn new(code: &str, erreur: impl Into<String>) -> Self {
        CorpsErreur {
            erreur: erreur.into(),
            code: code.to_owned(),
            champs: BTreeMap::new(),
        }
    }

    pub fn avec_champs(mut self, champs: BTreeMap<String, String>) -> Self {
        self.champs = champs;
        self
    }
}

/// A JSON error response.
pub fn reponse_erreur(statut: StatusCode, corps: CorpsErreur) -> Response {
    (statut, axum::Json(corps)).into_response()
}

/// A 500: the detail is logged with the request's span, the client gets a generic message.
pub fn reponse_interne(e: &anyhow::Error) -> Response {
    tracing::error!(erreur = ?e, "erreur interne");
    reponse_erreur(
        StatusCode::INTERNAL_SERVER_ERROR,
        CorpsErreur::new("interne", "erreur interne, réessayez plus tard"),
    )
}

/// Each field's problem joined for the `erreur` sentence of a 422.
pub fn resumer_champs(champs: &BTreeMap<String, String>) -> String {
    champs
        .iter()
        .map(|(c, m)| format!("{c} : {m}"))
        .collect::<Vec<_>>()
        .join(" ; ")
}
