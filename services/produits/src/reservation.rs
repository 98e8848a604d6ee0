//! The stock side of the order saga: consumes `commande.nouvelle` from `stock_update`.
//!
//! In ONE transaction: skip the event if its id is already in the inbox, lock the products
//! (in id order, so concurrent reservations cannot deadlock), reserve every line only if
//! every line is available, record the event id, and write `stock.reserve` or `stock.refuse`
//! to the outbox. The message is acked only after the commit. Stock cannot go negative: the
//! rows are locked while checked, and a CHECK constraint stands behind it.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use contrats::evenements::{CommandeNouvelle, Manquant, ResultatStock};
use contrats::noms::cles;
use socle::amqp::{Issue, Message};
use sqlx::PgPool;
use uuid::Uuid;

use crate::cache::CacheCatalogue;

/// Handles one delivery.
pub async fn traiter(db: PgPool, cache: Arc<CacheCatalogue>, message: Message) -> Issue {
    let evenement: CommandeNouvelle = match serde_json::from_slice(&message.corps) {
        Ok(e) => e,
        Err(e) => return Issue::Poison(format!("commande.nouvelle illisible : {e}")),
    };
    let demande = match demande(&evenement) {
        Ok(d) => d,
        Err(raison) => return Issue::Poison(raison),
    };
    match reserver(&db, &evenement, &demande).await {
        Ok(Resultat::Reserve) => {
            cache.invalider();
            tracing::info!(id_commande = evenement.id_commande, "stock réservé");
            Issue::Traite
        }
        Ok(Resultat::Refuse(n)) => {
            tracing::info!(
                id_commande = evenement.id_commande,
                lignes_manquantes = n,
                "stock insuffisant"
            );
            Issue::Traite
        }
        Ok(Resultat::DejaTraite) => {
            tracing::info!(id_evenement = %evenement.id_evenement, "événement déjà traité, ignoré");
            Issue::Traite
        }
        Err(e) => Issue::Reessayer(format!("{e:#}")),
    }
}

/// Quantity per product (a legacy producer may repeat a product).
fn demande(e: &CommandeNouvelle) -> Result<BTreeMap<i64, i32>, String> {
    if e.produits.is_empty() {
        return Err("commande sans produit".into());
    }
    let mut demande = BTreeMap::new();
    for p in &e.produits {
        if p.quantite <= 0 {
            return Err(format!(
                "quantité {} invalide pour le produit {}",
                p.quantite, p.produit_id
            ));
        }
        let q: &mut i32 = demande.entry(p.produit_id).or_default();
        *q = q
            .checked_add(p.quantite)
            .ok_or_else(|| format!("quantité démesurée pour le produit {}", p.produit_id))?;
    }
    Ok(demande)
}

enum Resultat {
    Reserve,
    Refuse(usize),
    DejaTraite,
}

async fn reserver(
    db: &PgPool,
    e: &CommandeNouvelle,
    demande: &BTreeMap<i64, i32>,
) -> anyhow::Result<Resultat> {
    let mut tx = db.begin().await.context("transaction de réservation")?;
    let nouveau = sqlx::query!(
        "INSERT INTO evenements_traites (id_evenement) VALUES ($1) ON CONFLICT DO NOTHING",
        e.id_evenement
    )
    .execute(&mut *tx)
    .await
    .context("inbox")?
    .rows_affected()
        == 1;
    if !nouveau {
        tx.rollback().await.ok();
        return Ok(Resultat::DejaTraite);
    }
    let ids: Vec<i64> = demande.keys().copied().collect();
    let stocks = sqlx::query!(
        "SELECT id, nom, quantite_en_stock FROM produits WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &ids
    )
    .fetch_all(&mut *tx)
    .await
    .context("verrouillage des produits")?;
    let manquants: Vec<Manquant> = demande
        .iter()
        .filter_map(|(id, n)| {
            let produit = stocks.iter().find(|s| s.id == *id);
            let disponible = produit.map_or(0, |p| p.quantite_en_stock);
            (disponible < *n).then(|| Manquant {
                produit_id: *id,
                nom: produit.map(|p| p.nom.clone()),
                demande: *n,
                disponible,
            })
        })
        .collect();
    if manquants.is_empty() {
        let quantites: Vec<i32> = demande.values().copied().collect();
        sqlx::query!(
            r#"UPDATE produits AS p
               SET quantite_en_stock = p.quantite_en_stock - d.n, modifie_le = now()
               FROM UNNEST($1::bigint[], $2::int[]) AS d(id, n)
               WHERE p.id = d.id"#,
            &ids,
            &quantites
        )
        .execute(&mut *tx)
        .await
        .context("décrément du stock")?;
    }
    let reponse = ResultatStock {
        id_evenement: Uuid::new_v4(),
        id_evenement_commande: e.id_evenement,
        id_commande: e.id_commande,
        reference: e.reference,
        manquants,
        timestamp: Utc::now(),
    };
    let cle = if reponse.manquants.is_empty() {
        cles::STOCK_RESERVE
    } else {
        cles::STOCK_REFUSE
    };
    socle::outbox::ajouter(&mut tx, cle, reponse.id_evenement, &reponse).await?;
    tx.commit().await.context("validation de la réservation")?;
    Ok(if reponse.manquants.is_empty() {
        Resultat::Reserve
    } else {
        Resultat::Refuse(reponse.manquants.len())
    })
}
