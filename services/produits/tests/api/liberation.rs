//! Giving stock back (`stock.libere` on `stock_liberation`): real events through the real
//! broker, read back from the real database. What an order reserved comes back exactly, once
//! per order whatever the duplicates; an order produits never reserved gives nothing back;
//! releases racing new reservations lose no unit; poison goes to the dead-letter queue.

use std::time::Duration;

use contrats::noms::{cles, STOCK_LIBERATION, STOCK_UPDATE};
use uuid::Uuid;

use crate::aides::{autre_instance, spawn_app, Canal, TestApp, DELAI};

/// Stock of product `id`, read from the database (the API's cache is not the point here).
async fn stock(db: &sqlx::PgPool, id: i64) -> i32 {
    sqlx::query_scalar("SELECT quantite_en_stock FROM produits WHERE id = $1")
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap()
}

/// Whether the inbox holds `id`.
async fn dans_l_inbox(db: &sqlx::PgPool, id: Uuid) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM evenements_traites WHERE id_evenement = $1)")
        .bind(id)
        .fetch_one(db)
        .await
        .unwrap()
}

/// The journal of product `id`: (delta, raison, stock after, version after), oldest first.
async fn journal(db: &sqlx::PgPool, id: i64) -> Vec<(i32, String, i32, i64)> {
    sqlx::query_as(
        "SELECT delta, raison, stock_apres, version_apres FROM mouvements_stock
         WHERE produit_id = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .unwrap()
}

async fn produit(app: &TestApp, nom: &str, stock: i64) -> i64 {
    app.creer_produit(nom, "5.00", stock).await["id"]
        .as_i64()
        .unwrap()
}

/// Reserves order `reference` (`lignes`: product, quantity) and waits until it is applied.
async fn reserver(
    app: &TestApp,
    canal: &Canal,
    id_commande: i64,
    reference: Uuid,
    lignes: &[(i64, i32)],
) {
    let id = Uuid::new_v4();
    Canal::confirmer(
        canal
            .publier_commande_de(id, id_commande, reference, lignes)
            .await,
    )
    .await;
    canal
        .attendre_conclus(STOCK_UPDATE, &id.to_string(), 1)
        .await;
    assert!(dans_l_inbox(&app.db, id).await);
}

/// Stops `app` (its last batch acked first) and checks that `stock_liberation` is drained:
/// no message ready, no consumer left — so none was delivered and left unacked either (a
/// closed channel gives its unacked messages back to the queue).
async fn arreter_et_verifier_la_file_videe(app: TestApp, canal: &Canal) -> sqlx::PgPool {
    let url = app.database_url.clone();
    app.arreter().await;
    assert_eq!(canal.etat(STOCK_LIBERATION).await, (0, 0), "file non vidée");
    sqlx::PgPool::connect(&url).await.unwrap()
}

#[tokio::test]
async fn une_commande_annulee_rend_exactement_ce_qu_elle_avait_reserve() {
    // Arrange: order 1 holds 3 lamps and 2 mugs, order 2 one lamp (it stays).
    let app = spawn_app().await;
    let lampe = produit(&app, "Lampe", 10).await;
    let tasse = produit(&app, "Tasse", 5).await;
    let canal = app.canal().await;
    let (r1, r2) = (Uuid::new_v4(), Uuid::new_v4());
    reserver(&app, &canal, 1, r1, &[(lampe, 3), (tasse, 2)]).await;
    reserver(&app, &canal, 2, r2, &[(lampe, 1)]).await;
    let tenues: Vec<(Uuid, i64, i64, i32, bool)> = sqlx::query_as(
        "SELECT reference, id_commande, produit_id, quantite, libere_le IS NULL
         FROM reservations ORDER BY id_commande, produit_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(
        tenues,
        [
            (r1, 1, lampe, 3, true),
            (r1, 1, tasse, 2, true),
            (r2, 2, lampe, 1, true)
        ]
    );
    assert_eq!(
        (stock(&app.db, lampe).await, stock(&app.db, tasse).await),
        (6, 3)
    );
    let (_, etag_avant) = app.lire(lampe).await;

    // Act
    let e = Uuid::new_v4();
    Canal::confirmer(canal.publier_liberation(e, 1, r1).await).await;
    canal
        .attendre_conclus(STOCK_LIBERATION, &e.to_string(), 1)
        .await;

    // Assert: order 1's units are back, order 2 still holds its lamp.
    assert!(dans_l_inbox(&app.db, e).await);
    assert_eq!(
        (stock(&app.db, lampe).await, stock(&app.db, tasse).await),
        (9, 5)
    );
    let liberees: Vec<(Uuid, bool)> = sqlx::query_as(
        "SELECT reference, libere_le IS NOT NULL FROM reservations ORDER BY id_commande, produit_id",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(liberees, [(r1, true), (r1, true), (r2, false)]);
    // A new version, like any stock change (an ETag read before is stale).
    let (p, etag_apres) = app.lire(lampe).await;
    assert_ne!(etag_apres, etag_avant);
    assert_eq!(p["quantite_en_stock"], 9);
    // The journal: one row per product, why, the stock and the version after.
    let version: i64 = etag_apres.trim_matches('"').parse().unwrap();
    let raison = "commande 1 annulée (expiree) : réservation libérée".to_owned();
    assert_eq!(
        journal(&app.db, lampe).await,
        [(3, raison.clone(), 9, version)]
    );
    let (_, etag_tasse) = app.lire(tasse).await;
    let version_tasse: i64 = etag_tasse.trim_matches('"').parse().unwrap();
    assert_eq!(
        journal(&app.db, tasse).await,
        [(2, raison, 5, version_tasse)]
    );
    app.arreter().await;
}

#[tokio::test]
async fn une_liberation_en_double_ou_repetee_sous_un_autre_evenement_ne_rend_qu_une_fois() {
    // Arrange
    let app = spawn_app().await;
    let lampe = produit(&app, "Lampe", 10).await;
    let canal = app.canal().await;
    let reference = Uuid::new_v4();
    reserver(&app, &canal, 7, reference, &[(lampe, 4)]).await;

    // Act: the same event twice (a redelivery), then another event for the same order.
    let (e1, e2) = (Uuid::new_v4(), Uuid::new_v4());
    for e in [e1, e1, e2] {
        Canal::confirmer(canal.publier_liberation(e, 7, reference).await).await;
    }
    canal
        .attendre_conclus(STOCK_LIBERATION, &e1.to_string(), 2)
        .await;
    canal
        .attendre_conclus(STOCK_LIBERATION, &e2.to_string(), 1)
        .await;

    // Assert: both ids applied, four units back once, one journal row.
    assert!(dans_l_inbox(&app.db, e1).await && dans_l_inbox(&app.db, e2).await);
    let db = arreter_et_verifier_la_file_videe(app, &canal).await;
    assert_eq!(stock(&db, lampe).await, 10);
    let lignes = journal(&db, lampe).await;
    assert_eq!(lignes.len(), 1, "{lignes:?}");
    assert_eq!(lignes[0].0, 4);
}

#[tokio::test]
async fn liberer_une_commande_refusee_ou_inconnue_ne_change_rien() {
    // Arrange: order 3 was refused (5 asked, 2 in stock), order 4 never came.
    let app = spawn_app().await;
    let lampe = produit(&app, "Lampe", 2).await;
    let canal = app.canal().await;
    let refusee = Uuid::new_v4();
    reserver(&app, &canal, 3, refusee, &[(lampe, 5)]).await;
    let refus: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE routing_key = 'stock.refuse'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(refus, 1);
    let (_, etag) = app.lire(lampe).await;

    // Act
    let (e1, e2) = (Uuid::new_v4(), Uuid::new_v4());
    Canal::confirmer(canal.publier_liberation(e1, 3, refusee).await).await;
    Canal::confirmer(canal.publier_liberation(e2, 4, Uuid::new_v4()).await).await;
    for e in [e1, e2] {
        canal
            .attendre_conclus(STOCK_LIBERATION, &e.to_string(), 1)
            .await;
    }

    // Assert: consumed (in the inbox, said so in the log), nothing given back.
    for e in [e1, e2] {
        assert!(dans_l_inbox(&app.db, e).await);
        let motif = format!("id_evenement={e}");
        assert_eq!(
            testaide::journal::lignes(&["rien à libérer", &motif]).len(),
            1,
            "{e}"
        );
    }
    assert_eq!(app.lire(lampe).await.1, etag, "aucune nouvelle version");
    let db = arreter_et_verifier_la_file_videe(app, &canal).await;
    assert_eq!(stock(&db, lampe).await, 2);
    assert!(journal(&db, lampe).await.is_empty());
    let reservations: i64 = sqlx::query_scalar("SELECT count(*) FROM reservations")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(reservations, 0);
}

#[tokio::test]
async fn la_meme_commande_sous_un_autre_evenement_n_est_pas_reservee_deux_fois() {
    let app = spawn_app().await;
    let lampe = produit(&app, "Lampe", 10).await;
    let canal = app.canal().await;
    let reference = Uuid::new_v4();
    reserver(&app, &canal, 5, reference, &[(lampe, 3)]).await;
    reserver(&app, &canal, 5, reference, &[(lampe, 3)]).await;
    assert_eq!(stock(&app.db, lampe).await, 7);
    let reponses: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE routing_key LIKE 'stock.%'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert_eq!(reponses, 1, "une seule réponse pour la commande");
    app.arreter().await;
}

#[tokio::test]
async fn un_message_illisible_va_en_dlq_et_la_file_continue() {
    let app = spawn_app().await;
    let lampe = produit(&app, "Lampe", 10).await;
    let canal = app.canal().await;
    let reference = Uuid::new_v4();
    reserver(&app, &canal, 8, reference, &[(lampe, 2)]).await;

    Canal::confirmer(
        canal
            .publier(
                cles::STOCK_LIBERE,
                br#"{"id_commande": "huit"}"#,
                "poison-liberation",
            )
            .await,
    )
    .await;
    let e = Uuid::new_v4();
    Canal::confirmer(canal.publier_liberation(e, 8, reference).await).await;

    let mort =
        testaide::files::prendre(&canal.canal, &canal.topologie.dlq(STOCK_LIBERATION), DELAI).await;
    assert_eq!(
        mort.delivery
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str()),
        Some("poison-liberation")
    );
    canal
        .attendre_conclus(STOCK_LIBERATION, &e.to_string(), 1)
        .await;
    assert_eq!(stock(&app.db, lampe).await, 10);
    let db = arreter_et_verifier_la_file_videe(app, &canal).await;
    assert_eq!(
        testaide::files::etat(&canal.canal, &canal.topologie.dlq(STOCK_LIBERATION))
            .await
            .0,
        0,
        "une seule lettre morte"
    );
    db.close().await;
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

#[tokio::test]
async fn des_liberations_contre_de_nouvelles_reservations_ne_perdent_aucune_unite() {
    // Arrange: two instances (each consumes both queues); 30 orders of 2 units hold 60 of 100.
    const INITIAL: i32 = 100;
    let a = spawn_app().await;
    let b = autre_instance(&a).await;
    let id = produit(&a, "Article disputé", INITIAL.into()).await;
    let canal = a.canal().await;
    canal.attendre_consommateurs_de(STOCK_UPDATE, 2).await;
    canal.attendre_consommateurs_de(STOCK_LIBERATION, 2).await;
    let anciennes: Vec<Uuid> = (0..30).map(|_| Uuid::new_v4()).collect();
    for (n, r) in anciennes.iter().enumerate() {
        Canal::confirmer(
            canal
                .publier_commande_de(Uuid::new_v4(), n as i64, *r, &[(id, 2)])
                .await,
        )
        .await;
    }
    a.attendre_evenements_traites(30).await;
    assert_eq!(stock(&a.db, id).await, INITIAL - 60);

    // Act: the product's row held, so that both instances' batches of both kinds pile up
    // behind it and meet when it is let go: 20 of the orders released (each event twice,
    // 5 of them also under a second event) and 40 new orders of 2 units.
    let mut tient = a.db.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM produits WHERE id = $1 FOR UPDATE")
        .bind(id)
        .execute(&mut *tient)
        .await
        .unwrap();
    let mut confirmations = Vec::new();
    for (n, r) in anciennes.iter().take(20).enumerate() {
        let e = Uuid::new_v4();
        confirmations.push(canal.publier_liberation(e, n as i64, *r).await);
        let reference_nouvelle = Uuid::new_v4();
        confirmations.push(
            canal
                .publier_commande_de(
                    Uuid::new_v4(),
                    100 + n as i64,
                    reference_nouvelle,
                    &[(id, 2)],
                )
                .await,
        );
        confirmations.push(canal.publier_liberation(e, n as i64, *r).await);
        if n < 5 {
            confirmations.push(canal.publier_liberation(Uuid::new_v4(), n as i64, *r).await);
        }
    }
    for n in 20..40 {
        confirmations.push(
            canal
                .publier_commande_de(Uuid::new_v4(), 100 + n, Uuid::new_v4(), &[(id, 2)])
                .await,
        );
    }
    for c in confirmations {
        Canal::confirmer(c).await;
    }
    let debut = std::time::Instant::now();
    while en_attente_de_verrou(&a.db).await < 2 {
        assert!(
            debut.elapsed() < DELAI,
            "aucun lot bloqué derrière le produit"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tient.commit().await.unwrap();
    // 30 first orders, 25 distinct releases, 40 new orders.
    a.attendre_evenements_traites(30 + 25 + 40).await;

    // Assert, once both have stopped (every copy acked): the stock is what the orders that
    // still hold reservations do not hold, and every unit given back is journalled once.
    let url = a.database_url.clone();
    b.arreter().await;
    a.arreter().await;
    for f in [STOCK_UPDATE, STOCK_LIBERATION] {
        assert_eq!(canal.etat(f).await, (0, 0), "{} non vidée", f.nom);
    }
    let db = sqlx::PgPool::connect(&url).await.unwrap();
    let tenu: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(quantite), 0) FROM reservations WHERE libere_le IS NULL",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let reservees: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE routing_key = 'stock.reserve'")
            .fetch_one(&db)
            .await
            .unwrap();
    let rendu: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(delta), 0) FROM mouvements_stock WHERE produit_id = $1",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .unwrap();
    let final_ = stock(&db, id).await;
    assert_eq!(rendu, 40, "20 commandes de 2 unités rendues une fois");
    assert_eq!(i64::from(final_), i64::from(INITIAL) - tenu);
    assert_eq!(
        i64::from(final_),
        i64::from(INITIAL) - 2 * reservees + rendu
    );
}
