//! Outages: broker unreachable, consumers crashing mid-stream, SMTP down.

use std::time::Duration;

use contrats::noms::MAIL_NOTIFIER;

use crate::boutique::Boutique;

#[tokio::test]
async fn des_commandes_acceptees_pendant_une_panne_du_broker_sont_publiees_a_son_retour() {
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Lampe", "10.00", 20).await;
    b.broker_commandes.couper();

    let adresses: Vec<String> = (0..5).map(|i| b.adresse(&format!("panne{i}"))).collect();
    let mut references = Vec::new();
    for a in &adresses {
        let c = b.commander(a, &[(p, 1)]).await;
        references.push(c["reference"].as_str().unwrap().to_owned());
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let en_attente: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox WHERE publie_le IS NULL")
        .fetch_one(&b.db_commandes().await)
        .await
        .unwrap();
    assert_eq!(en_attente, 5, "les événements attendent dans l'outbox");
    assert_eq!(b.commande(&references[0]).await["statut"], "en_attente");

    b.broker_commandes.retablir();

    for r in &references {
        assert_eq!(b.statut_final(r).await, "confirmee");
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

    let mut confirmees = 0;
    for c in &commandes {
        if b.statut_final(c["reference"].as_str().unwrap()).await == "confirmee" {
            confirmees += 1;
        }
    }
    assert_eq!(confirmees, 80);
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
        "confirmee"
    );
    // A few failed tries (200 ms, 400 ms…) go through the retry queue meanwhile.
    tokio::time::sleep(Duration::from_millis(800)).await;
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
    b.smtp.retablir();
    assert!(testaide::boite_mail::emails_pour(&email).await.is_empty());
}
