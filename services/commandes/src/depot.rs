//! SQL access to orders (compile-checked queries; offline data in `.sqlx/`).

use std::collections::HashMap;

use anyhow::Context;
use contrats::http::StatutCommande;
use rust_decimal::Decimal;
use socle::pagination::Pagination;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domaine::{CleIdempotence, Commande, Ligne};

/// An order as first created under an Idempotency-Key.
pub struct Existante {
    pub reference: Uuid,
    pub empreinte: String,
}

pub async fn par_cle(db: &PgPool, cle: &CleIdempotence) -> anyhow::Result<Option<Existante>> {
    sqlx::query_as!(
        Existante,
        "SELECT reference, empreinte FROM commandes WHERE cle_idempotence = $1",
        cle.as_str()
    )
    .fetch_optional(db)
    .await
    .context("recherche par clé d'idempotence")
}

/// Writes the order, its lines and its `commande.nouvelle` event in ONE statement (so one
/// implicit transaction and one round trip); `None` when another request with the same
/// Idempotency-Key won the race (nothing is written then).
///
/// `evenement` is the event's compact JSON, built before the database gave the order its id,
/// with `"id_commande":0`: the statement writes the id in its place as it stores the event
/// (text, so the bytes published stay serde_json's).
pub async fn creer(
    db: &PgPool,
    commande: Commande,
    cle: Option<&CleIdempotence>,
    empreinte: &str,
    evenement: (&str, Uuid, String),
) -> anyhow::Result<Option<Commande>> {
    let ids: Vec<i64> = commande.lignes.iter().map(|l| l.produit_id).collect();
    let noms: Vec<String> = commande.lignes.iter().map(|l| l.nom.clone()).collect();
    let prix: Vec<Decimal> = commande.lignes.iter().map(|l| l.prix_unitaire).collect();
    let quantites: Vec<i32> = commande.lignes.iter().map(|l| l.quantite).collect();
    let sous_totaux: Vec<Decimal> = commande.lignes.iter().map(|l| l.sous_total).collect();
    let (cle_routage, id_evenement, charge) = evenement;
    let entete = sqlx::query!(
        r#"WITH c AS (
               INSERT INTO commandes (reference, email, total, cle_idempotence, empreinte)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (cle_idempotence) DO NOTHING
               RETURNING id, statut, cree_le, modifie_le
           ), l AS (
               INSERT INTO lignes_commande (commande_id, produit_id, nom, prix_unitaire, quantite, sous_total)
               SELECT c.id, d.* FROM c,
                   UNNEST($6::bigint[], $7::text[], $8::numeric[], $9::int[], $10::numeric[]) AS d
           ), o AS (
               INSERT INTO outbox (id_evenement, routing_key, charge)
               SELECT $11, $12, replace($13::text, '"id_commande":0', '"id_commande":' || c.id) FROM c
           )
           SELECT id AS "id!", statut AS "statut!", cree_le AS "cree_le!", modifie_le AS "modifie_le!"
           FROM c"#,
        commande.reference,
        commande.email,
        commande.total,
        cle.map(|c| c.as_str()),
        empreinte,
        &ids,
        &noms,
        &prix,
        &quantites,
        &sous_totaux,
        id_evenement,
        cle_routage,
        charge,
    )
    .fetch_optional(db)
    .await
    .context("insertion d'une commande")?;
    entete
        .map(|e| {
            Ok(Commande {
                id_commande: e.id,
                statut: lire_statut(&e.statut)?,
                cree_le: e.cree_le,
                modifie_le: e.modifie_le,
                ..commande
            })
        })
        .transpose()
}

/// The status column (text, checked by the table) as the typed status.
fn lire_statut(s: &str) -> anyhow::Result<StatutCommande> {
    s.parse().context("statut enregistré")
}

struct Entete {
    id: i64,
    reference: Uuid,
    email: String,
    statut: String,
    total: Decimal,
    cree_le: chrono::DateTime<chrono::Utc>,
    modifie_le: chrono::DateTime<chrono::Utc>,
}

struct LigneLue {
    commande_id: i64,
    produit_id: i64,
    nom: String,
    prix_unitaire: Decimal,
    quantite: i32,
    sous_total: Decimal,
}

