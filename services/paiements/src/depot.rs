//! SQL access to orders owed and payments (compile-checked queries; offline data in `.sqlx/`).

use std::collections::HashSet;

use anyhow::Context;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domaine::{
    motif_depuis, statut_depuis, statut_texte, CleIdempotence, CommandeDue, Paiement,
};

/// Holds the Idempotency-Key `cle` until the transaction ends (a transaction-level advisory
/// lock on its hash): two requests under one key never run side by side, so the second finds
/// the first's answer before it could ask the provider to capture again — even when they name
/// different orders, whose row locks would not keep them apart. Taken before the order's lock,
/// always in that order.
pub async fn verrouiller_cle(conn: &mut PgConnection, cle: &str) -> anyhow::Result<()> {
    sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", cle)
        .execute(&mut *conn)
        .await
        .context("verrouillage de la clé d'idempotence")?;
    Ok(())
}

/// Locks the order's row until the transaction ends (`FOR UPDATE`): a second payment of the
/// same order waits here until the first one is committed or rolled back.
///
/// Two statements on purpose: in READ COMMITTED, a statement that waited for a row lock sees
/// the row's new version but other tables as they were when it started, so a payment
/// committed meanwhile would be missed. The second statement starts after the lock is held.
pub async fn verrouiller_commande(
    conn: &mut PgConnection,
    reference: Uuid,
) -> anyhow::Result<Option<CommandeDue>> {
    let Some(c) = sqlx::query!(
        r#"SELECT id_commande, montant, annulee_le IS NOT NULL AS "annulee!"
           FROM commandes_a_payer WHERE reference = $1 FOR UPDATE"#,
        reference
    )
    .fetch_optional(&mut *conn)
    .await
    .context("verrouillage de la commande")?
    else {
        return Ok(None);
    };
    let payee = sqlx::query_scalar!(
        r#"SELECT EXISTS (
               SELECT 1 FROM paiements
               WHERE reference = $1 AND statut IN ('accepte', 'rembourse')
           ) AS "payee!""#,
        reference
    )
    .fetch_one(&mut *conn)
    .await
    .context("paiement existant")?;
    Ok(Some(CommandeDue {
        reference,
        id_commande: c.id_commande,
        montant: c.montant,
        annulee: c.annulee,
        payee,
    }))
}

struct Ligne {
    id_paiement: Uuid,
    id_commande: i64,
    reference: Uuid,
    statut: String,
    montant: Decimal,
    marque: String,
    quatre_derniers: String,
    motif_refus: Option<String>,
    cree_le: DateTime<Utc>,
    rembourse_le: Option<DateTime<Utc>>,
}

impl TryFrom<Ligne> for Paiement {
    type Error = anyhow::Error;
    fn try_from(l: Ligne) -> anyhow::Result<Self> {
        Ok(Paiement {
            id_paiement: l.id_paiement,
            id_commande: l.id_commande,
            reference: l.reference,
            statut: statut_depuis(&l.statut).context("statut de paiement enregistré")?,
            montant: l.montant,
            marque: l.marque,
            quatre_derniers: l.quatre_derniers,
            motif_refus: l
                .motif_refus
                .map(|m| motif_depuis(&m).context("motif de refus enregistré"))
                .transpose()?,
            cree_le: l.cree_le,
            rembourse_le: l.rembourse_le,
        })
    }
}

/// The payment made under `cle`, with the fingerprint of the request that made it.
pub async fn par_cle(
    conn: &mut PgConnection,
    cle: &CleIdempotence,
) -> anyhow::Result<Option<(String, Paiement)>> {
    let ligne = sqlx::query!(
        r#"SELECT p.id_paiement, c.id_commande, p.reference, p.statut, p.montant, p.marque,
                  p.quatre_derniers, p.motif_refus, p.cree_le, p.rembourse_le, p.empreinte
           FROM paiements p JOIN commandes_a_payer c ON c.reference = p.reference
           WHERE p.cle_idempotence = $1"#,
        cle.as_str()
    )
    .fetch_optional(&mut *conn)
    .await
    .context("recherche par clé d'idempotence")?;
    ligne
        .map(|l| {
            let paiement = Paiement::try_from(Ligne {
                id_paiement: l.id_paiement,
                id_commande: l.id_commande,
                reference: l.reference,
                statut: l.statut,
                montant: l.montant,
                marque: l.marque,
                quatre_derniers: l.quatre_derniers,
                motif_refus: l.motif_refus,
                cree_le: l.cree_le,
                rembourse_le: l.rembourse_le,
            })?;
            Ok((l.empreinte, paiement))
        })
        .transpose()
}

pub async fn par_id(db: &PgPool, id_paiement: Uuid) -> anyhow::Result<Option<Paiement>> {
    sqlx::query_as!(
        Ligne,
        r#"SELECT p.id_paiement, c.id_commande, p.reference, p.statut, p.montant, p.marque,
                  p.quatre_derniers, p.motif_refus, p.cree_le, p.rembourse_le
           FROM paiements p JOIN commandes_a_payer c ON c.reference = p.reference
           WHERE p.id_paiement = $1"#,
        id_paiement
    )
    .fetch_optional(db)
    .await
    .context("lecture d'un paiement")?
    .map(Paiement::try_from)
    .transpose()
}

