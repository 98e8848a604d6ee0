//! `Idempotency-Key`: a retried payment is answered again, never captured twice.

use contrats::noms::cles;
use serde_json::Value;

use crate::aides::{cle, erreur, spawn_app, ACCEPTEE, MASTERCARD, REFUSEE};

#[tokio::test]
async fn le_meme_paiement_rejoue_avec_la_meme_cle_rend_la_premiere_reponse() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("25.00").await;
    let k = cle();

    let premiere = app.payer(&k, reference, ACCEPTEE).await;
    assert_eq!(premiere.status(), 201);
    assert!(!premiere.headers().contains_key("idempotent-replayed"));
    let premiere: Value = premiere.json().await.unwrap();
    let seconde = app.payer(&k, reference, ACCEPTEE).await;
    assert_eq!(seconde.status(), 201, "rejouée, pas « déjà payée »");
    assert_eq!(seconde.headers()["idempotent-replayed"], "true");
    let seconde: Value = seconde.json().await.unwrap();

    assert_eq!(premiere, seconde);
    assert_eq!(app.statuts(reference).await, ["accepte"]);
    assert_eq!(app.evenements(cles::PAIEMENT_ACCEPTE).await.len(), 1);
}

#[tokio::test]
async fn un_refus_rejoue_avec_la_meme_cle_est_le_meme_refus() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("25.00").await;
    let k = cle();
    let premiere = app.payer(&k, reference, REFUSEE).await;
    assert_eq!(premiere.status(), 402);
    let location = premiere.headers()["location"].clone();
    let seconde = app.payer(&k, reference, REFUSEE).await;
    assert_eq!(seconde.status(), 402);
    assert_eq!(seconde.headers()["idempotent-replayed"], "true");
    assert_eq!(seconde.headers()["location"], location);
    assert_eq!(erreur(seconde).await["code"], "carte_refusee");
    assert_eq!(app.statuts(reference).await, ["refuse"]);
    assert_eq!(app.evenements(cles::PAIEMENT_REFUSE).await.len(), 1);
}

#[tokio::test]
async fn une_cle_reutilisee_pour_une_autre_demande_est_refusee() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("25.00").await;
    let (autre, _) = app.ouvrir_commande("30.00").await;
    let k = cle();
    assert_eq!(app.payer(&k, reference, REFUSEE).await.status(), 402);

    // Another card or another order: each is another request.
    for r in [
        app.payer(&k, reference, MASTERCARD).await,
        app.payer(&k, autre, REFUSEE).await,
    ] {
        assert_eq!(r.status(), 422);
        assert_eq!(erreur(r).await["code"], "idempotence_conflit");
    }
    assert_eq!(app.statuts(reference).await, ["refuse"]);
    assert!(app.statuts(autre).await.is_empty());
}

#[tokio::test]
async fn des_paiements_simultanes_avec_la_meme_cle_ne_debitent_qu_une_fois() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("25.00").await;
    let k = cle();
    let reponses =
        futures::future::join_all((0..8).map(|_| app.payer(&k, reference, ACCEPTEE))).await;
    let mut ids = std::collections::HashSet::new();
    for r in reponses {
        assert_eq!(r.status(), 201);
        ids.insert(r.json::<Value>().await.unwrap()["id_paiement"].clone());
    }
    assert_eq!(ids.len(), 1);
    assert_eq!(app.statuts(reference).await, ["accepte"]);
}
