//! The OpenAPI document describes the real responses.

use serde_json::{json, Value};
use testaide::verifier_spec;

use crate::aides::{spawn_app, JETON};

#[tokio::test]
async fn swagger_ui_est_servi_a_l_adresse_du_projet_d_origine() {
    let app = spawn_app().await;
    let r = app.get("/api/commandes/docs/").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn les_reponses_reelles_suivent_la_spec_openapi() {
    let app = spawn_app().await;
    let spec: Value = app
        .get("/api/commandes/docs/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let p = app.produit("Lampe", "10.00", 10).await;

    let r = app
        .commander(
            &json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 1}]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let creee: Value = r.json().await.unwrap();
    verifier_spec(&spec, "/api/commandes", "post", 201, &creee);

    let r = app.commander(&json!({"email": "x"})).await;
    verifier_spec(
        &spec,
        "/api/commandes",
        "post",
        422,
        &r.json().await.unwrap(),
    );

    let lue: Value = app
        .get(&format!(
            "/api/commandes/{}",
            creee["reference"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    verifier_spec(&spec, "/api/commandes/{reference}", "get", 200, &lue);

    let liste: Value = app
        .get("/api/commandes")
        .bearer_auth(JETON)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    verifier_spec(&spec, "/api/commandes", "get", 200, &liste);
}
