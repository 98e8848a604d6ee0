//! Many customers, little stock, every ending of the lifecycle at once: no oversell, every
//! order settled, stock exactly what was paid for, one email per step.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::Value;

use crate::boutique::{Boutique, CARTE_ACCEPTEE};

/// 200 orders of one unit on 50 units: 50 reserved, 150 refused. Of the 50, half pay, a
/// quarter cancel and a quarter let the deadline pass: the stock ends at 50 − paid, exactly.
#[tokio::test]
async fn deux_cents_commandes_sur_cinquante_unites_finissent_avec_le_stock_des_seules_commandes_payees(
) {
    let b = Boutique::demarrer_avec_delai_de_paiement(Duration::from_secs(20)).await;
    let p = b.creer_produit("Couteau Randonneur", "39.90", 50).await;
    let adresses: Vec<String> = (0..200).map(|i| b.adresse(&format!("client{i}"))).collect();

    let commandes = futures::future::join_all(adresses.iter().map(|a| {
        let b = &b;
        async move { b.commander(a, &[(p, 1)]).await }
    }))
    .await;
    let statuts = futures::future::join_all(
        commandes
            .iter()
            .map(|c| b.statut_final(c["reference"].as_str().unwrap())),
    )
    .await;
    let mut compte: HashMap<&str, usize> = HashMap::new();
    for s in &statuts {
        *compte.entry(s.as_str()).or_default() += 1;
    }
    assert_eq!(compte.get("a_payer"), Some(&50), "{compte:?}");
    assert_eq!(compte.get("annulee"), Some(&150), "{compte:?}");
    assert_eq!(b.stock(p).await, 0);

    let reservees: Vec<&Value> = commandes
        .iter()
        .zip(&statuts)
        .filter(|(_, s)| *s == "a_payer")
        .map(|(c, _)| c)
        .collect();
    let (payees, reste) = reservees.split_at(25);
    let (annulees, expirees) = reste.split_at(12);
    let reference = |c: &Value| c["reference"].as_str().unwrap().to_owned();
    let b = &b;

    let paiements = futures::future::join_all(
        payees
            .iter()
            .map(|c| async move { b.payer(&reference(c), CARTE_ACCEPTEE).await.0 }),
    );
    let annulations = futures::future::join_all(
        annulees
            .iter()
            .map(|c| async move { b.annuler(&reference(c), false).await.0 }),
    );
    let (paiements, annulations) = tokio::join!(paiements, annulations);
    assert!(paiements.iter().all(|s| *s == 201), "{paiements:?}");
    assert!(annulations.iter().all(|s| *s == 200), "{annulations:?}");

    for c in payees {
        b.attendre_statut(&reference(c), "confirmee").await;
    }
    for (groupe, raison) in [(annulees, "client"), (expirees, "expiree")] {
        for c in groupe {
            let fin = b.attendre_statut(&reference(c), "annulee").await;
            assert_eq!(fin["raison_annulation"], raison);
        }
    }
    b.attendre_stock(p, 25).await;

    // One email per step: refused 1 (annulée), paid 2 (à payer, confirmée), cancelled and
    // expired 2 each (à payer, annulée).
    let mut attendus: Vec<(String, usize)> = Vec::new();
    for (c, s) in commandes.iter().zip(&statuts) {
        let email = c["email"].as_str().unwrap().to_owned();
        attendus.push((email, if s == "annulee" { 1 } else { 2 }));
    }
    b.emails_par_adresse(&attendus).await;
    assert_eq!(b.stock(p).await, 25, "rien n'est revenu deux fois");
}
