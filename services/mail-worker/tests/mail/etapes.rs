//! One email per customer-visible step, through the real RabbitMQ, PostgreSQL and an SMTP
//! server of the tests' own that keeps what it received: each step's email is sent once with
//! its own subject and content, duplicates send nothing, each declined payment attempt has its
//! email, events published before the lifecycle still send, and what is not a step goes to
//! the dead-letter queue.

use contrats::evenements::RefusPaiement;
use contrats::http::{Etape, MotifRefus, RaisonAnnulation, StatutCommande};
use serde_json::json;
use uuid::Uuid;

use crate::aides::{adresse, evenement, Canal, Evenement, Reglages, Travailleur, DELAI};
use crate::serveur_smtp::{Courriel, ServeurSmtp};

/// Waits until `n` log lines say that an email of order `id_commande` was already sent: the
/// duplicates were consumed (a positive marker, not « nothing came after a sleep »).
async fn attendre_doublons_ignores(id_commande: i64, n: usize) {
    testaide::journal::attendre(
        &[
            "courriel déjà envoyé",
            &format!("id_commande={id_commande}"),
        ],
        n,
        DELAI,
    )
    .await;
}

/// Stops the worker (its batch in hand acked first), then checks that `mail_notifier` is
/// drained — nothing ready and no consumer, so nothing left unacked either — and that the
/// dead-letter queue holds `morts` messages.
async fn arreter_et_verifier(travailleur: Travailleur, canal: &Canal, morts: u32) {
    travailleur.arreter().await;
    assert_eq!(canal.etat(&canal.file()).await, (0, 0), "file non vidée");
    assert_eq!(canal.etat(&canal.dlq()).await.0, morts, "lettres mortes");
}

/// The one email `adresse` received.
fn le_courriel(smtp: &ServeurSmtp, adresse: &str) -> Courriel {
    let courriels = smtp.lire(|r| r.courriels(adresse));
    assert_eq!(
        courriels.len(),
        1,
        "courriels pour {adresse} : {courriels:?}"
    );
    courriels.into_iter().next().unwrap()
}

fn contient(c: &Courriel, attendus: &[&str]) {
    for a in attendus {
        assert!(c.texte.contains(a), "texte sans {a:?} :\n{}", c.texte);
        assert!(c.html.contains(a), "HTML sans {a:?} :\n{}", c.html);
    }
}

