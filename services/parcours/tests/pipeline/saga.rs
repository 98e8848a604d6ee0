//! The happy and the unhappy path of the saga, each ending in exactly one email.

use crate::boutique::Boutique;

#[tokio::test]
async fn une_commande_reserve_son_stock_et_envoie_un_seul_courriel_pour_la_payer() {
    let b = Boutique::demarrer().await;
    let lampe = b.creer_produit("Lampe Lugano", "49.90", 5).await;
    let tasse = b.creer_produit("Tasse Jura", "18.50", 10).await;
    let email = b.adresse("heureux");

    let c = b.commander(&email, &[(lampe, 2), (tasse, 1)]).await;
    let reference = c["reference"].as_str().unwrap();

    assert_eq!(b.statut_final(reference).await, "a_payer");
    assert_eq!(b.stock(lampe).await, 3);
    assert_eq!(b.stock(tasse).await, 9);
    let emails = b.emails_exactement(&email, 1).await;
    let e = &emails[0];
    assert!(e["subject"].as_str().unwrap().contains("à payer"));
    let texte = e["text"].as_str().unwrap();
    assert!(
        texte.contains("2 × Lampe Lugano à CHF 49.90 = CHF 99.80"),
        "{texte}"
    );
    assert!(
        texte.contains("1 × Tasse Jura à CHF 18.50 = CHF 18.50"),
        "{texte}"
    );
    assert!(texte.contains("Total : CHF 118.30"), "{texte}");
    assert!(texte.contains(&format!("/commandes/{reference}")));
    let html = e["html"].as_str().unwrap();
    assert!(html.contains("CHF 118.30") && html.contains("Lampe Lugano"));
}

#[tokio::test]
async fn une_commande_sans_assez_de_stock_est_annulee_sans_toucher_au_stock() {
    let b = Boutique::demarrer().await;
    let rare = b.creer_produit("Plaid Engadine", "99.00", 1).await;
    let courant = b.creer_produit("Carnet A5", "14.90", 50).await;
    let email = b.adresse("decu");

    let c = b.commander(&email, &[(rare, 2), (courant, 3)]).await;

    assert_eq!(
        b.statut_final(c["reference"].as_str().unwrap()).await,
        "annulee"
    );
    assert_eq!(
        b.stock(rare).await,
        1,
        "rien n'est réservé si une ligne manque"
    );
    assert_eq!(b.stock(courant).await, 50);
    let emails = b.emails_exactement(&email, 1).await;
    assert!(emails[0]["subject"].as_str().unwrap().contains("annulée"));
    let texte = emails[0]["text"].as_str().unwrap();
    assert!(texte.contains("désolés"), "{texte}");
    assert!(
        texte.contains("Plaid Engadine : 2 demandé(s), 1 disponible(s)"),
        "{texte}"
    );
}

#[tokio::test]
async fn le_message_publie_garde_les_champs_du_projet_d_origine() {
    // A consumer written for the seed reads id_commande, email, total, produits, timestamp.
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Gourde", "32.00", 5).await;
    let c = b.commander(&b.adresse("seed"), &[(p, 2)]).await;
    let db = b.db_commandes().await;
    let charge: String = sqlx::query_scalar(
        "SELECT charge FROM outbox WHERE routing_key = 'commande.nouvelle' LIMIT 1",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    let e: serde_json::Value = serde_json::from_str(&charge).unwrap();
    assert_eq!(e["id_commande"], c["id_commande"]);
    assert_eq!(e["email"], c["email"]);
    assert!(charge.contains(r#""total":64.00"#), "{charge}");
    assert_eq!(e["produits"][0]["produit_id"], p);
    assert_eq!(e["produits"][0]["quantite"], 2);
    let horodatage = e["timestamp"].as_str().unwrap();
    assert!(horodatage.ends_with('Z'), "RFC 3339 UTC : {horodatage}");
    assert!(e["id_evenement"].is_string() && e["reference"].is_string());
    assert_eq!(e["lignes"][0]["nom"], "Gourde");
}
