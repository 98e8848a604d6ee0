//! The `commandes_statut` consumer: each stock and payment outcome moves the order as the
//! lifecycle says and announces it once; duplicates, late and reordered outcomes change
//! nothing and announce nothing; what cannot be read goes to the dead-letter queue.
//!
//! The outcomes are published on the real broker as produits and paiements publish them.

use chrono::{DateTime, Utc};
use contrats::evenements::Manquant;
use contrats::http::MotifRefus;
use contrats::noms::{cles, COMMANDES_STATUT};
use serde_json::{json, Value};
use std::time::Duration;

use crate::aides::{paiement, refus, spawn_app, stock, DELAI, JETON};

fn date(v: &Value) -> DateTime<Utc> {
    v.as_str()
        .unwrap_or_else(|| panic!("une date attendue : {v}"))
        .parse()
        .unwrap()
}

/// As PostgreSQL keeps it: to the microsecond.
fn micro(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::SubsecRound;
    t.trunc_subsecs(6)
}

fn etapes(commande: &Value) -> Vec<(String, String, Option<String>)> {
    commande["historique"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["etape"].as_str().unwrap().to_owned(),
                e["statut"].as_str().unwrap().to_owned(),
                e["raison"].as_str().map(str::to_owned),
            )
        })
        .collect()
}

fn e(etape: &str, statut: &str) -> (String, String, Option<String>) {
    (etape.into(), statut.into(), None)
}

fn annulee(raison: &str) -> (String, String, Option<String>) {
    ("annulee".into(), "annulee".into(), Some(raison.into()))
}

#[tokio::test]
async fn une_reservation_rend_la_commande_a_payer_avec_son_echeance_et_l_annonce() {
    let app = spawn_app().await;
    let c = app.passer().await;

    let avant = Utc::now();
    app.publier(cles::STOCK_RESERVE, &stock(&c, vec![])).await;
    let lue = app.attendre_statut(&c, "a_payer").await;

    // The default delay: 15 minutes from the reservation.
    let echeance = date(&lue["echeance_paiement"]);
    let delai = (echeance - avant).num_seconds();
    assert!((895..=905).contains(&delai), "échéance dans {delai} s");
    assert_eq!(
        etapes(&lue),
        [e("recue", "en_attente"), e("a_payer", "a_payer")]
    );
    assert!(lue["raison_annulation"].is_null() && lue["paiement"].is_null());

    let a = app.evenement(&c, cles::COMMANDE_A_PAYER).await;
    assert_eq!(a["statut"], "a_payer");
    assert_eq!(date(&a["echeance_paiement"]), echeance);
    assert_eq!(a["reference"], c.json["reference"]);
    assert_eq!(a["id_commande"], c.id);
    assert_eq!(a["email"], "client@example.com");
    assert_eq!(a["nom"], "Ada Lovelace");
    assert_eq!(a["total"].to_string(), "25.00");
    assert_eq!(a["lignes"][0]["nom"], "Lampe");
    assert!(a["id_evenement"].is_string());
    assert!(a["paiement"].is_null() && a["refus"].is_null() && a["raison"].is_null());
    assert_eq!(
        app.evenements(&c).await.len(),
        1,
        "rien d'autre n'est annoncé"
    );
}

#[tokio::test]
async fn un_refus_de_stock_annule_la_commande_en_nommant_les_manquants() {
    let app = spawn_app().await;
    let c = app.passer().await;
    let manquant = Manquant {
        produit_id: 7,
        nom: Some("Lampe".into()),
        demande: 2,
        disponible: 1,
    };

    app.publier(cles::STOCK_REFUSE, &stock(&c, vec![manquant]))
        .await;
    let lue = app.attendre_statut(&c, "annulee").await;

    assert_eq!(lue["raison_annulation"], "stock");
    assert_eq!(etapes(&lue), [e("recue", "en_attente"), annulee("stock")]);
    let a = app.evenement(&c, cles::COMMANDE_ANNULEE).await;
    assert_eq!(a["raison"], "stock");
    assert_eq!(a["statut"], "annulee");
    assert_eq!(
        a["manquants"],
        json!([{"produit_id": 7, "nom": "Lampe", "demande": 2, "disponible": 1}])
    );
    // Nothing was reserved: nothing to give back.
    assert_eq!(app.compter(&c, cles::STOCK_LIBERE).await, 0);
}

