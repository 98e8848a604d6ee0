//! The contract between the crates of Boutique 321: broker names, event payloads, the HTTP
//! shapes other crates read, and how money is shown.
//!
//! Every exchange, queue, routing key and event field is spelled here once, so a producer
//! and its consumers cannot drift apart.
//!
//! # Layout
//! - [`noms`]: exchange, queue and routing-key names (the seed's `commandes` exchange), and
//!   [`noms::Topologie`], which may prefix them for isolated tests.
//! - [`evenements`]: JSON payloads published on the `commandes` exchange (which key carries
//!   which payload is said there).
//! - [`http`]: the HTTP bodies read by more than one crate (product, order, status, error),
//!   with their OpenAPI schemas behind the `openapi` feature.
//! - [`chf`]: formatting an amount as Swiss francs.
//! - [`email`]: a customer's email address, parsed and normalised the one way the API, the
//!   mail worker and the storefront agree on.

pub mod chf;
pub mod email;
pub mod evenements;
pub mod http;
pub mod noms;
