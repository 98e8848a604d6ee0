//! `spawn_app()`: a real produits service and commandes, each on a random port with a fresh
//! database of its own.

use std::time::Duration;

use commandes::{Application, Config};
use reqwest::{Client, Response};
use serde_json::Value;

pub const JETON: &str = "jeton-de-test";

pub struct TestApp {
    pub adresse: String,
    pub produits: String,
    pub client: Client,
    pub db: sqlx::PgPool,
}

async fn spawn_produits() -> String {
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

pub async fn spawn_app() -> TestApp {
    let produits = spawn_produits().await;
    spawn_app_avec_produits(&produits).await
}

/// commandes pointed at `produits_url` (which may be unreachable on purpose).
pub async fn spawn_app_avec_produits(produits_url: &str) -> TestApp {
    if std::env::var("TEST_LOG").is_ok() {
        socle::telemetrie::init("debug");
    }
    let database_url = testaide::base_de_test("commandes");
    let config = Config {
        service: testaide::config_service(database_url.clone(), testaide::broker(), JETON),
        produits_url: produits_url.into(),
        delai_produits: Duration::from_secs(2),
    };
    let app = Application::build(config).await.expect("commandes");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = sqlx::PgPool::connect(&database_url).await.unwrap();
    TestApp {
        adresse,
        produits: produits_url.into(),
        client: Client::new(),
        db,
    }
}

impl TestApp {
    /// Creates a product in the real produits service; returns its id.
    pub async fn produit(&self, nom: &str, prix: &str, stock: i64) -> i64 {
        testaide::creer_produit(&self.client, &self.produits, JETON, nom, prix, stock).await
    }

    pub async fn commander(&self, corps: &Value) -> Response {
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
            .json(corps)
            .send()
            .await
            .unwrap()
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
