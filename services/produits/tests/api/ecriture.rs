//! Writing the catalogue: authentication, creation, replacement, partial update, deletion,
//! and every class of bad input.

use reqwest::Method;
use serde_json::{json, Value};

use crate::aides::{erreur, produit_valide, spawn_app};

#[tokio::test]
async fn creer_un_produit_repond_201_avec_son_adresse() {
    let app = spawn_app().await;
    let r = app.creer(&produit_valide()).await;
    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let p: Value = r.json().await.unwrap();
    assert_eq!(location, format!("/api/produits/{}", p["id"]));
    assert_eq!(p["nom"], "Lampe de bureau");
    assert_eq!(p["image_url"], "/images/produits/lampe.svg");
    let relu: Value = app
        .get(&location)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(relu["prix"], p["prix"]);
}

#[tokio::test]
async fn ecrire_sans_jeton_ou_avec_un_mauvais_jeton_donne_un_401() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(format!("{}/api/produits", app.adresse))
        .json(&produit_valide())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().contains_key("www-authenticate"));
    assert_eq!(erreur(r).await["code"], "non_autorise");
    let r = app
        .client
        .delete(format!("{}/api/produits/1", app.adresse))
        .bearer_auth("mauvais")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM produits")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(total, 0);
}

#[tokio::test]
async fn une_creation_invalide_nomme_chaque_champ_fautif_et_ne_stocke_rien() {
    let app = spawn_app().await;
    let r = app
        .creer(
            &json!({"nom": "  ", "prix": 1.005, "quantite_en_stock": -1, "image_url": "ftp://x"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let e = erreur(r).await;
    for champ in ["nom", "prix", "quantite_en_stock", "image_url"] {
        assert!(e["champs"][champ].is_string(), "{champ} absent de {e}");
    }
    let r = app.creer(&json!({})).await;
    assert_eq!(r.status(), 422);
    let e = erreur(r).await;
    for champ in ["nom", "prix", "quantite_en_stock"] {
        assert_eq!(e["champs"][champ], "champ requis");
    }
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM produits")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(total, 0);
}

#[tokio::test]
async fn un_prix_nul_ou_negatif_est_refuse() {
    let app = spawn_app().await;
    for prix in [json!(0), json!(-5.5)] {
        let mut corps = produit_valide();
        corps["prix"] = prix;
        let r = app.creer(&corps).await;
        assert_eq!(r.status(), 422);
        assert!(erreur(r).await["champs"]["prix"].is_string());
    }
}

#[tokio::test]
async fn un_champ_du_mauvais_type_est_nomme_dans_un_422() {
    let app = spawn_app().await;
    let mut corps = produit_valide();
    corps["quantite_en_stock"] = json!("beaucoup");
    let r = app.creer(&corps).await;
    assert_eq!(r.status(), 422);
    assert!(erreur(r).await["champs"]["quantite_en_stock"].is_string());
}

#[tokio::test]
async fn un_json_malforme_donne_un_400() {
    let app = spawn_app().await;
    let r = app
        .admin(Method::POST, "/api/produits")
        .header("content-type", "application/json")
        .body("{\"nom\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(erreur(r).await["code"], "json_malforme");
}

#[tokio::test]
async fn un_corps_sans_type_json_donne_un_415() {
    let app = spawn_app().await;
    let r = app
        .admin(Method::POST, "/api/produits")
        .body(produit_valide().to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    erreur(r).await;
}

#[tokio::test]
async fn un_corps_de_plus_de_64_kio_donne_un_413_json() {
    let app = spawn_app().await;
    let mut corps = produit_valide();
    corps["description"] = json!("x".repeat(70 * 1024));
    let r = app.creer(&corps).await;
    assert_eq!(r.status(), 413);
    assert_eq!(erreur(r).await["code"], "corps_trop_grand");
}

#[tokio::test]
async fn put_remplace_tout_le_produit() {
    let app = spawn_app().await;
    let p = app.creer_produit("Ancien", "10.00", 5).await;
    let (_, etag) = app.lire(p["id"].as_i64().unwrap()).await;
    let r = app
        .admin(Method::PUT, &format!("/api/produits/{}", p["id"]))
        .header("if-match", etag)
        .json(&json!({"nom": "Nouveau", "prix": 12, "quantite_en_stock": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let q: Value = r.json().await.unwrap();
    assert_eq!(q["nom"], "Nouveau");
    assert_eq!(q["description"], "");
    assert_eq!(q["prix"].to_string(), "12.00");
    assert_eq!(q["quantite_en_stock"], 7);
    assert_eq!(q["image_url"], Value::Null);
}

#[tokio::test]
async fn put_sur_un_produit_inconnu_donne_un_404() {
    let app = spawn_app().await;
    let r = app
        .admin(Method::PUT, "/api/produits/424242")
        .header("if-match", "\"1\"")
        .json(&produit_valide())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    erreur(r).await;
}

#[tokio::test]
async fn patch_accepte_un_stock_a_zero_et_une_description_vide() {
    let app = spawn_app().await;
    let p = app.creer_produit("Lampe", "10.00", 5).await;
    let (_, etag) = app.lire(p["id"].as_i64().unwrap()).await;
    let r = app
        .admin(Method::PATCH, &format!("/api/produits/{}", p["id"]))
        .header("if-match", etag)
        .json(&json!({"quantite_en_stock": 0, "description": ""}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let q: Value = r.json().await.unwrap();
    assert_eq!(q["quantite_en_stock"], 0);
    assert_eq!(q["description"], "");
    assert_eq!(q["nom"], "Lampe", "un champ absent ne change pas");
    assert_eq!(q["prix"], p["prix"]);
}

#[tokio::test]
async fn patch_avec_une_image_nulle_retire_l_image() {
    let app = spawn_app().await;
    let p: Value = app.creer(&produit_valide()).await.json().await.unwrap();
    let chemin = format!("/api/produits/{}", p["id"]);
    let q: Value = app
        .admin(Method::PATCH, &chemin)
        .json(&json!({"nom": "Autre"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["image_url"], "/images/produits/lampe.svg");
    let q: Value = app
        .admin(Method::PATCH, &chemin)
        .json(&json!({"image_url": null}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["image_url"], Value::Null);
}

#[tokio::test]
async fn patch_refuse_un_champ_inconnu_et_une_valeur_invalide() {
    let app = spawn_app().await;
    let p = app.creer_produit("Lampe", "10.00", 5).await;
    let chemin = format!("/api/produits/{}", p["id"]);
    let r = app
        .admin(Method::PATCH, &chemin)
        .json(&json!({"prx": 3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(erreur(r).await["erreur"].as_str().unwrap().contains("prx"));
    let r = app
        .admin(Method::PATCH, &chemin)
        .json(&json!({"quantite_en_stock": -3}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let relu: Value = app.get(&chemin).send().await.unwrap().json().await.unwrap();
    assert_eq!(relu["quantite_en_stock"], 5);
}

#[tokio::test]
async fn supprimer_repond_204_puis_le_produit_est_introuvable() {
    let app = spawn_app().await;
    let p = app.creer_produit("Lampe", "10.00", 5).await;
    let chemin = format!("/api/produits/{}", p["id"]);
    let r = app.admin(Method::DELETE, &chemin).send().await.unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.get(&chemin).send().await.unwrap().status(), 404);
    let r = app.admin(Method::DELETE, &chemin).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn une_ecriture_est_visible_aussitot_dans_la_liste() {
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
    assert_eq!(avant.len(), 1);
    app.admin(Method::PATCH, &format!("/api/produits/{}", p["id"]))
        .json(&json!({"nom": "Lampe renommée"}))
        .send()
        .await
        .unwrap();
    let apres: Vec<Value> = app
        .get("/api/produits")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(apres[0]["nom"], "Lampe renommée");
}
