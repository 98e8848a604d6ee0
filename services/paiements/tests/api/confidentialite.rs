//! No card number and no CVC is kept anywhere: every column of every table (the outbox's
//! published events included) and every log line are searched after a payment with each test
//! card, a refund, and a request with an invalid number.

use std::time::Duration;

use contrats::http::StatutCommande;

use crate::aides::{
    cle, etape, spawn_app_avec, ACCEPTEE, CVC, LENTE, MASTERCARD, REFUSEE, SANS_FONDS,
};

/// Whether `jeton` (digits) appears in `texte` as a value of its own: not inside a longer run
/// of letters or digits, nor as a part of a UUID, a time or a decimal (`-`, `:`, `.`), where
/// a four-digit CVC would match by chance.
fn contient_jeton(texte: &str, jeton: &str) -> bool {
    let colle = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || "-:.".contains(c));
    texte.match_indices(jeton).any(|(i, _)| {
        !colle(texte[..i].chars().next_back()) && !colle(texte[i + jeton.len()..].chars().next())
    })
}

#[test]
fn la_recherche_du_cvc_ignore_les_uuid_les_heures_et_les_nombres_plus_longs() {
    assert!(contient_jeton(r#"{"cvc":"7391"}"#, "7391"));
    assert!(contient_jeton("carte cvc=7391 refusée", "7391"));
    for innocent in [
        "a1b2-7391-c3d4",
        "08:00:00.739100",
        "id_commande=173910",
        "12.7391",
    ] {
        assert!(!contient_jeton(innocent, "7391"), "{innocent}");
    }
}

#[tokio::test]
async fn ni_le_numero_de_carte_ni_le_cvc_ne_sont_gardes_ni_journalises() {
    let app = spawn_app_avec(|c| c.delai_fournisseur = Duration::from_millis(200)).await;
    let (payee, id_payee) = app.ouvrir_commande("19.90").await;
    let (autre, _) = app.ouvrir_commande("45.00").await;

    for (reference, numero, statut) in [
        (autre, REFUSEE, 402),
        (autre, SANS_FONDS, 402),
        (autre, LENTE, 504),
        (autre, MASTERCARD, 201),
        (payee, ACCEPTEE, 201),
    ] {
        let r = app.payer(&cle(), reference, numero).await;
        assert_eq!(r.status(), statut, "{numero}");
    }
    // Refused before the provider: its number must not be echoed in a log either.
    let invalide = "4242 4242 4242 4241";
    let r = app.payer(&cle(), payee, invalide).await;
    assert_eq!(r.status(), 422);
    let corps = r.text().await.unwrap();
    assert!(
        !corps.contains("4242424242424241") && !corps.contains(invalide),
        "{corps}"
    );
    // A refund writes the payment once more (its event).
    app.publier(&etape(payee, id_payee, "19.90", StatutCommande::Annulee))
        .await;
    app.attendre_evenements_traites(3).await;
    app.attendre_outbox_publiee().await;

    let numeros: Vec<String> = [REFUSEE, SANS_FONDS, LENTE, MASTERCARD, ACCEPTEE, invalide]
        .iter()
        .flat_map(|n| [n.to_string(), n.replace(' ', "")])
        .collect();
    let trouve = |texte: &str| {
        numeros
            .iter()
            .find(|n| texte.contains(n.as_str()))
            .cloned()
            .or_else(|| contient_jeton(texte, CVC).then(|| format!("cvc {CVC}")))
    };

    // Every column of every table of the service's database, as text.
    let colonnes: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' ORDER BY table_name, ordinal_position",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    let tables: std::collections::BTreeSet<&str> =
        colonnes.iter().map(|(t, _)| t.as_str()).collect();
    for attendue in [
        "paiements",
        "commandes_a_payer",
        "outbox",
        "evenements_traites",
    ] {
        assert!(tables.contains(attendue), "{attendue} absente : {tables:?}");
    }
    let mut valeurs_lues = 0;
    for (table, colonne) in &colonnes {
        let valeurs: Vec<String> = sqlx::query_scalar(&format!(
            r#"SELECT "{colonne}"::text FROM "{table}" WHERE "{colonne}" IS NOT NULL"#
        ))
        .fetch_all(&app.db)
        .await
        .unwrap();
        for v in valeurs {
            valeurs_lues += 1;
            assert_eq!(trouve(&v), None, "{table}.{colonne} : {v}");
        }
    }
    assert!(valeurs_lues > 50, "{valeurs_lues} valeurs lues seulement");
    // The events do hold what a receipt shows.
    let charges: Vec<String> = sqlx::query_scalar("SELECT charge FROM outbox")
        .fetch_all(&app.db)
        .await
        .unwrap();
    assert!(charges
        .iter()
        .any(|c| c.contains(r#""quatre_derniers":"4242""#)));

    // Every log line of this test binary (every payment its tests made).
    let lignes = testaide::journal::lignes(&[]);
    assert!(
        lignes
            .iter()
            .any(|l| l.contains("tentative de paiement enregistrée")),
        "le journal capture bien paiements"
    );
    for l in &lignes {
        assert_eq!(trouve(l), None, "journal : {l}");
    }
}
