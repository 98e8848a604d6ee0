//! Giving stock back: consumes `stock.libere` from `stock_liberation`.
//!
//! commandes publishes `stock.libere` when an order that held stock is cancelled (expired,
//! cancelled by the customer or the shop). What comes back is what THAT order reserved, as
//! [`crate::reservation`] recorded it in `reservations`, and it comes back once per order,
//! whatever arrives: the same event redelivered (the inbox), or several events for one order
//! (`UPDATE reservations SET libere_le = now() WHERE … AND libere_le IS NULL RETURNING`: only
//! the first finds rows). An order produits never reserved (refused, unknown, or reserved
//! before reservations were recorded) gives nothing back; that is logged at info level.
//!
//! A batch (what the broker already delivered) is ONE transaction, and its locks follow the
//! global order of [`crate::reservation`] with the order's reservation rows in between: the
//! inbox ids (sorted), the reservation rows (sorted by reference and product), then the
//! product rows (sorted by id). Each product is incremented once per batch (a new version,
//! by the trigger, like any stock change; the catalogue cache notices it at its next poll),
//! and each order's release of a product is journalled in `mouvements_stock`, with the
//! product's stock after that release and the version the batch's write gave it. An
//! unreadable message goes to the dead-letter queue; if the batch's transaction fails, each
//! message is tried alone, and what still fails is retried later.

use std::collections::{BTreeMap, HashMap};

use anyhow::Context;
use contrats::evenements::LiberationStock;
use socle::amqp::{Issue, Message};
use sqlx::PgPool;
use uuid::Uuid;

use crate::inbox;

/// Handles a batch of deliveries: one outcome per message, in order.
pub async fn traiter_lot(db: PgPool, messages: Vec<Message>) -> Vec<Issue> {
    socle::amqp::appliquer_par_lot(&messages, lire, |lot: Vec<LiberationStock>| {
        let db = db.clone();
        async move {
            let resultats = liberer(&db, &lot).await?;
            conclure(&lot, resultats);
            Ok(())
        }
    })
    .await
}

fn lire(message: &Message) -> Result<LiberationStock, String> {
    serde_json::from_slice(&message.corps).map_err(|e| format!("stock.libere illisible : {e}"))
}

/// What one message did.
#[derive(Debug, PartialEq, Eq)]
enum Resultat {
    /// Gave back this many units over this many products.
    Libere { produits: usize, unites: i64 },
    /// Nothing held: never reserved here, or already given back for another event.
    RienATenir,
    /// This event id was applied before (or is twice in this batch).
    DejaTraite,
}

/// After the commit: says what happened.
fn conclure(lot: &[LiberationStock], resultats: Vec<Resultat>) {
    for (e, resultat) in lot.iter().zip(resultats) {
        match resultat {
            Resultat::Libere { produits, unites } => tracing::info!(
                id_commande = e.id_commande,
                raison = e.raison.as_str(),
                produits,
                unites,
                "stock libéré"
            ),
            Resultat::RienATenir => tracing::info!(
                id_commande = e.id_commande,
                id_evenement = %e.id_evenement,
                "rien à libérer : commande jamais réservée ici, ou déjà libérée"
            ),
            Resultat::DejaTraite => tracing::info!(
                id_evenement = %e.id_evenement,
                "événement déjà traité, ignoré"
            ),
        }
    }
}

/// One row of `reservations` given back.
struct Rendue {
    reference: Uuid,
    produit_id: i64,
    quantite: i32,
}