#[tokio::test]
async fn un_paiement_accepte_confirme_la_commande_et_garde_la_carte_sans_son_numero() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let p = paiement(&c);

    app.publier(cles::PAIEMENT_ACCEPTE, &p).await;
    let lue = app.attendre_statut(&c, "confirmee").await;

    assert_eq!(lue["paiement"]["id_paiement"], p.id_paiement.to_string());
    assert_eq!(lue["paiement"]["marque"], "visa");
    assert_eq!(lue["paiement"]["quatre_derniers"], "4242");
    assert_eq!(date(&lue["paiement"]["paye_le"]), micro(p.timestamp));
    assert!(lue["paiement"]["rembourse_le"].is_null());
    assert!(
        lue["echeance_paiement"].is_null(),
        "plus d'échéance une fois payée"
    );
    assert_eq!(
        etapes(&lue),
        [
            e("recue", "en_attente"),
            e("a_payer", "a_payer"),
            e("confirmee", "confirmee")
        ]
    );
    let a = app.evenement(&c, cles::COMMANDE_CONFIRMEE).await;
    assert_eq!(a["statut"], "confirmee");
    assert_eq!(a["paiement"], lue["paiement"]);
    assert!(a["echeance_paiement"].is_null());
}

#[tokio::test]
async fn un_paiement_refuse_laisse_la_commande_a_payer_et_s_annonce_une_fois_par_tentative() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let premier = refus(&c, MotifRefus::FondsInsuffisants);
    let second = refus(&c, MotifRefus::CarteRefusee);

    app.publier(cles::PAIEMENT_REFUSE, &premier).await;
    // paiements saying the same attempt again (a new event): no second entry, no second email.
    let redit = contrats::evenements::ResultatPaiement {
        id_evenement: uuid::Uuid::new_v4(),
        ..premier.clone()
    };
    let id_redit = app.publier(cles::PAIEMENT_REFUSE, &redit).await;
    let id_second = app.publier(cles::PAIEMENT_REFUSE, &second).await;
    app.attendre_traite(&id_redit).await;
    app.attendre_traite(&id_second).await;

    let lue = app.lire(&c).await;
    assert_eq!(lue["statut"], "a_payer");
    assert!(lue["echeance_paiement"].is_string());
    assert_eq!(
        etapes(&lue),
        [
            e("recue", "en_attente"),
            e("a_payer", "a_payer"),
            e("paiement_refuse", "a_payer"),
            e("paiement_refuse", "a_payer"),
        ]
    );
    let annonces: Vec<Value> = app
        .evenements(&c)
        .await
        .into_iter()
        .filter(|(k, _)| k == cles::COMMANDE_PAIEMENT_REFUSE)
        .map(|(_, v)| v)
        .collect();
    assert_eq!(annonces.len(), 2, "{annonces:?}");
    assert_eq!(
        annonces[0]["refus"],
        json!({"id_paiement": premier.id_paiement, "motif": "fonds_insuffisants"})
    );
    assert_eq!(
        annonces[1]["refus"],
        json!({"id_paiement": second.id_paiement, "motif": "carte_refusee"})
    );
    assert_eq!(annonces[0]["statut"], "a_payer");
    assert!(
        annonces[0]["echeance_paiement"].is_string(),
        "le client peut encore payer"
    );
}

