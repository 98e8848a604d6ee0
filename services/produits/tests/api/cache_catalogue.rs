//! The cached list: an instance reads its own admin writes at once; a write made through
//! another instance, or by the stock consumer, shows within the poll interval (250 ms) plus a
//! query — these tests allow one second, four intervals, for a loaded machine.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::aides::{autre_instance, spawn_app, Canal, TestApp};

/// The bound these tests hold the service to (documented: 250 ms plus a query).
const BORNE: Duration = Duration::from_secs(1);

async fn liste(app: &TestApp, requete: &str) -> (Vec<Value>, String) {
    let r = app.get(requete).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let total = r.headers()["x-total-count"].to_str().unwrap().to_owned();
    (r.json().await.unwrap(), total)
}

/// Reads `requete` from `app` until `vu` holds; returns how long that took.
async fn attendre_dans_la_liste(
    app: &TestApp,
    requete: &str,
    vu: impl Fn(&[Value], &str) -> bool,
) -> Duration {
    let debut = Instant::now();
    loop {
        let (produits, total) = liste(app, requete).await;
        if vu(&produits, &total) {
            return debut.elapsed();
        }
        assert!(
            debut.elapsed() < Duration::from_secs(10),
            "jamais vu dans {requete} : {produits:?}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn stock(produits: &[Value], id: i64) -> Option<i64> {
    produits
        .iter()
        .find(|p| p["id"] == id)
        .and_then(|p| p["quantite_en_stock"].as_i64())
}

#[tokio::test]
async fn une_ecriture_faite_par_une_autre_instance_apparait_dans_sa_liste_en_moins_d_une_seconde() {
    let a = spawn_app().await;
    let b = autre_instance(&a).await;
    let id = a.creer_produit("Lampe", "10.00", 5).await["id"]
        .as_i64()
        .unwrap();
    // b has the page in its cache.
    attendre_dans_la_liste(&b, "/api/produits", |p, _| stock(p, id) == Some(5)).await;
    liste(&b, "/api/produits").await;

    // A change of one product's row (stock).
    let r = a
        .admin(Method::POST, &format!("/api/produits/{id}/stock"))
        .json(&json!({"delta": 2, "raison": "livraison"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let delai = attendre_dans_la_liste(&b, "/api/produits", |p, _| stock(p, id) == Some(7)).await;
    assert!(
        delai < BORNE,
        "stock vu par l'autre instance après {delai:?}"
    );

    // A change of which products a page shows: a new product, a renamed one.
    a.creer_produit("Tasse", "5.00", 1).await;
    let delai = attendre_dans_la_liste(&b, "/api/produits", |_, total| total == "2").await;
    assert!(
        delai < BORNE,
        "création vue par l'autre instance après {delai:?}"
    );
    liste(&b, "/api/produits?q=veilleuse").await;
    a.admin(Method::PATCH, &format!("/api/produits/{id}"))
        .json(&json!({"nom": "Veilleuse"}))
        .send()
        .await
        .unwrap();
    let delai =
        attendre_dans_la_liste(&b, "/api/produits?q=veilleuse", |_, total| total == "1").await;
    assert!(
        delai < BORNE,
        "renommage vu par l'autre instance après {delai:?}"
    );
}

#[tokio::test]
async fn une_instance_lit_aussitot_ses_propres_ecritures_dans_la_liste() {
    let app = spawn_app().await;
    let id = app.creer_produit("Lampe", "10.00", 5).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(stock(&liste(&app, "/api/produits").await.0, id), Some(5));
    assert_eq!(
        stock(&liste(&app, &format!("/api/produits?ids={id}")).await.0, id),
        Some(5)
    );
    let r = app
        .admin(Method::POST, &format!("/api/produits/{id}/stock"))
        .json(&json!({"delta": -1, "raison": "casse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // The very next reads, without waiting for a poll.
    assert_eq!(stock(&liste(&app, "/api/produits").await.0, id), Some(4));
    assert_eq!(
        stock(&liste(&app, &format!("/api/produits?ids={id}")).await.0, id),
        Some(4)
    );
    let (_, etag) = app.lire(id).await;
    app.admin(Method::PATCH, &format!("/api/produits/{id}"))
        .header("if-match", etag)
        .json(&json!({"quantite_en_stock": 9, "prix": 12}))
        .send()
        .await
        .unwrap();
    let (produits, _) = liste(&app, "/api/produits").await;
    assert_eq!(stock(&produits, id), Some(9));
    assert_eq!(produits[0]["prix"].to_string(), "12.00");
}

#[tokio::test]
async fn une_reservation_du_consommateur_apparait_dans_la_liste_en_moins_d_une_seconde() {
    let app = spawn_app().await;
    let id = app.creer_produit("Lampe", "10.00", 5).await["id"]
        .as_i64()
        .unwrap();
    assert_eq!(stock(&liste(&app, "/api/produits").await.0, id), Some(5));
    let canal = app.canal().await;
    Canal::confirmer(canal.publier_commande(Uuid::new_v4(), 1, id, 2).await).await;
    app.attendre_evenements_traites(1).await;
    let delai = attendre_dans_la_liste(&app, "/api/produits", |p, _| stock(p, id) == Some(3)).await;
    assert!(
        delai < BORNE,
        "réservation vue dans la liste après {delai:?}"
    );
}

#[tokio::test]
async fn une_ecriture_validee_apres_une_plus_recente_n_est_pas_manquee() {
    // Writes from outside the service (psql): the first begins, writes, and commits only after
    // a second one has committed and been seen. A watermark (highest version or timestamp
    // seen) would step over the first; the poll asks for every transaction that had not
    // committed at its previous snapshot.
    let app = spawn_app().await;
    let x = app.creer_produit("X", "1.00", 1).await["id"]
        .as_i64()
        .unwrap();
    let y = app.creer_produit("Y", "1.00", 1).await["id"]
        .as_i64()
        .unwrap();
    liste(&app, "/api/produits").await;
    let mut premiere = app.db.begin().await.unwrap();
    sqlx::query("UPDATE produits SET quantite_en_stock = 10 WHERE id = $1")
        .bind(x)
        .execute(&mut *premiere)
        .await
        .unwrap();
    sqlx::query("UPDATE produits SET quantite_en_stock = 20 WHERE id = $1")
        .bind(y)
        .execute(&app.db)
        .await
        .unwrap();
    attendre_dans_la_liste(&app, "/api/produits", |p, _| stock(p, y) == Some(20)).await;
    premiere.commit().await.unwrap();
    let delai = attendre_dans_la_liste(&app, "/api/produits", |p, _| stock(p, x) == Some(10)).await;
    assert!(delai < BORNE, "écriture tardive vue après {delai:?}");
}
