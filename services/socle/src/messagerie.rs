//! A service's messaging, wired once: its broker link and names, the outbox relay, its
//! consumers, and the token and tracker that stop them and wait for them.

use std::future::Future;

use contrats::noms::{File, Topologie};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::amqp::{consommer_par_lots, Broker, Issue, Message, OptionsConsommateur};

pub struct Messagerie {
    pub broker: Broker,
    pub topologie: Topologie,
    /// Wakes the outbox relay: signal it after committing outbox rows.
    pub reveil: crate::outbox::Reveil,
    /// Cancelled on shutdown; every task started here watches it.
    pub arret: CancellationToken,
    /// Every task started here, for the graceful stop to wait on.
    pub taches: TaskTracker,
}

impl Messagerie {
    /// Starts connecting to `amqp_url` in the background; `prefixe` prefixes every name.
    pub fn demarrer(amqp_url: &str, prefixe: &str) -> Self {
        let arret = CancellationToken::new();
        let taches = TaskTracker::new();
        Messagerie {
            // The connection outlives the stop signal until these tasks are done (acks included).
            broker: Broker::demarrer(amqp_url.to_owned(), arret.clone(), taches.clone()),
            topologie: Topologie::new(prefixe),
            reveil: Default::default(),
            arret,
            taches,
        }
    }

    /// Publishes `db`'s outbox (see [`crate::outbox`]).
    pub fn relayer_outbox(&self, db: PgPool) {
        self.taches.spawn(crate::outbox::relayer(
            db,
            self.broker.clone(),
            self.topologie.clone(),
            self.reveil.clone(),
            self.arret.clone(),
        ));
    }

    /// Consumes `file` in batches with `gestionnaire` (see [`crate::amqp::consommer_par_lots`]).
    pub fn consommer_par_lots<G, Fut>(
        &self,
        file: File,
        options: OptionsConsommateur,
        gestionnaire: G,
    ) where
        G: Fn(Vec<Message>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Vec<Issue>> + Send + 'static,
    {
        self.taches.spawn(consommer_par_lots(
            self.broker.clone(),
            self.topologie.clone(),
            file,
            options,
            self.arret.clone(),
            gestionnaire,
        ));
    }
}
