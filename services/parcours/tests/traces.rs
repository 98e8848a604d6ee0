//! One order, one trace: the services export their spans (OTLP over HTTP) to a receiver of
//! the test's own (`testaide::otlp`) while a real order goes through produits, commandes,
//! paiements, the mail worker, RabbitMQ and the SMTP catcher.
//!
//! A binary of its own: the OTLP endpoint must be set before the process's tracing
//! subscriber is installed, once per process (the `pipeline` tests run without export).
//!
//! All services run in this one process, so the resource's `service.name` is the test
//! binary's: which service a span comes from is read from what socle writes on it (the HTTP
//! span's `service`, the consumer spans' queue, owned by one service each).

#[path = "pipeline/boutique.rs"]
#[allow(dead_code)]
mod boutique;

use std::time::{Duration, Instant};

use boutique::{Boutique, CARTE_ACCEPTEE, DELAI};
use contrats::noms::MAIL_NOTIFIER;
use serde_json::{json, Value};
use testaide::journal;
use testaide::otlp::{Recepteur, SpanRecu};

/// The trace the test's « browser » starts; its two requests are spans of it.
const TRACE: &str = "5b8efff798038103d269b633813fc60c";
const SPAN_COMMANDE: &str = "eee19b7ec3c1b174";
const SPAN_PAIEMENT: &str = "eee19b7ec3c1b175";

fn traceparent(span: &str) -> String {
    format!("00-{TRACE}-{span}-01")
}

/// The spans of the trace, looked up by name and attributes.
struct Trace(Vec<SpanRecu>);

impl Trace {
    fn tous(&self, nom: &str) -> Vec<&SpanRecu> {
        self.0.iter().filter(|s| s.nom == nom).collect()
    }

    /// The only span called `nom` (panics otherwise, listing what was received).
    fn un(&self, nom: &str) -> &SpanRecu {
        let trouves = self.tous(nom);
        assert_eq!(
            trouves.len(),
            1,
            "un span « {nom} » attendu, reçus : {:?}",
            self.0.iter().map(|s| &s.nom).collect::<Vec<_>>()
        );
        trouves[0]
    }

    /// The batches consumed from queue `file` (their name is the prefixed queue's).
    fn lots(&self, file: &str) -> Vec<&SpanRecu> {
        self.0
            .iter()
            .filter(|s| s.nom.ends_with(&format!("{file} receive")))
            .collect()
    }

    /// The spans called `nom` on queue `file`.
    fn sur_file(&self, nom: &str, file: &str) -> Vec<&SpanRecu> {
        self.tous(nom)
            .into_iter()
            .filter(|s| s.attribut("file").is_some_and(|f| f.ends_with(file)))
            .collect()
    }
}

/// `enfant`'s parent is `parent`.
fn enfant_de(enfant: &SpanRecu, parent: &SpanRecu) {
    assert_eq!(
        enfant.parent_span_id, parent.span_id,
        "« {} » devrait être enfant de « {} »",
        enfant.nom, parent.nom
    );
}

