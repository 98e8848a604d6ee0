//! Races on one order have exactly one winner. Each test forces the interleaving: the test
//! holds the order's row (or the payment's inbox slot) in a transaction of its own while both
//! competitors start and wait, then lets go. « Exactly once » is counted in the outbox.

use contrats::noms::cles;
use reqwest::Response;
use serde_json::json;

use crate::aides::{paiement, spawn_app, Passee, TestApp, JETON};

#[tokio::test]
async fn un_paiement_qui_attend_la_commande_l_emporte_sur_l_expiration() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    // The test holds the row, and makes it due as it lets go: from then on the payment and
    // the expiry scan (every 50 ms) both want it.
    let mut verrou = app.verrouiller(&c).await;
    sqlx::query(
        "UPDATE commandes SET echeance_paiement = now() - interval '1 second' WHERE id = $1",
    )
    .bind(c.id)
    .execute(&mut *verrou)
    .await
    .unwrap();

    // The payment waits for the row (first in line: the scan skips rows others hold or wait
    // for, it never queues behind them).
    let id = app.publier(cles::PAIEMENT_ACCEPTE, &paiement(&c)).await;
    app.attendre_bloques(1).await;
    verrou.commit().await.unwrap();
    app.attendre_traite(&id).await;

    // The scan ran after that: another lapsed order was taken, not this one.
    let temoin = app.passer_a_payer().await;
    app.echoir(&temoin).await;
    app.attendre_statut(&temoin, "annulee").await;
    assert_eq!(app.lire(&c).await["statut"], "confirmee");
    assert_eq!(app.compter(&c, cles::COMMANDE_CONFIRMEE).await, 1);
    assert_eq!(app.compter(&c, cles::COMMANDE_ANNULEE).await, 0);
    assert_eq!(app.compter(&c, cles::STOCK_LIBERE).await, 0);
}

#[tokio::test]
async fn une_expiration_validee_pendant_qu_un_paiement_est_en_cours_l_emporte() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let p = paiement(&c);

    // The payment's transaction starts and waits at its first step (the inbox row of its
    // event id, which the test writes without committing).
    let mut verrou = app.db.begin().await.unwrap();
    sqlx::query("INSERT INTO evenements_traites (id_evenement) VALUES ($1)")
        .bind(p.id_evenement)
        .execute(&mut *verrou)
        .await
        .unwrap();
    let id = app.publier(cles::PAIEMENT_ACCEPTE, &p).await;
    app.attendre_bloques(1).await;
    // Meanwhile the deadline passes and the scan cancels the order.
    app.echoir(&c).await;
    app.attendre_statut(&c, "annulee").await;
    verrou.rollback().await.unwrap();
    app.attendre_traite(&id).await;

    let lue = app.lire(&c).await;
    assert_eq!(lue["statut"], "annulee");
    assert_eq!(lue["raison_annulation"], "expiree");
    // The money taken is on record, for paiements' refund to be announced.
    assert_eq!(lue["paiement"]["id_paiement"], p.id_paiement.to_string());
    assert_eq!(app.compter(&c, cles::COMMANDE_ANNULEE).await, 1);
    assert_eq!(app.compter(&c, cles::STOCK_LIBERE).await, 1);
    assert_eq!(app.compter(&c, cles::COMMANDE_CONFIRMEE).await, 0);
}

/// Starts `requete` in the background, then waits until it waits for the held row.
async fn lancer<F>(app: &TestApp, bloques: i64, requete: F) -> tokio::task::JoinHandle<Response>
where
    F: std::future::Future<Output = Response> + Send + 'static,
{
    let tache = tokio::spawn(requete);
    app.attendre_bloques(bloques).await;
    tache
}

fn annuler(
    app: &TestApp,
    c: &Passee,
    jeton: Option<&str>,
) -> impl std::future::Future<Output = Response> + Send + 'static {
    let mut r = app.post(&format!("/api/commandes/{}/annulation", c.reference));
    if let Some(j) = jeton {
        r = r.bearer_auth(j);
    }
    async move { r.send().await.unwrap() }
}

fn expedier(
    app: &TestApp,
    c: &Passee,
) -> impl std::future::Future<Output = Response> + Send + 'static {
    let r = app
        .post(&format!("/api/commandes/{}/expedition", c.reference))
        .bearer_auth(JETON)
        .json(&json!({"transporteur": "La Poste", "numero_suivi": "99.1"}));
    async move { r.send().await.unwrap() }
}

#[tokio::test]
async fn annuler_et_expedier_en_meme_temps_une_seule_des_deux_l_emporte() {
    let app = spawn_app().await;
    for annulation_d_abord in [true, false] {
        let c = app.passer_confirmee().await;
        let verrou = app.verrouiller(&c).await;
        let (premiere, seconde) = if annulation_d_abord {
            (
                lancer(&app, 1, annuler(&app, &c, None)).await,
                lancer(&app, 2, expedier(&app, &c)).await,
            )
        } else {
            (
                lancer(&app, 1, expedier(&app, &c)).await,
                lancer(&app, 2, annuler(&app, &c, None)).await,
            )
        };
        verrou.commit().await.unwrap();
        let (premiere, seconde) = (premiere.await.unwrap(), seconde.await.unwrap());

        assert_eq!(premiere.status(), 200);
        assert_eq!(seconde.status(), 409);
        assert_eq!(
            crate::aides::erreur(seconde).await["code"],
            "transition_impossible"
        );
        let (statut, annulee, liberee, expediee) = if annulation_d_abord {
            ("annulee", 1, 1, 0)
        } else {
            ("expediee", 0, 0, 1)
        };
        assert_eq!(app.lire(&c).await["statut"], statut);
        assert_eq!(app.compter(&c, cles::COMMANDE_ANNULEE).await, annulee);
        assert_eq!(app.compter(&c, cles::STOCK_LIBERE).await, liberee);
        assert_eq!(app.compter(&c, cles::COMMANDE_EXPEDIEE).await, expediee);
    }
}

#[tokio::test]
async fn deux_annulations_en_meme_temps_une_seule_l_emporte() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let verrou = app.verrouiller(&c).await;
    let client = lancer(&app, 1, annuler(&app, &c, None)).await;
    let boutique = lancer(&app, 2, annuler(&app, &c, Some(JETON))).await;
    verrou.commit().await.unwrap();

    assert_eq!(client.await.unwrap().status(), 200);
    let boutique = boutique.await.unwrap();
    assert_eq!(boutique.status(), 409);
    let e = crate::aides::erreur(boutique).await;
    assert!(
        e["erreur"].as_str().unwrap().contains("statut annulee"),
        "{e}"
    );
    let lue = app.lire(&c).await;
    assert_eq!(lue["raison_annulation"], "client");
    assert_eq!(app.compter(&c, cles::COMMANDE_ANNULEE).await, 1);
    assert_eq!(app.compter(&c, cles::STOCK_LIBERE).await, 1);
}
