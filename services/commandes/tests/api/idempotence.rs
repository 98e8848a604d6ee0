//! `Idempotency-Key`: a retried POST never makes a second order.

use serde_json::{json, Value};

use crate::aides::{erreur, spawn_app};

#[tokio::test]
async fn un_post_rejoue_avec_la_meme_cle_rend_la_premiere_commande() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let corps = json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 1}]});

    let premiere = app.commander_avec_cle("panier-42", &corps).await;
    assert_eq!(premiere.status(), 201);
    assert!(!premiere.headers().contains_key("idempotent-replayed"));
    let premiere: Value = premiere.json().await.unwrap();
    let seconde = app.commander_avec_cle("panier-42", &corps).await;
    assert_eq!(seconde.status(), 201);
    assert_eq!(seconde.headers()["idempotent-replayed"], "true");
    let seconde: Value = seconde.json().await.unwrap();

    assert_eq!(premiere["reference"], seconde["reference"]);
    assert_eq!(app.nombre_de_commandes().await, 1);
}

#[tokio::test]
async fn des_post_simultanes_avec_la_meme_cle_ne_font_qu_une_commande() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let corps = json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 1}]});
    let reponses =
        futures::future::join_all((0..10).map(|_| app.commander_avec_cle("double-clic", &corps)))
            .await;
    let mut references = std::collections::HashSet::new();
    for r in reponses {
        assert_eq!(r.status(), 201);
        references.insert(r.json::<Value>().await.unwrap()["reference"].clone());
    }
    assert_eq!(references.len(), 1);
    assert_eq!(app.nombre_de_commandes().await, 1);
}

#[tokio::test]
async fn une_cle_reutilisee_pour_une_autre_commande_est_refusee() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .commander_avec_cle(
            "cle-1",
            &json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 1}]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .commander_avec_cle(
            "cle-1",
            &json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 5}]}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(erreur(r).await["code"], "idempotence_conflit");
    assert_eq!(app.nombre_de_commandes().await, 1);
}

#[tokio::test]
async fn sans_cle_deux_post_font_deux_commandes() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let corps = json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 1}]});
    app.commander(&corps).await;
    app.commander(&corps).await;
    assert_eq!(app.nombre_de_commandes().await, 2);
}

#[tokio::test]
async fn une_cle_trop_longue_est_refusee() {
    let app = spawn_app().await;
    let r = app
        .commander_avec_cle(
            &"k".repeat(201),
            &json!({"email": "a@example.com", "produits": [{"produit_id": 1, "quantite": 1}]}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert!(erreur(r).await["champs"]["Idempotency-Key"].is_string());
}

#[tokio::test]
async fn la_meme_cle_avec_un_autre_nom_ou_une_autre_adresse_est_refusee() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let corps = crate::aides::corps("a@example.com", &[(p, 1)]);
    assert_eq!(app.commander_avec_cle("cle-a", &corps).await.status(), 201);

    let mut autre_npa = corps.clone();
    autre_npa["adresse"]["npa"] = json!("1004");
    let mut autre_nom = corps.clone();
    autre_nom["nom"] = json!("Grace Hopper");
    for autre in [autre_npa, autre_nom] {
        let r = app.commander_avec_cle("cle-a", &autre).await;
        assert_eq!(r.status(), 422);
        assert_eq!(erreur(r).await["code"], "idempotence_conflit");
    }
    // The same request again is a retry.
    let r = app.commander_avec_cle("cle-a", &corps).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["idempotent-replayed"], "true");
    assert_eq!(app.nombre_de_commandes().await, 1);
}
