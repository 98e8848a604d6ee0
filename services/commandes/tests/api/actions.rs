//! Cancelling (the customer with the reference, the shop with its token) and shipping (the
//! shop): who may do what from which status, what is announced, every refusal.

use contrats::noms::cles;
use serde_json::{json, Value};

use crate::aides::{erreur, spawn_app, JETON};

#[tokio::test]
async fn le_client_annule_une_commande_a_payer_et_son_stock_est_rendu() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;

    let r = app.annuler(&c, None).await;

    assert_eq!(r.status(), 200);
    let lue: Value = r.json().await.unwrap();
    assert_eq!(lue["statut"], "annulee");
    assert_eq!(lue["raison_annulation"], "client");
    let fin = lue["historique"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(
        (fin["etape"].as_str(), fin["raison"].as_str()),
        (Some("annulee"), Some("client"))
    );
    assert_eq!(lue, app.lire(&c).await);
    let annonce = app.evenement(&c, cles::COMMANDE_ANNULEE).await;
    assert_eq!(annonce["raison"], "client");
    assert!(annonce["paiement"].is_null(), "rien à rembourser");
    let liberation = app.evenement(&c, cles::STOCK_LIBERE).await;
    assert_eq!(liberation["raison"], "client");
    assert_eq!(liberation["id_commande"], c.id);
}

#[tokio::test]
async fn le_client_annule_une_commande_payee_et_l_annonce_porte_le_paiement_a_rembourser() {
    let app = spawn_app().await;
    let c = app.passer_confirmee().await;
    let paiement = app.lire(&c).await["paiement"].clone();

    let r = app.annuler(&c, None).await;

    assert_eq!(r.status(), 200);
    let annonce = app.evenement(&c, cles::COMMANDE_ANNULEE).await;
    assert_eq!(annonce["paiement"], paiement);
    assert_eq!(annonce["raison"], "client");
    assert_eq!(app.compter(&c, cles::STOCK_LIBERE).await, 1);
}

