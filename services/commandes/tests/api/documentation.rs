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

async fn spec(app: &crate::aides::TestApp) -> Value {
    app.get("/api/commandes/docs/openapi.json")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn l_annulation_et_l_expedition_repondent_comme_la_spec_le_dit() {
    let app = spawn_app().await;
    let spec = spec(&app).await;
    let annulation = "/api/commandes/{reference}/annulation";
    let expedition = "/api/commandes/{reference}/expedition";
    let corps = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap() };

    let en_attente = app.passer().await;
    let r = app.annuler(&en_attente, None).await;
    assert_eq!(r.status(), 409);
    verifier_spec(&spec, annulation, "post", 409, &corps(r).await);
    let r = app.annuler(&en_attente, Some("faux")).await;
    assert_eq!(r.status(), 401);
    verifier_spec(&spec, annulation, "post", 401, &corps(r).await);
    let r = app
        .expedier(
            &en_attente,
            &json!({"transporteur": "La Poste", "numero_suivi": "1"}),
        )
        .await;
    assert_eq!(r.status(), 409);
    verifier_spec(&spec, expedition, "post", 409, &corps(r).await);
    let r = app.expedier(&en_attente, &json!({})).await;
    assert_eq!(r.status(), 422);
    verifier_spec(&spec, expedition, "post", 422, &corps(r).await);
    let r = app
        .post(&format!(
            "/api/commandes/{}/expedition",
            en_attente.reference
        ))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    verifier_spec(&spec, expedition, "post", 401, &corps(r).await);
    let r = app
        .post(&format!(
            "/api/commandes/{}/annulation",
            uuid::Uuid::new_v4()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    verifier_spec(&spec, annulation, "post", 404, &corps(r).await);

    // A paid order read whole (payment, history), shipped, then one cancelled.
    let payee = app.passer_confirmee().await;
    verifier_spec(
        &spec,
        "/api/commandes/{reference}",
        "get",
        200,
        &app.lire(&payee).await,
    );
    let r = app
        .expedier(
            &payee,
            &json!({"transporteur": "La Poste", "numero_suivi": "1"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    verifier_spec(&spec, expedition, "post", 200, &corps(r).await);
    let a_payer = app.passer_a_payer().await;
    let r = app.annuler(&a_payer, None).await;
    assert_eq!(r.status(), 200);
    verifier_spec(&spec, annulation, "post", 200, &corps(r).await);
}

#[tokio::test]
async fn la_spec_decrit_le_nom_l_adresse_et_qui_peut_annuler() {
    let app = spawn_app().await;
    let spec = spec(&app).await;
    let schemas = &spec["components"]["schemas"];
    let entrante = &schemas["CommandeEntrante"];
    for champ in ["email", "nom", "adresse", "produits"] {
        assert!(
            entrante["required"]
                .as_array()
                .unwrap()
                .contains(&json!(champ)),
            "{champ} requis : {entrante}"
        );
    }
    let adresse = &schemas["AdresseEntrante"];
    assert_eq!(adresse["properties"]["npa"]["pattern"], "^[1-9][0-9]{3}$");
    assert_eq!(adresse["required"], json!(["rue", "npa", "localite"]));
    let expedition = &schemas["ExpeditionEntrante"];
    assert_eq!(
        expedition["required"],
        json!(["transporteur", "numero_suivi"])
    );

    // Cancelling: without a token (the customer) or with the admin token (the shop).
    let annulation = &spec["paths"]["/api/commandes/{reference}/annulation"]["post"];
    assert_eq!(annulation["security"], json!([{}, {"admin": []}]));
    let expedier = &spec["paths"]["/api/commandes/{reference}/expedition"]["post"];
    assert_eq!(expedier["security"], json!([{"admin": []}]));
    for (op, statuts) in [
        (
            annulation,
            &["200", "400", "401", "404", "409", "503", "504"][..],
        ),
        (
            expedier,
            &[
                "200", "400", "401", "404", "409", "413", "415", "422", "503", "504",
            ][..],
        ),
    ] {
        let documentes: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
        assert_eq!(documentes, statuts);
    }
    // The order shows its whole lifecycle.
    let commande = &schemas["Commande"]["properties"];
    for champ in [
        "nom",
        "adresse",
        "raison_annulation",
        "echeance_paiement",
        "paiement",
        "expedition",
        "historique",
    ] {
        assert!(commande.get(champ).is_some(), "{champ} absent de Commande");
    }
}
