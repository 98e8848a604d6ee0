//! Every path of the order lifecycle across the five processes (produits, commandes,
//! paiements, the mail worker, SMTP), each compensation included, with stock and emails
//! counted exactly.
//!
//! ```text
//! en_attente ─stock refused─▶ annulee (stock)                      (saga.rs)
//! a_payer ─deadline─▶ annulee (expiree) + stock back
//! a_payer ─customer─▶ annulee (client) + stock back
//! a_payer ─declined card─▶ a_payer ─good card─▶ confirmee
//! confirmee ─customer / shop─▶ annulee + refund + stock back
//! confirmee ─shop ships─▶ expediee
//! en_attente ─shop cancels─▶ annulee; the late reservation is given back
//! a_payer: payment captured while the deadline passes → expiry wins, refunded automatically
//! ```

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::boutique::{Boutique, CARTE_ACCEPTEE, CARTE_REFUSEE, DELAI};

/// Sujets des courriels reçus, dans l'ordre.
async fn sujets(b: &Boutique, email: &str, n: usize) -> Vec<String> {
    b.emails_exactement(email, n)
        .await
        .iter()
        .map(|e| e["subject"].as_str().unwrap().to_owned())
        .collect()
}

/// The order's history, as its steps' names.
fn etapes(c: &Value) -> Vec<String> {
    c["historique"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["etape"].as_str().unwrap().to_owned())
        .collect()
}

/// An order of 2 units of a product with 5 in stock, its stock reserved.
async fn commande_a_payer(b: &Boutique, qui: &str) -> (i64, String, String) {
    let p = b.creer_produit("Lampe Lugano", "49.90", 5).await;
    let email = b.adresse(qui);
    let c = b.commander(&email, &[(p, 2)]).await;
    let reference = c["reference"].as_str().unwrap().to_owned();
    assert_eq!(b.statut_final(&reference).await, "a_payer");
    assert_eq!(b.stock(p).await, 3);
    (p, email, reference)
}

#[tokio::test]
async fn payer_avec_la_bonne_carte_confirme_la_commande_et_garde_le_stock_reserve() {
    let b = Boutique::demarrer().await;
    let (p, email, reference) = commande_a_payer(&b, "payeur").await;

    let (statut, paiement) = b.payer(&reference, CARTE_ACCEPTEE).await;
    assert_eq!(statut, 201, "{paiement}");
    assert_eq!(paiement["montant"].to_string(), "99.80");

    let c = b.attendre_statut(&reference, "confirmee").await;
    assert_eq!(c["paiement"]["quatre_derniers"], "4242");
    assert_eq!(etapes(&c), ["recue", "a_payer", "confirmee"]);
    assert_eq!(b.stock(p).await, 3);
    let sujets = sujets(&b, &email, 2).await;
    assert!(sujets.iter().any(|s| s.contains("confirmée")), "{sujets:?}");
}

#[tokio::test]
async fn une_carte_refusee_laisse_la_commande_a_payer_et_la_bonne_carte_la_confirme() {
    let b = Boutique::demarrer().await;
    let (p, email, reference) = commande_a_payer(&b, "refuse-puis-paye").await;

    let (statut, refus) = b.payer(&reference, CARTE_REFUSEE).await;
    assert_eq!(statut, 402, "{refus}");
    assert_eq!(refus["code"], "carte_refusee");
    let c = b
        .attendre_commande(&reference, "notée refusée", |c| {
            etapes(c).contains(&"paiement_refuse".to_owned())
        })
        .await;
    assert_eq!(c["statut"], "a_payer");

    assert_eq!(b.payer(&reference, CARTE_ACCEPTEE).await.0, 201);
    let c = b.attendre_statut(&reference, "confirmee").await;
    assert_eq!(
        etapes(&c),
        ["recue", "a_payer", "paiement_refuse", "confirmee"]
    );
    assert_eq!(b.stock(p).await, 3);
    // À payer, paiement refusé, confirmée.
    sujets(&b, &email, 3).await;
}

#[tokio::test]
async fn une_commande_impayee_expire_a_son_echeance_et_rend_son_stock() {
    let b = Boutique::demarrer_avec_delai_de_paiement(Duration::from_secs(2)).await;
    let (p, email, reference) = commande_a_payer(&b, "oublieux").await;
    let c = b.commande(&reference).await;
    assert!(c["echeance_paiement"].is_string(), "{c}");

    let c = b.attendre_statut(&reference, "annulee").await;
    assert_eq!(c["raison_annulation"], "expiree");
    b.attendre_stock(p, 5).await;
    // Too late to pay.
    let (statut, corps) = b.payer(&reference, CARTE_ACCEPTEE).await;
    assert_eq!(statut, 409, "{corps}");
    assert_eq!(corps["code"], "commande_annulee");
    sujets(&b, &email, 2).await;
    assert_eq!(b.stock(p).await, 5, "rendu une seule fois");
}

