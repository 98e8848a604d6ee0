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
use contrats::noms::cles;
use socle::amqp::{Issue, Message};
use sqlx::PgPool;
use uuid::Uuid;

use crate::api::dto::{Commande, Statut};

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

/// Handles one `stock.reserve` / `stock.refuse`.
pub async fn traiter(db: PgPool, message: Message) -> Issue {
    let statut = match message.routing_key.as_str() {
        cles::STOCK_RESERVE => StatutFinal::Confirmee,
        cles::STOCK_REFUSE => StatutFinal::Annulee,
        autre => return Issue::Poison(format!("clé de routage inattendue : {autre}")),
    };
    let resultat: ResultatStock = match serde_json::from_slice(&message.corps) {
        Ok(r) => r,
        Err(e) => return Issue::Poison(format!("résultat de stock illisible : {e}")),
    };
    match appliquer(&db, &resultat, statut).await {
        Ok(true) => {
            tracing::info!(
                id_commande = resultat.id_commande,
                ?statut,
                "commande terminée"
            );
            Issue::Traite
        }
        Ok(false) => {
            tracing::info!(
                id_commande = resultat.id_commande,
                "commande déjà terminée ou inconnue : rien à faire"
            );
            Issue::Traite
        }
        Err(e) => Issue::Reessayer(format!("{e:#}")),
    }
}

/// `true` when the order moved (and its outcome event was written).
async fn appliquer(db: &PgPool, r: &ResultatStock, statut: StatutFinal) -> anyhow::Result<bool> {
    let nouveau = match statut {
        StatutFinal::Confirmee => Statut::Confirmee,
        StatutFinal::Annulee => Statut::Annulee,
    };
    let mut tx = db.begin().await.context("transaction du statut")?;
    let deplacee = sqlx::query!(
        r#"UPDATE commandes SET statut = $3, modifie_le = now()
           WHERE id = $1 AND reference = $2 AND statut = 'en_attente'
           RETURNING id"#,
        r.id_commande,
        r.reference,
        nouveau as Statut,
    )
    .fetch_optional(&mut *tx)
    .await
    .context("changement de statut")?;
    if deplacee.is_none() {
        tx.rollback().await.ok();
        return Ok(false);
    }
    let commande = crate::depot::par_reference_tx(&mut tx, r.reference)
        .await?
        .context("commande disparue pendant sa mise à jour")?;
    let terminee = CommandeTerminee {
        id_evenement: Uuid::new_v4(),
        id_commande: commande.id_commande,
        reference: commande.reference,
        email: commande.email.clone(),
        statut,
        total: commande.total,
        lignes: lignes_evenement(&commande),
        manquants: r.manquants.clone(),
        timestamp: Utc::now(),
    };
    let cle = match statut {
        StatutFinal::Confirmee => cles::COMMANDE_CONFIRMEE,
        StatutFinal::Annulee => cles::COMMANDE_ANNULEE,
    };
    socle::outbox::ajouter(&mut tx, cle, terminee.id_evenement, &terminee).await?;
    tx.commit().await.context("validation du statut")?;
    Ok(true)
}
