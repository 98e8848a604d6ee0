//! A TCP proxy a test can cut and restore: a network failure between a service and a real
//! dependency (RabbitMQ, SMTP), without stopping the dependency other tests share.
//!
//! It can also freeze: connections stay open but no byte goes through, in either direction,
//! until it resumes (then everything held goes through, in order). To the service this is a
//! broker that stopped reading and answering — what RabbitMQ does to publishers under a
//! memory or disk alarm — without touching the broker other tests use.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::AbortHandle;

pub struct Proxy {
    port: u16,
    etat: Arc<Etat>,
}

struct Etat {
    ouvert: AtomicBool,
    connexions: Mutex<Vec<AbortHandle>>,
    /// `true` while frozen.
    gel: watch::Sender<bool>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `cible` (`host:port`, e.g.
    /// `127.0.0.1:5672`).
    pub async fn demarrer(cible: &str) -> Proxy {
        let cible = cible.to_owned();
        let ecoute = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port du proxy");
        let port = ecoute.local_addr().unwrap().port();
        let etat = Arc::new(Etat {
            ouvert: AtomicBool::new(true),
            connexions: Mutex::new(Vec::new()),
            gel: watch::channel(false).0,
        });
        let e = etat.clone();
        tokio::spawn(async move {
            while let Ok((entrant, _)) = ecoute.accept().await {
                if !e.ouvert.load(Ordering::SeqCst) {
                    // Cut: the connection is accepted then dropped, like a reset.
                    continue;
                }
                let cible = cible.clone();
                let gel = e.gel.subscribe();
                let tache = tokio::spawn(async move {
                    if let Ok(sortant) = TcpStream::connect(&cible).await {
                        let _ = entrant.set_nodelay(true);
                        let _ = sortant.set_nodelay(true);
                        let (lire_client, ecrire_client) = entrant.into_split();
                        let (lire_serveur, ecrire_serveur) = sortant.into_split();
                        tokio::join!(
                            pomper(lire_client, ecrire_serveur, gel.clone()),
                            pomper(lire_serveur, ecrire_client, gel),
                        );
                    }
                });
                e.connexions.lock().unwrap().push(tache.abort_handle());
            }
        });
        Proxy { port, etat }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Drops every open connection and refuses new ones.
    pub fn couper(&self) {
        self.etat.ouvert.store(false, Ordering::SeqCst);
        for c in self.etat.connexions.lock().unwrap().drain(..) {
            c.abort();
        }
    }

    pub fn retablir(&self) {
        self.etat.ouvert.store(true, Ordering::SeqCst);
    }

    /// Stops forwarding, both ways, on every connection (open or new), keeping them open.
    pub fn geler(&self) {
        self.etat.gel.send_replace(true);
    }

    /// Forwards again what was held, and what follows.
    pub fn reprendre(&self) {
        self.etat.gel.send_replace(false);
    }
}

/// Copies `de` to `vers` until either end closes, holding bytes while frozen: nothing is
/// read then (the sender's kernel buffers fill up, as with a peer that stopped reading), and
/// a chunk read just before the freeze waits before it is written.
async fn pomper(mut de: OwnedReadHalf, mut vers: OwnedWriteHalf, mut gel: watch::Receiver<bool>) {
    let mut tampon = vec![0u8; 16 * 1024];
    loop {
        if gel.wait_for(|gele| !gele).await.is_err() {
            return;
        }
        let n = match de.read(&mut tampon).await {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if gel.wait_for(|gele| !gele).await.is_err() {
            return;
        }
        if vers.write_all(&tampon[..n]).await.is_err() {
            break;
        }
    }
    // Like `copy_bidirectional`: an end that closed closes the other direction's write side.
    let _ = vers.shutdown().await;
}