#[tokio::test]
async fn le_client_annule_avant_de_payer_et_le_stock_revient() {
    let b = Boutique::demarrer().await;
    let (p, email, reference) = commande_a_payer(&b, "hesitant").await;

    let (statut, c) = b.annuler(&reference, false).await;
    assert_eq!(statut, 200, "{c}");
    assert_eq!(c["statut"], "annulee");
    assert_eq!(c["raison_annulation"], "client");
    b.attendre_stock(p, 5).await;
    // A second cancellation is refused and changes nothing.
    assert_eq!(b.annuler(&reference, false).await.0, 409);
    sujets(&b, &email, 2).await;
    assert_eq!(b.stock(p).await, 5);
}

/// A paid order cancelled by its customer or by the shop: refunded once, stock back once,
/// four emails (à payer, confirmée, annulée, remboursée).
async fn annuler_une_commande_payee(admin: bool, raison: &str) {
    let b = Boutique::demarrer().await;
    let (p, email, reference) = commande_a_payer(&b, raison).await;
    let (_, paiement) = b.payer(&reference, CARTE_ACCEPTEE).await;
    b.attendre_statut(&reference, "confirmee").await;

    let (statut, c) = b.annuler(&reference, admin).await;
    assert_eq!(statut, 200, "{c}");
    assert_eq!(c["raison_annulation"], raison);
    let c = b
        .attendre_commande(&reference, "remboursée", |c| {
            c["paiement"]["rembourse_le"].is_string()
        })
        .await;
    assert_eq!(
        etapes(&c),
        ["recue", "a_payer", "confirmee", "annulee", "remboursee"]
    );
    assert_eq!(
        b.paiement(paiement["id_paiement"].as_str().unwrap()).await["statut"],
        "rembourse"
    );
    b.attendre_stock(p, 5).await;
    sujets(&b, &email, 4).await;
    assert_eq!(b.stock(p).await, 5);
}

#[tokio::test]
async fn le_client_annule_une_commande_payee_et_il_est_rembourse() {
    annuler_une_commande_payee(false, "client").await;
}

#[tokio::test]
async fn la_boutique_annule_une_commande_payee_et_le_client_est_rembourse() {
    annuler_une_commande_payee(true, "boutique").await;
}

#[tokio::test]
async fn une_commande_payee_est_expediee_puis_ne_peut_plus_etre_annulee() {
    let b = Boutique::demarrer().await;
    let (p, email, reference) = commande_a_payer(&b, "expedie").await;
    b.payer(&reference, CARTE_ACCEPTEE).await;
    b.attendre_statut(&reference, "confirmee").await;

    let (statut, c) = b.expedier(&reference).await;
    assert_eq!(statut, 200, "{c}");
    assert_eq!(c["statut"], "expediee");
    assert_eq!(c["expedition"]["numero_suivi"], "99.00.123456.12345678");
    assert_eq!(b.annuler(&reference, false).await.0, 409);
    assert_eq!(b.annuler(&reference, true).await.0, 409);

    let emails = b.emails_exactement(&email, 3).await;
    assert!(
        emails.iter().any(|e| e["text"]
            .as_str()
            .unwrap()
            .contains("99.00.123456.12345678")),
        "le numéro de suivi est dans un courriel"
    );
    assert_eq!(b.stock(p).await, 3);
}

