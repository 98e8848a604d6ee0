//! The produits service: the catalogue and its stock, over HTTP; reserves and gives back the
//! stock of orders from the `commandes` exchange.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`startup::Application`] — build, bind, serve, stop gracefully.
//! - [`api`]: routes, handlers (`lecture`, `ecriture`), DTOs and the OpenAPI document.
//! - [`domaine`]: parsed types (`Nom`, `Prix`, `Stock`…) — what the handlers pass inward.
//! - [`depot`]: compile-checked SQL.
//! - [`cache`]: catalogue pages kept as JSON, dropped by this instance's writes at once and
//!   by everyone else's at the next poll of what changed (every 250 ms).
//! - [`demo`]: the demo catalogue.
//! - [`reservation`]: the `stock_update` consumer — reserves stock for new orders, once, and
//!   records what each order took (`reservations`).
//! - [`liberation`]: the `stock_liberation` consumer — gives a cancelled order's reservation
//!   back, once per order, journalled in `mouvements_stock`.
//! - [`inbox`]: the consumers' inbox insert (event ids recorded once, in id order).
//! - [`erreur`]: the service's error type and its HTTP mapping.

pub mod api;
pub mod cache;
pub mod config;
pub mod demo;
pub mod depot;
pub mod domaine;
pub mod erreur;
pub mod inbox;
pub mod liberation;
pub mod reservation;
pub mod startup;

pub use config::Config;
pub use startup::Application;
