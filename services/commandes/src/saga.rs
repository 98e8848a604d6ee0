//! The `commandes_statut` consumer: stock and payment outcomes move an order along its
//! lifecycle.
//!
//! ```text
//! stock.reserve       en_attente → a_payer (deadline now + DELAI_PAIEMENT)  commande.a_payer
//!                     already cancelled by the shop while en_attente:       stock.libere
//! stock.refuse        en_attente → annulee (stock)                          commande.annulee
//! paiement.refuse     a_payer, once per attempt (status unchanged)          commande.paiement_refuse
//! paiement.accepte    a_payer → confirmee, payment stored                   commande.confirmee
//!                     already cancelled: payment noted, nothing announced (paiements refunds it)
//! paiement.rembourse  the order's payment: rembourse_le, once               commande.remboursee
//! ```
//!
//! A batch is ONE transaction: the event ids go into the inbox (a redelivered event is
//! skipped), the orders' rows are locked in id order, then each kind of event is applied in
//! lifecycle order by one set-based statement guarded by the status it leaves (a late or
//! reordered event changes nothing and emits nothing), and the resulting events are written
//! to the outbox. Acked after the commit. An unknown routing key or an unreadable payload is
//! poison: dead-letter queue at once.

use std::time::Duration;

use anyhow::Context;
use contrats::evenements::{EtapeCommande, RefusPaiement, ResultatPaiement, ResultatStock};
use contrats::http::{Etape, MotifRefus, RaisonAnnulation};
use contrats::noms::cles;
use socle::amqp::{Issue, Message};
use socle::outbox::Reveil;
use sqlx::PgPool;
use uuid::Uuid;

use crate::depot::{self, transitions, Historique};
use crate::domaine::PaiementCapture;
use crate::evenements::{self, Annonces};

/// A readable event of `commandes_statut`.
#[derive(Debug, Clone)]
pub enum Evenement {
    StockReserve(ResultatStock),
    StockRefuse(ResultatStock),
    PaiementAccepte(ResultatPaiement),
    PaiementRefuse(ResultatPaiement, MotifRefus),
    PaiementRembourse(ResultatPaiement),
}

impl Evenement {
    fn id(&self) -> Uuid {
        match self {
            Evenement::StockReserve(r) | Evenement::StockRefuse(r) => r.id_evenement,
            Evenement::PaiementAccepte(p)
            | Evenement::PaiementRefuse(p, _)
            | Evenement::PaiementRembourse(p) => p.id_evenement,
        }
    }

    fn id_commande(&self) -> i64 {
        match self {
            Evenement::StockReserve(r) | Evenement::StockRefuse(r) => r.id_commande,
            Evenement::PaiementAccepte(p)
            | Evenement::PaiementRefuse(p, _)
            | Evenement::PaiementRembourse(p) => p.id_commande,
        }
    }
}

/// Handles a batch: one outcome per message, in order.
pub async fn traiter_lot(
    db: PgPool,
    reveil: Reveil,
    delai_paiement: Duration,
    messages: Vec<Message>,
) -> Vec<Issue> {
    socle::amqp::appliquer_par_lot(&messages, lire, |lot: Vec<Evenement>| {
        let (db, reveil) = (db.clone(), reveil.clone());
        async move {
            appliquer(&db, delai_paiement, lot)
                .await?
                .apres_validation(&reveil);
            Ok(())
        }
    })
    .await
}

/// What the table would refuse forever is poison now, not five retries later.
fn lire_paiement(message: &Message) -> Result<ResultatPaiement, String> {
    let p: ResultatPaiement = serde_json::from_slice(&message.corps)
        .map_err(|e| format!("{} illisible : {e}", message.routing_key))?;
    let q = p.quatre_derniers.as_bytes();
    if q.len() != 4 || !q.iter().all(u8::is_ascii_digit) {
        return Err(format!(
            "{} : quatre_derniers doit compter quatre chiffres",
            message.routing_key
        ));
    }
    if p.marque.trim().is_empty() {
        return Err(format!("{} : marque de carte vide", message.routing_key));
    }
    Ok(p)
}

