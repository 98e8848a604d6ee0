//! `spawn_app()`: paiements on a random port with a fresh database and broker names of its
//! own; helpers that play commandes' part (publishing `commande.a_payer` / `commande.annulee`
//! on the test topology) and read what paiements published.

use std::time::{Duration, Instant};

use contrats::evenements::{EtapeCommande, ResultatPaiement};
use contrats::http::{RaisonAnnulation, StatutCommande};
use contrats::noms::{cles, Topologie, PAIEMENTS_COMMANDES};
use lapin::options::BasicPublishOptions;
use lapin::{BasicProperties, Connection};
use paiements::{Application, Config};
use reqwest::{Client, Response};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use uuid::Uuid;

pub const JETON: &str = "jeton-de-test";
/// Longest a test waits for something it expects.
pub const DELAI: Duration = Duration::from_secs(30);

pub const ACCEPTEE: &str = "4242 4242 4242 4242";
pub const REFUSEE: &str = "4000 0000 0000 0002";
pub const SANS_FONDS: &str = "4000 0000 0000 9995";
pub const LENTE: &str = "4000 0000 0000 0119";
pub const MASTERCARD: &str = "5555 5555 5555 4444";
/// A CVC no other value of these tests looks like (see `confidentialite`).
pub const CVC: &str = "7391";

pub struct TestApp {
    pub adresse: String,
    pub client: Client,
    pub db: sqlx::PgPool,
    pub database_url: String,
    pub topologie: Topologie,
    _connexion: Connection,
    pub canal: lapin::Channel,
}

