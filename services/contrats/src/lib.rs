//! The contract between the services of Boutique 321: broker names and event payloads.
//!
//! Every exchange, queue, routing key and event field is spelled here once, so a producer
//! and its consumers cannot drift apart.
//!
//! # Layout
//! - [`noms`]: exchange, queue and routing-key names (the seed's `commandes` exchange).
//! - [`evenements`]: JSON payloads published on the `commandes` exchange.

pub mod evenements;
pub mod noms;
