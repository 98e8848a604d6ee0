//! Placing orders: pricing from produits, exact totals, every rejection.

use serde_json::{json, Value};

use crate::aides::{corps, erreur, spawn_app, spawn_app_avec_produits};

#[tokio::test]
async fn une_commande_est_chiffree_par_le_catalogue_et_enregistree_en_attente() {
    let app = spawn_app().await;
    let lampe = app.produit("Lampe", "49.90", 10).await;
    let tasse = app.produit("Tasse", "0.10", 10).await;

    let r = app
        .commander(&json!({
            "email": "client@example.com",
            "produits": [{"produit_id": lampe, "quantite": 2}, {"produit_id": tasse, "quantite": 3}]
        }))
        .await;

    assert_eq!(r.status(), 201);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let texte = r.text().await.unwrap();
    assert!(
        texte.contains(r#""total":100.10"#),
        "total exact attendu : {texte}"
    );
    let c: Value = serde_json::from_str(&texte).unwrap();
    assert_eq!(
        location,
        format!("/api/commandes/{}", c["reference"].as_str().unwrap())
    );
    assert!(c["id_commande"].is_i64());
    assert_eq!(c["statut"], "en_attente");
    assert_eq!(c["email"], "client@example.com");
    assert_eq!(c["lignes"][0]["nom"], "Lampe");
    assert_eq!(c["lignes"][0]["prix_unitaire"].to_string(), "49.90");
    assert_eq!(c["lignes"][0]["sous_total"].to_string(), "99.80");
    assert_eq!(c["lignes"][1]["sous_total"].to_string(), "0.30");
    assert!(c["cree_le"].is_string());
}

#[tokio::test]
async fn le_chemin_avec_barre_finale_du_projet_d_origine_fonctionne() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .client
        .post(format!("{}/api/commandes/", app.adresse))
        .json(&corps("a@example.com", &[(p, 1)]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn un_prix_envoye_par_le_client_est_refuse() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .commander(&json!({
            "email": "a@example.com",
            "produits": [{"produit_id": p, "quantite": 1, "prix": 0.01}]
        }))
        .await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn les_produits_repetes_sont_fusionnes_en_une_ligne() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let c: Value = app
        .commander(&json!({
            "email": "a@example.com",
            "produits": [{"produit_id": p, "quantite": 1}, {"produit_id": p, "quantite": 2}]
        }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(c["lignes"].as_array().unwrap().len(), 1);
    assert_eq!(c["lignes"][0]["quantite"], 3);
    assert_eq!(c["total"].to_string(), "30.00");
}

#[tokio::test]
async fn une_adresse_e_mail_invalide_est_refusee_sans_rien_enregistrer() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .commander(
            &json!({"email": "pas-une-adresse", "produits": [{"produit_id": p, "quantite": 1}]}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let e = erreur(r).await;
    assert!(e["champs"]["email"]
        .as_str()
        .unwrap()
        .contains("pas-une-adresse"));
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn un_nom_affiche_ou_un_domaine_litteral_sont_refuses_en_nommant_email() {
    // Both pass `email_address`'s default parser; the mail worker could never send to them.
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    for adresse in ["N'importe <x@y.ch>", "a@[10.0.0.1]", "a@10.0.0.1"] {
        let r = app
            .commander(&json!({"email": adresse, "produits": [{"produit_id": p, "quantite": 1}]}))
            .await;
        assert_eq!(r.status(), 422, "{adresse}");
        let e = erreur(r).await;
        assert_eq!(e["code"], "validation", "{e}");
        let champs = e["champs"].as_object().unwrap();
        assert_eq!(
            champs.keys().collect::<Vec<_>>(),
            ["email"],
            "seul le champ email est en cause : {e}"
        );
        assert!(champs["email"].as_str().unwrap().contains(adresse), "{e}");
    }
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn l_adresse_est_enregistree_normalisee() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .commander(&json!({
            "email": "  Jean.Dupont@EXEMPLE.Ch ",
            "produits": [{"produit_id": p, "quantite": 1}]
        }))
        .await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    // The local part is the customer's (it may be case-sensitive); the domain is not.
    assert_eq!(c["email"], "Jean.Dupont@exemple.ch");
    let stockee: String = sqlx::query_scalar("SELECT email FROM commandes")
        .fetch_one(&app.db)
        .await
        .unwrap();
    assert_eq!(stockee, "Jean.Dupont@exemple.ch");
}

#[tokio::test]
async fn une_commande_sans_ligne_ou_avec_plus_de_50_lignes_est_refusee() {
    let app = spawn_app().await;
    let r = app
        .commander(&json!({"email": "a@example.com", "produits": []}))
        .await;
    assert_eq!(r.status(), 422);
    assert!(erreur(r).await["champs"]["produits"].is_string());
    let lignes: Vec<Value> = (1..=51)
        .map(|i| json!({"produit_id": i, "quantite": 1}))
        .collect();
    let r = app
        .commander(&json!({"email": "a@example.com", "produits": lignes}))
        .await;
    assert_eq!(r.status(), 422);
    assert!(erreur(r).await["champs"]["produits"]
        .as_str()
        .unwrap()
        .contains("50"));
    let r = app.commander(&json!({"email": "a@example.com"})).await;
    assert_eq!(r.status(), 422);
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn une_quantite_hors_de_1_a_1000_est_refusee_en_nommant_la_ligne() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    for q in [0, -1, 1001] {
        let r = app
            .commander(
                &json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": q}]}),
            )
            .await;
        assert_eq!(r.status(), 422, "quantité {q}");
        assert!(erreur(r).await["champs"]["produits[0].quantite"].is_string());
    }
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn un_produit_inconnu_est_refuse_en_nommant_son_identifiant() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .commander(&json!({
            "email": "a@example.com",
            "produits": [{"produit_id": p, "quantite": 1}, {"produit_id": 987654, "quantite": 1}]
        }))
        .await;
    assert_eq!(r.status(), 422);
    let e = erreur(r).await;
    assert!(e["erreur"].as_str().unwrap().contains("987654"), "{e}");
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn un_catalogue_injoignable_donne_un_503_sans_rien_enregistrer() {
    // Nothing listens on port 1.
    let app = spawn_app_avec_produits("http://127.0.0.1:1").await;
    let r = app
        .commander(
            &json!({"email": "a@example.com", "produits": [{"produit_id": 1, "quantite": 1}]}),
        )
        .await;
    assert_eq!(r.status(), 503);
    assert!(r.headers().contains_key("retry-after"));
    assert_eq!(erreur(r).await["code"], "produits_indisponible");
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn un_json_malforme_donne_un_400() {
    let app = spawn_app().await;
    let r = app
        .client
        .post(format!("{}/api/commandes", app.adresse))
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    erreur(r).await;
}

#[tokio::test]
async fn le_nom_et_l_adresse_sont_enregistres_et_l_historique_commence_par_recue() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .commander_tel_quel(&json!({
            "email": "a@example.com",
            "nom": "  Ada Lovelace ",
            "adresse": {"rue": " Rue du Lac 12 ", "npa": "1003", "localite": " Lausanne "},
            "produits": [{"produit_id": p, "quantite": 1}]
        }))
        .await;
    assert_eq!(r.status(), 201);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["nom"], "Ada Lovelace");
    assert_eq!(
        c["adresse"],
        json!({"rue": "Rue du Lac 12", "npa": "1003", "localite": "Lausanne"})
    );
    let historique = c["historique"].as_array().unwrap();
    assert_eq!(historique.len(), 1);
    assert_eq!(historique[0]["etape"], "recue");
    assert_eq!(historique[0]["statut"], "en_attente");
    assert_eq!(historique[0]["le"], c["cree_le"]);
    for vide in [
        "raison_annulation",
        "echeance_paiement",
        "paiement",
        "expedition",
    ] {
        assert!(c[vide].is_null(), "{vide} : {c}");
    }
    let lue: Value = app
        .get(&format!(
            "/api/commandes/{}",
            c["reference"].as_str().unwrap()
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(lue, c);
}

#[tokio::test]
async fn un_nom_ou_une_adresse_manquants_ou_invalides_sont_refuses_en_nommant_chaque_champ() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let lignes = json!([{"produit_id": p, "quantite": 1}]);
    let cas = [
        (
            json!({"email": "a@example.com", "produits": lignes}),
            vec!["adresse", "nom"],
        ),
        (
            json!({"email": "a@example.com", "nom": "   ", "adresse": {}, "produits": lignes}),
            vec!["adresse.localite", "adresse.npa", "adresse.rue", "nom"],
        ),
        (
            json!({
                "email": "a@example.com", "nom": "é".repeat(101),
                "adresse": {"rue": "r".repeat(201), "npa": "0999", "localite": "l".repeat(101)},
                "produits": lignes
            }),
            vec!["adresse.localite", "adresse.npa", "adresse.rue", "nom"],
        ),
        (
            json!({
                "email": "a@example.com", "nom": "Ada",
                "adresse": {"rue": "Rue 1", "npa": "10000", "localite": "Bex"},
                "produits": lignes
            }),
            vec!["adresse.npa"],
        ),
        (
            json!({
                "email": "a@example.com", "nom": "Ada\nLovelace",
                "adresse": {"rue": "Rue 1", "npa": " 1880", "localite": "Bex"},
                "produits": lignes
            }),
            vec!["adresse.npa", "nom"],
        ),
    ];
    for (corps, champs) in cas {
        let r = app.commander_tel_quel(&corps).await;
        assert_eq!(r.status(), 422, "{corps}");
        let e = erreur(r).await;
        assert_eq!(e["code"], "validation");
        let noms: Vec<&String> = e["champs"].as_object().unwrap().keys().collect();
        assert_eq!(noms, champs, "{e}");
    }
    // A field the address does not have, a postcode given as a number: refused too.
    for adresse in [
        json!({"rue": "Rue 1", "npa": "1880", "localite": "Bex", "pays": "CH"}),
        json!({"rue": "Rue 1", "npa": 1880, "localite": "Bex"}),
    ] {
        let r = app
            .commander_tel_quel(&json!({"email": "a@example.com", "nom": "Ada", "adresse": adresse, "produits": lignes}))
            .await;
        assert_eq!(r.status(), 422, "{adresse}");
        erreur(r).await;
    }
    assert_eq!(app.nombre_de_commandes().await, 0);
}

#[tokio::test]
async fn commande_nouvelle_garde_exactement_ses_champs() {
    let app = spawn_app().await;
    let p = app.produit("Lampe", "10.00", 10).await;
    let r = app
        .commander(
            &json!({"email": "a@example.com", "produits": [{"produit_id": p, "quantite": 1}]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let charge: String =
        sqlx::query_scalar("SELECT charge FROM outbox WHERE routing_key = 'commande.nouvelle'")
            .fetch_one(&app.db)
            .await
            .unwrap();
    let e: Value = serde_json::from_str(&charge).unwrap();
    let champs: Vec<&String> = e.as_object().unwrap().keys().collect();
    assert_eq!(
        champs,
        [
            "email",
            "id_commande",
            "id_evenement",
            "lignes",
            "produits",
            "reference",
            "timestamp",
            "total"
        ]
    );
}
