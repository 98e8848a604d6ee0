//! `spawn_app()`: a real produits service and commandes, each on a random port with a fresh
//! database of its own and broker names of its own; and what the lifecycle tests need: a
//! valid order body, publishing stock and payment outcomes as produits and paiements would,
//! waiting for positive markers (a status, an event id in the inbox, a batch concluded), and
//! reading the events commandes wrote to its outbox.

use std::time::{Duration, Instant};

use chrono::Utc;
use commandes::{Application, Config};
use contrats::evenements::{Manquant, ResultatPaiement, ResultatStock};
use contrats::http::MotifRefus;
use contrats::noms::{cles, Topologie, COMMANDES_STATUT};
use lapin::options::BasicPublishOptions;
use reqwest::{Client, Response};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use testaide::journal;
use uuid::Uuid;

pub const JETON: &str = "jeton-de-test";
/// Longest wait for a positive marker: a timeout here is a failure.
pub const DELAI: Duration = Duration::from_secs(30);
/// How often the tests' services look for orders past their deadline.
pub const INTERVALLE_EXPIRATION_TEST: Duration = Duration::from_millis(50);

pub struct TestApp {
    pub adresse: String,
    pub produits: String,
    pub client: Client,
    pub db: sqlx::PgPool,
    pub database_url: String,
    pub topologie: Topologie,
    /// The test's own link to the broker (publisher confirms on, topology declared).
    _connexion: lapin::Connection,
    pub canal: lapin::Channel,
}

pub async fn spawn_produits() -> String {
    let config = produits::Config {
        service: testaide::config_service(
            testaide::base_de_test("produits"),
            testaide::broker(),
            JETON,
        ),
        demo: false,
    };
    let app = produits::Application::build(config)
        .await
        .expect("produits");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    adresse
}

/// commandes' settings for a test: its own database and broker names, the expiry scan every
/// 50 ms, the default payment delay (15 minutes: tests that need a lapsed order say so).
pub fn config_de_test(produits_url: &str) -> Config {
    Config {
        delai_produits: Duration::from_secs(2),
        intervalle_expiration: INTERVALLE_EXPIRATION_TEST,
        ..Config::new(
            testaide::config_service(
                testaide::base_de_test("commandes"),
                testaide::broker(),
                JETON,
            ),
            produits_url,
        )
    }
}

pub async fn spawn_app() -> TestApp {
    let produits = spawn_produits().await;
    spawn_app_avec(config_de_test(&produits)).await
}

/// commandes pointed at `produits_url` (which may be unreachable on purpose).
pub async fn spawn_app_avec_produits(produits_url: &str) -> TestApp {
    spawn_app_avec(config_de_test(produits_url)).await
}

/// commandes with `config` (its database is created if missing: two apps may share one).
pub async fn spawn_app_avec(config: Config) -> TestApp {
    journal::installer();
    let database_url = config.service.database_url.clone();
    let topologie = Topologie::new(config.service.prefixe_broker.clone());
    let produits = config.produits_url.clone();
    let app = Application::build(config).await.expect("commandes");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = sqlx::PgPool::connect(&database_url).await.unwrap();
    let (connexion, canal) = testaide::files::canal(&testaide::broker(), &topologie).await;
    TestApp {
        adresse,
        produits,
        client: Client::new(),
        db,
        database_url,
        topologie,
        _connexion: connexion,
        canal,
    }
}

/// A valid order body: `email`, a name, a Lausanne address, these lines.
pub fn corps(email: &str, lignes: &[(i64, i64)]) -> Value {
    json!({
        "email": email,
        "nom": "Ada Lovelace",
        "adresse": {"rue": "Rue du Lac 12", "npa": "1003", "localite": "Lausanne"},
        "produits": lignes
            .iter()
            .map(|(p, q)| json!({"produit_id": p, "quantite": q}))
            .collect::<Vec<_>>()
    })
}

/// `corps` with the default name and address where it has none (an object only).
pub fn completer(corps: &Value) -> Value {
    let mut c = corps.clone();
    if let Some(o) = c.as_object_mut() {
        let defaut = self::corps("", &[]);
        for champ in ["nom", "adresse"] {
            if !o.contains_key(champ) {
                o.insert(champ.into(), defaut[champ].clone());
            }
        }
    }
    c
}

/// What a test knows of an order it placed.
#[derive(Debug, Clone)]
pub struct Passee {
    pub id: i64,
    pub reference: Uuid,
    pub total: Decimal,
    pub json: Value,
}

impl TestApp {
    /// Creates a product in the real produits service; returns its id.
    pub async fn produit(&self, nom: &str, prix: &str, stock: i64) -> i64 {
        testaide::creer_produit(&self.client, &self.produits, JETON, nom, prix, stock).await
    }

