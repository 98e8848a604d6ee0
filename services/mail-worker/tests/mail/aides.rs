//! What the mail worker's tests share: the real worker on a fresh database and broker names
//! of its own, a channel on the real RabbitMQ to publish order steps and read queues, and the
//! step events themselves.

use std::future::Future;
use std::time::{Duration, Instant};

use std::ops::Deref;

use chrono::{DateTime, Utc};
use contrats::evenements::{EtapeCommande, LigneEvenement, RefusPaiement};
use contrats::http::{
    Etape, Expedition, MotifRefus, PaiementCommande, RaisonAnnulation, StatutCommande,
};
use contrats::noms::{Topologie, MAIL_NOTIFIER};
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
        // Kept in memory for the tests that wait for a log line (printed too with TEST_LOG).
        testaide::journal::installer();
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

    /// Publishes `e` on the `commandes` exchange under its step's routing key, as commandes
    /// does (persistent, `message_id` = event id, confirmed).
    pub async fn publier(&self, e: &Evenement) {
        self.publier_brut(
            &self.topologie.exchange(),
            e.etape.cle(),
            &serde_json::to_vec(&e.commande).unwrap(),
            &e.commande.id_evenement.to_string(),
        )
        .await;
    }

    /// Publishes `corps` on `exchange` (`""`: the default exchange, `cle` being a queue's
    /// name) and waits for the broker's confirmation.
    pub async fn publier_brut(&self, exchange: &str, cle: &str, corps: &[u8], message_id: &str) {
        let confirmation = self
            .canal
            .basic_publish(
                exchange.into(),
                cle.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                corps,
                socle::amqp::proprietes_json(message_id),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert!(
            matches!(confirmation, lapin::Confirmation::Ack(None)),
            "publication refusée ou sans file : {confirmation:?}"
        );
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

/// A step event and the step it announces (its routing key).
#[derive(Debug, Clone)]
pub struct Evenement {
    pub etape: Etape,
    pub commande: EtapeCommande,
}

impl Deref for Evenement {
    type Target = EtapeCommande;
    fn deref(&self) -> &EtapeCommande {
        &self.commande
    }
}

pub fn instant(texte: &str) -> DateTime<Utc> {
    texte.parse().unwrap()
}

/// The payment a paid order carries.
pub fn paiement() -> PaiementCommande {
    PaiementCommande {
        id_paiement: Uuid::new_v4(),
        marque: "visa".into(),
        quatre_derniers: "4242".into(),
        paye_le: instant("2026-11-28T09:20:00Z"),
        rembourse_le: None,
    }
}

/// An event of step `etape` for `email`, with references of its own and what that step's
/// email needs (the deadline, the declined attempt, the payment, the shipment): a one-line
/// order of CHF 18.50, cancelled at the customer's request after payment for `annulee`.
pub fn evenement(email: &str, etape: Etape) -> Evenement {
    let prix = Decimal::new(1850, 2);
    let mut c = EtapeCommande {
        id_evenement: Uuid::new_v4(),
        id_commande: i64::from(rand_id()),
        reference: Uuid::new_v4(),
        email: email.to_owned(),
        statut: StatutCommande::APayer,
        total: prix,
        lignes: vec![LigneEvenement {
            produit_id: 1,
            nom: "Tasse".into(),
            prix_unitaire: prix,
            quantite: 1,
            sous_total: prix,
        }],
        manquants: Vec::new(),
        raison: None,
        nom: Some("Ada Lovelace".into()),
        echeance_paiement: Some(instant("2026-11-28T09:15:00Z")),
        paiement: None,
        refus: None,
        expedition: None,
        timestamp: Utc::now(),
    };
    match etape {
        Etape::Recue => c.statut = StatutCommande::EnAttente,
        Etape::APayer => {}
        Etape::PaiementRefuse => {
            c.refus = Some(RefusPaiement {
                id_paiement: Uuid::new_v4(),
                motif: MotifRefus::CarteRefusee,
            })
        }
        Etape::Confirmee => {
            c.statut = StatutCommande::Confirmee;
            c.echeance_paiement = None;
            c.paiement = Some(paiement());
        }
        Etape::Annulee => {
            c.statut = StatutCommande::Annulee;
            c.echeance_paiement = None;
            c.raison = Some(RaisonAnnulation::Client);
            c.paiement = Some(paiement());
        }
        Etape::Expediee => {
            c.statut = StatutCommande::Expediee;
            c.echeance_paiement = None;
            c.paiement = Some(paiement());
            c.expedition = Some(Expedition {
                transporteur: "La Poste".into(),
                numero_suivi: "99.00.123456.12345678".into(),
                expediee_le: instant("2026-11-30T14:00:00Z"),
            });
        }
        Etape::Remboursee => {
            c.statut = StatutCommande::Annulee;
            c.echeance_paiement = None;
            c.raison = Some(RaisonAnnulation::Client);
            c.paiement = Some(PaiementCommande {
                rembourse_le: Some(instant("2026-12-01T08:00:00Z")),
                ..paiement()
            });
        }
    }
    Evenement { etape, commande: c }
}

/// A confirmation for `email` (the step most tests use).
pub fn confirmee(email: &str) -> Evenement {
    evenement(email, Etape::Confirmee)
}

/// An order id unlikely to repeat between tests (only logs show it).
fn rand_id() -> u32 {
    Uuid::new_v4().as_u128() as u32 & 0x7fff_ffff
}

/// A unique address for this test run.
pub fn adresse(qui: &str) -> String {
    format!("{qui}.{}@exemple.ch", Uuid::new_v4().simple())
}