/// Why a payment could not be written.
#[derive(Debug, thiserror::Error)]
pub enum Refus {
    /// Another request took this Idempotency-Key first (concurrently, for another order).
    #[error("clé d'idempotence déjà prise")]
    CleDejaPrise,
    /// The order already has a captured payment (`un_paiement_capture_par_commande`).
    #[error("commande déjà payée")]
    DejaPayee,
    #[error(transparent)]
    Autre(#[from] anyhow::Error),
}

/// Writes the attempt; gives it back with the database's creation time.
pub async fn enregistrer(
    conn: &mut PgConnection,
    paiement: Paiement,
    cle: &CleIdempotence,
    empreinte: &str,
) -> Result<Paiement, Refus> {
    let resultat = sqlx::query_scalar!(
        r#"INSERT INTO paiements (id_paiement, reference, statut, montant, marque,
                                  quatre_derniers, motif_refus, cle_idempotence, empreinte)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           RETURNING cree_le"#,
        paiement.id_paiement,
        paiement.reference,
        statut_texte(paiement.statut),
        paiement.montant,
        paiement.marque,
        paiement.quatre_derniers,
        paiement.motif_refus.map(|m| m.as_str()),
        cle.as_str(),
        empreinte,
    )
    .fetch_one(&mut *conn)
    .await;
    match resultat {
        Ok(cree_le) => Ok(Paiement {
            cree_le,
            ..paiement
        }),
        Err(e) => {
            let contrainte = e
                .as_database_error()
                .filter(|d| d.is_unique_violation())
                .and_then(|d| d.constraint().map(str::to_owned));
            Err(match contrainte.as_deref() {
                Some("paiements_cle_idempotence_key") => Refus::CleDejaPrise,
                Some("un_paiement_capture_par_commande") => Refus::DejaPayee,
                _ => Refus::Autre(anyhow::Error::from(e).context("écriture d'un paiement")),
            })
        }
    }
}

/// Records event ids in the inbox, in id order (two consumers holding the same duplicates
/// wait for each other instead of deadlocking); returns those that were not there yet.
pub async fn marquer_traites(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> anyhow::Result<HashSet<Uuid>> {
    Ok(sqlx::query_scalar!(
        r#"INSERT INTO evenements_traites (id_evenement)
           SELECT id FROM UNNEST($1::uuid[]) AS e(id)
           ORDER BY id
           ON CONFLICT DO NOTHING
           RETURNING id_evenement"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("inbox")?
    .into_iter()
    .collect())
}

/// What an event says of one order: what it owes, and whether it is cancelled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annonce {
    pub reference: Uuid,
    pub id_commande: i64,
    pub montant: Decimal,
    pub annulee: bool,
}

/// Records what the orders owe and which are cancelled, in ONE statement and in reference
/// order (concurrent batches lock the rows in the same order). An order already known keeps
/// its amount; a cancellation is never undone (a late `commande.a_payer` after a tombstone
/// leaves it cancelled). `annonces` holds one entry per reference.
pub async fn noter_commandes(conn: &mut PgConnection, annonces: &[Annonce]) -> anyhow::Result<()> {
    let references: Vec<Uuid> = annonces.iter().map(|a| a.reference).collect();
    let ids: Vec<i64> = annonces.iter().map(|a| a.id_commande).collect();
    let montants: Vec<Decimal> = annonces.iter().map(|a| a.montant).collect();
    let annulees: Vec<bool> = annonces.iter().map(|a| a.annulee).collect();
    sqlx::query!(
        r#"INSERT INTO commandes_a_payer AS c (reference, id_commande, montant, annulee_le)
           SELECT d.reference, d.id_commande, d.montant, CASE WHEN d.annulee THEN now() END
           FROM UNNEST($1::uuid[], $2::bigint[], $3::numeric[], $4::bool[])
                AS d(reference, id_commande, montant, annulee)
           ORDER BY d.reference
           ON CONFLICT (reference) DO UPDATE
           SET annulee_le = COALESCE(c.annulee_le, EXCLUDED.annulee_le)"#,
        &references,
        &ids,
        &montants,
        &annulees,
    )
    .execute(&mut *conn)
    .await
    .context("commandes à payer")?;
    Ok(())
}

/// Marks refunded the captured payments of `references` not refunded yet; returns them.
/// Guarded in SQL (`statut = 'accepte'`): a duplicate cancellation refunds nothing more.
pub async fn rembourser(
    conn: &mut PgConnection,
    references: &[Uuid],
) -> anyhow::Result<Vec<Paiement>> {
    sqlx::query_as!(
        Ligne,
        r#"UPDATE paiements AS p SET statut = 'rembourse', rembourse_le = now()
           FROM commandes_a_payer AS c
           WHERE c.reference = p.reference AND p.reference = ANY($1) AND p.statut = 'accepte'
           RETURNING p.id_paiement, c.id_commande, p.reference, p.statut, p.montant, p.marque,
                     p.quatre_derniers, p.motif_refus, p.cree_le, p.rembourse_le"#,
        references
    )
    .fetch_all(&mut *conn)
    .await
    .context("remboursement")?
    .into_iter()
    .map(Paiement::try_from)
    .collect()
}
