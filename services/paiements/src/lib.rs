//! The paiements service: customers pay their orders by card, against a simulated provider;
//! what each order owes comes from commandes' events, never from the customer.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`startup::Application`] — build, bind, serve, stop gracefully.
//! - [`api`]: routes, handlers (`creation`, `lecture`), DTOs and the OpenAPI document.
//! - [`domaine`]: parsed types (`NumeroCarte`, `Expiration`, `Cvc`, `DemandePaiement`,
//!   `CleIdempotence`) and what makes an order payable.
//! - [`fournisseur`]: the simulated card provider and its test cards.
//! - [`depot`]: compile-checked SQL.
//! - [`saga`]: the `paiements_commandes` consumer — what each order owes, cancellations, and
//!   the refund of a cancelled order that was paid.
//! - [`erreur`]: the service's error type and its HTTP mapping.

pub mod api;
pub mod config;
pub mod depot;
pub mod domaine;
pub mod erreur;
pub mod fournisseur;
pub mod saga;
pub mod startup;

pub use config::Config;
pub use startup::Application;
