//! A TCP proxy a test can cut and restore: a network failure between a service and a real
//! dependency (RabbitMQ, SMTP), without stopping the dependency other tests share.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::AbortHandle;

pub struct Proxy {
    port: u16,
    etat: Arc<Etat>,
}

struct Etat {
    ouvert: AtomicBool,
    connexions: Mutex<Vec<AbortHandle>>,
}

impl Proxy {
    /// Listens on a free loopback port and forwards to `cible` (e.g. `127.0.0.1:5672`).
    pub async fn demarrer(cible: &str) -> Proxy {
        let cible: SocketAddr = cible.parse().expect("adresse cible");
        let ecoute = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port du proxy");
        let port = ecoute.local_addr().unwrap().port();
        let etat = Arc::new(Etat {
            ouvert: AtomicBool::new(true),
            connexions: Mutex::new(Vec::new()),
        });
        let e = etat.clone();
        tokio::spawn(async move {
            while let Ok((mut entrant, _)) = ecoute.accept().await {
                if !e.ouvert.load(Ordering::SeqCst) {
                    // Cut: the connection is accepted then dropped, like a reset.
                    continue;
                }
                let tache = tokio::spawn(async move {
                    if let Ok(mut sortant) = TcpStream::connect(cible).await {
                        let _ = tokio::io::copy_bidirectional(&mut entrant, &mut sortant).await;
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
}
