//! Outages: broker unreachable, consumers crashing mid-stream, SMTP down, a stop in the
//! middle of a batch. Each waits for a positive marker (a readiness probe, a log line, an
//! email, a queue left without consumer) before it looks at what did not happen.

use std::time::Duration;

use contrats::noms::{MAIL_NOTIFIER, STOCK_UPDATE};
use testaide::journal;

use crate::boutique::{Boutique, DELAI};

#[tokio::test]
async fn des_commandes_acceptees_pendant_une_panne_du_broker_sont_publiees_a_son_retour() {
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Lampe", "10.00", 20).await;
    b.broker_commandes.couper();
    // commandes itself says it lost the broker: from now on nothing can be published.
    b.attendre_broker(&b.commandes_url, "indisponible").await;

    let adresses: Vec<String> = (0..5).map(|i| b.adresse(&format!("panne{i}"))).collect();
    let mut references = Vec::new();
    for a in &adresses {
        let c = b.commander(a, &[(p, 1)]).await;
        references.push(c["reference"].as_str().unwrap().to_owned());
    }
    let en_attente: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE publie_le IS NULL")
        .fetch_one(&b.db_commandes().await)
        .await
        .unwrap();
    assert_eq!(en_attente, 5, "les événements attendent dans l'outbox");
    assert_eq!(b.commande(&references[0]).await["statut"], "en_attente");

    b.broker_commandes.retablir();

    for r in &references {
        assert_eq!(b.statut_final(r).await, "a_payer");
    }
    assert_eq!(b.stock(p).await, 15);
    b.un_email_chacun(&adresses).await;
}

