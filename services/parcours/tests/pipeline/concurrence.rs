//! Many customers, little stock: no oversell, every order settled, one email each.

use std::collections::HashMap;

use crate::boutique::Boutique;

#[tokio::test]
async fn deux_cents_commandes_simultanees_sur_un_stock_de_50_en_confirment_exactement_50() {
    let b = Boutique::demarrer().await;
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

    let mut compte: HashMap<String, usize> = HashMap::new();
    for s in statuts {
        *compte.entry(s).or_default() += 1;
    }
    assert_eq!(compte.get("confirmee"), Some(&50), "{compte:?}");
    assert_eq!(compte.get("annulee"), Some(&150), "{compte:?}");
    assert_eq!(b.stock(p).await, 0);
    b.un_email_chacun(&adresses).await;
}
