//! What the mail worker's tests share: the real worker on a fresh database and broker names
//! of its own, a channel on the real RabbitMQ to publish outcomes and read queues, and the
//! outcome events themselves.

use std::future::Future;
use std::time::{Duration, Instant};

use contrats::evenements::{CommandeTerminee, LigneEvenement, StatutFinal};
use contrats::noms::{cles, Topologie, MAIL_NOTIFIER};
use lapin::message::BasicGetMessage;
use lapin::options::BasicPublishOptions;
use lapin::Connection;
use rust_decimal::Decimal;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Generous: CI machines are busy, and a timeout here is a failure.
pub const DELAI: Duration = Duration::from_secs(60);

/// Polls `verifier` until it gives a value (at most [`DELAI`]); `quoi` names what is awaited.
pub async fn attendre<T, F, Fut>(quoi: &str, verifier: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    attendre_au_plus(DELAI, quoi, verifier).await
}

/// [`attendre`], failing once `limite` has passed.
pub async fn attendre_au_plus<T, F, Fut>(limite: Duration, quoi: &str, mut verifier: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let debut = Instant::now();
    loop {
        if let Some(v) = verifier().await {
            return v;
        }
        assert!(
            debut.elapsed() < limite,
            "toujours pas {quoi} après {limite:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The settings of one worker: `db` and `prefixe` are shared by the instances of one test.
pub struct Reglages {
    pub db: String,
    pub prefixe: String,
    pub port_smtp: u16,
    pub prefetch: u16,
    pub tentatives_max: u32,
    pub delai_reessai: Duration,
}

impl Reglages {
    /// A fresh database and broker names of its own; 5 tries, 100 ms apart at first.
    pub fn nouveaux(port_smtp: u16) -> Reglages {
        Reglages {
            db: testaide::base_de_test("mail"),
            prefixe: format!("test.{}.", Uuid::new_v4().simple()),
            port_smtp,
            prefetch: 8,
            tentatives_max: 5,
            delai_reessai: Duration::from_millis(100),
        }
    }

    pub fn topologie(&self) -> Topologie {
        Topologie::new(self.prefixe.as_str())
    }

    /// The name of the test database (what `pg_stat_*` call `datname`).
    pub fn nom_db(&self) -> &str {
        self.db.rsplit('/').next().unwrap()
    }
}

/// A running mail worker.
pub struct Travailleur {
    arret: CancellationToken,
    tache: JoinHandle<anyhow::Result<()>>,
}

impl Travailleur {
    pub async fn demarrer(r: &Reglages) -> Travailleur {
        let config = mail_worker::Config {
            service: socle::config::ConfigService {
                prefixe_broker: r.prefixe.clone(),
                prefetch: r.prefetch,
                ..testaide::config_service(r.db.clone(), testaide::broker(), "jeton")
            },
            smtp_host: "127.0.0.1".into(),
            smtp_port: r.port_smtp,
            smtp_from: "Boutique 321 <commandes@boutique321.ch>".into(),
            storefront_url: "http://localhost:8000".into(),
            tentatives_max: r.tentatives_max,
            delai_reessai: r.delai_reessai,
        };
        let app = mail_worker::Application::build(config)
            .await
            .expect("mail-worker");
        Travailleur {
            arret: app.jeton_arret(),
            tache: tokio::spawn(app.run_until_stopped()),
        }
    }

    /// Stops it gracefully: the batch in hand finishes and is acked, the pool is closed.
    pub async fn arreter(self) {
        self.arret.cancel();
        tokio::time::timeout(DELAI, self.tache)
            .await
            .expect("arrêt du mail-worker trop lent")
            .unwrap()
            .unwrap();
    }
}

/// A test's own channel on the real broker, with the test's topology declared.
pub struct Canal {
    _connexion: Connection,
    pub canal: lapin::Channel,
    pub topologie: Topologie,
}

impl Canal {
    pub async fn ouvrir(r: &Reglages) -> Canal {
        let topologie = r.topologie();
        let (connexion, canal) = testaide::files::canal(&testaide::broker(), &topologie).await;
        Canal {
            _connexion: connexion,
            canal,
            topologie,
        }
    }

    /// Publishes `c` on the `commandes` exchange as commandes does (persistent, confirmed).
    pub async fn publier(&self, c: &CommandeTerminee) {
        let cle = match c.statut {
            StatutFinal::Confirmee => cles::COMMANDE_CONFIRMEE,
            StatutFinal::Annulee => cles::COMMANDE_ANNULEE,
        };
        let confirmation = self
            .canal
            .basic_publish(
                self.topologie.exchange().into(),
                cle.into(),
                BasicPublishOptions::default(),
                &serde_json::to_vec(c).unwrap(),
                socle::amqp::proprietes_json(&c.id_evenement.to_string()),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(confirmation.is_ack());
    }

    /// Messages ready in `file`, and consumers on it.
    pub async fn etat(&self, file: &str) -> (u32, u32) {
        testaide::files::etat(&self.canal, file).await
    }

    pub fn file(&self) -> String {
        self.topologie.file(MAIL_NOTIFIER)
    }

    pub fn dlq(&self) -> String {
        self.topologie.dlq(MAIL_NOTIFIER)
    }

    /// Waits for a message in `file` and takes it (acked on the way); fails once `limite`
    /// has passed.
    pub async fn prendre(&self, file: &str, limite: Duration) -> BasicGetMessage {
        testaide::files::prendre(&self.canal, file, limite).await
    }
}

/// An outcome event for `email`, with references of its own.
pub fn terminee(email: &str, statut: StatutFinal) -> CommandeTerminee {
    let prix = Decimal::new(1850, 2);
    CommandeTerminee {
        id_evenement: Uuid::new_v4(),
        id_commande: i64::from(rand_id()),
        reference: Uuid::new_v4(),
        email: email.to_owned(),
        statut,
        total: prix,
        lignes: vec![LigneEvenement {
            produit_id: 1,
            nom: "Tasse".into(),
            prix_unitaire: prix,
            quantite: 1,
            sous_total: prix,
        }],
        manquants: Vec::new(),
        timestamp: chrono::Utc::now(),
    }
}

/// An order id unlikely to repeat between tests (only logs show it).
fn rand_id() -> u32 {
    Uuid::new_v4().as_u128() as u32 & 0x7fff_ffff
}

/// A unique address for this test run.
pub fn adresse(qui: &str) -> String {
    format!("{qui}.{}@exemple.ch", Uuid::new_v4().simple())
}