/// Attaches their lines to order headers, in one query.
async fn completer(conn: &mut PgConnection, entetes: Vec<Entete>) -> anyhow::Result<Vec<Commande>> {
    let ids: Vec<i64> = entetes.iter().map(|e| e.id).collect();
    let lignes = sqlx::query_as!(
        LigneLue,
        r#"SELECT commande_id, produit_id, nom, prix_unitaire, quantite, sous_total
           FROM lignes_commande WHERE commande_id = ANY($1) ORDER BY commande_id, produit_id"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("lecture des lignes de commande")?;
    let mut par_commande: HashMap<i64, Vec<Ligne>> = HashMap::new();
    for l in lignes {
        par_commande.entry(l.commande_id).or_default().push(Ligne {
            produit_id: l.produit_id,
            nom: l.nom,
            prix_unitaire: l.prix_unitaire,
            quantite: l.quantite,
            sous_total: l.sous_total,
        });
    }
    entetes
        .into_iter()
        .map(|e| {
            Ok(Commande {
                id_commande: e.id,
                reference: e.reference,
                email: e.email,
                statut: lire_statut(&e.statut)?,
                total: e.total,
                lignes: par_commande.remove(&e.id).unwrap_or_default(),
                cree_le: e.cree_le,
                modifie_le: e.modifie_le,
            })
        })
        .collect()
}

pub async fn par_reference(db: &PgPool, reference: Uuid) -> anyhow::Result<Option<Commande>> {
    let mut conn = db.acquire().await.context("connexion à la base")?;
    par_reference_tx(&mut conn, reference).await
}

/// [`par_reference`] on a given connection (inside a transaction).
async fn par_reference_tx(
    conn: &mut PgConnection,
    reference: Uuid,
) -> anyhow::Result<Option<Commande>> {
    let entete = sqlx::query_as!(
        Entete,
        r#"SELECT id, reference, email, statut, total, cree_le, modifie_le
           FROM commandes WHERE reference = $1"#,
        reference
    )
    .fetch_optional(&mut *conn)
    .await
    .context("lecture d'une commande")?;
    match entete {
        None => Ok(None),
        Some(e) => Ok(completer(conn, vec![e]).await?.pop()),
    }
}

/// Moves the listed orders that are still `en_attente` to their final status, in one
/// statement; returns those that moved (a duplicate or late event moves nothing).
pub async fn terminer(
    conn: &mut PgConnection,
    fins: &[(i64, Uuid, StatutCommande)],
) -> anyhow::Result<Vec<Commande>> {
    let ids: Vec<i64> = fins.iter().map(|f| f.0).collect();
    let references: Vec<Uuid> = fins.iter().map(|f| f.1).collect();
    let statuts: Vec<&str> = fins.iter().map(|f| f.2.as_str()).collect();
    let entetes = sqlx::query_as!(
        Entete,
        r#"UPDATE commandes AS c SET statut = d.statut, modifie_le = now()
           FROM UNNEST($1::bigint[], $2::uuid[], $3::text[]) AS d(id, reference, statut)
           WHERE c.id = d.id AND c.reference = d.reference AND c.statut = 'en_attente'
           RETURNING c.id, c.reference, c.email, c.statut, c.total,
                     c.cree_le, c.modifie_le"#,
        &ids,
        &references,
        &statuts as &[&str],
    )
    .fetch_all(&mut *conn)
    .await
    .context("changement de statut")?;
    completer(conn, entetes).await
}

/// A page of orders, newest first, and the total count.
pub async fn lister(db: &PgPool, p: Pagination) -> anyhow::Result<(Vec<Commande>, i64)> {
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "total!" FROM commandes"#)
        .fetch_one(db)
        .await
        .context("comptage des commandes")?;
    let entetes = sqlx::query_as!(
        Entete,
        r#"SELECT id, reference, email, statut, total, cree_le, modifie_le
           FROM commandes ORDER BY cree_le DESC, id DESC LIMIT $1 OFFSET $2"#,
        p.par_page,
        p.decalage()
    )
    .fetch_all(db)
    .await
    .context("lecture des commandes")?;
    let mut conn = db.acquire().await.context("connexion à la base")?;
    Ok((completer(&mut conn, entetes).await?, total))
}