#[tokio::test]
async fn un_remboursement_est_note_une_fois_et_annonce_avec_le_paiement() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let p = paiement(&c);
    app.publier(cles::PAIEMENT_ACCEPTE, &p).await;
    app.attendre_statut(&c, "confirmee").await;
    assert_eq!(app.annuler(&c, None).await.status(), 200);

    let rembourse = contrats::evenements::ResultatPaiement {
        id_evenement: uuid::Uuid::new_v4(),
        timestamp: Utc::now(),
        ..p.clone()
    };
    let id = app.publier(cles::PAIEMENT_REMBOURSE, &rembourse).await;
    app.attendre_traite(&id).await;
    // Said again by paiements: noted once.
    let encore = contrats::evenements::ResultatPaiement {
        id_evenement: uuid::Uuid::new_v4(),
        ..rembourse.clone()
    };
    let id = app.publier(cles::PAIEMENT_REMBOURSE, &encore).await;
    app.attendre_traite(&id).await;

    let lue = app.lire(&c).await;
    assert_eq!(lue["statut"], "annulee");
    assert_eq!(
        date(&lue["paiement"]["rembourse_le"]),
        micro(rembourse.timestamp)
    );
    assert_eq!(etapes(&lue).last().unwrap(), &e("remboursee", "annulee"));
    let a = app.evenement(&c, cles::COMMANDE_REMBOURSEE).await;
    assert_eq!(a["paiement"], lue["paiement"]);
    assert_eq!(a["raison"], "client");
}

#[tokio::test]
async fn les_doublons_et_les_evenements_en_retard_ne_changent_rien_et_n_annoncent_rien() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let p = paiement(&c);
    // Delivered twice (a redelivery: the same event id).
    let id = app.publier(cles::PAIEMENT_ACCEPTE, &p).await;
    app.publier(cles::PAIEMENT_ACCEPTE, &p).await;
    app.attendre_conclusion(&id, 2).await;
    let avant = app.attendre_statut(&c, "confirmee").await;

    // Late or reordered outcomes, each a new event: the order is past them.
    let tardifs = [
        (
            cles::STOCK_RESERVE,
            serde_json::to_value(stock(&c, vec![])).unwrap(),
        ),
        (
            cles::STOCK_REFUSE,
            serde_json::to_value(stock(&c, vec![])).unwrap(),
        ),
        (
            cles::PAIEMENT_REFUSE,
            serde_json::to_value(refus(&c, MotifRefus::CarteRefusee)).unwrap(),
        ),
        (
            cles::PAIEMENT_ACCEPTE,
            serde_json::to_value(paiement(&c)).unwrap(),
        ),
        // The refund of a payment that is not the order's.
        (
            cles::PAIEMENT_REMBOURSE,
            serde_json::to_value(paiement(&c)).unwrap(),
        ),
    ];
    for (cle, evenement) in &tardifs {
        let id = app.publier(cle, evenement).await;
        app.attendre_traite(&id).await;
    }

    let apres = app.lire(&c).await;
    assert_eq!(apres, avant, "rien n'a changé");
    let cles_ecrites: Vec<String> = app
        .evenements(&c)
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        cles_ecrites,
        [cles::COMMANDE_A_PAYER, cles::COMMANDE_CONFIRMEE]
    );
}

#[tokio::test]
async fn une_reservation_arrivee_apres_l_annulation_par_la_boutique_rend_le_stock_une_fois() {
    let app = spawn_app().await;
    let c = app.passer().await;
    let r = app.annuler(&c, Some(JETON)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.compter(&c, cles::STOCK_LIBERE).await,
        0,
        "rien de réservé encore"
    );

    let reserve = stock(&c, vec![]);
    let id = app.publier(cles::STOCK_RESERVE, &reserve).await;
    app.publier(cles::STOCK_RESERVE, &reserve).await;
    app.attendre_conclusion(&id, 2).await;

    let lue = app.lire(&c).await;
    assert_eq!(lue["statut"], "annulee");
    assert_eq!(lue["raison_annulation"], "boutique");
    let liberation = app.evenement(&c, cles::STOCK_LIBERE).await;
    assert_eq!(liberation["raison"], "boutique");
    assert_eq!(liberation["id_commande"], c.id);
    assert_eq!(app.compter(&c, cles::COMMANDE_A_PAYER).await, 0);
}

