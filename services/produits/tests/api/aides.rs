//! `spawn_app()`: the service on a random port with a database of its own; helpers to read
//! ETags and to publish real `commande.nouvelle` and `stock.libere` events to its queues, and
//! to see what became of them.

use std::time::{Duration, Instant};

use contrats::evenements::{CommandeNouvelle, LiberationStock, ProduitCommande};
use contrats::http::RaisonAnnulation;
use contrats::noms::{cles, File, Topologie, STOCK_UPDATE};
use lapin::options::{BasicPublishOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{BasicProperties, Connection};
use produits::{Application, Config};
use reqwest::{Client, Method, RequestBuilder, Response};
use serde_json::{json, Value};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

pub const JETON: &str = "jeton-de-test";

/// Longest a test waits for something it expects.
pub const DELAI: Duration = Duration::from_secs(30);

pub struct TestApp {
    pub adresse: String,
    pub client: Client,
    pub db: sqlx::PgPool,
    pub database_url: String,
    /// Broker names of this instance (another instance given the same shares its queues).
    pub prefixe: String,
    arret: CancellationToken,
    tache: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub fn config_de_test() -> Config {
    Config {
        service: testaide::config_service(
            testaide::base_de_test("produits"),
            testaide::broker(),
            JETON,
        ),
        demo: false,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_avec(|_| {}).await
}

pub async fn spawn_app_avec(reglage: impl FnOnce(&mut Config)) -> TestApp {
    // Kept in memory for the tests that wait for a log line (printed too with TEST_LOG).
    testaide::journal::installer();
    let mut config = config_de_test();
    reglage(&mut config);
    let database_url = config.service.database_url.clone();
    let prefixe = config.service.prefixe_broker.clone();
    let app = Application::build(config)
        .await
        .expect("build de l'application");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    let arret = app.jeton_arret();
    let tache = tokio::spawn(app.run_until_stopped());
    let db = sqlx::PgPool::connect(&database_url)
        .await
        .expect("pool de test");
    TestApp {
        adresse,
        client: Client::new(),
        db,
        database_url,
        prefixe,
        arret,
        tache,
    }
}

/// A second instance of `app`'s service: same database, same queues.
pub async fn autre_instance(app: &TestApp) -> TestApp {
    let (url, prefixe) = (app.database_url.clone(), app.prefixe.clone());
    spawn_app_avec(move |c| {
        c.service.database_url = url;
        c.service.prefixe_broker = prefixe;
    })
    .await
}

impl TestApp {
    pub fn get(&self, chemin: &str) -> RequestBuilder {
        self.client.get(format!("{}{chemin}", self.adresse))
    }

    pub fn admin(&self, methode: Method, chemin: &str) -> RequestBuilder {
        self.client
            .request(methode, format!("{}{chemin}", self.adresse))
            .bearer_auth(JETON)
    }

    pub async fn creer(&self, corps: &Value) -> Response {
        self.admin(Method::POST, "/api/produits")
            .json(corps)
            .send()
            .await
            .expect("POST /api/produits")
    }

    /// Creates a valid product and returns it.
    pub async fn creer_produit(&self, nom: &str, prix: &str, stock: i64) -> Value {
        let r = self
            .creer(&json!({
                "nom": nom,
                "description": format!("Description de {nom}"),
                "prix": prix.parse::<serde_json::Number>().unwrap(),
                "quantite_en_stock": stock,
            }))
            .await;
        assert_eq!(r.status(), 201, "création de {nom}");
        r.json().await.unwrap()
    }

    /// The product `id` as GET gives it, and its ETag.
    pub async fn lire(&self, id: i64) -> (Value, String) {
        let r = self
            .get(&format!("/api/produits/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "lecture du produit {id}");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        (r.json().await.unwrap(), etag)
    }

    /// Stops the instance as SIGTERM would, and waits until it has stopped (pool closed).
    pub async fn arreter(self) {
        self.arret.cancel();
        self.tache
            .await
            .expect("tâche du service")
            .expect("arrêt du service");
        self.db.close().await;
    }

    /// A channel on the real broker with this instance's topology declared, publisher
    /// confirms on.
    pub async fn canal(&self) -> Canal {
        let topologie = Topologie::new(self.prefixe.as_str());
        let (connexion, canal) = testaide::files::canal(&testaide::broker(), &topologie).await;
        Canal {
            _connexion: connexion,
            canal,
            topologie,
        }
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
}

pub struct Canal {
    _connexion: Connection,
    pub canal: lapin::Channel,
    pub topologie: Topologie,
}

impl Canal {
    /// Publishes `commande.nouvelle` for `quantite` of `produit` (as commandes' relay does:
    /// persistent, `message_id` = event id) without waiting for the broker's confirmation;
    /// the returned confirmation is awaited with [`Canal::confirmer`].
    pub async fn publier_commande(
        &self,
        id_evenement: Uuid,
        id_commande: i64,
        produit: i64,
        quantite: i32,
    ) -> lapin::PublisherConfirm {
        self.publier_commande_de(
            id_evenement,
            id_commande,
            Uuid::new_v4(),
            &[(produit, quantite)],
        )
        .await
    }

    /// Publishes `commande.nouvelle` for order `reference` and its `lignes` (product,
    /// quantity), like [`Canal::publier_commande`].
    pub async fn publier_commande_de(
        &self,
        id_evenement: Uuid,
        id_commande: i64,
        reference: Uuid,
        lignes: &[(i64, i32)],
    ) -> lapin::PublisherConfirm {
        let evenement = CommandeNouvelle {
            id_evenement,
            id_commande,
            reference,
            email: format!("client{id_commande}@example.com"),
            total: rust_decimal::Decimal::ONE,
            produits: lignes
                .iter()
                .map(|(produit_id, quantite)| ProduitCommande {
                    produit_id: *produit_id,
                    quantite: *quantite,
                })
                .collect(),
            lignes: Vec::new(),
            timestamp: chrono::Utc::now(),
        };
        self.publier(
            cles::COMMANDE_NOUVELLE,
            &serde_json::to_vec(&evenement).unwrap(),
            &id_evenement.to_string(),
        )
        .await
    }

    /// Publishes `stock.libere` for order `reference` (as commandes' relay does).
    pub async fn publier_liberation(
        &self,
        id_evenement: Uuid,
        id_commande: i64,
        reference: Uuid,
    ) -> lapin::PublisherConfirm {
        let evenement = LiberationStock {
            id_evenement,
            id_commande,
            reference,
            raison: RaisonAnnulation::Expiree,
            timestamp: chrono::Utc::now(),
        };
        self.publier(
            cles::STOCK_LIBERE,
            &serde_json::to_vec(&evenement).unwrap(),
            &id_evenement.to_string(),
        )
        .await
    }

    /// Publishes `corps` under `cle`, persistent, with `message_id`.
    pub async fn publier(
        &self,
        cle: &str,
        corps: &[u8],
        message_id: &str,
    ) -> lapin::PublisherConfirm {
        self.canal
            .basic_publish(
                self.topologie.exchange().as_str().into(),
                cle.into(),
                BasicPublishOptions::default(),
                corps,
                BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_message_id(message_id.into()),
            )
            .await
            .expect("publication")
    }

    /// `(ready, consumers)` of queue `f` right now.
    pub async fn etat(&self, f: File) -> (u32, u32) {
        testaide::files::etat(&self.canal, &self.topologie.file(f)).await
    }

    /// Waits until `n` consumers read queue `f`.
    pub async fn attendre_consommateurs_de(&self, f: File, n: u32) {
        let debut = Instant::now();
        while self.etat(f).await.1 < n {
            assert!(
                debut.elapsed() < DELAI,
                "{n} consommateurs de {} attendus",
                f.nom
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until the consumers of queue `f` have concluded (acked, dead-lettered or parked)
    /// `n` deliveries of `message_id`: the consumer loop logs each concluded batch with its
    /// message ids (`lot conclu`).
    pub async fn attendre_conclus(&self, f: File, message_id: &str, n: usize) {
        testaide::journal::attendre_conclus(&self.topologie.file(f), message_id, n, DELAI).await;
    }

    /// Waits until the broker confirmed a publication.
    pub async fn confirmer(confirmation: lapin::PublisherConfirm) {
        let c = confirmation.await.expect("confirmation du broker");
        assert!(c.is_ack(), "publication refusée : {c:?}");
    }

    /// The `stock_update` queue as the broker sees it now.
    async fn file(&self) -> lapin::Queue {
        self.canal
            .queue_declare(
                self.topologie.file(STOCK_UPDATE).as_str().into(),
                QueueDeclareOptions {
                    passive: true,
                    ..Default::default()
                },
                FieldTable::default(),
            )
            .await
            .unwrap()
    }

    /// Waits until `n` consumers read the `stock_update` queue (the instances are ready).
    pub async fn attendre_consommateurs(&self, n: u32) {
        let debut = Instant::now();
        while self.file().await.consumer_count() < n {
            assert!(debut.elapsed() < DELAI, "{n} consommateurs attendus");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until every message of `stock_update` was handed to a consumer.
    pub async fn attendre_file_livree(&self) {
        let debut = Instant::now();
        while self.file().await.message_count() > 0 {
            assert!(debut.elapsed() < DELAI, "messages jamais livrés");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// A valid product body.
pub fn produit_valide() -> Value {
    json!({
        "nom": "Lampe de bureau",
        "description": "Lampe LED",
        "prix": 49.90,
        "quantite_en_stock": 10,
        "image_url": "/images/produits/lampe.svg"
    })
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