#[tokio::test]
async fn la_boutique_annule_une_commande_en_attente_et_la_reservation_tardive_est_rendue() {
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Plaid Engadine", "99.00", 4).await;
    let email = b.adresse("annulee-en-attente");
    // produits is cut from the broker: the order stays en_attente.
    b.broker_produits.couper();
    let c = b.commander(&email, &[(p, 3)]).await;
    let reference = c["reference"].as_str().unwrap().to_owned();

    let (statut, c) = b.annuler(&reference, true).await;
    assert_eq!(statut, 200, "{c}");
    assert_eq!(c["raison_annulation"], "boutique");

    // produits comes back and reserves the order; commandes gives the reservation back.
    b.broker_produits.retablir();
    let db = b.db_produits().await;
    let debut = Instant::now();
    loop {
        let rendues: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM reservations WHERE reference = $1::uuid AND libere_le IS NOT NULL",
        )
        .bind(&reference)
        .fetch_one(&db)
        .await
        .unwrap();
        if rendues > 0 {
            break;
        }
        assert!(
            debut.elapsed() < DELAI,
            "la réservation tardive n'est pas rendue"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(b.stock(p).await, 4);
    assert_eq!(b.commande(&reference).await["statut"], "annulee");
    sujets(&b, &email, 1).await;
}

/// The race of the issue: the payment is captured while the deadline passes, and commandes
/// sees the deadline first. Forced by cutting commandes from the broker: paiements captures
/// (its paiement.accepte waits), commandes' expiry scan (database only) cancels meanwhile.
/// Once commandes is back, the late acceptance changes nothing and paiements, told of the
/// cancellation, refunds on its own.
#[tokio::test]
async fn quand_l_echeance_gagne_sur_un_paiement_capture_le_client_est_rembourse_automatiquement() {
    let b = Boutique::demarrer_avec_delai_de_paiement(Duration::from_secs(3)).await;
    let (p, email, reference) = commande_a_payer(&b, "course").await;
    // paiements must know the order is due before commandes goes deaf.
    b.attendre_paiement_ouvert(&reference).await;
    b.broker_commandes.couper();
    let (statut, paiement) = b.payer(&reference, CARTE_ACCEPTEE).await;
    assert_eq!(statut, 201, "{paiement}");
    let c = b.attendre_statut(&reference, "annulee").await;
    assert_eq!(c["raison_annulation"], "expiree");
    b.broker_commandes.retablir();

    let c = b
        .attendre_commande(&reference, "remboursée", |c| {
            etapes(c).contains(&"remboursee".to_owned())
        })
        .await;
    assert_eq!(
        c["statut"], "annulee",
        "l'acceptation tardive ne change rien"
    );
    assert_eq!(
        b.paiement(paiement["id_paiement"].as_str().unwrap()).await["statut"],
        "rembourse"
    );
    b.attendre_stock(p, 5).await;
    // À payer, expirée, remboursée.
    sujets(&b, &email, 3).await;
    let confirmations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM outbox WHERE routing_key = 'commande.confirmee'")
            .fetch_one(&b.db_commandes().await)
            .await
            .unwrap();
    assert_eq!(confirmations, 0);
}

/// RabbitMQ unreachable from paiements while customers pay, then from commandes while orders
/// expire: once the links are back, every payment confirms its order, every expired order
/// gives its stock back, nothing twice, one email per step.
#[tokio::test]
async fn une_coupure_du_broker_pendant_les_paiements_puis_les_expirations_ne_perd_ni_ne_double_rien(
) {
    let b = Boutique::demarrer_avec_delai_de_paiement(Duration::from_secs(8)).await;
    let p = b.creer_produit("Gourde Rhône", "32.00", 10).await;
    let mut commandes = Vec::new();
    for i in 0..10 {
        let email = b.adresse(&format!("coupure{i}"));
        let c = b.commander(&email, &[(p, 1)]).await;
        let reference = c["reference"].as_str().unwrap().to_owned();
        assert_eq!(b.statut_final(&reference).await, "a_payer");
        b.attendre_paiement_ouvert(&reference).await;
        commandes.push((email, reference));
    }
    let (payees, expirees) = commandes.split_at(5);

    // Payments while paiements cannot publish: accepted, their events wait in its outbox.
    b.broker_paiements.couper();
    for (_, reference) in payees {
        assert_eq!(b.payer(reference, CARTE_ACCEPTEE).await.0, 201);
    }
    b.broker_paiements.retablir();
    for (_, reference) in payees {
        b.attendre_statut(reference, "confirmee").await;
    }

    // Expiries while commandes cannot publish nor consume.
    b.broker_commandes.couper();
    for (_, reference) in expirees {
        let c = b.attendre_statut(reference, "annulee").await;
        assert_eq!(c["raison_annulation"], "expiree");
    }
    b.broker_commandes.retablir();
    b.attendre_stock(p, 5).await;

    let attendus: Vec<(String, usize)> = commandes.iter().map(|(e, _)| (e.clone(), 2)).collect();
    b.emails_par_adresse(&attendus).await;
    assert_eq!(b.stock(p).await, 5);
    for (_, reference) in payees {
        assert_eq!(b.commande(reference).await["statut"], "confirmee");
    }
}