#[tokio::test]
async fn des_consommateurs_tues_en_pleine_charge_puis_relances_terminent_chaque_commande_une_fois()
{
    let mut b = Boutique::demarrer().await;
    let p = b.creer_produit("Chocolat", "12.90", 80).await;
    let adresses: Vec<String> = (0..120).map(|i| b.adresse(&format!("crash{i}"))).collect();
    // Let the orders pile up in stock_update, then release them all at once.
    b.broker_produits.couper();
    let commandes = futures::future::join_all(adresses.iter().map(|a| {
        let b = &b;
        async move { b.commander(a, &[(p, 1)]).await }
    }))
    .await;
    b.broker_produits.retablir();

    // Crash everything as soon as the first order is settled: mid-stream.
    let db = b.db_commandes().await;
    let finies_avant = loop {
        let finies: i64 =
            sqlx::query_scalar("SELECT count(*) FROM commandes WHERE statut <> 'en_attente'")
                .fetch_one(&db)
                .await
                .unwrap();
        if finies > 0 {
            break finies;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    b.tuer_tout().await;
    assert!(finies_avant < 120, "le crash doit tomber en plein flux");
    b.redemarrer_tout().await;

    let mut reservees = 0;
    for c in &commandes {
        if b.statut_final(c["reference"].as_str().unwrap()).await == "a_payer" {
            reservees += 1;
        }
    }
    assert_eq!(reservees, 80);
    assert_eq!(b.stock(p).await, 0);
    b.un_email_chacun(&adresses).await;
}

#[tokio::test]
async fn un_serveur_smtp_en_panne_retarde_le_courriel_sans_le_perdre() {
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Casque", "179.00", 3).await;
    b.smtp.couper();
    let email = b.adresse("patient");
    let c = b.commander(&email, &[(p, 1)]).await;
    assert_eq!(
        b.statut_final(c["reference"].as_str().unwrap()).await,
        "a_payer"
    );
    // Two failed tries, each parked for a retry (200 ms, then 400 ms), are the marker.
    let file = b.topologie().file(MAIL_NOTIFIER);
    journal::attendre(
        &[
            "nouvel essai plus tard",
            &format!("file={file} "),
            "tentative=2",
        ],
        1,
        DELAI,
    )
    .await;
    assert!(testaide::boite_mail::emails_pour(&email).await.is_empty());

    b.smtp.retablir();

    b.emails_exactement(&email, 1).await;
}

#[tokio::test]
async fn un_courriel_qui_echoue_trop_souvent_finit_dans_la_file_des_lettres_mortes() {
    let b = Boutique::demarrer_avec(3).await;
    let p = b.creer_produit("Plaid", "99.00", 3).await;
    b.smtp.couper();
    let email = b.adresse("jamais");
    b.commander(&email, &[(p, 1)]).await;

    let canal = b.canal().await;
    let mort = b.prendre(&canal, &b.topologie().dlq(MAIL_NOTIFIER)).await;

    let evenement: serde_json::Value = serde_json::from_slice(&mort).unwrap();
    assert_eq!(evenement["email"], email);

    // Once SMTP is back, the worker sends again (a later order's email arrives) and has
    // nothing left that could still send the dead-lettered one.
    b.smtp.retablir();
    let apres = b.adresse("apres");
    b.commander(&apres, &[(p, 1)]).await;
    b.emails_exactement(&apres, 1).await;
    assert!(testaide::boite_mail::emails_pour(&email).await.is_empty());
}

#[tokio::test]
async fn un_arret_demande_pendant_une_reservation_la_termine_et_l_acquitte_avant_de_s_arreter() {
    // Arrange: the product's row is locked by the test, so produits' reservation of the next
    // order blocks inside its transaction: a message in flight.
    let mut b = Boutique::demarrer().await;
    b.redemarrer_produits_avec_delai_sql(DELAI).await;
    let p = b.creer_produit("Horloge", "80.00", 5).await;
    let db = b.db_produits().await;
    let mut verrou = db.begin().await.unwrap();
    sqlx::query("SELECT id FROM produits WHERE id = $1 FOR UPDATE")
        .bind(p)
        .execute(&mut *verrou)
        .await
        .unwrap();
    let a = b.adresse("arret");
    let c = b.commander(&a, &[(p, 2)]).await;
    let debut = std::time::Instant::now();
    loop {
        let en_attente: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(&db)
        .await
        .unwrap();
        if en_attente > 0 {
            break;
        }
        assert!(
            debut.elapsed() < DELAI,
            "la réservation n'a jamais attendu le verrou"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Act: stop produits while its batch waits; its consumer says it saw the stop and lets
    // the batch finish first. Then let the batch go on.
    let stock_update = b.topologie().file(STOCK_UPDATE);
    b.demander_arret_produits();
    journal::attendre(
        &[
            "arrêt demandé pendant un lot",
            &format!("file={stock_update} "),
        ],
        1,
        DELAI,
    )
    .await;
    let arrete_pendant_le_lot = b.produits_arrete();
    verrou.rollback().await.unwrap();
    b.arreter_produits().await;

    // Assert: the stop waited for the batch, which committed and acked its message.
    assert!(
        !arrete_pendant_le_lot,
        "produits s'est arrêté au milieu d'un lot"
    );
    let stock: i32 = sqlx::query_scalar("SELECT quantite_en_stock FROM produits WHERE id = $1")
        .bind(p)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stock, 3, "la réservation en cours a été validée");
    let id_evenement: uuid::Uuid = sqlx::query_scalar(
        "SELECT id_evenement FROM outbox WHERE routing_key = 'commande.nouvelle'",
    )
    .fetch_one(&b.db_commandes().await)
    .await
    .unwrap();
    b.attendre_conclusion(&stock_update, &id_evenement.to_string())
        .await;
    // produits' channel is closed (no consumer left), so an unacked message would be ready.
    let canal = b.canal().await;
    assert_eq!(
        b.etat_file(&canal, &stock_update).await,
        (0, 0),
        "le message traité a été acquitté, pas rendu à la file"
    );

    // And once produits is back, the order completes once.
    b.demarrer_produits().await;
    let reference = c["reference"].as_str().unwrap();
    assert_eq!(b.statut_final(reference).await, "a_payer");
    assert_eq!(b.stock(p).await, 3);
    b.emails_exactement(&a, 1).await;
}

#[tokio::test]
async fn un_evenement_laisse_dans_l_outbox_par_une_autre_replique_est_publie_sans_signal() {
    // Arrange: an outcome event committed straight into commandes' outbox, as a replica that
    // stopped before relaying it would leave it: nothing in this process signals the relay.
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Thermos", "34.90", 10).await;
    let premier = b.adresse("replique-a");
    let c = b.commander(&premier, &[(p, 1)]).await;
    assert_eq!(
        b.statut_final(c["reference"].as_str().unwrap()).await,
        "a_payer"
    );
    let charge = b
        .charge_outbox_commandes(contrats::noms::cles::COMMANDE_A_PAYER)
        .await;
    let mut evenement: serde_json::Value = serde_json::from_str(&charge).unwrap();
    let second = b.adresse("replique-b");
    let id_evenement = uuid::Uuid::new_v4();
    evenement["id_evenement"] = id_evenement.to_string().into();
    evenement["reference"] = uuid::Uuid::new_v4().to_string().into();
    evenement["email"] = second.clone().into();

    // Act
    sqlx::query("INSERT INTO outbox (id_evenement, routing_key, charge) VALUES ($1, $2, $3)")
        .bind(id_evenement)
        .bind(contrats::noms::cles::COMMANDE_A_PAYER)
        .bind(evenement.to_string())
        .execute(&b.db_commandes().await)
        .await
        .unwrap();

    // Assert: the relay's poll found it.
    b.emails_exactement(&second, 1).await;
    b.emails_exactement(&premier, 1).await;
}
