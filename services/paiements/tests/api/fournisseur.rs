//! A provider that does not answer in time: paiements gives up within its own limit, answers a
//! JSON 504, and nothing is captured or announced.

use std::time::{Duration, Instant};

use contrats::noms::cles;

use crate::aides::{cle, erreur, spawn_app_avec, ACCEPTEE, LENTE};

#[tokio::test]
async fn la_carte_lente_donne_un_504_a_temps_sans_rien_debiter() {
    let app = spawn_app_avec(|c| {
        c.delai_fournisseur = Duration::from_millis(300);
    })
    .await;
    let (reference, _) = app.ouvrir_commande("77.00").await;

    let debut = Instant::now();
    let r = app.payer(&cle(), reference, LENTE).await;
    let duree = debut.elapsed();

    assert_eq!(r.status(), 504);
    assert_eq!(erreur(r).await["code"], "fournisseur_indisponible");
    assert!(
        duree >= Duration::from_millis(300) && duree < Duration::from_secs(3),
        "{duree:?}"
    );
    assert!(
        app.statuts(reference).await.is_empty(),
        "rien n'est enregistré"
    );
    let outbox: i64 = sqlx::query_scalar("SELECT count(*) FROM outbox")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(outbox, 0, "rien n'est annoncé");

    // The order's lock was released with the transaction: another card pays it now.
    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 201);
    assert_eq!(app.evenements(cles::PAIEMENT_ACCEPTE).await.len(), 1);
}
