//! A service's messaging, wired once: its broker link and names, the outbox relay, its
//! consumers, the retention of what they leave behind, and the token and tracker that stop
//! them and wait for them.
//!
//! Relaying the outbox also purges it and the inbox ([`crate::retention`]), so every service
//! that publishes gets both without asking; other tables (the mail worker's sent-email
//! claims) are named with [`Messagerie::purger`] or [`Messagerie::purger_table`]. The retention reads `RETENTION_JOURS`
//! here until `ConfigService` carries it.

use std::future::Future;

use contrats::noms::{File, Topologie};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::amqp::{consommer_par_lots, Broker, Issue, Message, OptionsConsommateur};
use crate::outbox::OptionsRelais;
use crate::retention::{Purge, Retention};

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

    /// Publishes `db`'s outbox (see [`crate::outbox`]) with the default settings, and purges
    /// its published rows and the inbox's old ids (see [`crate::retention`]).
    pub fn relayer_outbox(&self, db: PgPool) {
        self.relayer_outbox_avec(db.clone(), OptionsRelais::default());
        self.purger(db, &[crate::retention::OUTBOX, crate::retention::INBOX]);
    }

    /// Publishes `db`'s outbox with `options`; nothing else (no retention).
    pub fn relayer_outbox_avec(&self, db: PgPool, options: OptionsRelais) {
        self.taches.spawn(crate::outbox::relayer(
            db,
            self.broker.clone(),
            self.topologie.clone(),
            self.reveil.clone(),
            self.arret.clone(),
            options,
        ));
    }

    /// Deletes the rows of `purges` older than `RETENTION_JOURS` days, now and every hour.
    /// `ConfigService::depuis_env` refuses a bad value at start-up; a service configured in
    /// code with a bad environment still keeps its rows (logged): the safe side.
    pub fn purger(&self, db: PgPool, purges: &[Purge]) {
        match Retention::depuis_env() {
            Ok(retention) => self.purger_avec(db, purges, retention),
            Err(e) => {
                tracing::error!(erreur = %format!("{e:#}"), "rétention désactivée");
            }
        }
    }

    /// [`Self::purger`] for one table: its rows go once `colonne` (a timestamp) is older than
    /// the retention.
    pub fn purger_table(&self, db: PgPool, table: &'static str, colonne: &'static str) {
        self.purger(db, &[Purge::new(table, colonne)]);
    }

    /// Like [`Self::purger`], with explicit settings.
    pub fn purger_avec(&self, db: PgPool, purges: &[Purge], retention: Retention) {
        self.taches.spawn(crate::retention::entretenir(
            db,
            purges.to_vec(),
            retention,
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
