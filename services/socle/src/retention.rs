//! Retention: deleting the rows that only ever grow once they are no longer needed.
//!
//! Published outbox rows ([`OUTBOX`]), the inbox's processed-event ids ([`INBOX`]) and any
//! table a service names (the mail worker's sent-email claims) are kept
//! [`Retention::conservation`] (`RETENTION_JOURS`, 7 days by default), then deleted. Dedup
//! only needs an id while its event can still be redelivered or republished, which is a
//! matter of minutes; a week leaves room for an outage. An unpublished outbox row is never
//! deleted: `publie_le < …` is never true of a NULL.
//!
//! Deletes go in batches of [`Retention::lot`] rows, each its own short statement
//! (`DELETE … WHERE ctid = ANY(ARRAY(SELECT ctid … LIMIT n))`), so that no lock is held long
//! and a stop is obeyed between two batches. [`entretenir`] runs a pass at start-up and then
//! every [`Retention::periode`], as a task of [`crate::messagerie::Messagerie`] (under its
//! task tracker and stop token). Replicas may purge side by side: a row deleted by another
//! is skipped.
//!
//! The queries are checked at run time (this crate has no database of its own); the table
//! and column names come from code, never from input.

use std::time::Duration;

use anyhow::Context;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// A table whose rows are deleted once `colonne` (a timestamp; NULL is never deleted) is
/// older than the retention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Purge {
    pub table: &'static str,
    pub colonne: &'static str,
}

impl Purge {
    pub const fn new(table: &'static str, colonne: &'static str) -> Self {
        Purge { table, colonne }
    }
}

/// Published outbox rows (an unpublished row has no `publie_le`).
pub const OUTBOX: Purge = Purge::new("outbox", "publie_le");
/// Ids of events the inbox already applied.
pub const INBOX: Purge = Purge::new("evenements_traites", "traite_le");

/// Days kept when `RETENTION_JOURS` is not set.
pub const JOURS_PAR_DEFAUT: u32 = crate::config::RETENTION_JOURS_DEFAUT;

/// How long rows are kept, how often and how many at a time they are deleted.
#[derive(Debug, Clone)]
pub struct Retention {
    pub conservation: Duration,
    pub periode: Duration,
    /// Rows deleted per statement.
    pub lot: i64,
}

impl Retention {
    /// Rows kept `jours` days, purged every hour, 1 000 at a time. Less than a day is
    /// refused: ids that dedup still needs would go.
    pub fn jours(jours: u32) -> anyhow::Result<Self> {
        anyhow::ensure!(jours >= 1, "la rétention doit durer au moins un jour");
        Ok(Retention {
            conservation: Duration::from_secs(u64::from(jours) * 24 * 3600),
            periode: Duration::from_secs(3600),
            lot: 1000,
        })
    }

    /// `RETENTION_JOURS` (default [`JOURS_PAR_DEFAUT`]); a value that does not parse is an
    /// error, not the default (see [`crate::config::jours_de_retention`]).
    pub fn depuis_env() -> anyhow::Result<Self> {
        Retention::jours(crate::config::jours_de_retention()?)
    }
}

/// Deletes what `purges` no longer need, batch after batch, until nothing is older than the
/// retention or `arret` fires; returns how many rows went, per table.
pub async fn purger(
    db: &PgPool,
    purges: &[Purge],
    retention: &Retention,
    arret: &CancellationToken,
) -> anyhow::Result<Vec<(&'static str, u64)>> {
    let secondes = retention.conservation.as_secs_f64();
    let mut bilan = Vec::with_capacity(purges.len());
    for p in purges {
        let sql = format!(
            "DELETE FROM {t} WHERE ctid = ANY(ARRAY(
                 SELECT ctid FROM {t} WHERE {c} < now() - make_interval(secs => $1) LIMIT $2))",
            t = p.table,
            c = p.colonne,
        );
        let mut total = 0;
        while !arret.is_cancelled() {
            let n = sqlx::query(&sql)
                .bind(secondes)
                .bind(retention.lot)
                .execute(db)
                .await
                .with_context(|| format!("purge de {}", p.table))?
                .rows_affected();
            total += n;
            if n < retention.lot.unsigned_abs() {
                break;
            }
        }
        bilan.push((p.table, total));
    }
    Ok(bilan)
}

