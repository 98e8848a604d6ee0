//! The order side of the saga: events commandes publishes, and the `commandes_statut`
//! consumer that moves an order from `en_attente` to `confirmee` or `annulee`.
//!
//! The status change is a state machine guarded in SQL (`WHERE statut = 'en_attente'`): a
//! duplicate or late stock event changes nothing and emits nothing. The outcome event is
//! written to the outbox in the same transaction as the status.

use anyhow::Context;
use chrono::Utc;
use contrats::evenements::{
    CommandeNouvelle, CommandeTerminee, LigneEvenement, ProduitCommande, ResultatStock, StatutFinal,
};
use contrats::http::StatutCommande;
use contrats::noms::cles;
use socle::amqp::{Issue, Message};
use socle::outbox::Reveil;
use sqlx::PgPool;
use uuid::Uuid;

use crate::depot;
use crate::domaine::Commande;

fn lignes_evenement(c: &Commande) -> Vec<LigneEvenement> {
    c.lignes
        .iter()
        .map(|l| LigneEvenement {
            produit_id: l.produit_id,
            nom: l.nom.clone(),
            prix_unitaire: l.prix_unitaire,
            quantite: l.quantite,
            sous_total: l.sous_total,
        })
        .collect()
}

/// `commande.nouvelle` for a just-created order (the seed's fields, plus ours).
pub fn commande_nouvelle(c: &Commande) -> CommandeNouvelle {
    CommandeNouvelle {
        id_evenement: Uuid::new_v4(),
        id_commande: c.id_commande,
        reference: c.reference,
        email: c.email.clone(),
        total: c.total,
        produits: c
            .lignes
            .iter()
            .map(|l| ProduitCommande {
                produit_id: l.produit_id,
                quantite: l.quantite,
            })
            .collect(),
        lignes: lignes_evenement(c),
        timestamp: Utc::now(),
    }
}

/// Handles a batch of `stock.reserve` / `stock.refuse`: one outcome per message, in order;
/// the status changes and outcome events of the batch are one transaction.
pub async fn traiter_lot(db: PgPool, reveil: Reveil, messages: Vec<Message>) -> Vec<Issue> {
    socle::amqp::appliquer_par_lot(&messages, lire, |lot: Vec<Valide>| {
        let (db, reveil) = (db.clone(), reveil.clone());
        async move {
            appliquer(&db, &lot).await?;
            reveil.signaler();
            Ok(())
        }
    })
    .await
}

type Valide = (ResultatStock, StatutFinal);

fn lire(message: &Message) -> Result<Valide, String> {
    let statut = match message.routing_key.as_str() {
        cles::STOCK_RESERVE => StatutFinal::Confirmee,
        cles::STOCK_REFUSE => StatutFinal::Annulee,
        autre => return Err(format!("clé de routage inattendue : {autre}")),
    };
    let resultat: ResultatStock = serde_json::from_slice(&message.corps)
        .map_err(|e| format!("résultat de stock illisible : {e}"))?;
    Ok((resultat, statut))
}

/// Moves the orders still pending and writes their outcome events, in one transaction.
async fn appliquer(db: &PgPool, valides: &[Valide]) -> anyhow::Result<()> {
    if valides.is_empty() {
        return Ok(());
    }
    let fins: Vec<(i64, Uuid, StatutCommande)> = valides
        .iter()
        .map(|(r, s)| (r.id_commande, r.reference, statut_de(*s)))
        .collect();
    let mut tx = db.begin().await.context("transaction du statut")?;
    let terminees = depot::terminer(&mut tx, &fins).await?;
    let mut evenements = Vec::with_capacity(terminees.len());
    for commande in &terminees {
        // The event that moved it: the first of the batch for this order with that status.
        let Some((r, statut)) = valides.iter().find(|(r, s)| {
            r.id_commande == commande.id_commande && statut_de(*s) == commande.statut
        }) else {
            continue;
        };
        tracing::info!(
            id_commande = commande.id_commande,
            ?statut,
            "commande terminée"
        );
        let terminee = CommandeTerminee {
            id_evenement: Uuid::new_v4(),
            id_commande: commande.id_commande,
            reference: commande.reference,
            email: commande.email.clone(),
            statut: *statut,
            total: commande.total,
            lignes: lignes_evenement(commande),
            manquants: r.manquants.clone(),
            timestamp: Utc::now(),
        };
        let cle = match statut {
            StatutFinal::Confirmee => cles::COMMANDE_CONFIRMEE,
            StatutFinal::Annulee => cles::COMMANDE_ANNULEE,
        };
        evenements.push((cle, terminee.id_evenement, terminee));
    }
    if terminees.len() < valides.len() {
        tracing::info!(
            ignores = valides.len() - terminees.len(),
            "commandes déjà terminées ou inconnues : rien à faire"
        );
    }
    socle::outbox::ajouter_lot(&mut tx, &evenements).await?;
    tx.commit().await.context("validation du statut")?;
    Ok(())
}

fn statut_de(s: StatutFinal) -> StatutCommande {
    match s {
        StatutFinal::Confirmee => StatutCommande::Confirmee,
        StatutFinal::Annulee => StatutCommande::Annulee,
    }
}
