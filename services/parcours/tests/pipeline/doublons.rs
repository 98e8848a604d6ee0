//! Redelivered and republished events change nothing twice. Each test waits until its
//! duplicates were handled and acked (their batch logged as concluded) before it looks.

use contrats::noms::{cles, COMMANDES_STATUT, MAIL_NOTIFIER, STOCK_UPDATE};

use crate::boutique::Boutique;

#[tokio::test]
async fn la_meme_commande_nouvelle_publiee_deux_fois_ne_decremente_qu_une_fois() {
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Sac Aletsch", "129.00", 10).await;
    let email = b.adresse("double");
    let c = b.commander(&email, &[(p, 3)]).await;
    assert_eq!(
        b.statut_final(c["reference"].as_str().unwrap()).await,
        "a_payer"
    );
    let nouvelle = b.charge_outbox_commandes(cles::COMMANDE_NOUVELLE).await;

    // The very same event (same id_evenement) arrives twice more.
    let canal = b.canal().await;
    let premier = b
        .publier(&canal, cles::COMMANDE_NOUVELLE, nouvelle.as_bytes())
        .await;
    let second = b
        .publier(&canal, cles::COMMANDE_NOUVELLE, nouvelle.as_bytes())
        .await;
    let file = b.topologie().file(STOCK_UPDATE);
    b.attendre_conclusion(&file, &premier).await;
    b.attendre_conclusion(&file, &second).await;

    assert_eq!(b.stock(p).await, 7);
    let traites: i64 = sqlx::query_scalar("SELECT count(*) FROM evenements_traites")
        .fetch_one(&b.db_produits().await)
        .await
        .unwrap();
    assert_eq!(traites, 1);
    b.emails_exactement(&email, 1).await;
}

#[tokio::test]
async fn la_meme_etape_publiee_deux_fois_n_envoie_qu_un_courriel() {
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Souris", "59.90", 10).await;
    let email = b.adresse("redite");
    let c = b.commander(&email, &[(p, 1)]).await;
    assert_eq!(
        b.statut_final(c["reference"].as_str().unwrap()).await,
        "a_payer"
    );
    b.emails_exactement(&email, 1).await;
    let a_payer = b.charge_outbox_commandes(cles::COMMANDE_A_PAYER).await;

    let canal = b.canal().await;
    let premier = b
        .publier(&canal, cles::COMMANDE_A_PAYER, a_payer.as_bytes())
        .await;
    let second = b
        .publier(&canal, cles::COMMANDE_A_PAYER, a_payer.as_bytes())
        .await;
    let file = b.topologie().file(MAIL_NOTIFIER);
    b.attendre_conclusion(&file, &premier).await;
    b.attendre_conclusion(&file, &second).await;

    b.emails_exactement(&email, 1).await;
}

#[tokio::test]
async fn un_resultat_de_stock_en_retard_ne_change_pas_une_commande_terminee() {
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Clavier", "149.50", 10).await;
    let email = b.adresse("tardif");
    let c = b.commander(&email, &[(p, 1)]).await;
    let reference = c["reference"].as_str().unwrap();
    assert_eq!(b.statut_final(reference).await, "a_payer");

    // A refusal for the same order arrives late (a replayed or forged event).
    let tardif = serde_json::json!({
        "id_evenement": uuid::Uuid::new_v4(),
        "id_evenement_commande": uuid::Uuid::new_v4(),
        "id_commande": c["id_commande"],
        "reference": reference,
        "manquants": [],
        "timestamp": "2026-01-01T00:00:00Z"
    });
    let canal = b.canal().await;
    let id = b
        .publier(&canal, cles::STOCK_REFUSE, tardif.to_string().as_bytes())
        .await;
    b.attendre_conclusion(&b.topologie().file(COMMANDES_STATUT), &id)
        .await;

    // Its transaction is over: it changed nothing and wrote no cancellation to send.
    assert_eq!(b.commande(reference).await["statut"], "a_payer");
    let annulations: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM outbox
         WHERE routing_key = 'commande.annulee' AND charge::jsonb ->> 'reference' = $1",
    )
    .bind(reference)
    .fetch_one(&b.db_commandes().await)
    .await
    .unwrap();
    assert_eq!(annulations, 0);
    b.emails_exactement(&email, 1).await;
}
