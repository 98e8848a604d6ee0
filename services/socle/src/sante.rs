//! `/health` (the process answers), `/ready` (its database and broker answer too) and
//! `/metrics` (see [`crate::metriques`]): what every service with a database merges.

use std::time::Duration;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use http::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::amqp::Broker;

#[derive(Clone)]
struct Dependances {
    db: PgPool,
    broker: Broker,
}

/// The two probes and the metrics, for a service with a database and a broker link.
pub fn router(db: PgPool, broker: Broker) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .with_state(Dependances {
            db: db.clone(),
            broker,
        })
        .merge(crate::metriques::router(Some(db)))
}

async fn health() -> Json<serde_json::Value> {
    Json(json!({ "statut": "ok" }))
}

async fn ready(State(d): State<Dependances>) -> Response {
    let db_ok = tokio::time::timeout(
        Duration::from_secs(2),
        sqlx::query_scalar::<_, i32>("SELECT 1").fetch_one(&d.db),
    )
    .await
    .is_ok_and(|r| r.is_ok());
    let broker_ok = d.broker.est_connecte();
    let statut = if db_ok && broker_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let mot = |ok: bool| if ok { "ok" } else { "indisponible" };
    (
        statut,
        Json(json!({
            "statut": mot(db_ok && broker_ok),
            "base_de_donnees": mot(db_ok),
            "broker": mot(broker_ok),
        })),
    )
        .into_response()
}
