//! The OpenAPI document describes the real responses: real answers are validated against it.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aides::{produit_valide, spawn_app, TestApp};

use testaide::verifier_spec as verifier;

async fn spec(app: &TestApp) -> Value {
    let r = app.get("/produits/docs/openapi.json").send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn swagger_ui_est_servi_a_l_adresse_du_projet_d_origine() {
    let app = spawn_app().await;
    let r = app.get("/produits/docs/").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn les_reponses_reelles_suivent_la_spec_openapi() {
    let app = spawn_app().await;
    let spec = spec(&app).await;

    let r = app.creer(&produit_valide()).await;
    assert_eq!(r.status(), 201);
    let cree: Value = r.json().await.unwrap();
    verifier(&spec, "/api/produits", "post", 201, &cree);

    let liste: Value = app
        .get("/api/produits")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    verifier(&spec, "/api/produits", "get", 200, &liste);

    let un: Value = app
        .get(&format!("/api/produits/{}", cree["id"]))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    verifier(&spec, "/api/produits/{id}", "get", 200, &un);

    let r = app.get("/api/produits/987654").send().await.unwrap();
    verifier(
        &spec,
        "/api/produits/{id}",
        "get",
        404,
        &r.json().await.unwrap(),
    );

    let r = app.creer(&json!({"nom": ""})).await;
    verifier(
        &spec,
        "/api/produits",
        "post",
        422,
        &r.json().await.unwrap(),
    );

    let r = app
        .admin(Method::PATCH, &format!("/api/produits/{}", cree["id"]))
        .json(&json!({"prix": 3.5}))
        .send()
        .await
        .unwrap();
    verifier(
        &spec,
        "/api/produits/{id}",
        "patch",
        200,
        &r.json().await.unwrap(),
    );
}

#[tokio::test]
async fn la_validation_de_la_spec_detecte_une_reponse_non_conforme() {
    // The check above must be able to fail: a product without its `prix` is refused.
    let app = spawn_app().await;
    let spec = spec(&app).await;
    let resultat = std::panic::catch_unwind(|| {
        verifier(
            &spec,
            "/api/produits/{id}",
            "get",
            200,
            &json!({"id": 1, "nom": "x"}),
        )
    });
    assert!(resultat.is_err());
}
