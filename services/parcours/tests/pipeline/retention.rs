//! Retention as the services run it: at start-up (then every hour) each deletes what aged out
//! of its outbox, its inbox and, for the mail worker, its sent-email claims, and keeps what
//! dedup still needs.

use std::time::{Duration, Instant};

use sqlx::PgPool;

use crate::boutique::{Boutique, DELAI};

async fn compter(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

async fn attendre_zero(db: &PgPool, sql: &str) {
    let debut = Instant::now();
    while compter(db, sql).await != 0 {
        assert!(debut.elapsed() < DELAI, "jamais purgé : {sql}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn chaque_service_purge_au_demarrage_ce_qui_a_vieilli_et_garde_le_reste() {
    // Arrange: one order through the whole pipeline (recent rows everywhere), and rows a
    // month old in every table retention looks after.
    let mut b = Boutique::demarrer().await;
    let p = b.creer_produit("Lanterne", "25.00", 5).await;
    let email = b.adresse("retention");
    let c = b.commander(&email, &[(p, 1)]).await;
    let reference = c["reference"].as_str().unwrap().to_owned();
    assert_eq!(b.statut_final(&reference).await, "a_payer");
    b.emails_exactement(&email, 1).await;
    let (produits, commandes, mail) = (
        b.db_produits().await,
        b.db_commandes().await,
        b.db_mail().await,
    );
    for db in [&produits, &commandes] {
        sqlx::query(
            "INSERT INTO outbox (id_evenement, routing_key, charge, cree_le, publie_le)
             VALUES (gen_random_uuid(), 'essai.vieux', '{}', now() - interval '30 days',
                     now() - interval '30 days')",
        )
        .execute(db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO evenements_traites (id_evenement, traite_le)
             VALUES (gen_random_uuid(), now() - interval '30 days')",
        )
        .execute(db)
        .await
        .unwrap();
    }
    // Never published (no queue receives its key): never deleted, however old.
    sqlx::query(
        "INSERT INTO outbox (id_evenement, routing_key, charge, cree_le)
         VALUES (gen_random_uuid(), 'essai.jamais_lie', '{}', now() - interval '30 days')",
    )
    .execute(&produits)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO emails_envoyes (reference, statut, id_commande, destinataire, envoye_le)
         VALUES (gen_random_uuid(), 'confirmee', 1, 'ancien@example.com',
                 now() - interval '30 days')",
    )
    .execute(&mail)
    .await
    .unwrap();

    // Act
    b.arreter_tout().await;
    b.redemarrer_tout().await;

    // Assert: the old rows go (each service's start-up pass) …
    for db in [&produits, &commandes] {
        attendre_zero(
            db,
            "SELECT count(*) FROM outbox WHERE routing_key = 'essai.vieux'",
        )
        .await;
        attendre_zero(
            db,
            "SELECT count(*) FROM evenements_traites WHERE traite_le < now() - interval '7 days'",
        )
        .await;
    }
    attendre_zero(
        &mail,
        "SELECT count(*) FROM emails_envoyes WHERE destinataire = 'ancien@example.com'",
    )
    .await;
    // … what is recent or unpublished stays.
    assert_eq!(
        compter(
            &produits,
            "SELECT count(*) FROM outbox WHERE routing_key = 'essai.jamais_lie'"
        )
        .await,
        1
    );
    assert_eq!(
        compter(&produits, "SELECT count(*) FROM evenements_traites").await,
        1,
        "l'événement de la commande reste connu"
    );
    assert_eq!(
        compter(
            &commandes,
            "SELECT count(*) FROM outbox WHERE routing_key LIKE 'commande.%'"
        )
        .await,
        2,
        "commande.nouvelle et commande.a_payer restent"
    );
    let envoye: i64 =
        sqlx::query_scalar("SELECT count(*) FROM emails_envoyes WHERE reference = $1::uuid")
            .bind(&reference)
            .fetch_one(&mail)
            .await
            .unwrap();
    assert_eq!(envoye, 1, "le courriel de la commande reste réclamé");
    b.arreter_tout().await;
}
