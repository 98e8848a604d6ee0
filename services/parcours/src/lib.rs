//! End-to-end tests of the order pipeline live in `tests/pipeline/`; this crate has no code.
//!
//! # Layout
//! - `tests/pipeline/boutique.rs`: starts produits, commandes and the mail worker in-process,
//!   each behind a cuttable proxy to RabbitMQ, with fresh databases and broker names.
//! - `tests/pipeline/*.rs`: the scenarios (saga, concurrency, duplicates, outages, poison).
