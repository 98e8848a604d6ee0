//! The commandes service: orders priced by produits, with exact CHF totals.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`startup::Application`] — build, bind, serve, stop gracefully.
//! - [`api`]: routes, handlers (`creation`, `lecture`), DTOs and the OpenAPI document.
//! - [`domaine`]: parsed types (`Email`, `Quantite`, `DemandeCommande`) and the total.
//! - [`catalogue`]: the HTTP client that prices lines from produits.
//! - [`depot`]: compile-checked SQL.
//! - [`saga`]: the events commandes publishes, and the `commandes_statut` consumer that
//!   confirms or cancels orders.
//! - [`erreur`]: the service's error type and its HTTP mapping.

pub mod api;
pub mod catalogue;
pub mod config;
pub mod depot;
pub mod domaine;
pub mod erreur;
pub mod saga;
pub mod startup;

pub use config::Config;
pub use startup::Application;
