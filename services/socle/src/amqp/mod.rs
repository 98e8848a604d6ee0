//! RabbitMQ: a connection kept alive, the shop's topology, a consumer loop that acks only
//! after the work is done, and routes failures on purpose.
//!
//! - [`connexion`]: [`Broker`], reconnected in the background with backoff.
//! - [`topologie`]: declares exchanges, queues, dead-letter and retry queues, idempotently.
//! - [`consommateur`]: [`consommer_par_lots`] — explicit prefetch, batches of what was
//!   delivered, one ack per message, retries with a delay queue, dead-letter queue for poison
//!   messages, graceful stop.
//! - [`lot`]: [`appliquer_par_lot`], the usual shape of a batch handler.

mod connexion;
mod consommateur;
mod lot;
mod topologie;

pub use connexion::Broker;
pub use consommateur::{consommer_par_lots, Issue, Message, OptionsConsommateur};
pub use lot::appliquer_par_lot;
pub use topologie::{declarer_topologie, proprietes_json};
