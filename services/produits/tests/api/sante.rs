//! Probes, unknown routes, demo data.

use serde_json::Value;

use crate::aides::{erreur, spawn_app, spawn_app_avec};

#[tokio::test]
async fn health_repond_tant_que_le_processus_vit() {
    let app = spawn_app().await;
    let r = app.get("/health").send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn ready_verifie_la_base_et_le_broker() {
    let app = spawn_app().await;
    // The broker link is made in the background: give it a moment.
    let mut corps = Value::Null;
    for _ in 0..50 {
        let r = app.get("/ready").send().await.unwrap();
        corps = r.json().await.unwrap();
        if corps["statut"] == "ok" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(corps["base_de_donnees"], "ok");
    assert_eq!(corps["broker"], "ok");
}

#[tokio::test]
async fn ready_signale_un_broker_injoignable() {
    let app =
        spawn_app_avec(|c| c.service.amqp_url = "amqp://guest:guest@127.0.0.1:1/%2f".into()).await;
    let r = app.get("/ready").send().await.unwrap();
    assert_eq!(r.status(), 503);
    let corps: Value = r.json().await.unwrap();
    assert_eq!(corps["broker"], "indisponible");
    assert_eq!(corps["base_de_donnees"], "ok");
}

#[tokio::test]
async fn une_route_inconnue_donne_un_404_json() {
    let app = spawn_app().await;
    let r = app.get("/api/inexistant").send().await.unwrap();
    assert_eq!(r.status(), 404);
    erreur(r).await;
}

#[tokio::test]
async fn une_methode_non_prevue_donne_un_405_json() {
    let app = spawn_app().await;
    let r = app
        .client
        .delete(format!("{}/api/produits", app.adresse))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    erreur(r).await;
}

#[tokio::test]
async fn le_catalogue_de_demo_est_charge_une_seule_fois() {
    let app = spawn_app_avec(|c| c.demo = true).await;
    let r = app.get("/api/produits").send().await.unwrap();
    assert_eq!(r.headers()["x-total-count"], "12");
    let produits: Vec<Value> = r.json().await.unwrap();
    assert!(produits.iter().all(|p| p["image_url"].is_string()));
    // A second instance on the same database must not load it again.
    let mut config = crate::aides::config_de_test();
    config.service.database_url = app.database_url.clone();
    config.demo = true;
    produits::Application::build(config).await.unwrap();
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM produits")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(total, 12);
}

#[tokio::test]
async fn chaque_reponse_porte_un_identifiant_de_requete() {
    let app = spawn_app().await;
    let r = app
        .get("/health")
        .header("x-request-id", "abc-123")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["x-request-id"], "abc-123");
    let r = app.get("/health").send().await.unwrap();
    assert!(!r.headers()["x-request-id"].is_empty());
}
