//! Paying with each test card: the answer, what is stored, and the event published.

use contrats::noms::{cles, COMMANDES_STATUT};
use rust_decimal_macros::dec;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::aides::{
    cle, corps, erreur, montant, spawn_app, ACCEPTEE, DELAI, MASTERCARD, REFUSEE, SANS_FONDS,
};

#[tokio::test]
async fn une_carte_acceptee_debite_le_montant_du_et_publie_paiement_accepte() {
    let app = spawn_app().await;
    let (reference, id_commande) = app.ouvrir_commande("129.50").await;

    let r = app.payer(&cle(), reference, ACCEPTEE).await;

    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let p: Value = r.json().await.unwrap();
    assert_eq!(p["statut"], "accepte");
    assert_eq!(p["reference"], reference.to_string());
    assert_eq!(
        montant(&p),
        dec!(129.50),
        "le montant dû, pas celui du client"
    );
    assert_eq!(p["marque"], "visa");
    assert_eq!(p["quatre_derniers"], "4242");
    assert!(p["motif_refus"].is_null() && p["rembourse_le"].is_null());
    assert_eq!(
        location,
        format!("/api/paiements/{}", p["id_paiement"].as_str().unwrap())
    );

    // The event, as commandes receives it on its queue.
    let m =
        testaide::files::prendre(&app.canal, &app.topologie.file(COMMANDES_STATUT), DELAI).await;
    assert_eq!(m.delivery.routing_key.as_str(), cles::PAIEMENT_ACCEPTE);
    let e: contrats::evenements::ResultatPaiement =
        serde_json::from_slice(&m.delivery.data).unwrap();
    assert_eq!(
        e.id_paiement.to_string(),
        p["id_paiement"].as_str().unwrap()
    );
    assert_eq!((e.id_commande, e.reference), (id_commande, reference));
    assert_eq!(e.montant, dec!(129.50));
    assert_eq!(
        (e.marque.as_str(), e.quatre_derniers.as_str()),
        ("visa", "4242")
    );
    assert_eq!(e.motif_refus, None);
    assert_eq!(
        m.delivery
            .properties
            .message_id()
            .as_ref()
            .unwrap()
            .as_str(),
        e.id_evenement.to_string()
    );
}

#[tokio::test]
async fn une_carte_refusee_donne_un_402_enregistre_la_tentative_et_publie_paiement_refuse() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("40.00").await;

    for (numero, code, quatre) in [
        (REFUSEE, "carte_refusee", "0002"),
        (SANS_FONDS, "fonds_insuffisants", "9995"),
    ] {
        let r = app.payer(&cle(), reference, numero).await;
        assert_eq!(r.status(), 402, "{numero}");
        let location = r.headers()["location"].to_str().unwrap().to_owned();
        let e = erreur(r).await;
        assert_eq!(e["code"], code);
        assert!(e["champs"]["carte.numero"].is_string(), "{e}");
        // The stored attempt, readable at its address.
        let p: Value = app
            .get(&location)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(p["statut"], "refuse");
        assert_eq!(p["motif_refus"], code);
        assert_eq!(p["quatre_derniers"], quatre);
    }
    assert_eq!(app.statuts(reference).await, ["refuse", "refuse"]);
    let refus = app.evenements(cles::PAIEMENT_REFUSE).await;
    let motifs: Vec<_> = refus
        .iter()
        .map(|e| e.motif_refus.unwrap().as_str())
        .collect();
    assert_eq!(motifs, ["carte_refusee", "fonds_insuffisants"]);
    assert!(app.evenements(cles::PAIEMENT_ACCEPTE).await.is_empty());

    // A declined card keeps the order payable.
    let r = app.payer(&cle(), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 201);
    app.attendre_outbox_publiee().await;
}

#[tokio::test]
async fn toute_autre_carte_valide_est_acceptee_avec_sa_marque() {
    let app = spawn_app().await;
    for (numero, marque, quatre) in [
        (MASTERCARD, "mastercard", "4444"),
        ("3782 822463 10005", "amex", "0005"),
        ("6011 1111 1111 1117", "carte", "1117"),
    ] {
        let (reference, _) = app.ouvrir_commande("10.00").await;
        let r = app.payer(&cle(), reference, numero).await;
        assert_eq!(r.status(), 201, "{numero}");
        let p: Value = r.json().await.unwrap();
        assert_eq!(
            (p["marque"].as_str(), p["quatre_derniers"].as_str()),
            (Some(marque), Some(quatre))
        );
    }
}

#[tokio::test]
async fn un_paiement_se_relit_par_son_identifiant_et_un_inconnu_est_un_404() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("12.00").await;
    let cree: Value = app
        .payer(&cle(), reference, ACCEPTEE)
        .await
        .json()
        .await
        .unwrap();
    let lu: Value = app
        .get(&format!(
            "/api/paiements/{}",
            cree["id_paiement"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lu, cree);

    let r = app
        .get(&format!("/api/paiements/{}", Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(erreur(r).await["code"], "introuvable");
    let r = app.get("/api/paiements/pas-un-uuid").send().await.unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn chaque_champ_invalide_est_nomme_et_rien_n_est_enregistre() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("12.00").await;
    let r = app
        .payer_corps(
            &cle(),
            &json!({"reference": "pas-un-uuid", "carte": {
                "numero": "4242 4242 4242 4241", "expiration": "01/20", "cvc": "12"}}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let e = erreur(r).await;
    for champ in ["reference", "carte.numero", "carte.expiration", "carte.cvc"] {
        assert!(e["champs"][champ].is_string(), "{champ} : {e}");
    }
    // Too short, letters, month 13.
    let r = app
        .payer_corps(
            &cle(),
            &json!({"reference": reference, "carte": {
                "numero": "4242 4242", "expiration": "13/30", "cvc": "abc"}}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(erreur(r).await["champs"].as_object().unwrap().len(), 3);
    // An amount from the client is not a field of this API.
    let mut avec_montant = corps(reference, ACCEPTEE);
    avec_montant["montant"] = json!(0.01);
    let r = app.payer_corps(&cle(), &avec_montant).await;
    assert_eq!(r.status(), 422);
    assert!(app.statuts(reference).await.is_empty());
}

#[tokio::test]
async fn sans_idempotency_key_ou_avec_une_cle_invalide_c_est_un_400_json() {
    let app = spawn_app().await;
    let (reference, _) = app.ouvrir_commande("12.00").await;
    let r = app
        .client
        .post(format!("{}/api/paiements", app.adresse))
        .json(&corps(reference, ACCEPTEE))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let e = erreur(r).await;
    assert_eq!(e["code"], "cle_idempotence_requise");
    assert!(e["champs"]["Idempotency-Key"].is_string());

    let r = app.payer(&"k".repeat(201), reference, ACCEPTEE).await;
    assert_eq!(r.status(), 400);
    assert_eq!(erreur(r).await["code"], "en_tete_invalide");
    assert!(app.statuts(reference).await.is_empty());
}
