//! The stock side of the order saga: consumes `commande.nouvelle` from `stock_update`.
//!
//! Messages come in batches (whatever the broker has already delivered) and a batch is ONE
//! transaction: record the event ids in the inbox (in id order) and skip those already there,
//! lock the products (in id order: inbox ids then product ids, one global order, so concurrent
//! batches cannot deadlock), then for each order in delivery order reserve every line only if
//! every line is available, record what it took in `reservations` (one row per order and
//! product: what [`crate::liberation`] gives back if the order is cancelled), and write
//! `stock.reserve` or `stock.refuse` to the outbox. An order that already holds reservations
//! (the same order under another event id) reserves nothing more and gets no second answer.
//! Each product written gets a new version (a trigger: its ETag, see `api::ecriture`). The
//! messages are acked only after the commit. Should the batch's transaction fail, each message
//! is tried again alone, so one bad message cannot hold back the others. Stock cannot go
//! negative: the rows are locked while checked, and a CHECK constraint stands behind it. Under
//! load a hot product's row lock and the commit are paid once per batch instead of once per
//! order.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use anyhow::Context;
use chrono::Utc;
use contrats::evenements::{CommandeNouvelle, Manquant, ResultatStock};
use contrats::noms::cles;
use socle::amqp::{Issue, Message};
use socle::outbox::Reveil;
use sqlx::PgPool;
use uuid::Uuid;

use crate::inbox;

/// Handles a batch of deliveries: one outcome per message, in order.
/// The catalogue cache is not touched here: each instance's poll of what changed
/// (`cache::suivre_modifications`) drops the pages showing these products, once per interval
/// however many batches committed in it.
pub async fn traiter_lot(db: PgPool, reveil: Reveil, messages: Vec<Message>) -> Vec<Issue> {
    socle::amqp::appliquer_par_lot(&messages, lire, |lot: Vec<Valide>| {
        let (db, reveil) = (db.clone(), reveil.clone());
        async move {
            let resultats = reserver(&db, &lot).await?;
            reveil.signaler();
            conclure(&lot, resultats);
            Ok(())
        }
    })
    .await
}

type Valide = (CommandeNouvelle, BTreeMap<i64, i32>);

fn lire(message: &Message) -> Result<Valide, String> {
    let evenement: CommandeNouvelle = serde_json::from_slice(&message.corps)
        .map_err(|e| format!("commande.nouvelle illisible : {e}"))?;
    let demande = demande(&evenement)?;
    Ok((evenement, demande))
}

/// Counter of orders whose stock was reserved or refused: label `resultat` (`reserve`, `refuse`).
pub const RESERVATIONS: &str = "stock_reservations_total";