    /// POSTs `corps`, given the default name and address if it has none (what these tests
    /// are not about); see [`Self::commander_tel_quel`].
    pub async fn commander(&self, corps: &Value) -> Response {
        self.commander_tel_quel(&completer(corps)).await
    }

    /// POSTs `corps` exactly as given.
    pub async fn commander_tel_quel(&self, corps: &Value) -> Response {
        self.client
            .post(format!("{}/api/commandes", self.adresse))
            .json(corps)
            .send()
            .await
            .unwrap()
    }

    pub async fn commander_avec_cle(&self, cle: &str, corps: &Value) -> Response {
        self.client
            .post(format!("{}/api/commandes", self.adresse))
            .header("Idempotency-Key", cle)
            .json(&completer(corps))
            .send()
            .await
            .unwrap()
    }

    /// Places an order of one new product (2 × 12.50): `en_attente`.
    pub async fn passer(&self) -> Passee {
        let p = self.produit("Lampe", "12.50", 100).await;
        let r = self
            .commander(&corps("client@example.com", &[(p, 2)]))
            .await;
        assert_eq!(r.status(), 201);
        let json: Value = r.json().await.unwrap();
        Passee {
            id: json["id_commande"].as_i64().unwrap(),
            reference: json["reference"].as_str().unwrap().parse().unwrap(),
            total: json["total"].to_string().parse().unwrap(),
            json,
        }
    }

    /// Places an order and reserves its stock: `a_payer`.
    pub async fn passer_a_payer(&self) -> Passee {
        let c = self.passer().await;
        self.publier(cles::STOCK_RESERVE, &stock(&c, vec![])).await;
        self.attendre_statut(&c, "a_payer").await;
        c
    }

    /// Places an order, reserves it, pays it: `confirmee`.
    pub async fn passer_confirmee(&self) -> Passee {
        let c = self.passer_a_payer().await;
        self.publier(cles::PAIEMENT_ACCEPTE, &paiement(&c)).await;
        self.attendre_statut(&c, "confirmee").await;
        c
    }

    pub async fn nombre_de_commandes(&self) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM commandes")
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    pub fn get(&self, chemin: &str) -> reqwest::RequestBuilder {
        self.client.get(format!("{}{chemin}", self.adresse))
    }

    pub fn post(&self, chemin: &str) -> reqwest::RequestBuilder {
        self.client.post(format!("{}{chemin}", self.adresse))
    }

    /// The order as the API shows it.
    pub async fn lire(&self, c: &Passee) -> Value {
        let r = self
            .get(&format!("/api/commandes/{}", c.reference))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        r.json().await.unwrap()
    }

