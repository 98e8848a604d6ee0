//! `spawn_app()`: the service on a random port with a database of its own.

use produits::{Application, Config};
use reqwest::{Client, RequestBuilder, Response};
use serde_json::{json, Value};

pub const JETON: &str = "jeton-de-test";

pub struct TestApp {
    pub adresse: String,
    pub client: Client,
    pub db: sqlx::PgPool,
    pub database_url: String,
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
    if std::env::var("TEST_LOG").is_ok() {
        socle::telemetrie::init("debug");
    }
    let mut config = config_de_test();
    reglage(&mut config);
    let database_url = config.service.database_url.clone();
    let app = Application::build(config)
        .await
        .expect("build de l'application");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    let db = sqlx::PgPool::connect(&database_url)
        .await
        .expect("pool de test");
    TestApp {
        adresse,
        client: Client::new(),
        db,
        database_url,
    }
}

impl TestApp {
    pub fn get(&self, chemin: &str) -> RequestBuilder {
        self.client.get(format!("{}{chemin}", self.adresse))
    }

    pub fn admin(&self, methode: reqwest::Method, chemin: &str) -> RequestBuilder {
        self.client
            .request(methode, format!("{}{chemin}", self.adresse))
            .bearer_auth(JETON)
    }

    pub async fn creer(&self, corps: &Value) -> Response {
        self.admin(reqwest::Method::POST, "/api/produits")
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
