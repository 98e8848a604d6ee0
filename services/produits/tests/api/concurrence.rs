//! Writers racing on one product's stock: the stock consumer (real `commande.nouvelle` events
//! through the broker) against an admin's writes, and two instances consuming one queue.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use uuid::Uuid;

use crate::aides::{autre_instance, spawn_app, Canal, TestApp, DELAI};

/// `stock.reserve` events written by produits: one per order reserved.
async fn reservations(app: &TestApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM outbox WHERE routing_key = 'stock.reserve'")
        .fetch_one(&app.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn cent_reservations_contre_un_admin_ne_perdent_aucune_unite() {
    // Arrange: 100 orders of one unit will race an admin who takes 30 units away
    // (relative adjustment) and, ten times, reads the stock, thinks, and writes back two more
    // than he read (with If-Match, retried on 412).
    const INITIAL: i64 = 100;
    let app = spawn_app().await;
    let id = app.creer_produit("Article disputé", "5.00", INITIAL).await["id"]
        .as_i64()
        .unwrap();
    let canal = app.canal().await;
    canal.attendre_consommateurs(1).await;

    // Act
    let commandes = async {
        for n in 0..100 {
            Canal::confirmer(canal.publier_commande(Uuid::new_v4(), n, id, 1).await).await;
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    };
    let admin = async {
        let mut refus_412 = 0;
        for _ in 0..10 {
            loop {
                let (p, etag) = app.lire(id).await;
                tokio::time::sleep(Duration::from_millis(5)).await;
                let r = app
                    .admin(Method::PATCH, &format!("/api/produits/{id}"))
                    .header("if-match", etag)
                    .json(
                        &json!({"quantite_en_stock": p["quantite_en_stock"].as_i64().unwrap() + 2}),
                    )
                    .send()
                    .await
                    .unwrap();
                match r.status().as_u16() {
                    200 => break,
                    412 => refus_412 += 1,
                    s => panic!("PATCH inattendu : {s}"),
                }
            }
        }
        let r = app
            .admin(Method::POST, &format!("/api/produits/{id}/stock"))
            .json(&json!({"delta": -30, "raison": "retour fournisseur"}))
            .send()
            .await
            .unwrap();
        let retire = match r.status().as_u16() {
            200 => 30,
            409 => 0,
            s => panic!("ajustement inattendu : {s}"),
        };
        (refus_412, retire)
    };
    let ((), (refus_412, retire)) = tokio::join!(commandes, admin);
    app.attendre_evenements_traites(100).await;

    // Assert: every unit is accounted for.
    let reservees = reservations(&app).await;
    let (p, _) = app.lire(id).await;
    assert_eq!(
        p["quantite_en_stock"].as_i64().unwrap(),
        INITIAL + 10 * 2 - retire - reservees,
        "{reservees} réservées, {retire} retirées, {refus_412} refus 412"
    );
    // The admin's writes really raced the reservations (or this test proves nothing).
    assert!(
        refus_412 > 0,
        "aucune écriture de l'admin n'a croisé une réservation"
    );
}

/// Backends of the test database waiting for a lock held by another transaction.
async fn en_attente_de_verrou(db: &sqlx::PgPool) -> i64 {
    sqlx::query_scalar(
        "SELECT count(*) FROM pg_stat_activity
         WHERE datname = current_database() AND wait_event_type = 'Lock'",
    )
    .fetch_one(db)
    .await
    .unwrap()
}

async fn attendre_en_attente_de_verrou(db: &sqlx::PgPool, n: i64) {
    let debut = Instant::now();
    while en_attente_de_verrou(db).await < n {
        assert!(
            debut.elapsed() < DELAI,
            "{n} transactions bloquées attendues"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn deux_instances_recevant_des_doublons_croises_ne_s_interbloquent_pas() {
    // Two instances consume one queue; events A, B and Z are each published twice, crossed
    // (A B Z Z B A), so that the broker, alternating between the two consumers, gives one the
    // batch [A, Z, B] and the other [B, Z, A]. The test holds Z's inbox row (uncommitted) so
    // that both batches are inside their inbox insert at the same time; had they inserted in
    // delivery order, each would hold one of A and B and wait for the other's.
    let a = spawn_app().await;
    let b = autre_instance(&a).await;
    let id = a.creer_produit("Article en double", "5.00", 100).await["id"]
        .as_i64()
        .unwrap();
    let canal = a.canal().await;
    canal.attendre_consommateurs(2).await;
    let avant: i64 = sqlx::query_scalar(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(&a.db)
    .await
    .unwrap();
    let (ea, eb, ez) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let mut tient_z = a.db.begin().await.unwrap();
    sqlx::query("INSERT INTO evenements_traites (id_evenement) VALUES ($1)")
        .bind(ez)
        .execute(&mut *tient_z)
        .await
        .unwrap();
    // Each consumer busy with one order, blocked on the product's row: what comes next
    // waits in its prefetch and makes its next batch.
    let mut tient_produit = a.db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM produits WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut *tient_produit)
        .await
        .unwrap();
    for n in [1, 2] {
        Canal::confirmer(canal.publier_commande(Uuid::new_v4(), n, id, 1).await).await;
    }
    attendre_en_attente_de_verrou(&a.db, 2).await;
    for (e, n) in [(ea, 3), (eb, 4), (ez, 5), (ez, 5), (eb, 4), (ea, 3)] {
        Canal::confirmer(canal.publier_commande(e, n, id, 1).await).await;
    }
    canal.attendre_file_livree().await;

    // Act: the first orders go through; the crossed batches start and meet on Z.
    tient_produit.commit().await.unwrap();
    attendre_en_attente_de_verrou(&a.db, 2).await;
    tient_z.rollback().await.unwrap();
    a.attendre_evenements_traites(5).await;

    // Each order reserved once: one outcome each, one unit each.
    let debut = Instant::now();
    while reservations(&a).await < 5 {
        assert!(debut.elapsed() < DELAI, "réservations manquantes");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let commandes_distinctes: i64 = sqlx::query_scalar(
        "SELECT count(DISTINCT charge::jsonb ->> 'id_evenement_commande') FROM outbox",
    )
    .fetch_one(&a.db)
    .await
    .unwrap();
    let (p, _) = a.lire(id).await;

    // A deadlock is counted by the backend that was aborted, in statistics it flushes when
    // idle (at most once a second) or when it exits: stop both instances and wait until their
    // connections are gone, so that the counter read afterwards is final.
    let url = a.database_url.clone();
    b.arreter().await;
    a.arreter().await;
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let debut = Instant::now();
    loop {
        let autres: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if autres == 0 {
            break;
        }
        assert!(
            debut.elapsed() < DELAI,
            "{autres} connexions restent ouvertes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let apres: i64 = sqlx::query_scalar(
        "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()",
    )
    .fetch_one(&db)
    .await
    .unwrap();

    // Assert
    assert_eq!(commandes_distinctes, 5);
    assert_eq!(p["quantite_en_stock"], json!(100 - 5));
    assert_eq!(apres - avant, 0, "interblocages dans PostgreSQL");
}
