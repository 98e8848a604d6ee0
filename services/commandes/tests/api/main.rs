//! API tests of commandes against a real PostgreSQL, a real RabbitMQ and a real produits
//! service.
//!
//! - `creation`, `idempotence`, `lecture`: placing and reading orders.
//! - `cycle`: the `commandes_statut` consumer (stock and payment outcomes, duplicates,
//!   poison).
//! - `expiration`: the payment deadline, with one and two instances.
//! - `actions`: cancelling and shipping.
//! - `courses`: races on one order, each forced, each with one winner.
//! - `documentation`, `delais`: the OpenAPI document; time limits and database outages.

mod actions;
mod aides;
mod courses;
mod creation;
mod cycle;
mod delais;
mod documentation;
mod expiration;
mod idempotence;
mod lecture;