/// After the commit: says what happened, and counts it.
fn conclure(lot: &[Valide], resultats: Vec<Resultat>) {
    for ((evenement, _), resultat) in lot.iter().zip(resultats) {
        match resultat {
            Resultat::Reserve => {
                metrics::counter!(RESERVATIONS, "resultat" => "reserve").increment(1);
                tracing::info!(id_commande = evenement.id_commande, "stock réservé");
            }
            Resultat::Refuse(n) => {
                metrics::counter!(RESERVATIONS, "resultat" => "refuse").increment(1);
                tracing::info!(
                    id_commande = evenement.id_commande,
                    lignes_manquantes = n,
                    "stock insuffisant"
                )
            }
            Resultat::DejaTraite => {
                tracing::info!(id_evenement = %evenement.id_evenement, "événement déjà traité, ignoré");
            }
            Resultat::CommandeDejaReservee => tracing::warn!(
                id_commande = evenement.id_commande,
                id_evenement = %evenement.id_evenement,
                "commande déjà réservée sous un autre événement : rien de plus n'est réservé"
            ),
        }
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
    /// Another event for the same order (same reference) already reserved it.
    CommandeDejaReservee,
}

/// One transaction for the whole batch; one result per valid message, in order.
async fn reserver(db: &PgPool, valides: &[Valide]) -> anyhow::Result<Vec<Resultat>> {
    if valides.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await.context("transaction de réservation")?;
    let ids_evenements: Vec<Uuid> = valides.iter().map(|(e, _)| e.id_evenement).collect();
    // In id order (see `inbox::enregistrer`: no deadlock between replicas given the same
    // duplicates), the first lock of the batch's global order.
    let mut nouveaux = inbox::enregistrer(&mut tx, &ids_evenements).await?;
    if nouveaux.is_empty() {
        tx.rollback().await.ok();
        return Ok(valides.iter().map(|_| Resultat::DejaTraite).collect());
    }

    let ids_produits: Vec<i64> = valides
        .iter()
        .flat_map(|(_, d)| d.keys().copied())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut stocks: HashMap<i64, (String, i32)> = sqlx::query!(
        "SELECT id, nom, quantite_en_stock FROM produits WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &ids_produits
    )
    .fetch_all(&mut *tx)
    .await
    .context("verrouillage des produits")?
    .into_iter()
    .map(|p| (p.id, (p.nom, p.quantite_en_stock)))
    .collect();

    // Read after the product locks: a batch holding the same order under another event id
    // (it needs the same products) has committed by now, and this statement sees its rows.
    let references: Vec<Uuid> = valides
        .iter()
        .filter(|(e, _)| nouveaux.contains(&e.id_evenement))
        .map(|(e, _)| e.reference)
        .collect();
    let mut deja_reservees: HashSet<Uuid> = sqlx::query_scalar!(
        "SELECT DISTINCT reference FROM reservations WHERE reference = ANY($1)",
        &references
    )
    .fetch_all(&mut *tx)
    .await
    .context("réservations existantes")?
    .into_iter()
    .collect();

    let mut resultats = Vec::with_capacity(valides.len());
    let mut evenements = Vec::new();
    let mut modifies = BTreeSet::new();
    let mut tenues = Tenues::default();
    for (e, demande) in valides {
        // The same event twice in one batch: only its first copy counts.
        if !nouveaux.remove(&e.id_evenement) {
            resultats.push(Resultat::DejaTraite);
            continue;
        }
        if deja_reservees.contains(&e.reference) {
            resultats.push(Resultat::CommandeDejaReservee);
            continue;
        }
        let manquants: Vec<Manquant> = demande
            .iter()
            .filter_map(|(id, n)| {
                let produit = stocks.get(id);
                let disponible = produit.map_or(0, |p| p.1);
                (disponible < *n).then(|| Manquant {
                    produit_id: *id,
                    nom: produit.map(|p| p.0.clone()),
                    demande: *n,
                    disponible,
                })
            })
            .collect();
        if manquants.is_empty() {
            for (id, n) in demande {
                if let Some(p) = stocks.get_mut(id) {
                    p.1 -= n;
                    modifies.insert(*id);
                }
                tenues.ajouter(e, *id, *n);
            }
            deja_reservees.insert(e.reference);
        }
        let reponse = ResultatStock {
            id_evenement: Uuid::new_v4(),
            id_evenement_commande: e.id_evenement,
            id_commande: e.id_commande,
            reference: e.reference,
            manquants,
            timestamp: Utc::now(),
        };
        resultats.push(if reponse.manquants.is_empty() {
            Resultat::Reserve
        } else {
            Resultat::Refuse(reponse.manquants.len())
        });
        let cle = if reponse.manquants.is_empty() {
            cles::STOCK_RESERVE
        } else {
            cles::STOCK_REFUSE
        };
        evenements.push((cle, reponse.id_evenement, reponse));
    }
    if !modifies.is_empty() {
        // The rows are locked: the stock computed above is the stock.
        let (ids, quantites): (Vec<i64>, Vec<i32>) =
            modifies.iter().map(|id| (*id, stocks[id].1)).unzip();
        sqlx::query!(
            r#"UPDATE produits AS p
               SET quantite_en_stock = d.q, modifie_le = now()
               FROM UNNEST($1::bigint[], $2::int[]) AS d(id, q)
               WHERE p.id = d.id"#,
            &ids,
            &quantites
        )
        .execute(&mut *tx)
        .await
        .context("décrément du stock")?;
    }
    if !tenues.references.is_empty() {
        // New rows only (the orders were checked above); sorted by key, so that two batches
        // inserting the same key (a race the check above cannot see) wait, not deadlock.
        sqlx::query!(
            r#"INSERT INTO reservations (reference, id_commande, produit_id, quantite)
               SELECT * FROM UNNEST($1::uuid[], $2::bigint[], $3::bigint[], $4::int[])
                 AS r(reference, id_commande, produit_id, quantite)
               ORDER BY reference, produit_id"#,
            &tenues.references,
            &tenues.commandes,
            &tenues.produits,
            &tenues.quantites
        )
        .execute(&mut *tx)
        .await
        .context("écriture des réservations")?;
    }
    socle::outbox::ajouter_lot(&mut tx, &evenements).await?;
    tx.commit().await.context("validation de la réservation")?;
    Ok(resultats)
}

/// The rows of `reservations` a batch writes, as columns for one `UNNEST` insert.
#[derive(Default)]
struct Tenues {
    references: Vec<Uuid>,
    commandes: Vec<i64>,
    produits: Vec<i64>,
    quantites: Vec<i32>,
}

impl Tenues {
    fn ajouter(&mut self, e: &CommandeNouvelle, produit_id: i64, quantite: i32) {
        self.references.push(e.reference);
        self.commandes.push(e.id_commande);
        self.produits.push(produit_id);
        self.quantites.push(quantite);
    }
}
