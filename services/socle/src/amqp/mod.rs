//! RabbitMQ: a connection kept alive, the shop's topology, a consumer loop that acks only
//! after the work is done, and routes failures on purpose.
//!
//! - [`connexion`]: [`Broker`], reconnected in the background with backoff.
//! - [`topologie`]: declares exchanges, queues, dead-letter queues and one wait queue per
//!   retry delay, idempotently.
//! - [`consommateur`]: [`consommer_par_lots`] — explicit prefetch, batches of what was
//!   delivered, one ack per message, retries through wait queues (mandatory, confirmed
//!   copies, attempts counted in a header), dead-letter queue for poison messages, graceful
//!   stop.
//! - [`lot`]: [`appliquer_par_lot`], the usual shape of a batch handler.
//!
//! Every publish is `mandatory`: a message no queue takes comes back (`basic.return`, in lapin
//! the `Confirmation::Ack(Some(returned))` of a confirm) and is a failure, logged at error
//! level with its exchange and routing key, never with its payload.

mod connexion;
mod consommateur;
mod lot;
mod topologie;

#[cfg(test)]
mod tests;

pub use connexion::Broker;
pub use consommateur::{
    consommer_par_lots, Issue, Message, OptionsConsommateur, ATTENTE_CONFIRMATIONS,
    ENTETE_TENTATIVES,
};
pub use lot::appliquer_par_lot;
pub use topologie::{declarer_attentes, declarer_topologie, file_d_attente, proprietes_json};
