//! End-to-end tests of the order pipeline live in `tests/pipeline/`; this crate has no code.
//!
//! # Layout
//! - `tests/pipeline/boutique.rs`: starts produits, commandes and the mail worker in-process,
//!   each behind a cuttable proxy to RabbitMQ, with fresh databases and broker names; the
//!   positive markers tests wait for (a message's batch logged as concluded, the mail
//!   pipeline at rest, a service's `/ready`).
//! - `tests/pipeline/relais.rs`: the outbox relay alone behind a proxy that can freeze (a
//!   broker that stops confirming), and an event no queue receives.
//! - `tests/pipeline/retention.rs`: every service purges what aged out at start-up.
//! - `tests/pipeline/*.rs`: the other scenarios (saga, concurrency, duplicates, outages, poison).
