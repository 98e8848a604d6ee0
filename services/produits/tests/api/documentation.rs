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
async fn les_refus_de_version_et_de_stock_suivent_la_spec() {
    let app = spawn_app().await;
    let spec = spec(&app).await;
    let id = app.creer_produit("Lampe", "10.00", 5).await["id"]
        .as_i64()
        .unwrap();
    let chemin = format!("/api/produits/{id}");
    let stock = format!("{chemin}/stock");
    let cas = [
        (
            app.admin(Method::PUT, &chemin).json(&produit_valide()),
            "/api/produits/{id}",
            "put",
            428,
        ),
        (
            app.admin(Method::PATCH, &chemin)
                .header("if-match", "\"99\"")
                .json(&json!({"nom": "X"})),
            "/api/produits/{id}",
            "patch",
            412,
        ),
        (
            app.admin(Method::PATCH, &chemin)
                .header("if-match", "99")
                .json(&json!({"nom": "X"})),
            "/api/produits/{id}",
            "patch",
            400,
        ),
        (
            app.admin(Method::DELETE, &chemin)
                .header("if-match", "\"99\""),
            "/api/produits/{id}",
            "delete",
            412,
        ),
        (
            app.admin(Method::POST, &stock)
                .json(&json!({"delta": -9, "raison": "casse"})),
            "/api/produits/{id}/stock",
            "post",
            409,
        ),
        (
            app.admin(Method::POST, &stock).json(&json!({"delta": 0})),
            "/api/produits/{id}/stock",
            "post",
            422,
        ),
        (
            app.admin(Method::POST, &stock)
                .json(&json!({"delta": 2, "raison": "livraison"})),
            "/api/produits/{id}/stock",
            "post",
            200,
        ),
    ];
    for (requete, chemin, methode, statut) in cas {
        let r = requete.send().await.unwrap();
        assert_eq!(r.status(), statut, "{methode} {chemin}");
        verifier(&spec, chemin, methode, statut, &r.json().await.unwrap());
    }
}

#[tokio::test]
async fn la_spec_declare_l_etag_et_if_match() {
    let app = spawn_app().await;
    let spec = spec(&app).await;
    let un = &spec["paths"]["/api/produits/{id}"];
    let stock = &spec["paths"]["/api/produits/{id}/stock"];
    for reponse in [
        &un["get"]["responses"]["200"],
        &un["put"]["responses"]["200"],
        &un["patch"]["responses"]["200"],
        &stock["post"]["responses"]["200"],
        &spec["paths"]["/api/produits"]["post"]["responses"]["201"],
    ] {
        assert!(
            reponse["headers"]["ETag"].is_object(),
            "ETag absent : {reponse}"
        );
    }
    let if_match = |operation: &Value| -> Value {
        operation["parameters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == "If-Match" && p["in"] == "header")
            .cloned()
            .unwrap_or_else(|| panic!("If-Match absent : {operation}"))
    };
    for operation in [&un["put"], &un["patch"], &un["delete"], &stock["post"]] {
        if_match(operation);
    }
    for operation in [&un["put"], &un["patch"]] {
        assert!(
            operation["responses"]["428"].is_object(),
            "428 absent : {operation}"
        );
    }
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
