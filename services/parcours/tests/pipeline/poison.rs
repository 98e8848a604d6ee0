//! A poison message never blocks a queue: it goes to the dead-letter queue at once and the
//! next good message is processed.

use contrats::noms::{
    File, COMMANDES_STATUT, MAIL_NOTIFIER, PAIEMENTS_COMMANDES, STOCK_LIBERATION, STOCK_UPDATE,
};

use crate::boutique::Boutique;

async fn un_message_illisible_va_en_dlq_et_la_file_continue(file: File, routing_key: &str) {
    let b = Boutique::demarrer().await;
    let canal = b.canal().await;
    let p = b.creer_produit("Tasse", "18.50", 10).await;

    b.deposer(&canal, &b.topologie().file(file), b"ceci n'est pas du JSON")
        .await;
    let mort = b.prendre(&canal, &b.topologie().dlq(file)).await;
    assert_eq!(mort, b"ceci n'est pas du JSON");

    // JSON of the wrong shape, published the normal way, is poison too.
    b.publier(&canal, routing_key, br#"{"inattendu": true}"#)
        .await;
    let mort = b.prendre(&canal, &b.topologie().dlq(file)).await;
    assert_eq!(mort, br#"{"inattendu": true}"#);

    let email = b.adresse("apres-poison");
    let c = b.commander(&email, &[(p, 1)]).await;
    assert_eq!(
        b.statut_final(c["reference"].as_str().unwrap()).await,
        "a_payer"
    );
    b.emails_exactement(&email, 1).await;
}

#[tokio::test]
async fn un_message_illisible_dans_stock_update_va_en_dlq() {
    un_message_illisible_va_en_dlq_et_la_file_continue(STOCK_UPDATE, "commande.nouvelle").await;
}

#[tokio::test]
async fn un_message_illisible_dans_commandes_statut_va_en_dlq() {
    un_message_illisible_va_en_dlq_et_la_file_continue(COMMANDES_STATUT, "stock.reserve").await;
}

#[tokio::test]
async fn un_message_illisible_dans_mail_notifier_va_en_dlq() {
    un_message_illisible_va_en_dlq_et_la_file_continue(MAIL_NOTIFIER, "commande.a_payer").await;
}

#[tokio::test]
async fn un_message_illisible_dans_stock_liberation_va_en_dlq() {
    un_message_illisible_va_en_dlq_et_la_file_continue(STOCK_LIBERATION, "stock.libere").await;
}

#[tokio::test]
async fn un_message_illisible_dans_paiements_commandes_va_en_dlq() {
    un_message_illisible_va_en_dlq_et_la_file_continue(PAIEMENTS_COMMANDES, "commande.annulee")
        .await;
}

#[tokio::test]
async fn un_resultat_de_paiement_illisible_dans_commandes_statut_va_en_dlq() {
    un_message_illisible_va_en_dlq_et_la_file_continue(COMMANDES_STATUT, "paiement.accepte").await;
}