fn lire(message: &Message) -> Result<Evenement, String> {
    let stock = || {
        serde_json::from_slice::<ResultatStock>(&message.corps)
            .map_err(|e| format!("{} illisible : {e}", message.routing_key))
    };
    match message.routing_key.as_str() {
        cles::STOCK_RESERVE => stock().map(Evenement::StockReserve),
        cles::STOCK_REFUSE => stock().map(Evenement::StockRefuse),
        cles::PAIEMENT_ACCEPTE => lire_paiement(message).map(Evenement::PaiementAccepte),
        cles::PAIEMENT_REMBOURSE => lire_paiement(message).map(Evenement::PaiementRembourse),
        cles::PAIEMENT_REFUSE => {
            let p = lire_paiement(message)?;
            let motif = p
                .motif_refus
                .ok_or_else(|| "paiement.refuse sans motif_refus".to_owned())?;
            Ok(Evenement::PaiementRefuse(p, motif))
        }
        autre => Err(format!("clé de routage inattendue : {autre}")),
    }
}

/// Applies the events not seen before in one transaction; what to announce once committed.
async fn appliquer(
    db: &PgPool,
    delai_paiement: Duration,
    lot: Vec<Evenement>,
) -> anyhow::Result<Annonces> {
    let mut annonces = Annonces::default();
    if lot.is_empty() {
        return Ok(annonces);
    }
    let mut tx = db.begin().await.context("transaction du statut")?;
    let ids: Vec<Uuid> = lot.iter().map(Evenement::id).collect();
    let mut nouveaux = transitions::marquer_traites(&mut tx, &ids).await?;
    // A duplicate (already in the inbox, or twice in this batch) counts once.
    let lot: Vec<Evenement> = lot
        .into_iter()
        .filter(|e| nouveaux.remove(&e.id()))
        .collect();
    if lot.is_empty() {
        tracing::info!(evenements = ids.len(), "événements déjà traités, ignorés");
        tx.rollback().await.ok();
        return Ok(annonces);
    }
    let mut commandes: Vec<i64> = lot.iter().map(Evenement::id_commande).collect();
    commandes.sort_unstable();
    commandes.dedup();
    transitions::verrouiller(&mut tx, &commandes).await?;

    // Lifecycle order: within one batch, a reservation comes before a payment of the same
    // order, a declined attempt before the accepted one, a capture before its refund.
    let mut reserves = Vec::new();
    let mut refus_stock = Vec::new();
    let mut acceptes = Vec::new();
    let mut refus_paiement = Vec::new();
    let mut rembourses = Vec::new();
    for e in &lot {
        match e {
            Evenement::StockReserve(r) => reserves.push(r),
            Evenement::StockRefuse(r) => refus_stock.push(r),
            Evenement::PaiementAccepte(p) => acceptes.push(p),
            Evenement::PaiementRefuse(p, m) => refus_paiement.push((p, *m)),
            Evenement::PaiementRembourse(p) => rembourses.push(p),
        }
    }
    let mut ignores = 0;

    if !reserves.is_empty() {
        let cibles: Vec<_> = reserves
            .iter()
            .map(|r| (r.id_commande, r.reference))
            .collect();
        let bougees = transitions::reserver(&mut tx, &cibles, delai_paiement).await?;
        for c in depot::charger(&mut tx, &bougees, Historique::Sans).await? {
            tracing::info!(id_commande = c.id_commande, echeance = ?c.echeance_paiement, "stock réservé : commande à payer");
            annonces.etape(Etape::APayer, evenements::etape(&c));
        }
        let restantes: Vec<_> = cibles
            .iter()
            .copied()
            .filter(|(id, _)| !bougees.contains(id))
            .collect();
        if !restantes.is_empty() {
            let tardives = transitions::annulees_avant_reservation(&mut tx, &restantes).await?;
            for c in depot::charger(&mut tx, &tardives, Historique::Sans).await? {
                tracing::info!(
                    id_commande = c.id_commande,
                    "réservation arrivée après l'annulation par la boutique : stock rendu"
                );
                annonces.liberation(&c, RaisonAnnulation::Boutique);
            }
            ignores += restantes.len() - tardives.len();
        }
    }

    if !refus_stock.is_empty() {
        let cibles: Vec<_> = refus_stock
            .iter()
            .map(|r| (r.id_commande, r.reference))
            .collect();
        let bougees = transitions::refuser_stock(&mut tx, &cibles).await?;
        for c in depot::charger(&mut tx, &bougees, Historique::Sans).await? {
            tracing::info!(
                id_commande = c.id_commande,
                "stock insuffisant : commande annulée"
            );
            let mut e = evenements::etape(&c);
            // The lines short of stock, from the first refusal of the batch for this order.
            if let Some(r) = refus_stock.iter().find(|r| r.id_commande == c.id_commande) {
                e.manquants = r.manquants.clone();
            }
            annonces.etape(Etape::Annulee, e);
        }
        ignores += cibles.len() - bougees.len();
    }

    if !refus_paiement.is_empty() {
        let refus: Vec<_> = refus_paiement
            .iter()
            .map(|(p, _)| (p.id_commande, p.reference, p.id_paiement))
            .collect();
        let notes = transitions::refuser_paiement(&mut tx, &refus).await?;
        let ids: Vec<i64> = notes.iter().map(|n| n.0).collect();
        let commandes = depot::charger(&mut tx, &ids, Historique::Sans).await?;
        for (id_commande, id_paiement) in &notes {
            let (Some(c), Some((_, motif))) = (
                commandes.iter().find(|c| c.id_commande == *id_commande),
                refus_paiement
                    .iter()
                    .find(|(p, _)| p.id_paiement == *id_paiement),
            ) else {
                continue;
            };
            tracing::info!(id_commande, %id_paiement, motif = motif.as_str(), "paiement refusé : la commande attend toujours");
            let mut e: EtapeCommande = evenements::etape(c);
            e.refus = Some(RefusPaiement {
                id_paiement: *id_paiement,
                motif: *motif,
            });
            annonces.etape(Etape::PaiementRefuse, e);
        }
        ignores += refus.len() - notes.len();
    }

    if !acceptes.is_empty() {
        let captures: Vec<PaiementCapture> = acceptes
            .iter()
            .map(|p| PaiementCapture {
                id_commande: p.id_commande,
                reference: p.reference,
                id_paiement: p.id_paiement,
                marque: p.marque.trim().to_owned(),
                quatre_derniers: p.quatre_derniers.clone(),
                montant: p.montant,
                paye_le: p.timestamp,
            })
            .collect();
        let bougees = transitions::accepter_paiement(&mut tx, &captures).await?;
        for c in depot::charger(&mut tx, &bougees, Historique::Sans).await? {
            tracing::info!(
                id_commande = c.id_commande,
                "paiement reçu : commande confirmée"
            );
            annonces.etape(Etape::Confirmee, evenements::etape(&c));
        }
        let restantes: Vec<PaiementCapture> = captures
            .into_iter()
            .filter(|p| !bougees.contains(&p.id_commande))
            .collect();
        if !restantes.is_empty() {
            let tardifs = transitions::noter_paiement_tardif(&mut tx, &restantes).await?;
            for id_commande in &tardifs {
                tracing::info!(
                    id_commande,
                    "paiement arrivé après l'annulation : noté, paiements le rembourse"
                );
            }
            for p in restantes
                .iter()
                .filter(|p| !tardifs.contains(&p.id_commande))
            {
                tracing::info!(id_commande = p.id_commande, id_paiement = %p.id_paiement, "paiement pour une commande qui n'est pas à payer (ou d'un autre montant) : ignoré");
            }
            ignores += restantes.len() - tardifs.len();
        }
    }

    if !rembourses.is_empty() {
        let cibles: Vec<_> = rembourses
            .iter()
            .map(|p| (p.id_commande, p.reference, p.id_paiement, p.timestamp))
            .collect();
        let bougees = transitions::rembourser(&mut tx, &cibles).await?;
        for c in depot::charger(&mut tx, &bougees, Historique::Sans).await? {
            tracing::info!(id_commande = c.id_commande, "paiement remboursé");
            annonces.etape(Etape::Remboursee, evenements::etape(&c));
        }
        ignores += cibles.len() - bougees.len();
    }

    if ignores > 0 {
        tracing::info!(
            ignores,
            "événements sans effet : commandes déjà plus loin, ou inconnues"
        );
    }
    annonces.ecrire(&mut tx).await?;
    tx.commit().await.context("validation du statut")?;
    Ok(annonces)
}