#[tokio::test]
async fn le_client_n_annule_ni_une_commande_en_attente_ni_une_commande_expediee_ou_annulee() {
    let app = spawn_app().await;
    let en_attente = app.passer().await;
    let expediee = app.passer_confirmee().await;
    let r = app
        .expedier(
            &expediee,
            &json!({"transporteur": "La Poste", "numero_suivi": "99.1"}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let annulee = app.passer_a_payer().await;
    assert_eq!(app.annuler(&annulee, None).await.status(), 200);

    for (c, statut) in [
        (&en_attente, "en_attente"),
        (&expediee, "expediee"),
        (&annulee, "annulee"),
    ] {
        let avant = app.lire(c).await;
        let r = app.annuler(c, None).await;
        assert_eq!(r.status(), 409, "{statut}");
        let e = erreur(r).await;
        assert_eq!(e["code"], "transition_impossible");
        assert!(
            e["erreur"]
                .as_str()
                .unwrap()
                .contains(&format!("statut {statut}")),
            "le message dit le statut : {e}"
        );
        assert_eq!(app.lire(c).await, avant, "rien n'a changé");
    }
    assert_eq!(app.compter(&annulee, cles::COMMANDE_ANNULEE).await, 1);
}

#[tokio::test]
async fn la_boutique_annule_une_commande_en_attente_sans_rendre_de_stock_qu_elle_n_a_pas() {
    let app = spawn_app().await;
    let c = app.passer().await;

    let r = app.annuler(&c, Some(JETON)).await;

    assert_eq!(r.status(), 200);
    let lue: Value = r.json().await.unwrap();
    assert_eq!(lue["raison_annulation"], "boutique");
    assert_eq!(
        app.evenement(&c, cles::COMMANDE_ANNULEE).await["raison"],
        "boutique"
    );
    assert_eq!(app.compter(&c, cles::STOCK_LIBERE).await, 0);
}

#[tokio::test]
async fn la_boutique_annule_une_commande_payee_mais_pas_une_commande_expediee() {
    let app = spawn_app().await;
    let payee = app.passer_confirmee().await;
    let r = app.annuler(&payee, Some(JETON)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.compter(&payee, cles::STOCK_LIBERE).await, 1);
    assert!(app.evenement(&payee, cles::COMMANDE_ANNULEE).await["paiement"].is_object());

    let expediee = app.passer_confirmee().await;
    app.expedier(
        &expediee,
        &json!({"transporteur": "DPD", "numero_suivi": "1"}),
    )
    .await;
    let r = app.annuler(&expediee, Some(JETON)).await;
    assert_eq!(r.status(), 409);
    assert_eq!(erreur(r).await["code"], "transition_impossible");
}

#[tokio::test]
async fn un_jeton_invalide_est_un_401_et_n_annule_rien() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let r = app.annuler(&c, Some("pas-le-bon")).await;
    assert_eq!(r.status(), 401);
    assert_eq!(erreur(r).await["code"], "non_autorise");
    assert_eq!(app.lire(&c).await["statut"], "a_payer");
}

#[tokio::test]
async fn une_reference_inconnue_donne_un_404_et_une_reference_illisible_un_400() {
    let app = spawn_app().await;
    let inconnue = "6f1c7a52-8f43-4d8e-9a55-1f2d3c4b5a69";
    let r = app
        .post(&format!("/api/commandes/{inconnue}/annulation"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(erreur(r).await["code"], "introuvable");
    let r = app
        .post(&format!("/api/commandes/{inconnue}/expedition"))
        .bearer_auth(JETON)
        .json(&json!({"transporteur": "La Poste", "numero_suivi": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    erreur(r).await;
    let r = app
        .post("/api/commandes/12/annulation")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    erreur(r).await;
}

#[tokio::test]
async fn la_boutique_expedie_une_commande_payee_et_le_client_en_est_averti() {
    let app = spawn_app().await;
    let c = app.passer_confirmee().await;

    let r = app
        .expedier(
            &c,
            &json!({"transporteur": "  La Poste ", "numero_suivi": " 99.00.123456.12345678 "}),
        )
        .await;

    assert_eq!(r.status(), 200);
    let lue: Value = r.json().await.unwrap();
    assert_eq!(lue["statut"], "expediee");
    assert_eq!(lue["expedition"]["transporteur"], "La Poste");
    assert_eq!(lue["expedition"]["numero_suivi"], "99.00.123456.12345678");
    assert!(lue["expedition"]["expediee_le"].is_string());
    assert_eq!(
        lue["historique"].as_array().unwrap().last().unwrap()["etape"],
        "expediee"
    );
    assert_eq!(lue, app.lire(&c).await);
    let annonce = app.evenement(&c, cles::COMMANDE_EXPEDIEE).await;
    assert_eq!(annonce["expedition"], lue["expedition"]);
    assert_eq!(annonce["statut"], "expediee");
    assert!(annonce["paiement"].is_object());

    // Once shipped, nothing moves it.
    let r = app
        .expedier(&c, &json!({"transporteur": "DPD", "numero_suivi": "2"}))
        .await;
    assert_eq!(r.status(), 409);
    assert_eq!(app.compter(&c, cles::COMMANDE_EXPEDIEE).await, 1);
}

#[tokio::test]
async fn expedier_demande_le_jeton_et_une_commande_payee() {
    let app = spawn_app().await;
    let c = app.passer_a_payer().await;
    let corps = json!({"transporteur": "La Poste", "numero_suivi": "1"});
    let r = app
        .post(&format!("/api/commandes/{}/expedition", c.reference))
        .json(&corps)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    erreur(r).await;

    let r = app.expedier(&c, &corps).await;
    assert_eq!(r.status(), 409);
    let e = erreur(r).await;
    assert_eq!(e["code"], "transition_impossible");
    assert!(e["erreur"].as_str().unwrap().contains("à payer"), "{e}");
    assert_eq!(app.lire(&c).await["statut"], "a_payer");
}

#[tokio::test]
async fn un_envoi_invalide_est_refuse_en_nommant_chaque_champ() {
    let app = spawn_app().await;
    let c = app.passer_confirmee().await;
    let cas = [
        (json!({}), vec!["numero_suivi", "transporteur"]),
        (
            json!({"transporteur": "   ", "numero_suivi": "x".repeat(101)}),
            vec!["numero_suivi", "transporteur"],
        ),
        (
            json!({"transporteur": "La\nPoste", "numero_suivi": "1"}),
            vec!["transporteur"],
        ),
    ];
    for (corps, champs) in cas {
        let r = app.expedier(&c, &corps).await;
        assert_eq!(r.status(), 422, "{corps}");
        let e = erreur(r).await;
        assert_eq!(e["code"], "validation");
        let noms: Vec<&String> = e["champs"].as_object().unwrap().keys().collect();
        assert_eq!(noms, champs, "{e}");
    }
    let r = app
        .expedier(
            &c,
            &json!({"transporteur": "La Poste", "numero_suivi": "1", "poids": 2}),
        )
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.lire(&c).await["statut"], "confirmee");
    assert_eq!(app.compter(&c, cles::COMMANDE_EXPEDIEE).await, 0);
}