#[tokio::test]
async fn un_paiement_capture_apres_l_annulation_est_note_et_son_remboursement_annonce() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    assert_eq!(app.annuler(&c, None).await.status(), 200);

    // The card was being charged while the customer cancelled.
    let p = paiement(&c);
    let id = app.publier(cles::PAIEMENT_ACCEPTE, &p).await;
    app.attendre_traite(&id).await;
    let lue = app.lire(&c).await;
    assert_eq!(lue["statut"], "annulee");
    assert_eq!(lue["paiement"]["id_paiement"], p.id_paiement.to_string());
    assert_eq!(app.compter(&c, cles::COMMANDE_CONFIRMEE).await, 0);

    // paiements refunds it (it saw commande.annulee): the customer is told.
    let rembourse = contrats::evenements::ResultatPaiement {
        id_evenement: uuid::Uuid::new_v4(),
        ..p.clone()
    };
    let id = app.publier(cles::PAIEMENT_REMBOURSE, &rembourse).await;
    app.attendre_traite(&id).await;
    let a = app.evenement(&c, cles::COMMANDE_REMBOURSEE).await;
    assert_eq!(a["paiement"]["id_paiement"], p.id_paiement.to_string());
    assert!(a["paiement"]["rembourse_le"].is_string());
}

#[tokio::test]
async fn un_paiement_d_un_autre_montant_ne_confirme_pas_la_commande() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let p = contrats::evenements::ResultatPaiement {
        montant: c.total - rust_decimal::Decimal::ONE,
        ..paiement(&c)
    };
    let id = app.publier(cles::PAIEMENT_ACCEPTE, &p).await;
    app.attendre_traite(&id).await;
    let lue = app.lire(&c).await;
    assert_eq!(lue["statut"], "a_payer");
    assert!(lue["paiement"].is_null());
    assert_eq!(app.compter(&c, cles::COMMANDE_CONFIRMEE).await, 0);
}

#[tokio::test]
async fn un_message_illisible_ou_de_cle_inconnue_va_en_dlq_et_la_file_continue() {
    let app = spawn_app().await;
    let c = app.passer().await;
    let dlq = app.topologie.dlq(COMMANDES_STATUT);
    let exchange = app.topologie.exchange();

    let mut mauvais_paiement = serde_json::to_value(paiement(&c)).unwrap();
    mauvais_paiement["quatre_derniers"] = json!("42");
    let sans_motif = serde_json::to_vec(&paiement(&c)).unwrap();
    let poisons: Vec<(String, String, Vec<u8>)> = vec![
        (
            exchange.clone(),
            cles::STOCK_RESERVE.into(),
            b"ceci n'est pas du JSON".to_vec(),
        ),
        (
            exchange.clone(),
            cles::PAIEMENT_ACCEPTE.into(),
            br#"{"inattendu": true}"#.to_vec(),
        ),
        (
            exchange.clone(),
            cles::PAIEMENT_ACCEPTE.into(),
            mauvais_paiement.to_string().into_bytes(),
        ),
        (exchange.clone(), cles::PAIEMENT_REFUSE.into(), sans_motif),
        // Straight into the queue (default exchange): a routing key nobody binds.
        (
            String::new(),
            app.topologie.file(COMMANDES_STATUT),
            serde_json::to_vec(&stock(&c, vec![])).unwrap(),
        ),
    ];
    for (ex, cle, corps) in &poisons {
        app.publier_brut(ex, cle, corps, &uuid::Uuid::new_v4().to_string())
            .await;
        let mort = testaide::files::prendre(&app.canal, &dlq, DELAI).await;
        assert_eq!(&mort.data, corps, "{cle}");
    }

    // The queue goes on.
    app.publier(cles::STOCK_RESERVE, &stock(&c, vec![])).await;
    app.attendre_statut(&c, "a_payer").await;
}

#[tokio::test]
async fn chaque_etape_annoncee_est_comptee_pour_prometheus() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    app.publier(cles::PAIEMENT_ACCEPTE, &paiement(&c)).await;
    app.attendre_statut(&c, "confirmee").await;
    // Counted once committed, just after the status moved: give it a moment to show.
    let debut = std::time::Instant::now();
    loop {
        let texte = app
            .get("/metrics")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if ["recue", "a_payer", "confirmee"]
            .iter()
            .all(|e| texte.contains(&format!("commandes_transitions_total{{etape=\"{e}\"}}")))
        {
            break;
        }
        assert!(debut.elapsed() < DELAI, "compteurs absents :\n{texte}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
