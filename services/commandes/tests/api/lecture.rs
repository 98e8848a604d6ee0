//! Reading orders: public by reference, list for the admin only.

use serde_json::{json, Value};

use crate::aides::{erreur, spawn_app, JETON};

#[tokio::test]
async fn une_commande_se_lit_par_sa_reference() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "12.35", 10).await;
    let creee: Value = app
        .commander(
            &json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 2}]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let r = app
        .get(&format!(
            "/api/commandes/{}",
            creee["reference"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let lue: Value = r.json().await.unwrap();
    assert_eq!(lue, creee);
}

#[tokio::test]
async fn une_reference_inconnue_donne_un_404_et_une_reference_illisible_un_400() {
    let app = spawn_app().await;
    let r = app
        .get("/api/commandes/6f1c7a52-8f43-4d8e-9a55-1f2d3c4b5a69")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    erreur(r).await;
    let r = app.get("/api/commandes/12").send().await.unwrap();
    assert_eq!(r.status(), 400);
    erreur(r).await;
}

#[tokio::test]
async fn la_liste_des_commandes_demande_le_jeton_d_administration() {
    let app = spawn_app().await;
    let r = app.get("/api/commandes").send().await.unwrap();
    assert_eq!(r.status(), 401);
    erreur(r).await;
}

#[tokio::test]
async fn la_liste_des_commandes_est_paginee_la_plus_recente_d_abord() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    for i in 1..=3 {
        app.commander(&json!({"email": format!("c{i}@example.com"), "produits": [{"produit_id": p, "quantite": 1}]}))
            .await;
    }
    let r = app
        .get("/api/commandes?par_page=2")
        .bearer_auth(JETON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-total-count"], "3");
    let page: Vec<Value> = r.json().await.unwrap();
    assert_eq!(page.len(), 2);
    assert_eq!(page[0]["email"], "c3@example.com");
    assert_eq!(page[0]["lignes"][0]["nom"], "Lampe");
    let r = app
        .get("/api/commandes?par_page=500")
        .bearer_auth(JETON)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn health_et_ready_repondent() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health").send().await.unwrap().status(), 200);
    let mut statut = 0;
    for _ in 0..50 {
        statut = app.get("/ready").send().await.unwrap().status().as_u16();
        if statut == 200 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(statut, 200);
}
