//! Product versions: the `ETag` of a product, `If-Match` on writes (412 when stale, 428 when
//! missing on a write that overwrites the stock), and the relative stock adjustment (409
//! rather than a stock below zero).

use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::aides::{erreur, spawn_app, Canal, TestApp};

/// Creates a product with `stock` units; returns its id.
async fn produit(app: &TestApp, stock: i64) -> i64 {
    app.creer_produit("Lampe", "10.00", stock).await["id"]
        .as_i64()
        .unwrap()
}

fn chemin(id: i64) -> String {
    format!("/api/produits/{id}")
}

async fn ajuster(app: &TestApp, id: i64, corps: Value) -> reqwest::Response {
    app.admin(Method::POST, &format!("/api/produits/{id}/stock"))
        .json(&corps)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn chaque_ecriture_donne_une_nouvelle_version_lue_dans_l_etag() {
    let app = spawn_app().await;
    let r = app
        .creer(&json!({"nom": "Lampe", "prix": 10, "quantite_en_stock": 5}))
        .await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.headers()["etag"], "\"1\"");
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(app.lire(id).await.1, "\"1\"");

    // A PATCH that leaves the stock alone needs no If-Match.
    let r = app
        .admin(Method::PATCH, &chemin(id))
        .json(&json!({"nom": "Lampe renommée"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"2\"");

    let r = ajuster(&app, id, json!({"delta": 3, "raison": "livraison"})).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"3\"");

    let r = app
        .admin(Method::PUT, &chemin(id))
        .header("if-match", "\"3\"")
        .json(&json!({"nom": "Lampe", "prix": 11, "quantite_en_stock": 9}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["etag"], "\"4\"");
    let (p, etag) = app.lire(id).await;
    assert_eq!(
        (p["quantite_en_stock"].clone(), etag.as_str()),
        (json!(9), "\"4\"")
    );
}

#[tokio::test]
async fn une_ecriture_sur_une_version_perimee_donne_un_412_et_n_ecrit_rien() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    let (_, perimee) = app.lire(id).await;
    app.admin(Method::PATCH, &chemin(id))
        .json(&json!({"nom": "Lampe renommée"}))
        .send()
        .await
        .unwrap();
    let (avant, etag_avant) = app.lire(id).await;

    let requetes = [
        app.admin(Method::PUT, &chemin(id))
            .json(&json!({"nom": "X", "prix": 1, "quantite_en_stock": 1})),
        app.admin(Method::PATCH, &chemin(id))
            .json(&json!({"quantite_en_stock": 1})),
        app.admin(Method::PATCH, &chemin(id))
            .json(&json!({"nom": "X"})),
        app.admin(Method::POST, &format!("{}/stock", chemin(id)))
            .json(&json!({"delta": 1, "raison": "test"})),
        app.admin(Method::DELETE, &chemin(id)),
    ];
    for requete in requetes {
        let r = requete.header("if-match", &perimee).send().await.unwrap();
        assert_eq!(r.status(), 412);
        let e = erreur(r).await;
        assert_eq!(e["code"], "version_differente");
    }
    // A weak tag never matches (If-Match compares strongly), even the current version's.
    let r = app
        .admin(Method::PATCH, &chemin(id))
        .header("if-match", format!("W/{etag_avant}"))
        .json(&json!({"nom": "X"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(app.lire(id).await, (avant, etag_avant));
}

#[tokio::test]
async fn if_match_accepte_la_version_courante_dans_une_liste_ou_l_etoile() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    let r = app
        .admin(Method::PATCH, &chemin(id))
        .header("if-match", "\"7\", \"1\"")
        .json(&json!({"quantite_en_stock": 6}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .admin(Method::PATCH, &chemin(id))
        .header("if-match", "*")
        .json(&json!({"quantite_en_stock": 7}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["quantite_en_stock"], 7);
    let r = app
        .admin(Method::DELETE, &chemin(id))
        .header("if-match", "\"3\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn ecrire_le_stock_sans_if_match_donne_un_428_et_n_ecrit_rien() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    let r = app
        .admin(Method::PUT, &chemin(id))
        .json(&json!({"nom": "Lampe", "prix": 10, "quantite_en_stock": 50}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 428);
    assert_eq!(erreur(r).await["code"], "precondition_requise");
    let r = app
        .admin(Method::PATCH, &chemin(id))
        .json(&json!({"quantite_en_stock": 50}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 428);
    assert_eq!(erreur(r).await["code"], "precondition_requise");
    let (p, etag) = app.lire(id).await;
    assert_eq!(
        (p["quantite_en_stock"].as_i64(), etag.as_str()),
        (Some(5), "\"1\"")
    );
    // Without If-Match, a DELETE is still allowed (it overwrites nothing).
    let r = app.admin(Method::DELETE, &chemin(id)).send().await.unwrap();
    assert_eq!(r.status(), 204);
}

#[tokio::test]
async fn un_if_match_illisible_donne_un_400() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    for valeur in ["1", "\"1", "\"1\" \"2\"", ""] {
        let r = app
            .admin(Method::PATCH, &chemin(id))
            .header("if-match", valeur)
            .json(&json!({"nom": "X"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "If-Match: {valeur}");
        assert_eq!(erreur(r).await["code"], "en_tete_invalide");
    }
}

#[tokio::test]
async fn une_reservation_du_consommateur_change_la_version() {
    // The lost update this guards against: an admin reads the stock, an order reserves one
    // unit, the admin writes back what he read. His ETag is then stale: 412, nothing lost.
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    let (_, lue) = app.lire(id).await;
    let canal = app.canal().await;
    Canal::confirmer(canal.publier_commande(Uuid::new_v4(), 1, id, 1).await).await;
    app.attendre_evenements_traites(1).await;
    let (p, etag) = app.lire(id).await;
    assert_eq!(p["quantite_en_stock"], 4);
    assert_ne!(etag, lue);
    let r = app
        .admin(Method::PATCH, &chemin(id))
        .header("if-match", &lue)
        .json(&json!({"quantite_en_stock": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 412);
    assert_eq!(app.lire(id).await.0["quantite_en_stock"], 4);
}

#[tokio::test]
async fn ajuster_le_stock_ajoute_un_delta_et_garde_la_raison() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    let r = ajuster(&app, id, json!({"delta": -2, "raison": "  casse  "})).await;
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["quantite_en_stock"], 3);
    assert_eq!(app.lire(id).await, (p, etag));
    let r = ajuster(&app, id, json!({"delta": 10, "raison": "livraison"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["quantite_en_stock"], 13);
    let journal: Vec<(i32, String, i32)> = sqlx::query_as(
        "SELECT delta, raison, stock_apres FROM mouvements_stock WHERE produit_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        journal,
        [(-2, "casse".into(), 3), (10, "livraison".into(), 13)]
    );
}

#[tokio::test]
async fn un_ajustement_qui_passerait_sous_zero_donne_un_409_et_n_ecrit_rien() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    let r = ajuster(&app, id, json!({"delta": -6, "raison": "inventaire"})).await;
    assert_eq!(r.status(), 409);
    let e = erreur(r).await;
    assert_eq!(e["code"], "stock_insuffisant");
    assert!(e["erreur"].as_str().unwrap().contains('5'), "{e}");
    let (p, etag) = app.lire(id).await;
    assert_eq!(
        (p["quantite_en_stock"].as_i64(), etag.as_str()),
        (Some(5), "\"1\"")
    );
    let r = ajuster(&app, id, json!({"delta": -5, "raison": "inventaire"})).await;
    assert_eq!(r.json::<Value>().await.unwrap()["quantite_en_stock"], 0);
    let mouvements: i64 = sqlx::query_scalar("SELECT count(*) FROM mouvements_stock")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(mouvements, 1);
}

#[tokio::test]
async fn un_ajustement_invalide_nomme_chaque_champ_fautif() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    for (corps, champ) in [
        (json!({"delta": 0, "raison": "rien"}), "delta"),
        (json!({"delta": 1, "raison": " "}), "raison"),
        (json!({"delta": 1, "raison": "x".repeat(201)}), "raison"),
        (json!({"raison": "oubli"}), "delta"),
        (json!({"delta": 1}), "raison"),
        (
            json!({"delta": 4_000_000_000i64, "raison": "trop"}),
            "delta",
        ),
    ] {
        let r = ajuster(&app, id, corps.clone()).await;
        assert_eq!(r.status(), 422, "{corps}");
        assert!(erreur(r).await["champs"][champ].is_string(), "{corps}");
    }
    let r = ajuster(&app, 987_654, json!({"delta": 1, "raison": "x"})).await;
    assert_eq!(r.status(), 404);
    assert_eq!(app.lire(id).await.0["quantite_en_stock"], 5);
}

#[tokio::test]
async fn ajuster_le_stock_sans_jeton_donne_un_401() {
    let app = spawn_app().await;
    let id = produit(&app, 5).await;
    let url = format!("{}/api/produits/{id}/stock", app.adresse);
    let corps = json!({"delta": 1, "raison": "x"});
    let sans = app.client.post(&url).json(&corps).send().await.unwrap();
    let mauvais = app
        .client
        .post(&url)
        .bearer_auth("mauvais")
        .json(&corps)
        .send()
        .await
        .unwrap();
    for r in [sans, mauvais] {
        assert_eq!(r.status(), 401);
        assert_eq!(erreur(r).await["code"], "non_autorise");
    }
    assert_eq!(app.lire(id).await.0["quantite_en_stock"], 5);
}
