//! What commandes' events make of an order: payable, cancelled, refunded; and one capture per
//! order whatever the concurrency.

use std::time::{Duration, Instant};

use contrats::http::StatutCommande;
use contrats::noms::{cles, PAIEMENTS_COMMANDES};
use serde_json::Value;
use sqlx::Connection;
use uuid::Uuid;

use crate::aides::{cle, erreur, etape, id_commande, spawn_app, ACCEPTEE, DELAI, REFUSEE};

#[tokio::test]
async fn une_commande_pas_encore_annoncee_donne_un_409_a_reessayer() {
    let app = spawn_app().await;
    let r = app.payer(&cle(), Uuid::new_v4(), ACCEPTEE).await;
    assert_eq!(r.status(), 409);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(erreur(r).await["code"], "paiement_pas_ouvert");
}

#[tokio::test]
async fn une_commande_payee_ne_se_paie_plus() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("18.00").await;
    assert_eq!(app.payer(&cle(), reference, ACCEPTEE).await.status(), 201);
    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 409);
    assert_eq!(erreur(r).await["code"], "deja_payee");
    // Not even a declined attempt is recorded once paid.
    let r = app.payer(&cle(), reference, REFUSEE).await;
    assert_eq!(r.status(), 409);
    assert_eq!(app.statuts(reference).await, ["accepte"]);
}

#[tokio::test]
async fn une_annulation_arrivee_avant_l_avis_de_paiement_ferme_la_commande() {
    let app = spawn_app().await;
    let (reference, id) = (Uuid::new_v4(), id_commande());
    app.publier(&etape(reference, id, "18.00", StatutCommande::Annulee))
        .await;
    app.attendre_evenements_traites(1).await;
    // The late `a_payer` does not reopen it.
    app.publier(&etape(reference, id, "18.00", StatutCommande::APayer))
        .await;
    app.attendre_evenements_traites(2).await;

    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 409);
    assert_eq!(erreur(r).await["code"], "commande_annulee");
    assert!(app.statuts(reference).await.is_empty());
}

#[tokio::test]
async fn une_commande_annulee_apres_paiement_est_remboursee_une_seule_fois() {
    let app = spawn_app().await;
    let (reference, id) = app.ouvrir_commande("64.90").await;
    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 201);
    let paye: Value = r.json().await.unwrap();

    // The same cancellation redelivered, and another one for the same order.
    let annulation = etape(reference, id, "64.90", StatutCommande::Annulee);
    app.publier(&annulation).await;
    app.publier(&annulation).await;
    let seconde = etape(reference, id, "64.90", StatutCommande::Annulee);
    app.publier(&seconde).await;
    app.attendre_livraisons(annulation.id_evenement, 2).await;
    app.attendre_livraisons(seconde.id_evenement, 1).await;
    app.attendre_evenements_traites(3).await;

    let rembourses = app.evenements(cles::PAIEMENT_REMBOURSE).await;
    assert_eq!(rembourses.len(), 1, "un seul remboursement");
    let e = &rembourses[0];
    assert_eq!(
        e.id_paiement.to_string(),
        paye["id_paiement"].as_str().unwrap()
    );
    assert_eq!((e.id_commande, e.reference), (id, reference));
    assert_eq!(e.montant.to_string(), "64.90");
    let lu: Value = app
        .get(&format!("/api/paiements/{}", e.id_paiement))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lu["statut"], "rembourse");
    assert!(lu["rembourse_le"].is_string());
    app.attendre_outbox_publiee().await;

    // Cancelled: it cannot be paid again.
    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(erreur(r).await["code"], "commande_annulee");
}

#[tokio::test]
async fn une_commande_annulee_sans_paiement_ne_rembourse_rien() {
    let app = spawn_app().await;
    let (reference, id) = app.ouvrir_commande("9.00").await;
    assert_eq!(app.payer(&cle(), reference, REFUSEE).await.status(), 402);
    app.publier(&etape(reference, id, "9.00", StatutCommande::Annulee))
        .await;
    app.attendre_evenements_traites(2).await;
    assert!(app.evenements(cles::PAIEMENT_REMBOURSE).await.is_empty());
    assert_eq!(app.statuts(reference).await, ["refuse"]);
}