#[tokio::test]
async fn une_commande_payee_est_une_seule_trace_du_post_au_courriel_meme_redelivre() {
    // Arrange: the exporter points at the receiver, flushing every 100 ms.
    let recepteur = Recepteur::demarrer().await;
    std::env::set_var("OTEL_EXPORTER_OTLP_ENDPOINT", recepteur.adresse());
    std::env::set_var("OTEL_BSP_SCHEDULE_DELAY", "100");
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Lampe Lugano", "49.90", 5).await;
    let email = b.adresse("tracee");

    // Act 1: the order, from a client that started trace TRACE.
    let r = b
        .client
        .post(format!("{}/api/commandes", b.commandes_url))
        .header("traceparent", traceparent(SPAN_COMMANDE))
        .json(&json!({
            "email": email,
            "produits": [{"produit_id": p, "quantite": 2}],
            "nom": "Ada Lovelace",
            "adresse": {"rue": "Rue du Lac 12", "npa": "1003", "localite": "Lausanne"},
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let commande: Value = r.json().await.unwrap();
    let reference = commande["reference"].as_str().unwrap().to_owned();
    assert_eq!(b.statut_final(&reference).await, "a_payer");
    b.emails_exactement(&email, 1).await;

    // Act 2: SMTP fails once the payment is made, so the confirmation email is redelivered.
    b.smtp.couper();
    let debut = Instant::now();
    loop {
        let r = b
            .client
            .post(format!("{}/api/paiements", b.paiements_url))
            .header("traceparent", traceparent(SPAN_PAIEMENT))
            .header("Idempotency-Key", uuid::Uuid::new_v4().to_string())
            .json(&json!({
                "reference": reference,
                "carte": {"numero": CARTE_ACCEPTEE, "expiration": "12/39", "cvc": "123"},
            }))
            .send()
            .await
            .unwrap();
        let statut = r.status().as_u16();
        let corps: Value = r.json().await.unwrap();
        if statut == 409 && corps["code"] == "paiement_pas_ouvert" {
            assert!(debut.elapsed() < DELAI, "paiement jamais ouvert");
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        }
        assert_eq!(statut, 201, "{corps}");
        break;
    }
    let file = b.topologie().file(MAIL_NOTIFIER);
    journal::attendre(
        &["nouvel essai plus tard", &format!("file={file} ")],
        1,
        DELAI,
    )
    .await;
    b.smtp.retablir();
    b.emails_exactement(&email, 2).await;

    // Assert: every step is in the receiver, in trace TRACE.
    let dans_la_trace = |spans: &[SpanRecu]| -> Vec<SpanRecu> {
        spans
            .iter()
            .filter(|s| s.trace_id == TRACE)
            .cloned()
            .collect()
    };
    let spans = recepteur
        .attendre("les envois SMTP de la trace", DELAI, |spans| {
            dans_la_trace(spans)
                .iter()
                .filter(|s| s.nom == "smtp send")
                .count()
                >= 3
        })
        .await;
    let t = Trace(dans_la_trace(&spans));

    // The order: commandes' request continues the client's span, asks produits in it, and
    // its event is published as a child of it.
    let post = t.un("POST /api/commandes");
    assert_eq!(post.parent_span_id, SPAN_COMMANDE);
    assert_eq!(post.attribut("service"), Some("commandes"));
    let catalogue = t.un("GET /api/produits");
    assert_eq!(catalogue.attribut("service"), Some("produits"));
    enfant_de(catalogue, post);
    let nouvelle = t.un("commande.nouvelle publish");
    enfant_de(nouvelle, post);

    // The stock reservation: produits' consumer continues the published event.
    let reservation = t.sur_file("commande.nouvelle process", "stock_update");
    assert_eq!(reservation.len(), 1);
    enfant_de(reservation[0], nouvelle);
    let lot_stock = t.lots("stock_update");
    assert_eq!(lot_stock.len(), 1);
    enfant_de(lot_stock[0], nouvelle);
    let reserve = t.un("stock.reserve publish");
    enfant_de(reserve, lot_stock[0]);

    // The status change: commandes consumes stock.reserve and announces commande.a_payer.
    let statut = t.sur_file("stock.reserve process", "commandes_statut");
    assert_eq!(statut.len(), 1);
    enfant_de(statut[0], reserve);
    let lot_statut = t.lots("commandes_statut");
    let a_payer = t.un("commande.a_payer publish");
    assert!(
        lot_statut
            .iter()
            .any(|l| l.span_id == a_payer.parent_span_id),
        "commande.a_payer publiée dans le lot qui a traité stock.reserve"
    );
    let mail_a_payer = t.sur_file("commande.a_payer process", "mail_notifier");
    assert_eq!(mail_a_payer.len(), 1);
    enfant_de(mail_a_payer[0], a_payer);

    // The payment: paiements' request (same client trace) publishes paiement.accepte,
    // commandes confirms the order.
    let paiement = t.un("POST /api/paiements");
    assert_eq!(paiement.parent_span_id, SPAN_PAIEMENT);
    assert_eq!(paiement.attribut("service"), Some("paiements"));
    let accepte = t.un("paiement.accepte publish");
    enfant_de(accepte, paiement);
    let confirmation = t.sur_file("paiement.accepte process", "commandes_statut");
    assert_eq!(confirmation.len(), 1);
    enfant_de(confirmation[0], accepte);
    let confirmee = t.un("commande.confirmee publish");
    assert!(lot_statut
        .iter()
        .any(|l| l.span_id == confirmee.parent_span_id));

    // The email, redelivered: both tries are children of the same publish, the second one
    // counted, and each try's SMTP send is a child of its message.
    let mut essais = t.sur_file("commande.confirmee process", "mail_notifier");
    essais.sort_by_key(|s| s.attribut("tentatives").map(str::to_owned));
    assert_eq!(essais.len(), 2, "{essais:?}");
    for essai in &essais {
        enfant_de(essai, confirmee);
    }
    assert_eq!(essais[0].attribut("tentatives"), Some("0"));
    assert_eq!(essais[0].attribut("issue"), Some("reessai"));
    assert_eq!(essais[1].attribut("tentatives"), Some("1"));
    assert_eq!(essais[1].attribut("issue"), Some("traite"));
    let envois = t.tous("smtp send");
    for message in mail_a_payer.iter().chain(&essais) {
        assert!(
            envois.iter().any(|e| e.parent_span_id == message.span_id),
            "un envoi SMTP dans le span du message {:?}",
            message.attribut("routing_key")
        );
    }
    // The log lines carry the trace too: `grep <trace_id>` follows the order.
    assert!(
        t.0.iter().all(|s| s.attribut("trace_id") == Some(TRACE)),
        "chaque span porte son trace_id"
    );
}