    /// Waits until the order's status is `statut`; returns it as the API shows it.
    pub async fn attendre_statut(&self, c: &Passee, statut: &str) -> Value {
        let debut = Instant::now();
        loop {
            let lue = self.lire(c).await;
            if lue["statut"] == statut {
                return lue;
            }
            assert!(
                debut.elapsed() < DELAI,
                "statut {} au lieu de {statut} : {lue}",
                lue["statut"]
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Publishes `evenement` on the exchange as its producer would (persistent JSON,
    /// `message_id` = its `id_evenement`), once the broker confirmed it; returns that id.
    pub async fn publier<T: serde::Serialize>(&self, cle: &str, evenement: &T) -> String {
        let corps = serde_json::to_vec(evenement).unwrap();
        let id = serde_json::to_value(evenement).unwrap()["id_evenement"]
            .as_str()
            .unwrap_or("sans-id")
            .to_owned();
        self.publier_brut(&self.topologie.exchange(), cle, &corps, &id)
            .await;
        id
    }

    /// Publishes raw bytes on `exchange` (`""`: the default one, straight to a queue).
    pub async fn publier_brut(&self, exchange: &str, cle: &str, corps: &[u8], id: &str) {
        self.canal
            .basic_publish(
                exchange.into(),
                cle.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                corps,
                socle::amqp::proprietes_json(id),
            )
            .await
            .unwrap()
            .await
            .unwrap();
    }

    /// Waits until the consumer of `commandes_statut` has concluded `n` deliveries carrying
    /// the message id `id` (acked, or dead-lettered).
    pub async fn attendre_conclusion(&self, id: &str, n: usize) {
        let file = self.topologie.file(COMMANDES_STATUT);
        journal::attendre_conclus(&file, id, n, DELAI).await;
    }

    /// Waits until the event `id` was applied and committed (its id is in the inbox).
    pub async fn attendre_traite(&self, id: &str) {
        let id: Uuid = id.parse().unwrap();
        let debut = Instant::now();
        loop {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM evenements_traites WHERE id_evenement = $1",
            )
            .bind(id)
            .fetch_one(&self.db)
            .await
            .unwrap();
            if n == 1 {
                return;
            }
            assert!(debut.elapsed() < DELAI, "événement {id} jamais traité");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The events commandes wrote for `c` (every routing key but `commande.nouvelle`), in
    /// order: `(routing key, payload)`.
    pub async fn evenements(&self, c: &Passee) -> Vec<(String, Value)> {
        let lignes: Vec<(String, String)> = sqlx::query_as(
            "SELECT routing_key, charge FROM outbox
             WHERE charge::jsonb ->> 'reference' = $1 AND routing_key <> 'commande.nouvelle'
             ORDER BY id",
        )
        .bind(c.reference.to_string())
        .fetch_all(&self.db)
        .await
        .unwrap();
        lignes
            .into_iter()
            .map(|(cle, charge)| (cle, serde_json::from_str(&charge).unwrap()))
            .collect()
    }

    /// How many events with routing key `cle` commandes wrote for `c`.
    pub async fn compter(&self, c: &Passee, cle: &str) -> usize {
        self.evenements(c)
            .await
            .iter()
            .filter(|(k, _)| k == cle)
            .count()
    }

    /// The one event `cle` written for `c`.
    pub async fn evenement(&self, c: &Passee, cle: &str) -> Value {
        let mut trouves: Vec<Value> = self
            .evenements(c)
            .await
            .into_iter()
            .filter(|(k, _)| k == cle)
            .map(|(_, v)| v)
            .collect();
        assert_eq!(trouves.len(), 1, "un seul {cle} attendu : {trouves:?}");
        trouves.pop().unwrap()
    }

    /// Asks to cancel `c`, as the customer (`jeton` None) or with `jeton`.
    pub async fn annuler(&self, c: &Passee, jeton: Option<&str>) -> Response {
        let mut r = self.post(&format!("/api/commandes/{}/annulation", c.reference));
        if let Some(j) = jeton {
            r = r.bearer_auth(j);
        }
        r.send().await.unwrap()
    }

    /// Ships `c` (admin) with `corps`.
    pub async fn expedier(&self, c: &Passee, corps: &Value) -> Response {
        self.post(&format!("/api/commandes/{}/expedition", c.reference))
            .bearer_auth(JETON)
            .json(corps)
            .send()
            .await
            .unwrap()
    }

    /// A transaction of the test's own holding `c`'s row (`SELECT … FOR UPDATE`): whatever
    /// else wants to change it waits until it is dropped or committed.
    pub async fn verrouiller(&self, c: &Passee) -> sqlx::Transaction<'static, sqlx::Postgres> {
        let mut tx = self.db.begin().await.unwrap();
        sqlx::query("SELECT 1 FROM commandes WHERE id = $1 FOR UPDATE")
            .bind(c.id)
            .execute(&mut *tx)
            .await
            .unwrap();
        tx
    }

    /// Waits until `n` other sessions on this database wait for a lock (those the test set
    /// against a row it holds).
    pub async fn attendre_bloques(&self, n: i64) {
        let debut = Instant::now();
        loop {
            let bloques: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .fetch_one(&self.db)
            .await
            .unwrap();
            if bloques >= n {
                return;
            }
            assert!(
                debut.elapsed() < DELAI,
                "{bloques} session(s) bloquée(s) sur {n}"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Makes `c`'s payment deadline a second ago (as if its time had run out).
    pub async fn echoir(&self, c: &Passee) {
        sqlx::query(
            "UPDATE commandes SET echeance_paiement = now() - interval '1 second' WHERE id = $1",
        )
        .bind(c.id)
        .execute(&self.db)
        .await
        .unwrap();
    }
}

/// produits' answer for `c` (`stock.reserve` when `manquants` is empty), with a fresh id.
pub fn stock(c: &Passee, manquants: Vec<Manquant>) -> ResultatStock {
    ResultatStock {
        id_evenement: Uuid::new_v4(),
        id_evenement_commande: Uuid::new_v4(),
        id_commande: c.id,
        reference: c.reference,
        manquants,
        timestamp: Utc::now(),
    }
}

/// paiements' outcome of a new payment of `c`'s total (a visa ending 4242), fresh ids.
pub fn paiement(c: &Passee) -> ResultatPaiement {
    ResultatPaiement {
        id_evenement: Uuid::new_v4(),
        id_paiement: Uuid::new_v4(),
        id_commande: c.id,
        reference: c.reference,
        montant: c.total,
        marque: "visa".into(),
        quatre_derniers: "4242".into(),
        motif_refus: None,
        timestamp: Utc::now(),
    }
}

/// A declined attempt of `c`'s payment.
pub fn refus(c: &Passee, motif: MotifRefus) -> ResultatPaiement {
    ResultatPaiement {
        quatre_derniers: "0002".into(),
        motif_refus: Some(motif),
        ..paiement(c)
    }
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
