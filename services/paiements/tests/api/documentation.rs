//! The OpenAPI document describes the real responses, and every status the API answers.

use std::time::Duration;

use serde_json::{json, Value};
use testaide::verifier_spec;
use uuid::Uuid;

use crate::aides::{cle, spawn_app_avec, ACCEPTEE, LENTE, REFUSEE};

#[tokio::test]
async fn swagger_ui_est_servi_sous_l_api() {
    let app = spawn_app_avec(|_| {}).await;
    let r = app.get("/api/paiements/docs/").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("swagger"));
}

#[tokio::test]
async fn la_spec_documente_chaque_statut_et_les_cartes_de_test() {
    let app = spawn_app_avec(|_| {}).await;
    let spec: Value = app
        .get("/api/paiements/docs/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let statuts = |chemin: &str, methode: &str| -> Vec<String> {
        let mut s: Vec<String> = spec["paths"][chemin][methode]["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{methode} {chemin} absent"))
            .keys()
            .cloned()
            .collect();
        s.sort();
        s
    };
    assert_eq!(
        statuts("/api/paiements", "post"),
        ["201", "400", "402", "409", "413", "415", "422", "503", "504"]
    );
    assert_eq!(
        statuts("/api/paiements/{id_paiement}", "get"),
        ["200", "400", "404", "503", "504"]
    );
    let post = &spec["paths"]["/api/paiements"]["post"];
    let entete = post["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Idempotency-Key")
        .expect("Idempotency-Key documentée");
    assert_eq!(entete["in"], "header");
    assert_eq!(entete["required"], true);
    assert!(post["responses"]["409"]["headers"]["Retry-After"].is_object());
    let description = spec["info"]["description"].as_str().unwrap();
    for carte in [ACCEPTEE, REFUSEE, "4000 0000 0000 9995", LENTE] {
        assert!(
            description.contains(carte),
            "{carte} absente de la description"
        );
    }
}

#[tokio::test]
async fn les_reponses_reelles_suivent_la_spec_openapi() {
    let app = spawn_app_avec(|c| c.delai_fournisseur = Duration::from_millis(200)).await;
    let spec: Value = app
        .get("/api/paiements/docs/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (reference, _) = app.ouvrir_commande("15.00").await;
    let post =
        |statut: u16, corps: &Value| verifier_spec(&spec, "/api/paiements", "post", statut, corps);

    let r = app.payer(&cle(), reference, REFUSEE).await;
    assert_eq!(r.status(), 402);
    post(402, &r.json().await.unwrap());
    let r = app.payer(&cle(), reference, LENTE).await;
    assert_eq!(r.status(), 504);
    post(504, &r.json().await.unwrap());
    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 201);
    let paye: Value = r.json().await.unwrap();
    post(201, &paye);
    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 409);
    post(409, &r.json().await.unwrap());
    let r = app
        .payer_corps(&cle(), &json!({"reference": "x", "carte": {}}))
        .await;
    assert_eq!(r.status(), 422);
    post(422, &r.json().await.unwrap());
    let r = app
        .client
        .post(format!("{}/api/paiements", app.adresse))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    post(400, &r.json().await.unwrap());

    let chemin = "/api/paiements/{id_paiement}";
    let r = app
        .get(&format!(
            "/api/paiements/{}",
            paye["id_paiement"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    verifier_spec(&spec, chemin, "get", 200, &r.json().await.unwrap());
    let r = app
        .get(&format!("/api/paiements/{}", Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    verifier_spec(&spec, chemin, "get", 404, &r.json().await.unwrap());
}