#[tokio::test]
async fn chaque_etape_envoie_son_courriel_une_seule_fois_malgre_les_doublons() {
    let smtp = ServeurSmtp::demarrer().await;
    let reglages = Reglages::nouveaux(smtp.port);
    let canal = Canal::ouvrir(&reglages).await;
    let travailleur = Travailleur::demarrer(&reglages).await;
    let mut expiree = evenement(&adresse("expiree"), Etape::Annulee);
    expiree.commande.raison = Some(RaisonAnnulation::Expiree);
    expiree.commande.paiement = None;
    let evenements: Vec<Evenement> = [
        Etape::APayer,
        Etape::PaiementRefuse,
        Etape::Confirmee,
        Etape::Annulee,
        Etape::Expediee,
        Etape::Remboursee,
    ]
    .into_iter()
    .map(|e| evenement(&adresse(e.as_str()), e))
    .chain([expiree])
    .collect();

    // Each event, then a redelivered copy (same event id), then the same step under another
    // event id (a republication): one email each all the same.
    for e in &evenements {
        canal.publier(e).await;
    }
    smtp.attendre("un courriel par étape", |r| {
        evenements.iter().all(|e| r.recus(&e.email) >= 1)
    })
    .await;
    for e in &evenements {
        canal.publier(e).await;
        let mut autre = e.clone();
        autre.commande.id_evenement = Uuid::new_v4();
        canal.publier(&autre).await;
    }
    for e in &evenements {
        attendre_doublons_ignores(e.id_commande, 2).await;
    }
    arreter_et_verifier(travailleur, &canal, 0).await;

    let lien = |e: &Evenement| format!("http://localhost:8000/commandes/{}", e.reference);
    let courriels: Vec<Courriel> = evenements
        .iter()
        .map(|e| le_courriel(&smtp, &e.email))
        .collect();
    for (e, c) in evenements.iter().zip(&courriels) {
        assert!(
            c.sujet.contains(&format!("n° {}", e.id_commande)),
            "{}",
            c.sujet
        );
        contient(c, &["Bonjour Ada Lovelace", "CHF 18.50", &lien(e), "Tasse"]);
        assert_eq!(
            c.message_id,
            format!(
                "{}.{}@boutique321.ch",
                e.reference,
                e.cle_notification(e.etape).replace(':', ".")
            )
        );
    }
    let mut sujets: Vec<&str> = courriels.iter().map(|c| c.sujet.as_str()).collect();
    sujets.sort();
    sujets.dedup();
    assert_eq!(
        sujets.len(),
        evenements.len(),
        "sujets distincts : {sujets:?}"
    );

    let [a_payer, refuse, confirmee, annulee, expediee, remboursee, expiree] = &courriels[..]
    else {
        unreachable!()
    };
    assert!(a_payer.sujet.contains("à payer"), "{}", a_payer.sujet);
    contient(
        a_payer,
        &["samedi 28 novembre 2026 à 10:15", "Payer ma commande"],
    );
    assert!(
        refuse.sujet.starts_with("Paiement refusé"),
        "{}",
        refuse.sujet
    );
    contient(
        refuse,
        &["votre carte a été refusée", "Réessayer le paiement"],
    );
    assert!(confirmee.sujet.contains("confirmée"), "{}", confirmee.sujet);
    contient(confirmee, &["Visa se terminant par 4242"]);
    assert!(annulee.sujet.contains("annulée"), "{}", annulee.sujet);
    contient(
        annulee,
        &[
            "annulée à votre demande",
            "vous êtes remboursé de CHF 18.50 sur votre carte Visa se terminant par 4242",
        ],
    );
    assert!(expediee.sujet.contains("expédiée"), "{}", expediee.sujet);
    contient(expediee, &["La Poste", "99.00.123456.12345678"]);
    assert!(
        remboursee.sujet.contains("remboursée"),
        "{}",
        remboursee.sujet
    );
    contient(
        remboursee,
        &["CHF 18.50", "mardi 1er décembre 2026 à 09:00"],
    );
    assert!(expiree.sujet.contains("a expiré"), "{}", expiree.sujet);
    contient(
        expiree,
        &[
            "commande expirée",
            "remis en vente",
            "http://localhost:8000/",
        ],
    );

    // One claim per step, under its notification key.
    let db = sqlx::PgPool::connect(&reglages.db).await.unwrap();
    let cles: Vec<String> = sqlx::query_scalar("SELECT statut FROM emails_envoyes ORDER BY statut")
        .fetch_all(&db)
        .await
        .unwrap();
    let mut attendues: Vec<String> = evenements
        .iter()
        .map(|e| e.cle_notification(e.etape))
        .collect();
    attendues.sort();
    assert_eq!(cles, attendues);
}

#[tokio::test]
async fn deux_paiements_refuses_d_une_commande_envoient_deux_courriels() {
    let smtp = ServeurSmtp::demarrer().await;
    let reglages = Reglages::nouveaux(smtp.port);
    let canal = Canal::ouvrir(&reglages).await;
    let travailleur = Travailleur::demarrer(&reglages).await;
    let premier = evenement(&adresse("refus"), Etape::PaiementRefuse);
    let mut second = premier.clone();
    second.commande.id_evenement = Uuid::new_v4();
    second.commande.refus = Some(RefusPaiement {
        id_paiement: Uuid::new_v4(),
        motif: MotifRefus::FondsInsuffisants,
    });

    for e in [&premier, &second, &premier, &second] {
        canal.publier(e).await;
    }
    smtp.attendre("les deux refus", |r| r.recus(&premier.email) >= 2)
        .await;
    attendre_doublons_ignores(premier.id_commande, 2).await;
    arreter_et_verifier(travailleur, &canal, 0).await;

    let mut courriels = smtp.lire(|r| r.courriels(&premier.email));
    assert_eq!(courriels.len(), 2, "{courriels:?}");
    courriels.sort_by(|a, b| a.texte.cmp(&b.texte));
    for c in &courriels {
        assert!(c.sujet.starts_with("Paiement refusé"), "{}", c.sujet);
    }
    let motifs: Vec<bool> = courriels
        .iter()
        .map(|c| c.texte.contains("fonds insuffisants sur la carte"))
        .collect();
    assert_eq!(motifs.iter().filter(|m| **m).count(), 1, "{courriels:?}");
    assert!(courriels
        .iter()
        .any(|c| c.texte.contains("votre carte a été refusée")));
}

