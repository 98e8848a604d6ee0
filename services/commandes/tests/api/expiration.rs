//! The payment deadline: an order not paid in time is cancelled (expiree) and its stock
//! given back, once, even with several instances scanning the same database.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use contrats::noms::cles;
use serde_json::Value;

use crate::aides::{
    config_de_test, paiement, spawn_app, spawn_app_avec, spawn_produits, stock, Passee, DELAI,
};

#[tokio::test]
async fn une_commande_non_payee_a_temps_est_annulee_et_son_stock_rendu() {
    let produits = spawn_produits().await;
    let app = spawn_app_avec(commandes::Config {
        delai_paiement: Duration::from_secs(1),
        ..config_de_test(&produits)
    })
    .await;
    let c = app.passer().await;
    app.publier(cles::STOCK_RESERVE, &stock(&c, vec![])).await;
    let a_payer = app.attendre_statut(&c, "a_payer").await;
    let echeance: chrono::DateTime<chrono::Utc> = a_payer["echeance_paiement"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();

    let lue = app.attendre_statut(&c, "annulee").await;

    assert_eq!(lue["raison_annulation"], "expiree");
    let fin = lue["historique"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(fin["etape"], "annulee");
    assert_eq!(fin["raison"], "expiree");
    let le: chrono::DateTime<chrono::Utc> = fin["le"].as_str().unwrap().parse().unwrap();
    assert!(
        le >= echeance,
        "annulée à {le}, avant son échéance {echeance}"
    );
    assert!(lue["echeance_paiement"].is_null());
    let annonce = app.evenement(&c, cles::COMMANDE_ANNULEE).await;
    assert_eq!(annonce["raison"], "expiree");
    assert!(annonce["paiement"].is_null());
    let liberation = app.evenement(&c, cles::STOCK_LIBERE).await;
    assert_eq!(liberation["raison"], "expiree");
    assert_eq!(liberation["reference"], c.json["reference"]);
}

#[tokio::test]
async fn une_commande_payee_n_expire_pas() {
    let app = spawn_app().await;
    let payee = app.passer_a_payer().await;
    let oubliee = app.passer_a_payer().await;
    app.publier(cles::PAIEMENT_ACCEPTE, &paiement(&payee)).await;
    app.attendre_statut(&payee, "confirmee").await;

    app.echoir(&payee).await;
    app.echoir(&oubliee).await;
    // The scan ran past both deadlines: it took the unpaid one.
    app.attendre_statut(&oubliee, "annulee").await;

    assert_eq!(app.lire(&payee).await["statut"], "confirmee");
    assert_eq!(app.compter(&payee, cles::COMMANDE_ANNULEE).await, 0);
    assert_eq!(app.compter(&payee, cles::STOCK_LIBERE).await, 0);
}

#[tokio::test]
async fn deux_instances_qui_surveillent_la_meme_base_annulent_chaque_commande_une_seule_fois() {
    // Small batches, so that both scanners take turns on the same rows.
    let premiere = spawn_app_avec(commandes::Config {
        lot_expiration: 2,
        intervalle_expiration: Duration::from_millis(1),
        ..config_de_test(&spawn_produits().await)
    })
    .await;
    let seconde = spawn_app_avec(commandes::Config {
        lot_expiration: 2,
        intervalle_expiration: Duration::from_millis(1),
        service: socle::config::ConfigService {
            database_url: premiere.database_url.clone(),
            ..config_de_test(&premiere.produits).service
        },
        ..config_de_test(&premiere.produits)
    })
    .await;
    let mut commandes: Vec<Passee> = Vec::new();
    for _ in 0..30 {
        commandes.push(premiere.passer_a_payer().await);
    }

    // Every deadline passes at once: both scanners find the 30 due together.
    sqlx::query("UPDATE commandes SET echeance_paiement = now() - interval '1 second'")
        .execute(&premiere.db)
        .await
        .unwrap();
    let debut = Instant::now();
    loop {
        let restantes: i64 =
            sqlx::query_scalar("SELECT count(*) FROM commandes WHERE statut = 'a_payer'")
                .fetch_one(&seconde.db)
                .await
                .unwrap();
        if restantes == 0 {
            break;
        }
        assert!(
            debut.elapsed() < DELAI,
            "{restantes} commandes encore à payer"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let lignes: Vec<(String, String)> = sqlx::query_as(
        "SELECT routing_key, charge FROM outbox WHERE routing_key IN ('commande.annulee', 'stock.libere')",
    )
    .fetch_all(&premiere.db)
    .await
    .unwrap();
    let mut par_commande: HashMap<(String, String), usize> = HashMap::new();
    for (cle, charge) in lignes {
        let v: Value = serde_json::from_str(&charge).unwrap();
        *par_commande
            .entry((cle, v["reference"].as_str().unwrap().to_owned()))
            .or_default() += 1;
    }
    for c in &commandes {
        for cle in [cles::COMMANDE_ANNULEE, cles::STOCK_LIBERE] {
            assert_eq!(
                par_commande.get(&(cle.to_owned(), c.reference.to_string())),
                Some(&1),
                "{cle} pour {}",
                c.reference
            );
        }
        let lue = seconde.lire(c).await;
        assert_eq!(lue["raison_annulation"], "expiree");
    }
    assert_eq!(par_commande.len(), 60);
}
