//! The one JSON error body every service answers with, and the error cases every service
//! shares: invalid input (422), a database rule broken (409/422), a bug (500).
//!
//! Each service's own error enum wraps [`ErreurCommune`] next to its own cases (not found,
//! a dependency down…), so the shared cases are worded and mapped once.

use std::collections::BTreeMap;

use axum::response::{IntoResponse, Response};
use http::StatusCode;
use sqlx::error::ErrorKind;

pub use contrats::http::CorpsErreur;

/// Each bad field and what is wrong with it, for a 422.
pub type Erreurs = BTreeMap<String, String>;

/// What goes wrong the same way in every service.
#[derive(Debug, thiserror::Error)]
pub enum ErreurCommune {
    /// The request was read but breaks the API's rules: 422, each bad field named.
    #[error("données invalides")]
    Validation(Erreurs),
    /// A uniqueness rule of the database refused the write (`contrainte` names it): 409.
    #[error("conflit avec une donnée existante ({contrainte})")]
    Conflit { contrainte: String },
    /// The database is unreachable, restarting, out of connections, or too slow (statement
    /// timeout): 503 with `Retry-After`, details logged. Nothing was written.
    #[error("base de données indisponible")]
    Indisponible(anyhow::Error),
    /// A bug or an unexpected failure: 500, details logged, never sent.
    #[error(transparent)]
    Interne(anyhow::Error),
}

/// `true` for a failure of the database link rather than of the request: no connection in
/// time, a broken or refused connection, a server shutting down or starting, too many
/// connections, or a statement cancelled by `statement_timeout`.
fn base_indisponible(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot
            // connect now; 53300: too many connections; 57014: statement timeout.
            c.starts_with("08") || c.starts_with("57P") || c == "53300" || c == "57014"
        }),
        _ => false,
    }
}

impl From<Erreurs> for ErreurCommune {
    fn from(champs: Erreurs) -> Self {
        ErreurCommune::Validation(champs)
    }
}

/// Looks through the error's causes for a constraint the database enforced: a unique key is
/// a 409, a check, foreign key or not-null rule a 422 naming the constraint (the API's own
/// checks should have caught it first: this is the safety net, not a 500).
impl From<anyhow::Error> for ErreurCommune {
    fn from(e: anyhow::Error) -> Self {
        let Some(sql) = e.chain().find_map(|c| c.downcast_ref::<sqlx::Error>()) else {
            return ErreurCommune::Interne(e);
        };
        if base_indisponible(sql) {
            return ErreurCommune::Indisponible(e);
        }
        let Some(base) = sql.as_database_error() else {
            return ErreurCommune::Interne(e);
        };
        let contrainte = base.constraint().unwrap_or("inconnue").to_owned();
        match base.kind() {
            ErrorKind::UniqueViolation => ErreurCommune::Conflit { contrainte },
            ErrorKind::ForeignKeyViolation
            | ErrorKind::NotNullViolation
            | ErrorKind::CheckViolation => ErreurCommune::Validation(Erreurs::from([(
                contrainte,
                "refusé par une règle de la base de données".to_owned(),
            )])),
            _ => ErreurCommune::Interne(e),
        }
    }
}

impl From<sqlx::Error> for ErreurCommune {
    fn from(e: sqlx::Error) -> Self {
        anyhow::Error::from(e).into()
    }
}

impl IntoResponse for ErreurCommune {
    fn into_response(self) -> Response {
        match self {
            ErreurCommune::Validation(champs) => {
                let liste = resumer_champs(&champs);
                reponse_erreur(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    CorpsErreur::new("validation", format!("données invalides — {liste}"))
                        .avec_champs(champs),
                )
            }
            ErreurCommune::Conflit { contrainte } => reponse_erreur(
                StatusCode::CONFLICT,
                CorpsErreur::new(
                    "conflit",
                    format!("cette écriture contredit une donnée existante ({contrainte})"),
                ),
            ),
            ErreurCommune::Indisponible(e) => {
                tracing::warn!(erreur = %format!("{e:#}"), "base de données indisponible");
                reponse_indisponible()
            }
            ErreurCommune::Interne(e) => reponse_interne(&e),
        }
    }
}

/// A 503 the client may retry: nothing was done, try again in a moment.
fn reponse_indisponible() -> Response {
    let mut r = reponse_erreur(
        StatusCode::SERVICE_UNAVAILABLE,
        CorpsErreur::new(
            "indisponible",
            "service momentanément indisponible, rien n'a été enregistré ; réessayez dans un instant",
        ),
    );
    r.headers_mut().insert(
        http::header::RETRY_AFTER,
        http::HeaderValue::from_static("2"),
    );
    r
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
