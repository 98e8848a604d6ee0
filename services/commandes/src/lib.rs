//! The commandes service: orders priced by produits, with exact CHF totals, and their
//! lifecycle:
//!
//! ```text
//! en_attente ──stock.refuse──▶ annulee (stock)
//!     │ stock.reserve
//!     ▼
//!  a_payer ──deadline (DELAI_PAIEMENT) / customer / shop──▶ annulee (expiree | client | boutique)
//!     │ paiement.accepte          (paiement.refuse keeps a_payer)        + stock.libere
//!     ▼
//! confirmee ──customer / shop──▶ annulee (client | boutique) + stock.libere (paiements refunds)
//!     │ shop ships
//!     ▼
//!  expediee
//! ```
//! Every change is guarded in SQL by the status it leaves, written with its history entry
//! and its events (outbox) in one transaction.
//!
//! # Layout
//! - [`config`]: settings from the environment (`DELAI_PAIEMENT`, `INTERVALLE_EXPIRATION_MS`…).
//! - [`startup`]: [`startup::Application`] — build, bind, serve, stop gracefully; starts the
//!   consumer and the expiry scan.
//! - [`api`]: routes, handlers (`creation`, `lecture`, `actions`: cancel and ship), DTOs and
//!   the OpenAPI document.
//! - [`domaine`]: parsed types (`Email`, `Nom`, `AdresseLivraison`, `Quantite`, `Envoi`,
//!   `DemandeCommande`, who may cancel what), the stored order and the total.
//! - [`catalogue`]: the HTTP client that prices lines from produits.
//! - [`depot`]: compile-checked SQL: creating and reading orders; [`depot::transitions`], the
//!   guarded status changes.
//! - [`evenements`]: the events commandes publishes and the transitions counter.
//! - [`saga`]: the `commandes_statut` consumer (stock and payment outcomes).
//! - [`expiration`]: the scan that cancels orders past their payment deadline.
//! - [`erreur`]: the service's error type and its HTTP mapping.

pub mod api;
pub mod catalogue;
pub mod config;
pub mod depot;
pub mod domaine;
pub mod erreur;
pub mod evenements;
pub mod expiration;
pub mod saga;
pub mod startup;

pub use config::Config;
pub use startup::Application;
