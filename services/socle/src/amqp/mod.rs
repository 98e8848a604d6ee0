//! RabbitMQ: a connection kept alive, the shop's topology, a consumer loop that acks only
//! after the work is done, and routes failures on purpose.
//!
//! - [`connexion`]: [`Broker`], reconnected in the background with backoff.
//! - [`topologie`]: declares exchanges, queues, dead-letter and retry queues, idempotently.
//! - [`consommateur`]: [`consommer`] — explicit prefetch, one ack per message, retries with
//!   a delay queue, dead-letter queue for poison messages, graceful stop.

mod connexion;
mod consommateur;
mod topologie;

pub use connexion::Broker;
pub use consommateur::{consommer, consommer_par_lots, Issue, Message, OptionsConsommateur};
pub use topologie::{declarer_topologie, proprietes_json};
