//! Reading the catalogue: list, search, pagination, one product.

use serde_json::Value;

use crate::aides::{erreur, spawn_app};

#[tokio::test]
async fn un_catalogue_vide_donne_une_liste_vide_et_un_total_de_zero() {
    let app = spawn_app().await;
    let r = app.get("/api/produits").send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-total-count"], "0");
    assert_eq!(r.json::<Value>().await.unwrap(), serde_json::json!([]));
}

#[tokio::test]
async fn la_liste_est_paginee_et_donne_le_total_dans_un_en_tete() {
    let app = spawn_app().await;
    for i in 1..=5 {
        app.creer_produit(&format!("Produit {i}"), "10.00", 1).await;
    }
    let r = app
        .get("/api/produits?page=2&par_page=2")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["x-total-count"], "5");
    let page: Vec<Value> = r.json().await.unwrap();
    let noms: Vec<_> = page.iter().map(|p| p["nom"].as_str().unwrap()).collect();
    assert_eq!(noms, ["Produit 3", "Produit 4"]);
}

#[tokio::test]
async fn la_recherche_porte_sur_le_nom_et_la_description_sans_casse() {
    let app = spawn_app().await;
    app.creer_produit("Lampe", "10.00", 1).await;
    app.creer_produit("Tasse", "5.00", 1).await;
    let r = app.get("/api/produits?q=LAMP").send().await.unwrap();
    assert_eq!(r.headers()["x-total-count"], "1");
    let trouves: Vec<Value> = r.json().await.unwrap();
    assert_eq!(trouves[0]["nom"], "Lampe");
    // The description of Tasse is "Description de Tasse".
    let r = app.get("/api/produits?q=de%20tasse").send().await.unwrap();
    assert_eq!(r.headers()["x-total-count"], "1");
}

#[tokio::test]
async fn les_jokers_sql_de_la_recherche_sont_pris_a_la_lettre() {
    let app = spawn_app().await;
    app.creer_produit("Lampe", "10.00", 1).await;
    let r = app.get("/api/produits?q=%25").send().await.unwrap();
    assert_eq!(r.headers()["x-total-count"], "0");
}

#[tokio::test]
async fn on_peut_demander_une_liste_d_identifiants() {
    let app = spawn_app().await;
    let a = app.creer_produit("A", "1.00", 1).await;
    app.creer_produit("B", "2.00", 1).await;
    let c = app.creer_produit("C", "3.00", 1).await;
    let r = app
        .get(&format!("/api/produits?ids={},{}", a["id"], c["id"]))
        .send()
        .await
        .unwrap();
    let trouves: Vec<Value> = r.json().await.unwrap();
    let noms: Vec<_> = trouves.iter().map(|p| p["nom"].as_str().unwrap()).collect();
    assert_eq!(noms, ["A", "C"]);
}

#[tokio::test]
async fn une_pagination_hors_limites_est_refusee_en_nommant_le_parametre() {
    let app = spawn_app().await;
    let r = app.get("/api/produits?par_page=101").send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(erreur(r).await["champs"]["par_page"].is_string());
    let r = app.get("/api/produits?page=0").send().await.unwrap();
    assert_eq!(r.status(), 422);
    assert!(erreur(r).await["champs"]["page"].is_string());
}

#[tokio::test]
async fn un_parametre_illisible_donne_un_400_json() {
    let app = spawn_app().await;
    let r = app.get("/api/produits?page=abc").send().await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(erreur(r).await["code"], "parametre_invalide");
    let r = app.get("/api/produits?ids=1,x").send().await.unwrap();
    assert_eq!(r.status(), 422);
}

#[tokio::test]
async fn un_produit_se_lit_par_son_identifiant_avec_un_prix_exact() {
    let app = spawn_app().await;
    let cree = app.creer_produit("Stylo", "45.5", 3).await;
    let r = app
        .get(&format!("/api/produits/{}", cree["id"]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let texte = r.text().await.unwrap();
    // Exact decimal, two places, as a JSON number (not a string, not 45.5000001).
    assert!(texte.contains(r#""prix":45.50"#), "{texte}");
    let p: Value = serde_json::from_str(&texte).unwrap();
    assert_eq!(p["nom"], "Stylo");
    assert_eq!(p["quantite_en_stock"], 3);
}

#[tokio::test]
async fn un_produit_inconnu_donne_un_404_json() {
    let app = spawn_app().await;
    let r = app.get("/api/produits/999999").send().await.unwrap();
    assert_eq!(r.status(), 404);
    let e = erreur(r).await;
    assert_eq!(e["code"], "introuvable");
    assert!(e["erreur"].as_str().unwrap().contains("999999"));
}

#[tokio::test]
async fn un_identifiant_qui_n_est_pas_un_nombre_donne_un_400_json() {
    let app = spawn_app().await;
    let r = app.get("/api/produits/abc").send().await.unwrap();
    assert_eq!(r.status(), 400);
    erreur(r).await;
}

#[tokio::test]
async fn une_modification_faite_hors_du_service_apparait_dans_la_liste() {
    // Someone writes the table directly (psql): the trigger records the writing transaction,
    // and this instance's poll of what changed must evict its cached page.
    let app = spawn_app().await;
    let p = app.creer_produit("Lampe", "10.00", 5).await;
    let avant: Vec<Value> = app
        .get("/api/produits")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(avant[0]["quantite_en_stock"], 5);
    sqlx::query("UPDATE produits SET quantite_en_stock = 2 WHERE id = $1")
        .bind(p["id"].as_i64().unwrap())
        .execute(&app.db)
        .await
        .unwrap();
    let mut vu = Value::Null;
    for _ in 0..100 {
        let liste: Vec<Value> = app
            .get("/api/produits")
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        vu = liste[0]["quantite_en_stock"].clone();
        if vu == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(vu, 2, "la page en cache n'a pas été invalidée");
}
