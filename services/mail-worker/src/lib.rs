//! The mail worker: consumes order outcomes and sends one email per outcome.
//!
//! # Layout
//! - [`config`]: settings from the environment.
//! - [`startup`]: [`startup::Application`] — migrate, consume, health probes, stop gracefully.
//! - [`notification`]: the `mail_notifier` handler (claim, send, record; what is retried and
//!   what is dead-lettered at once).
//! - [`gabarits`]: French HTML + text rendering (minijinja, templates in `templates/`).
//! - [`envoi`]: SMTP with lettre, on a pool of `TCP_NODELAY` connections of our own; tells a
//!   permanent refusal from a transient failure.

pub mod config;
pub mod envoi;
pub mod gabarits;
pub mod notification;
pub mod startup;

pub use config::Config;
pub use startup::Application;
