//! The RabbitMQ connection, kept alive in the background.
//!
//! Services must start and answer `/health` while the broker is down (an order accepted then
//! is published later), so the connection is made and remade by a task with backoff, and
//! callers read its current state instead of owning it. Closing it on stop waits at most
//! two seconds for the broker's answer.

use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use lapin::{Connection, ConnectionProperties};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::masquer_mot_de_passe;

/// Cheap to clone; every clone sees the same connection.
#[derive(Clone)]
pub struct Broker {
    etat: Arc<watch::Sender<Option<Arc<Connection>>>>,
}

impl Broker {
    /// Starts connecting to `url` in the background. Once `arret` is cancelled it no longer
    /// (re)connects, but an open connection stays open until every task of `utilisateurs`
    /// has finished: consumers finishing their last batch still need it to ack.
    pub fn demarrer(url: String, arret: CancellationToken, utilisateurs: TaskTracker) -> Self {
        let (tx, _rx) = watch::channel(None);
        let broker = Broker { etat: Arc::new(tx) };
        let etat = broker.etat.clone();
        tokio::spawn(async move {
            boucle_de_connexion(url, etat, arret, utilisateurs).await;
        });
        broker
    }

    /// The live connection, if there is one right now.
    pub fn connexion(&self) -> Option<Arc<Connection>> {
        self.etat
            .borrow()
            .as_ref()
            .filter(|c| c.status().connected())
            .cloned()
    }

    /// Whether a connection is open right now.
    pub fn est_connecte(&self) -> bool {
        self.connexion().is_some()
    }

    /// Waits until a connection is open (or `arret` fires, then `None`).
    pub async fn attendre_connexion(&self, arret: &CancellationToken) -> Option<Arc<Connection>> {
        let mut rx = self.etat.subscribe();
        loop {
            if let Some(c) = self.connexion() {
                return Some(c);
            }
            tokio::select! {
                () = arret.cancelled() => return None,
                r = rx.changed() => if r.is_err() { return None },
                // The status can flip without a new value being sent; look again now and then.
                () = tokio::time::sleep(Duration::from_millis(250)) => {},
            }
        }
    }
}

async fn boucle_de_connexion(
    url: String,
    etat: Arc<watch::Sender<Option<Arc<Connection>>>>,
    arret: CancellationToken,
    utilisateurs: TaskTracker,
) {
    let lisible = masquer_mot_de_passe(&url);
    let mut attente = Duration::from_millis(100);
    while !arret.is_cancelled() {
        let tentative = tokio::select! {
            () = arret.cancelled() => break,
            r = tokio::time::timeout(
                Duration::from_secs(5),
                Connection::connect(&url, ConnectionProperties::default()),
            ) => r,
        };
        match tentative {
            Ok(Ok(connexion)) => {
                tracing::info!(broker = %lisible, "connecté à RabbitMQ");
                attente = Duration::from_millis(100);
                let connexion = Arc::new(connexion);
                let mut evenements = Box::pin(connexion.events_listener());
                etat.send_replace(Some(connexion.clone()));
                loop {
                    tokio::select! {
                        () = fin_des_utilisateurs(&arret, &utilisateurs) => {
                            etat.send_replace(None);
                            // Bounded: a broker that stopped answering must not keep this
                            // task (and the process's exit) waiting.
                            let fermeture = connexion.close(200, "arret".into());
                            let _ = tokio::time::timeout(Duration::from_secs(2), fermeture).await;
                            return;
                        }
                        evt = evenements.next() => match evt {
                            Some(lapin::Event::Error(e)) => {
                                tracing::warn!(erreur = %e, "connexion RabbitMQ perdue");
                                break;
                            }
                            Some(_) => {}
                            None => break,
                        },
                        // Events can be missed on abrupt socket loss; the status is the truth.
                        () = tokio::time::sleep(Duration::from_secs(1)) => {
                            if !connexion.status().connected() {
                                tracing::warn!("connexion RabbitMQ fermée");
                                break;
                            }
                        }
                    }
                }
                etat.send_replace(None);
            }
            Ok(Err(e)) => {
                tracing::warn!(broker = %lisible, erreur = %e, "RabbitMQ injoignable, nouvel essai dans {attente:?}");
            }
            Err(_) => {
                tracing::warn!(broker = %lisible, "RabbitMQ ne répond pas, nouvel essai dans {attente:?}");
            }
        }
        tokio::select! {
            () = arret.cancelled() => break,
            () = tokio::time::sleep(attente) => {}
        }
        attente = (attente * 2).min(Duration::from_secs(5));
    }
}

/// Resolves once a stop was asked and every task using the connection has returned.
async fn fin_des_utilisateurs(arret: &CancellationToken, utilisateurs: &TaskTracker) {
    arret.cancelled().await;
    // Nothing is started after a stop; closing lets `wait` resolve once they are done.
    utilisateurs.close();
    utilisateurs.wait().await;
}