/// Purges now, then every [`Retention::periode`], until `arret`.
pub async fn entretenir(
    db: PgPool,
    purges: Vec<Purge>,
    retention: Retention,
    arret: CancellationToken,
) {
    loop {
        match purger(&db, &purges, &retention, &arret).await {
            Ok(bilan) => {
                for (table, lignes) in bilan.into_iter().filter(|(_, n)| *n > 0) {
                    tracing::info!(table, lignes, "rétention : anciennes lignes supprimées");
                }
            }
            // The next pass tries again; nothing is lost by waiting.
            Err(e) => tracing::warn!(erreur = %format!("{e:#}"), "rétention : purge interrompue"),
        }
        tokio::select! {
            () = arret.cancelled() => return,
            () = tokio::time::sleep(retention.periode) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlx::migrate::Migrator;

    /// A fresh database with socle's tables (outbox, inbox), on the test server; named like
    /// testaide's so that `cargo xtask test` drops it.
    async fn base() -> (PgPool, String) {
        let serveur = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let nom = format!("test_socle_{}", uuid::Uuid::new_v4().simple());
        let db = crate::db::ouvrir(&format!("{serveur}/{nom}"), 3, &Migrator::DEFAULT)
            .await
            .expect("PostgreSQL de test");
        (db, nom)
    }

    async fn supprimer(db: PgPool, nom: &str) {
        db.close().await;
        let serveur = std::env::var("TEST_POSTGRES_URL")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
        let maintenance = PgPool::connect(&format!("{serveur}/postgres"))
            .await
            .unwrap();
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{nom}\" WITH (FORCE)"))
            .execute(&maintenance)
            .await;
    }

    async fn compter(db: &PgPool, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
    }

    #[tokio::test]
    async fn la_purge_supprime_ce_qui_a_vieilli_et_garde_ce_que_la_deduplication_utilise() {
        // Arrange: 2 500 old published rows (three batches of 1 000), recent published ones,
        // an old unpublished one; old and recent inbox ids.
        let (db, nom) = base().await;
        sqlx::query(
            "INSERT INTO outbox (id_evenement, routing_key, charge, cree_le, publie_le)
             SELECT gen_random_uuid(), 'essai', '{}', now() - interval '10 days',
                    now() - interval '10 days'
             FROM generate_series(1, 2500)",
        )
        .execute(&db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO outbox (id_evenement, routing_key, charge, cree_le, publie_le)
             SELECT gen_random_uuid(), 'recent', '{}', now() - interval '1 day',
                    now() - interval '6 days'
             FROM generate_series(1, 3)",
        )
        .execute(&db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO outbox (id_evenement, routing_key, charge, cree_le)
             VALUES (gen_random_uuid(), 'jamais_publie', '{}', now() - interval '30 days')",
        )
        .execute(&db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO evenements_traites (id_evenement, traite_le)
             SELECT gen_random_uuid(), now() - interval '8 days' FROM generate_series(1, 1200)
             UNION ALL
             SELECT gen_random_uuid(), now() - interval '1 hour' FROM generate_series(1, 4)",
        )
        .execute(&db)
        .await
        .unwrap();

        // Act
        let bilan = purger(
            &db,
            &[OUTBOX, INBOX],
            &Retention::jours(7).unwrap(),
            &CancellationToken::new(),
        )
        .await
        .unwrap();

        // Assert
        assert_eq!(bilan, [("outbox", 2500), ("evenements_traites", 1200)]);
        assert_eq!(
            compter(
                &db,
                "SELECT count(*) FROM outbox WHERE routing_key = 'recent'"
            )
            .await,
            3
        );
        assert_eq!(
            compter(&db, "SELECT count(*) FROM outbox WHERE publie_le IS NULL").await,
            1,
            "une ligne jamais publiée reste, même très vieille"
        );
        assert_eq!(compter(&db, "SELECT count(*) FROM outbox").await, 4);
        assert_eq!(
            compter(&db, "SELECT count(*) FROM evenements_traites").await,
            4
        );
        supprimer(db, &nom).await;
    }

    #[tokio::test]
    async fn la_tache_de_retention_purge_au_demarrage_et_s_arrete_quand_on_le_demande() {
        let (db, nom) = base().await;
        sqlx::query(
            "INSERT INTO evenements_traites (id_evenement, traite_le)
             VALUES (gen_random_uuid(), now() - interval '3 days'),
                    (gen_random_uuid(), now())",
        )
        .execute(&db)
        .await
        .unwrap();
        let arret = CancellationToken::new();
        let tache = tokio::spawn(entretenir(
            db.clone(),
            vec![INBOX],
            Retention::jours(2).unwrap(),
            arret.clone(),
        ));

        // The start-up pass is the positive marker: the old id goes, the recent one stays.
        let debut = std::time::Instant::now();
        while compter(&db, "SELECT count(*) FROM evenements_traites").await != 1 {
            assert!(
                debut.elapsed() < Duration::from_secs(30),
                "la purge de démarrage n'a pas eu lieu"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        arret.cancel();
        tokio::time::timeout(Duration::from_secs(5), tache)
            .await
            .expect("la tâche s'arrête quand on le lui demande")
            .unwrap();
        assert_eq!(
            compter(
                &db,
                "SELECT count(*) FROM evenements_traites WHERE traite_le > now() - interval '1 day'"
            )
            .await,
            1
        );
        supprimer(db, &nom).await;
    }

    #[test]
    fn moins_d_un_jour_de_retention_est_refuse() {
        assert!(Retention::jours(0).is_err());
        assert_eq!(
            Retention::jours(7).unwrap().conservation,
            Duration::from_secs(7 * 86_400)
        );
    }
}