/// One transaction for the whole batch; one result per message, in order.
async fn liberer(db: &PgPool, lot: &[LiberationStock]) -> anyhow::Result<Vec<Resultat>> {
    if lot.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await.context("transaction de libération")?;
    let ids: Vec<Uuid> = lot.iter().map(|e| e.id_evenement).collect();
    // In id order (see `inbox::enregistrer`), the first lock of the batch's global order.
    let mut nouveaux = inbox::enregistrer(&mut tx, &ids).await?;
    if nouveaux.is_empty() {
        tx.rollback().await.ok();
        return Ok(lot.iter().map(|_| Resultat::DejaTraite).collect());
    }

    // The first copy of each new event; the orders they release (one event per order is
    // enough: the others of this batch find nothing, like a later one would).
    let mut premiers = vec![false; lot.len()];
    for (i, e) in lot.iter().enumerate() {
        premiers[i] = nouveaux.remove(&e.id_evenement);
    }
    let (references, commandes): (Vec<Uuid>, Vec<i64>) = lot
        .iter()
        .zip(&premiers)
        .filter(|(_, p)| **p)
        .map(|(e, _)| (e.reference, e.id_commande))
        .unzip();
    // Locked in key order before they are written (an UPDATE alone locks rows in whatever
    // order its plan visits them; MATERIALIZED keeps the sorted lock from being folded into
    // it); both the reference and the order id must match. A batch releasing the same order
    // concurrently waits on the lock, then sees `libere_le` set and skips the row.
    let rendues: Vec<Rendue> = sqlx::query_as!(
        Rendue,
        r#"WITH choisies AS MATERIALIZED (
               SELECT r.reference, r.produit_id
               FROM reservations r
               JOIN UNNEST($1::uuid[], $2::bigint[]) AS l(reference, id_commande)
                 ON r.reference = l.reference AND r.id_commande = l.id_commande
               WHERE r.libere_le IS NULL
               ORDER BY r.reference, r.produit_id
               FOR UPDATE OF r
           )
           UPDATE reservations AS r SET libere_le = now()
           FROM choisies c
           WHERE r.reference = c.reference AND r.produit_id = c.produit_id
             AND r.libere_le IS NULL
           RETURNING r.reference, r.produit_id, r.quantite"#,
        &references,
        &commandes
    )
    .fetch_all(&mut *tx)
    .await
    .context("libération des réservations")?;

    let mut par_commande: HashMap<Uuid, Vec<&Rendue>> = HashMap::new();
    let mut par_produit: BTreeMap<i64, i64> = BTreeMap::new();
    for r in &rendues {
        par_commande.entry(r.reference).or_default().push(r);
        *par_produit.entry(r.produit_id).or_default() += i64::from(r.quantite);
    }
    let ids_produits: Vec<i64> = par_produit.keys().copied().collect();
    let mut stocks: HashMap<i64, i32> = sqlx::query!(
        "SELECT id, quantite_en_stock FROM produits WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &ids_produits
    )
    .fetch_all(&mut *tx)
    .await
    .context("verrouillage des produits")?
    .into_iter()
    .map(|p| (p.id, p.quantite_en_stock))
    .collect();
    // A product deleted while the order held some: nothing to put the units back on.
    for id in ids_produits.iter().filter(|id| !stocks.contains_key(id)) {
        tracing::warn!(
            produit = id,
            "produit supprimé : ses unités réservées sont perdues"
        );
    }

    let (ids, quantites): (Vec<i64>, Vec<i32>) = par_produit
        .iter()
        .filter_map(|(id, n)| Some((*id, stocks.get(id)?, *n)))
        .map(|(id, stock, n)| {
            // The rows are locked: this is the stock. Past the column's maximum the batch
            // fails (retried, then dead-lettered) rather than give back less than held.
            let apres = i64::from(*stock) + n;
            i32::try_from(apres)
                .map(|q| (id, q))
                .with_context(|| format!("le stock du produit {id} dépasserait {}", i32::MAX))
        })
        .collect::<anyhow::Result<Vec<_>>>()?
        .into_iter()
        .unzip();
    let versions: HashMap<i64, i64> = sqlx::query!(
        r#"UPDATE produits AS p
           SET quantite_en_stock = d.q, modifie_le = now()
           FROM UNNEST($1::bigint[], $2::int[]) AS d(id, q)
           WHERE p.id = d.id
           RETURNING p.id, p.version"#,
        &ids,
        &quantites
    )
    .fetch_all(&mut *tx)
    .await
    .context("incrément du stock")?
    .into_iter()
    .map(|p| (p.id, p.version))
    .collect();

    // The journal, one row per order and product, in delivery order: each row's stock is
    // the product's after that order's units came back.
    let mut journal = Journal::default();
    let mut resultats = Vec::with_capacity(lot.len());
    for (e, premier) in lot.iter().zip(premiers) {
        if !premier {
            resultats.push(Resultat::DejaTraite);
            continue;
        }
        let Some(mut lignes) = par_commande.remove(&e.reference) else {
            resultats.push(Resultat::RienATenir);
            continue;
        };
        lignes.sort_by_key(|r| r.produit_id);
        let mut unites = 0;
        for r in &lignes {
            unites += i64::from(r.quantite);
            let (Some(stock), Some(version)) =
                (stocks.get_mut(&r.produit_id), versions.get(&r.produit_id))
            else {
                continue;
            };
            *stock += r.quantite;
            journal.produits.push(r.produit_id);
            journal.deltas.push(r.quantite);
            journal.raisons.push(format!(
                "commande {} annulée ({}) : réservation libérée",
                e.id_commande,
                e.raison.as_str()
            ));
            journal.stocks.push(*stock);
            journal.versions.push(*version);
        }
        resultats.push(Resultat::Libere {
            produits: lignes.len(),
            unites,
        });
    }
    if !journal.produits.is_empty() {
        sqlx::query!(
            r#"INSERT INTO mouvements_stock (produit_id, delta, raison, stock_apres, version_apres)
               SELECT produit_id, delta, raison, stock_apres, version_apres
               FROM UNNEST($1::bigint[], $2::int[], $3::text[], $4::int[], $5::bigint[])
                 WITH ORDINALITY AS j(produit_id, delta, raison, stock_apres, version_apres, rang)
               ORDER BY rang"#,
            &journal.produits,
            &journal.deltas,
            &journal.raisons,
            &journal.stocks,
            &journal.versions
        )
        .execute(&mut *tx)
        .await
        .context("journal des mouvements de stock")?;
    }
    tx.commit().await.context("validation de la libération")?;
    Ok(resultats)
}

/// The `mouvements_stock` rows of a batch, as columns for one `UNNEST` insert.
#[derive(Default)]
struct Journal {
    produits: Vec<i64>,
    deltas: Vec<i32>,
    raisons: Vec<String>,
    stocks: Vec<i32>,
    versions: Vec<i64>,
}
