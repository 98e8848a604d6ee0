//! The payment side of the order saga: the events paiements publishes, and the
//! `paiements_commandes` consumer.
//!
//! `commande.a_payer` tells what an order owes: it becomes payable. `commande.annulee` closes
//! it for good (a tombstone when it comes before `a_payer`, which may be late or redelivered),
//! and a payment captured for it is refunded — once: the refund is guarded in SQL
//! (`statut = 'accepte'`), so a duplicated or re-sent cancellation refunds nothing more.
//! This is how an order that expired while its payment was being captured gets its money
//! back: commandes cancels it, paiements refunds.
//!
//! A batch is ONE transaction: inbox ids first (in id order, a redelivered event is skipped),
//! then the orders' rows in reference order in one statement (the order a payment locks them
//! in too), then the refunds and their `paiement.rembourse` events (outbox). Acked after the
//! commit; an unreadable event goes to the dead-letter queue at once.

use std::collections::BTreeMap;

use anyhow::Context;
use chrono::Utc;
use contrats::evenements::{EtapeCommande, ResultatPaiement};
use contrats::http::StatutPaiement;
use contrats::noms::cles;
use rust_decimal::Decimal;
use socle::amqp::{Issue, Message};
use socle::outbox::Reveil;
use sqlx::PgPool;
use uuid::Uuid;

use crate::depot::{self, Annonce};
use crate::domaine::Paiement;
use crate::fournisseur::Fournisseur;

/// Counter of payments by outcome: label `resultat` (`accepte`, `refuse`, `rembourse`).
pub const PAIEMENTS: &str = "paiements_total";

/// Counts `n` payments of status `statut` (after their transaction committed).
pub fn compter(statut: StatutPaiement, n: u64) {
    let resultat = crate::domaine::statut_texte(statut);
    if n > 0 {
        metrics::counter!(PAIEMENTS, "resultat" => resultat).increment(n);
    }
}

/// The event announcing `p` (its routing key follows its status), for the outbox.
pub fn resultat(p: &Paiement) -> (&'static str, Uuid, ResultatPaiement) {
    let evenement = ResultatPaiement {
        id_evenement: Uuid::new_v4(),
        id_paiement: p.id_paiement,
        id_commande: p.id_commande,
        reference: p.reference,
        montant: p.montant,
        marque: p.marque.clone(),
        quatre_derniers: p.quatre_derniers.clone(),
        motif_refus: p.motif_refus,
        timestamp: Utc::now(),
    };
    let cle = match p.statut {
        StatutPaiement::Accepte => cles::PAIEMENT_ACCEPTE,
        StatutPaiement::Refuse => cles::PAIEMENT_REFUSE,
        StatutPaiement::Rembourse => cles::PAIEMENT_REMBOURSE,
    };
    (cle, evenement.id_evenement, evenement)
}

/// Handles a batch of `commande.a_payer` / `commande.annulee`: one outcome per message.
pub async fn traiter_lot(
    db: PgPool,
    reveil: Reveil,
    fournisseur: Fournisseur,
    messages: Vec<Message>,
) -> Vec<Issue> {
    socle::amqp::appliquer_par_lot(&messages, lire, |lot: Vec<Valide>| {
        let (db, reveil, fournisseur) = (db.clone(), reveil.clone(), fournisseur.clone());
        async move {
            if appliquer(&db, &fournisseur, &lot).await? {
                reveil.signaler();
            }
            Ok(())
        }
    })
    .await
}

/// A readable event: whether it cancels the order, and its payload.
type Valide = (bool, EtapeCommande);

/// `NUMERIC(12, 2)` holds amounts below this.
const MONTANT_PLAFOND: i64 = 10_000_000_000;

fn lire(message: &Message) -> Result<Valide, String> {
    let annulee = match message.routing_key.as_str() {
        cles::COMMANDE_A_PAYER => false,
        cles::COMMANDE_ANNULEE => true,
        autre => return Err(format!("clé de routage inattendue : {autre}")),
    };
    let etape: EtapeCommande = serde_json::from_slice(&message.corps)
        .map_err(|e| format!("{} illisible : {e}", message.routing_key))?;
    // What the database would refuse forever is poison now, not five retries later.
    let t = etape.total;
    if t <= Decimal::ZERO || t >= Decimal::from(MONTANT_PLAFOND) || t.round_dp(2) != t {
        return Err(format!(
            "commande {} : montant dû invalide ({t})",
            etape.id_commande
        ));
    }
    Ok((annulee, etape))
}

/// Applies the batch in one transaction; `true` when it wrote events.
async fn appliquer(db: &PgPool, fournisseur: &Fournisseur, lot: &[Valide]) -> anyhow::Result<bool> {
    if lot.is_empty() {
        return Ok(false);
    }
    let mut tx = db.begin().await.context("transaction des commandes")?;
    let ids: Vec<Uuid> = lot.iter().map(|(_, e)| e.id_evenement).collect();
    let mut nouveaux = depot::marquer_traites(&mut tx, &ids).await?;
    if nouveaux.is_empty() {
        tx.rollback().await.ok();
        tracing::info!(evenements = lot.len(), "événements déjà traités, ignorés");
        return Ok(false);
    }
    // One entry per order: cancelled if any new event of the batch cancels it.
    let mut annonces: BTreeMap<Uuid, Annonce> = BTreeMap::new();
    for (annulee, e) in lot {
        // A duplicate (already in the inbox, or twice in this batch) counts once.
        if !nouveaux.remove(&e.id_evenement) {
            continue;
        }
        let a = annonces.entry(e.reference).or_insert(Annonce {
            reference: e.reference,
            id_commande: e.id_commande,
            montant: e.total,
            annulee: false,
        });
        a.annulee |= *annulee;
        tracing::info!(
            id_commande = e.id_commande,
            reference = %e.reference,
            annulee,
            "commande notée"
        );
    }
    let annonces: Vec<Annonce> = annonces.into_values().collect();
    depot::noter_commandes(&mut tx, &annonces).await?;
    let annulees: Vec<Uuid> = annonces
        .iter()
        .filter(|a| a.annulee)
        .map(|a| a.reference)
        .collect();
    let rembourses = depot::rembourser(&mut tx, &annulees).await?;
    let mut evenements = Vec::with_capacity(rembourses.len());
    for p in &rembourses {
        fournisseur.rembourser(p.id_paiement);
        tracing::info!(id_paiement = %p.id_paiement, reference = %p.reference, montant = %p.montant, "paiement remboursé : la commande est annulée");
        evenements.push(resultat(p));
    }
    socle::outbox::ajouter_lot(&mut tx, &evenements).await?;
    tx.commit().await.context("validation des commandes")?;
    compter(StatutPaiement::Rembourse, rembourses.len() as u64);
    Ok(!evenements.is_empty())
}
