//! Layers every service wraps its router in: request id, tracing, metrics, body limit, panics,
//! and the request time limit.

use std::any::Any;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::response::Response;
use axum::Router;
use http::{HeaderName, Request, StatusCode};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tracing::Level;

use super::erreur::{reponse_erreur, CorpsErreur};

/// Largest request body accepted (64 KiB); larger ones get a JSON 413.
pub const TAILLE_MAX_CORPS: usize = 64 * 1024;

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// For a JSON API: unknown routes and wrong methods answer with the JSON error body.
pub fn reponses_json_par_defaut(router: Router) -> Router {
    router
        .fallback(fallback_json)
        .method_not_allowed_fallback(methode_non_permise)
}

/// Wraps `router` with the shared layers. The request id (taken from `x-request-id` or made
/// up) is on the span of every log line of the request and echoed in the response. The
/// request's span continues the caller's trace (W3C `traceparent`) or starts one; its
/// `trace_id` is on every log line of the request. Every request is counted and timed in
/// [`crate::metriques`]. `service` names the service on the span.
pub fn avec_couches(router: Router, service: &'static str) -> Router {
    crate::metriques::installer();
    router.layer(DefaultBodyLimit::max(TAILLE_MAX_CORPS)).layer(
        ServiceBuilder::new()
            // Outermost, so that the count and the time include a panic turned into a 500 and
            // the time limit's 504. `Router::layer` runs it after routing: the route template
            // is known.
            .layer(axum::middleware::from_fn(crate::metriques::mesurer))
            .layer(SetRequestIdLayer::new(X_REQUEST_ID, MakeRequestUuid))
            .layer(
                TraceLayer::new_for_http()
                    .make_span_with(move |req: &Request<_>| {
                        let id = req
                            .headers()
                            .get(&X_REQUEST_ID)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or("-");
                        // The route template, not the path: span names stay few (no ids).
                        let route = req
                            .extensions()
                            .get::<axum::extract::MatchedPath>()
                            .map_or(crate::metriques::ROUTE_INCONNUE, |m| m.as_str());
                        let span = tracing::info_span!(
                            "requete",
                            otel.name = %format_args!("{} {route}", req.method()),
                            otel.kind = "server",
                            service,
                            request_id = %id,
                            methode = %req.method(),
                            chemin = %req.uri().path(),
                            trace_id = tracing::field::Empty,
                        );
                        crate::telemetrie::rattacher(
                            &span,
                            crate::telemetrie::contexte_http(req.headers()),
                        );
                        span
                    })
                    .on_request(())
                    .on_response(DefaultOnResponse::new().level(Level::DEBUG)),
            )
            .layer(PropagateRequestIdLayer::new(X_REQUEST_ID))
            .layer(CatchPanicLayer::custom(panique_en_500)),
    )
}

/// Longest a request may take to produce its response (`REQUEST_TIMEOUT_MS`, default 10 s).
pub const DELAI_REQUETE_MS: u64 = 10_000;

/// Answers a JSON 504 when the handler has not produced a response within `delai` (the
/// handler's future is dropped: its transaction, if any, rolls back).
pub fn avec_delai(router: Router, delai: Duration) -> Router {
    router.layer(axum::middleware::from_fn(
        move |req: axum::extract::Request, next: axum::middleware::Next| async move {
            match tokio::time::timeout(delai, next.run(req)).await {
                Ok(r) => r,
                Err(_) => {
                    tracing::warn!(delai_ms = delai.as_millis() as u64, "requête trop longue");
                    reponse_erreur(
                        StatusCode::GATEWAY_TIMEOUT,
                        CorpsErreur::new(
                            "delai_depasse",
                            "la requête a pris trop de temps ; réessayez dans un instant",
                        ),
                    )
                }
            }
        },
    ))
}

/// Unknown route: a JSON 404 instead of an empty body.
pub async fn fallback_json() -> Response {
    reponse_erreur(
        StatusCode::NOT_FOUND,
        CorpsErreur::new("route_inconnue", "cette adresse n'existe pas"),
    )
}

/// Known route, wrong method: a JSON 405.
pub async fn methode_non_permise() -> Response {
    reponse_erreur(
        StatusCode::METHOD_NOT_ALLOWED,
        CorpsErreur::new(
            "methode_non_permise",
            "cette méthode n'est pas permise sur cette adresse",
        ),
    )
}

fn panique_en_500(detail: Box<dyn Any + Send + 'static>) -> Response {
    let texte = detail
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| detail.downcast_ref::<&str>().copied())
        .unwrap_or("?");
    tracing::error!(panique = %texte, "panique dans un handler");
    reponse_erreur(
        StatusCode::INTERNAL_SERVER_ERROR,
        CorpsErreur::new("interne", "erreur interne"),
    )
}
