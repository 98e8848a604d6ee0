//! What the worker does with an SMTP server's refusals: a permanent one (5xx) goes to the
//! dead-letter queue at once, a transient one (4xx) is tried again — against a real SMTP
//! server with that policy, through the real RabbitMQ and PostgreSQL.

use std::time::Duration;

use contrats::http::Etape;
use lapin::types::{AMQPValue, FieldTable};

use crate::aides::{adresse, confirmee, evenement, Canal, Reglages, Travailleur};
use crate::serveur_smtp::ServeurSmtp;

/// Generous for one try, yet well under what the retries allowed here would take (100 ms
/// doubling up to 60 s, 50 tries: hours).
const VITE: Duration = Duration::from_secs(20);

fn entete<'a>(t: &'a FieldTable, cle: &str) -> Option<&'a AMQPValue> {
    t.inner().get(cle)
}

#[tokio::test]
async fn un_refus_definitif_va_en_dlq_du_premier_coup_et_les_autres_partent() {
    let smtp = ServeurSmtp::demarrer().await;
    let inconnu = adresse("inconnu");
    let (a, b) = (adresse("a"), adresse("b"));
    smtp.refuser(&inconnu);
    let reglages = Reglages {
        // Were a permanent refusal retried, it would stay out of the DLQ for hours.
        tentatives_max: 50,
        ..Reglages::nouveaux(smtp.port)
    };
    let canal = Canal::ouvrir(&reglages).await;
    let travailleur = Travailleur::demarrer(&reglages).await;

    let refusee = confirmee(&inconnu);
    canal.publier(&confirmee(&a)).await;
    canal.publier(&refusee).await;
    canal.publier(&evenement(&b, Etape::Annulee)).await;

    let mort = canal.prendre(&canal.dlq(), VITE).await;
    let corps: contrats::evenements::EtapeCommande =
        serde_json::from_slice(&mort.delivery.data).unwrap();
    assert_eq!(corps.reference, refusee.reference);
    let entetes = mort
        .delivery
        .properties
        .headers()
        .clone()
        .unwrap_or_default();
    assert!(
        entete(&entetes, "x-tentatives").is_none(),
        "jamais reporté dans la file d'attente : {entetes:?}"
    );
    let Some(AMQPValue::FieldArray(morts)) = entete(&entetes, "x-death") else {
        panic!("pas d'en-tête x-death : {entetes:?}");
    };
    let morts = morts.as_slice();
    assert_eq!(morts.len(), 1, "{morts:?}");
    let AMQPValue::FieldTable(mort_) = &morts[0] else {
        panic!("{morts:?}");
    };
    assert!(
        matches!(entete(mort_, "count"), Some(AMQPValue::LongLongInt(1))),
        "mort une seule fois : {mort_:?}"
    );
    assert!(
        matches!(entete(mort_, "reason"), Some(AMQPValue::LongString(r)) if r.to_string() == "rejected"),
        "{mort_:?}"
    );

    smtp.attendre("les deux autres courriels", |r| {
        r.recus(&a) >= 1 && r.recus(&b) >= 1
    })
    .await;
    travailleur.arreter().await;

    smtp.lire(|r| {
        assert_eq!(
            r.refus(&inconnu),
            [550],
            "un seul essai pour l'adresse refusée"
        );
        assert_eq!(r.recus(&inconnu), 0);
        assert_eq!((r.recus(&a), r.recus(&b)), (1, 1));
    });
    assert_eq!(
        canal.etat(&canal.dlq()).await.0,
        0,
        "une seule lettre morte"
    );
    // The refused outcome's claim was given back: shovelled back from the DLQ once the
    // mailbox exists, it would be sent.
    let db = sqlx::PgPool::connect(&reglages.db).await.unwrap();
    let lignes: Vec<String> =
        sqlx::query_scalar("SELECT destinataire FROM emails_envoyes ORDER BY destinataire")
            .fetch_all(&db)
            .await
            .unwrap();
    let mut attendues = vec![a.clone(), b.clone()];
    attendues.sort();
    assert_eq!(lignes, attendues);
}

#[tokio::test]
async fn un_refus_passager_est_reessaye_puis_envoye() {
    let smtp = ServeurSmtp::demarrer().await;
    let occupe = adresse("occupe");
    smtp.differer(&occupe, 2);
    let reglages = Reglages::nouveaux(smtp.port);
    let canal = Canal::ouvrir(&reglages).await;
    let travailleur = Travailleur::demarrer(&reglages).await;

    canal.publier(&confirmee(&occupe)).await;
    smtp.attendre("le courriel différé", |r| r.recus(&occupe) >= 1)
        .await;
    travailleur.arreter().await;

    smtp.lire(|r| {
        assert_eq!(r.refus(&occupe), [451, 451]);
        assert_eq!(r.recus(&occupe), 1);
    });
    assert_eq!(canal.etat(&canal.dlq()).await.0, 0);
}