#[tokio::test]
async fn les_evenements_d_avant_le_cycle_de_vie_s_envoient_encore() {
    // The shape of `CommandeTerminee`, as an older commandes published it (no name, no
    // payment, no reason), under the keys it used.
    let smtp = ServeurSmtp::demarrer().await;
    let reglages = Reglages::nouveaux(smtp.port);
    let canal = Canal::ouvrir(&reglages).await;
    let travailleur = Travailleur::demarrer(&reglages).await;
    let ancienne = |email: &str, statut: StatutCommande| {
        json!({
            "id_evenement": Uuid::new_v4(), "id_commande": 41, "reference": Uuid::new_v4(),
            "email": email, "statut": statut, "total": "37.00",
            "lignes": [{"produit_id": 1, "nom": "Tasse", "prix_unitaire": "18.50",
                        "quantite": 2, "sous_total": "37.00"}],
            "manquants": if statut == StatutCommande::Annulee {
                json!([{"produit_id": 1, "nom": "Tasse", "demande": 2, "disponible": 1}])
            } else {
                json!([])
            },
            "timestamp": "2026-11-28T08:00:00Z"
        })
    };
    let (a, b) = (adresse("ancienne.confirmee"), adresse("ancienne.annulee"));
    for (email, statut, etape) in [
        (&a, StatutCommande::Confirmee, Etape::Confirmee),
        (&b, StatutCommande::Annulee, Etape::Annulee),
    ] {
        let corps = ancienne(email, statut);
        canal
            .publier_brut(
                &canal.topologie.exchange(),
                etape.cle(),
                &serde_json::to_vec(&corps).unwrap(),
                corps["id_evenement"].as_str().unwrap(),
            )
            .await;
    }
    smtp.attendre("les deux courriels", |r| {
        r.recus(&a) >= 1 && r.recus(&b) >= 1
    })
    .await;
    arreter_et_verifier(travailleur, &canal, 0).await;

    let c = le_courriel(&smtp, &a);
    assert_eq!(c.sujet, "Votre commande n° 41 est confirmée — Boutique 321");
    contient(
        &c,
        &[
            "Bonjour,",
            "tous les articles sont réservés pour vous",
            "CHF 37.00",
        ],
    );
    let c = le_courriel(&smtp, &b);
    assert_eq!(c.sujet, "Votre commande n° 41 est annulée — Boutique 321");
    contient(
        &c,
        &[
            "désolés",
            "Tasse : 2 demandé(s), 1 disponible(s)",
            "Rien ne vous a été facturé",
        ],
    );
}

#[tokio::test]
async fn ce_qui_n_est_pas_une_etape_va_en_dlq_et_la_file_continue() {
    let smtp = ServeurSmtp::demarrer().await;
    let reglages = Reglages::nouveaux(smtp.port);
    let canal = Canal::ouvrir(&reglages).await;
    let travailleur = Travailleur::demarrer(&reglages).await;
    // A well-formed event under a key that is no step (straight into the queue: the
    // default exchange routes by queue name), and an expediee without its shipment.
    let egare = evenement(&adresse("egare"), Etape::Confirmee);
    canal
        .publier_brut(
            "",
            &canal.file(),
            &serde_json::to_vec(&egare.commande).unwrap(),
            "cle-inconnue",
        )
        .await;
    let mut incomplete = evenement(&adresse("incomplete"), Etape::Expediee);
    incomplete.commande.expedition = None;
    canal.publier(&incomplete).await;
    let bonne = evenement(&adresse("bonne"), Etape::Expediee);
    canal.publier(&bonne).await;

    let mut morts = Vec::new();
    for _ in 0..2 {
        let m = canal.prendre(&canal.dlq(), DELAI).await;
        morts.push(
            m.delivery
                .properties
                .message_id()
                .as_ref()
                .map(|i| i.to_string())
                .unwrap_or_default(),
        );
    }
    morts.sort();
    let mut attendus = vec![
        "cle-inconnue".to_owned(),
        incomplete.id_evenement.to_string(),
    ];
    attendus.sort();
    assert_eq!(morts, attendus);
    smtp.attendre("le courriel valable", |r| r.recus(&bonne.email) >= 1)
        .await;
    testaide::journal::attendre(&["clé de routage sans courriel"], 1, DELAI).await;
    arreter_et_verifier(travailleur, &canal, 0).await;
    smtp.lire(|r| {
        assert_eq!(r.recus(&egare.email), 0);
        assert_eq!(r.recus(&incomplete.email), 0);
        assert_eq!(r.recus(&bonne.email), 1);
    });
}
