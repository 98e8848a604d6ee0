//! The consumers' inbox (socle's `evenements_traites` table): an event id is recorded once,
//! in the transaction that applies the event, so a redelivered event is seen and skipped.

use std::collections::HashSet;

use anyhow::Context;
use sqlx::PgConnection;
use uuid::Uuid;

/// Records a batch's event ids in the inbox; returns those that were not there yet.
///
/// Inserted in id order, not delivery order. A duplicate's insert waits for the transaction
/// holding the same id (uncommitted) to finish; two replicas given the same duplicates in
/// opposite orders would each hold one id and wait for the other's: a deadlock (PostgreSQL
/// aborts one batch after `deadlock_timeout`). In one global order, whoever holds the
/// smallest shared id goes first and the other waits, without a cycle — the rows a consumer
/// locks next are then locked in a global order too.
pub async fn enregistrer(tx: &mut PgConnection, ids: &[Uuid]) -> anyhow::Result<HashSet<Uuid>> {
    let nouveaux = sqlx::query_scalar!(
        r#"INSERT INTO evenements_traites (id_evenement)
           SELECT id FROM UNNEST($1::uuid[]) AS e(id)
           ORDER BY id
           ON CONFLICT DO NOTHING
           RETURNING id_evenement"#,
        ids
    )
    .fetch_all(tx)
    .await
    .context("inbox")?;
    Ok(nouveaux.into_iter().collect())
}