/// Waits until `n` sessions of this database wait for a lock.
async fn attendre_en_attente_de_verrou(db: &sqlx::PgPool, n: i64) {
    let debut = Instant::now();
    loop {
        let attente: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(db)
        .await
        .unwrap();
        if attente >= n {
            return;
        }
        assert!(
            debut.elapsed() < Duration::from_secs(4),
            "{attente} sessions en attente sur {n}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn deux_paiements_simultanes_d_une_commande_ne_debitent_qu_une_fois() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("30.00").await;
    // Force the overlap: the test holds the order's row, both payments queue behind it and
    // start together when it is released.
    let mut verrou = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let mut tx = verrou.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM commandes_a_payer WHERE reference = $1 FOR UPDATE")
        .bind(reference)
        .execute(&mut *tx)
        .await
        .unwrap();
    let (k1, k2) = (cle(), cle());
    let paiements = futures::future::join(
        app.payer(&k1, reference, ACCEPTEE),
        app.payer(&k2, reference, ACCEPTEE),
    );
    let liberation = async {
        attendre_en_attente_de_verrou(&app.db, 2).await;
        tx.commit().await.unwrap();
    };
    let ((a, b), ()) = futures::future::join(paiements, liberation).await;

    let mut statuts = vec![a.status().as_u16(), b.status().as_u16()];
    statuts.sort();
    assert_eq!(statuts, [201, 409]);
    let perdant = if a.status() == 409 { a } else { b };
    assert_eq!(erreur(perdant).await["code"], "deja_payee");
    assert_eq!(app.statuts(reference).await, ["accepte"]);
    assert_eq!(app.evenements(cles::PAIEMENT_ACCEPTE).await.len(), 1);
    // The provider itself was asked once: the second payment waited for the first's lock,
    // then found the order paid (the unique index alone would refuse the second row, but
    // only after a second capture at the provider).
    let captures = testaide::journal::lignes(&[
        "capture demandée au fournisseur",
        &format!("reference={reference}"),
    ]);
    assert_eq!(captures.len(), 1, "{captures:?}");
}

#[tokio::test]
async fn la_base_refuse_un_second_paiement_debite_pour_une_commande() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("30.00").await;
    assert_eq!(app.payer(&cle(), reference, ACCEPTEE).await.status(), 201);
    let e = sqlx::query(
        "INSERT INTO paiements (id_paiement, reference, statut, montant, marque, quatre_derniers,
                                cle_idempotence, empreinte)
         VALUES ($1, $2, 'accepte', 30.00, 'visa', '4242', 'a-la-main', repeat('0', 64))",
    )
    .bind(Uuid::new_v4())
    .bind(reference)
    .execute(&app.db)
    .await
    .unwrap_err();
    assert_eq!(
        e.as_database_error().unwrap().constraint(),
        Some("un_paiement_capture_par_commande")
    );
}

#[tokio::test]
async fn un_evenement_illisible_ou_un_montant_invalide_part_en_file_des_lettres_mortes() {
    let app = spawn_app().await;
    let dlq = app.topologie.dlq(PAIEMENTS_COMMANDES);
    let illisible = Uuid::new_v4();
    app.publier_octets(
        cles::COMMANDE_A_PAYER,
        illisible,
        b"{\"pas\": \"un evenement\"}",
    )
    .await;
    let m = testaide::files::prendre(&app.canal, &dlq, DELAI).await;
    assert_eq!(
        m.delivery
            .properties
            .message_id()
            .as_ref()
            .unwrap()
            .as_str(),
        illisible.to_string()
    );

    let gratuit = etape(
        Uuid::new_v4(),
        id_commande(),
        "0.00",
        StatutCommande::APayer,
    );
    app.publier(&gratuit).await;
    let m = testaide::files::prendre(&app.canal, &dlq, DELAI).await;
    assert_eq!(
        m.delivery
            .properties
            .message_id()
            .as_ref()
            .unwrap()
            .as_str(),
        gratuit.id_evenement.to_string()
    );
    // The queue goes on: a good event behind them is applied.
    app.ouvrir_commande("5.00").await;
    app.attendre_evenements_traites(1).await;
}

/// One Idempotency-Key sent for two different orders at once: the second must not reach the
/// provider (it is a reused key, refused with 422) — the orders' row locks alone do not keep
/// them apart, so without the key's lock both cards were charged and one answer was a 422.
/// Forced: the test holds both orders' rows, both requests queue, then start together.
#[tokio::test]
async fn une_meme_cle_pour_deux_commandes_a_la_fois_ne_debite_qu_une_fois() {
    let app = spawn_app().await;
    let (a, _) = app.ouvrir_commande("30.00").await;
    let (b, _) = app.ouvrir_commande("40.00").await;
    let mut verrou = sqlx::PgConnection::connect(&app.database_url)
        .await
        .unwrap();
    let mut tx = verrou.begin().await.unwrap();
    sqlx::query("SELECT 1 FROM commandes_a_payer WHERE reference = ANY($1) FOR UPDATE")
        .bind(vec![a, b])
        .execute(&mut *tx)
        .await
        .unwrap();
    let k = cle();
    let paiements = futures::future::join(app.payer(&k, a, ACCEPTEE), app.payer(&k, b, ACCEPTEE));
    let liberation = async {
        attendre_en_attente_de_verrou(&app.db, 2).await;
        tx.commit().await.unwrap();
    };
    let ((ra, rb), ()) = futures::future::join(paiements, liberation).await;

    let mut statuts = vec![ra.status().as_u16(), rb.status().as_u16()];
    statuts.sort();
    assert_eq!(statuts, [201, 422]);
    let captures = testaide::journal::lignes(&["capture demandée au fournisseur"])
        .into_iter()
        .filter(|l| l.contains(&a.to_string()) || l.contains(&b.to_string()))
        .count();
    assert_eq!(captures, 1, "une seule carte débitée");
}
