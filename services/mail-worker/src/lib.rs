//! The mail worker: consumes the customer-visible steps of orders (`commande.a_payer`,
//! `paiement_refuse`, `confirmee`, `annulee`, `expediee`, `remboursee`) and sends one email
//! per step — one per declined payment attempt.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`startup::Application`] — migrate, consume, health probes, stop gracefully.
//! - [`notification`]: the `mail_notifier` handler (step from the routing key, claim by
//!   notification key, send, record; what is retried and what is dead-lettered at once).
//! - [`gabarits`]: French HTML + text rendering, one template pair per step (minijinja,
//!   templates in `templates/`), dates in Swiss time.
//! - [`envoi`]: SMTP with lettre, on a pool of `TCP_NODELAY` connections of our own; tells a
//!   permanent refusal from a transient failure.

pub mod config;
pub mod envoi;
pub mod gabarits;
pub mod notification;
pub mod startup;

pub use config::Config;
pub use startup::Application;