pub fn config_de_test() -> Config {
    Config {
        service: testaide::config_service(
            testaide::base_de_test("paiements"),
            testaide::broker(),
            JETON,
        ),
        delai_fournisseur: Duration::from_secs(3),
        delai_carte_lente: Duration::from_secs(30),
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_avec(|_| {}).await
}

pub async fn spawn_app_avec(reglage: impl FnOnce(&mut Config)) -> TestApp {
    testaide::journal::installer();
    let mut config = config_de_test();
    reglage(&mut config);
    let database_url = config.service.database_url.clone();
    let topologie = Topologie::new(config.service.prefixe_broker.as_str());
    let app = Application::build(config).await.expect("paiements");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = sqlx::PgPool::connect(&database_url).await.unwrap();
    let (connexion, canal) = testaide::files::canal(&testaide::broker(), &topologie).await;
    TestApp {
        adresse,
        client: Client::new(),
        db,
        database_url,
        topologie,
        _connexion: connexion,
        canal,
    }
}

/// What commandes publishes for `reference` at step `statut` (`a_payer` or `annulee`).
pub fn etape(
    reference: Uuid,
    id_commande: i64,
    total: &str,
    statut: StatutCommande,
) -> EtapeCommande {
    EtapeCommande {
        id_evenement: Uuid::new_v4(),
        id_commande,
        reference,
        email: "client@example.com".into(),
        statut,
        total: total.parse().unwrap(),
        lignes: Vec::new(),
        manquants: Vec::new(),
        raison: (statut == StatutCommande::Annulee).then_some(RaisonAnnulation::Expiree),
        nom: Some("Ada Lovelace".into()),
        echeance_paiement: None,
        paiement: None,
        refus: None,
        expedition: None,
        timestamp: chrono::Utc::now(),
    }
}

/// An order id as commandes would give (each test has its own database: only readability
/// asks for distinct ones).
pub fn id_commande() -> i64 {
    100_000 + (Uuid::new_v4().as_u128() % 900_000) as i64
}

impl TestApp {
    /// Publishes raw bytes with `cle` on the test exchange, as commandes' relay does
    /// (persistent, `message_id`), and waits for the broker's confirmation.
    pub async fn publier_octets(&self, cle: &str, id: Uuid, corps: &[u8]) {
        let confirmation = self
            .canal
            .basic_publish(
                self.topologie.exchange().as_str().into(),
                cle.into(),
                BasicPublishOptions::default(),
                corps,
                BasicProperties::default()
                    .with_content_type("application/json".into())
                    .with_delivery_mode(2)
                    .with_message_id(id.to_string().into()),
            )
            .await
            .expect("publication")
            .await
            .expect("confirmation");
        assert!(confirmation.is_ack(), "publication refusée");
    }

    pub async fn publier(&self, e: &EtapeCommande) {
        let cle = match e.statut {
            StatutCommande::Annulee => cles::COMMANDE_ANNULEE,
            _ => cles::COMMANDE_A_PAYER,
        };
        self.publier_octets(cle, e.id_evenement, &serde_json::to_vec(e).unwrap())
            .await;
    }

    /// Waits until `n` distinct events are in the inbox (each applied once, in a commit).
    pub async fn attendre_evenements_traites(&self, n: i64) {
        let debut = Instant::now();
        loop {
            let traites: i64 = sqlx::query_scalar("SELECT count(*) FROM evenements_traites")
                .fetch_one(&self.db)
                .await
                .unwrap();
            if traites >= n {
                assert_eq!(traites, n, "plus d'événements traités que publiés");
                return;
            }
            assert!(
                debut.elapsed() < DELAI,
                "{traites} événements traités sur {n}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the consumer has concluded (acked) `n` deliveries of message `id`: the
    /// `lot conclu` lines of this test's queue name each delivery.
    pub async fn attendre_livraisons(&self, id: Uuid, n: usize) {
        let file = self.topologie.file(PAIEMENTS_COMMANDES);
        testaide::journal::attendre_conclus(&file, &id.to_string(), n, DELAI).await;
    }

    /// Publishes `commande.a_payer` for a new order owing `total`; waits until paiements
    /// knows it. Returns its reference and id.
    pub async fn ouvrir_commande(&self, total: &str) -> (Uuid, i64) {
        let (reference, id) = (Uuid::new_v4(), id_commande());
        self.publier(&etape(reference, id, total, StatutCommande::APayer))
            .await;
        self.attendre_commande(reference).await;
        (reference, id)
    }

    /// Waits until the order's row exists.
    pub async fn attendre_commande(&self, reference: Uuid) {
        let debut = Instant::now();
        loop {
            let existe: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM commandes_a_payer WHERE reference = $1)",
            )
            .bind(reference)
            .fetch_one(&self.db)
            .await
            .unwrap();
            if existe {
                return;
            }
            assert!(debut.elapsed() < DELAI, "commande {reference} jamais notée");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn payer(&self, cle: &str, reference: Uuid, numero: &str) -> Response {
        self.payer_corps(cle, &corps(reference, numero)).await
    }

    pub async fn payer_corps(&self, cle: &str, corps: &Value) -> Response {
        self.client
            .post(format!("{}/api/paiements", self.adresse))
            .header("Idempotency-Key", cle)
            .json(corps)
            .send()
            .await
            .unwrap()
    }

    pub fn get(&self, chemin: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{chemin}", self.adresse))
    }

    /// How many payment attempts are stored for `reference`, by status.
    pub async fn statuts(&self, reference: Uuid) -> Vec<String> {
        sqlx::query_scalar("SELECT statut FROM paiements WHERE reference = $1 ORDER BY cree_le")
            .bind(reference)
            .fetch_all(&self.db)
            .await
            .unwrap()
    }

    /// Every event written to the outbox with routing key `cle`, oldest first.
    pub async fn evenements(&self, cle: &str) -> Vec<ResultatPaiement> {
        sqlx::query_scalar::<_, String>(
            "SELECT charge FROM outbox WHERE routing_key = $1 ORDER BY id",
        )
        .bind(cle)
        .fetch_all(&self.db)
        .await
        .unwrap()
        .iter()
        .map(|c| serde_json::from_str(c).unwrap())
        .collect()
    }

    /// Waits until the broker confirmed every outbox row (the relay marks them published).
    pub async fn attendre_outbox_publiee(&self) {
        let debut = Instant::now();
        loop {
            let reste: i64 =
                sqlx::query_scalar("SELECT count(*) FROM outbox WHERE publie_le IS NULL")
                    .fetch_one(&self.db)
                    .await
                    .unwrap();
            if reste == 0 {
                return;
            }
            assert!(debut.elapsed() < DELAI, "{reste} événements jamais publiés");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A payment request body for `reference` with card `numero`.
pub fn corps(reference: Uuid, numero: &str) -> Value {
    json!({"reference": reference, "carte": {"numero": numero, "expiration": "12/30", "cvc": CVC}})
}

/// Reads an error body and checks its shape.
pub async fn erreur(r: Response) -> Value {
    let corps: Value = r.json().await.expect("un corps JSON d'erreur");
    assert!(
        corps["erreur"].is_string(),
        "champ `erreur` absent : {corps}"
    );
    assert!(corps["code"].is_string(), "champ `code` absent : {corps}");
    corps
}

/// A fresh Idempotency-Key.
pub fn cle() -> String {
    format!("paiement-{}", Uuid::new_v4())
}

/// An amount as the JSON of a payment shows it.
pub fn montant(v: &Value) -> Decimal {
    v["montant"].to_string().parse().unwrap()
}
