//! `Json`, `Path` and `Query` extractors whose rejections are JSON errors.
//!
//! axum's own extractors reject with plain text; a shop API must say in JSON which field
//! is wrong, so these wrap them and translate every rejection into [`Rejet`].

use std::collections::BTreeMap;

use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, StatusCode};
use serde::de::DeserializeOwned;

use super::erreur::{reponse_erreur, CorpsErreur};

/// Why a request was refused before reaching its handler.
#[derive(Debug)]
pub struct Rejet {
    statut: StatusCode,
    corps: CorpsErreur,
}

impl Rejet {
    fn new(statut: StatusCode, code: &str, message: impl Into<String>) -> Self {
        Rejet {
            statut,
            corps: CorpsErreur::new(code, message),
        }
    }
}

impl IntoResponse for Rejet {
    fn into_response(self) -> Response {
        reponse_erreur(self.statut, self.corps)
    }
}

/// A JSON body: 415 without a JSON content type, 413 over the size limit, 400 when the text
/// is not JSON, 422 naming the field when it is JSON of the wrong shape.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Rejet;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let est_json = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| {
                m.type_() == "application"
                    && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
            });
        if !est_json {
            return Err(Rejet::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "type_de_contenu",
                "le corps doit être du JSON (Content-Type: application/json)",
            ));
        }
        let octets = bytes::Bytes::from_request(req, state)
            .await
            .map_err(rejet_corps)?;
        let valeur: serde_json::Value = serde_json::from_slice(&octets).map_err(|e| {
            Rejet::new(
                StatusCode::BAD_REQUEST,
                "json_malforme",
                format!("JSON malformé : {e}"),
            )
        })?;
        serde_path_to_error::deserialize::<_, T>(valeur)
            .map(Json)
            .map_err(|e| {
                let champ = e.path().to_string();
                let message = e.inner().to_string();
                let mut champs = BTreeMap::new();
                champs.insert(
                    if champ == "." {
                        "corps".into()
                    } else {
                        champ.clone()
                    },
                    message.clone(),
                );
                Rejet {
                    statut: StatusCode::UNPROCESSABLE_ENTITY,
                    corps: CorpsErreur::new(
                        "validation",
                        format!("champ `{champ}` invalide : {message}"),
                    )
                    .avec_champs(champs),
                }
            })
    }
}

fn rejet_corps(e: BytesRejection) -> Rejet {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        Rejet::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "corps_trop_grand",
            format!(
                "le corps dépasse la taille maximale de {} Kio",
                super::TAILLE_MAX_CORPS / 1024
            ),
        )
    } else {
        Rejet::new(
            StatusCode::BAD_REQUEST,
            "corps_illisible",
            "le corps de la requête n'a pas pu être lu",
        )
    }
}

/// A path parameter: 400 naming the parameter when it does not parse (`/api/produits/abc`).
#[derive(Debug, Clone, Copy)]
pub struct Path<T>(pub T);

impl<T, S> FromRequestParts<S> for Path<T>
where
    T: DeserializeOwned + Send,
    S: Send + Sync,
{
    type Rejection = Rejet;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| Path(p.0))
            .map_err(|e: PathRejection| {
                Rejet::new(
                    StatusCode::BAD_REQUEST,
                    "parametre_invalide",
                    format!("paramètre de chemin invalide : {}", e.body_text()),
                )
            })
    }
}

/// A query string: 400 naming the parameter when it does not parse (`?page=abc`).
#[derive(Debug, Clone, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Rejet;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Query(q.0))
            .map_err(|e: QueryRejection| {
                Rejet::new(
                    StatusCode::BAD_REQUEST,
                    "parametre_invalide",
                    format!("paramètre de requête invalide : {}", e.body_text()),
                )
            })
    }
}

impl<T: serde::Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
