//! Shared plumbing for the Boutique 321 services.
//!
//! Business code lives in each service; this crate only holds what would otherwise be
//! written twice: how a service logs, how its HTTP edge turns bad input into JSON errors,
//! how it reports health, how it keeps a link to RabbitMQ and how it stops.
//!
//! # Layout
//! - [`telemetrie`]: tracing subscriber (text or JSON via `LOG_FORMAT`), OpenTelemetry spans
//!   (W3C `traceparent` in and out, OTLP export when `OTEL_EXPORTER_OTLP_ENDPOINT` is set).
//! - [`arret`]: the Ctrl-C / SIGTERM future that starts a graceful shutdown.
//! - [`config`]: reading settings from the environment with defaults.
//! - [`http`]: JSON error body, extractors with JSON rejections, admin bearer token,
//!   request-id and trace layers, JSON fallbacks for unknown routes.
//! - [`messagerie`]: broker link, outbox relay and consumers of a service, started together.
//! - [`outbox`]: writing events with the change they announce, and the relay that publishes them.
//! - [`retention`]: deleting published outbox rows, old inbox ids and other claims, in batches.
//! - [`pagination`]: the page/par_page rules of every list.
//! - [`sante`]: `/health`, `/ready` and `/metrics`.
//! - [`metriques`]: Prometheus recorder, `/metrics`, HTTP, pool, outbox and consumer metrics.
//! - [`amqp`]: the RabbitMQ link, topology and consumer loop.
//! - [`serveur`]: bind, serve, stop gracefully — the body of every `Application`.
//! - [`db`]: creating a service's database and connecting to it.

pub mod amqp;
pub mod arret;
pub mod config;
pub mod db;
pub mod http;
pub mod messagerie;
pub mod metriques;
pub mod outbox;
pub mod pagination;
pub mod retention;
pub mod sante;
pub mod serveur;
pub mod telemetrie;
