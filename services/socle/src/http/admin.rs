//! The admin bearer token that guards write endpoints.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{header, HeaderValue, StatusCode};
use subtle::ConstantTimeEq;

use super::erreur::{reponse_erreur, CorpsErreur};

/// The expected token, from `ADMIN_TOKEN`. Its `Debug` never prints it.
#[derive(Clone)]
pub struct JetonAdmin(Arc<str>);

impl JetonAdmin {
    pub fn new(jeton: impl Into<Arc<str>>) -> Self {
        JetonAdmin(jeton.into())
    }
}

impl std::fmt::Debug for JetonAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JetonAdmin(***)")
    }
}

/// Proof that the request carried `Authorization: Bearer <ADMIN_TOKEN>`.
#[derive(Debug, Clone, Copy)]
pub struct Admin;

/// 401 with a JSON body and a `WWW-Authenticate` challenge.
pub struct NonAutorise;

impl IntoResponse for NonAutorise {
    fn into_response(self) -> Response {
        let mut r = reponse_erreur(
            StatusCode::UNAUTHORIZED,
            CorpsErreur::new(
                "non_autorise",
                "jeton d'administration manquant ou invalide (Authorization: Bearer <jeton>)",
            ),
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"boutique-321\""),
        );
        r
    }
}

impl<S> FromRequestParts<S> for Admin
where
    JetonAdmin: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = NonAutorise;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let attendu = JetonAdmin::from_ref(state);
        let fourni = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("bearer "))
            })
            .map(str::trim)
            .ok_or(NonAutorise)?;
        // Constant-time: the comparison must not leak how much of the token was right.
        if bool::from(fourni.as_bytes().ct_eq(attendu.0.as_bytes())) {
            Ok(Admin)
        } else {
            Err(NonAutorise)
        }
    }
}

/// Declares the `admin` bearer scheme in an OpenAPI document (`modifiers(&SecuriteAdmin)`),
/// for the operations marked `security(("admin" = []))`.
pub struct SecuriteAdmin;

impl utoipa::Modify for SecuriteAdmin {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme(
                "admin",
                SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
            );
        }
    }
}
