//! The transactional outbox: write an event with the change it announces, publish it later.
//!
//! [`ajouter_lot`] runs inside the caller's transaction, so the events exist if and only if
//! the change was committed (commandes writes an order's event in the same SQL statement as
//! the order instead, see its `depot::creer`). [`relayer`] publishes pending rows with publisher confirms and marks
//! them sent only once the broker confirmed them; while the broker is down it waits and tries
//! again, so an order accepted then is published when the broker is back. Rows are claimed
//! with `FOR UPDATE SKIP LOCKED`, so several replicas can relay side by side. A crash between
//! the broker's confirmation and the commit publishes a row twice: consumers are idempotent.
//!
//! The relay is woken in-process by [`Reveil::signaler`], called by whoever committed rows,
//! and otherwise polls every [`SONDAGE`] (rows a stopped replica left behind). Not by a
//! PostgreSQL NOTIFY: a notifying commit takes a cluster-wide lock held until the commit is
//! flushed, which serialised every order's commit (see the README's benchmarks).
//!
//! The table (`outbox`) is created by each service's migrations.
//! The queries here are checked at run time, not by `query!`: this crate has no database of
//! its own to check them against; every service's integration tests run them for real.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use contrats::noms::Topologie;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::amqp::{declarer_topologie, proprietes_json, Broker};

/// Rows published per round trip.
const LOT: i64 = 256;

/// How often the relay looks for rows nobody signalled.
pub const SONDAGE: Duration = Duration::from_millis(500);

/// Wakes this process's relay: call [`Reveil::signaler`] once a transaction that wrote
/// outbox rows has committed. A signal sent while the relay is busy is kept for its next wait.
#[derive(Clone, Default)]
pub struct Reveil(Arc<Notify>);

impl Reveil {
    pub fn signaler(&self) {
        self.0.notify_one();
    }

    async fn attendre(&self) {
        self.0.notified().await;
    }
}

/// Records several events in one statement, in the caller's transaction: `(routing key,
/// event id, event)` each, published in this order.
pub async fn ajouter_lot<T: Serialize>(
    conn: &mut PgConnection,
    evenements: &[(&str, Uuid, T)],
) -> anyhow::Result<()> {
    if evenements.is_empty() {
        return Ok(());
    }
    let mut ids = Vec::with_capacity(evenements.len());
    let mut cles = Vec::with_capacity(evenements.len());
    let mut charges = Vec::with_capacity(evenements.len());
    for (cle, id, evenement) in evenements {
        ids.push(*id);
        cles.push(*cle);
        charges.push(serde_json::to_string(evenement).context("sérialisation d'un événement")?);
    }
    // WITH ORDINALITY keeps the identity column in the order given.
    sqlx::query(
        r#"INSERT INTO outbox (id_evenement, routing_key, charge)
           SELECT e.id, e.cle, e.charge
           FROM UNNEST($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS e(id, cle, charge, rang)
           ORDER BY e.rang"#,
    )
    .bind(&ids)
    .bind(&cles)
    .bind(&charges)
    .execute(conn)
    .await
    .context("écriture dans l'outbox")?;
    Ok(())
}

/// Publishes the outbox until `arret`; the batch in flight is finished first.
pub async fn relayer(
    db: PgPool,
    broker: Broker,
    topologie: Topologie,
    reveil: Reveil,
    arret: CancellationToken,
) {
    let mut attente = Duration::from_millis(200);
    loop {
        let Some(connexion) = broker.attendre_connexion(&arret).await else {
            return;
        };
        let canal = async {
            let canal = connexion.create_channel().await?;
            canal
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            declarer_topologie(&canal, &topologie).await?;
            anyhow::Ok(canal)
        }
        .await;
        let canal = match canal {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(erreur = %e, "canal de publication impossible");
                tokio::select! {
                    () = arret.cancelled() => return,
                    () = tokio::time::sleep(attente) => {}
                }
                attente = (attente * 2).min(Duration::from_secs(5));
                continue;
            }
        };
        attente = Duration::from_millis(200);
        loop {
            match publier_un_lot(&db, &canal, &topologie).await {
                // Published some: more may have come meanwhile, look again at once.
                Ok(n) if n > 0 => tracing::debug!(evenements = n, "événements publiés"),
                // Nothing waiting: sleep until the next commit here (or the poll).
                Ok(_) => {
                    tokio::select! {
                        () = arret.cancelled() => {
                            let _ = canal.close(200, "arret".into()).await;
                            return;
                        }
                        () = reveil.attendre() => {}
                        () = tokio::time::sleep(SONDAGE) => {}
                    }
                }
                Err(e) => {
                    tracing::warn!(erreur = %e, "publication interrompue, nouvel essai");
                    tokio::select! {
                        () = arret.cancelled() => return,
                        () = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                    break;
                }
            }
            if arret.is_cancelled() {
                let _ = canal.close(200, "arret".into()).await;
                return;
            }
        }
    }
}

#[derive(sqlx::FromRow)]
struct LigneOutbox {
    id: i64,
    id_evenement: Uuid,
    routing_key: String,
    charge: String,
}

/// Publishes up to [`LOT`] pending rows; returns how many.
async fn publier_un_lot(
    db: &PgPool,
    canal: &lapin::Channel,
    topologie: &Topologie,
) -> anyhow::Result<usize> {
    // One round trip outside any transaction first: many wake-ups announce rows an earlier
    // batch already took, and the claim below costs three. Shaped like the claim so that it
    // reads the partial index whatever the table held when it was planned: as an `EXISTS`
    // prepared on an empty table it kept a sequential scan (1.6 ms a call once the table held
    // thousands of published rows), since the prepared statement keeps its plan.
    let premier: Option<i64> =
        sqlx::query_scalar("SELECT id FROM outbox WHERE publie_le IS NULL ORDER BY id LIMIT 1")
            .fetch_optional(db)
            .await
            .context("lecture de l'outbox")?;
    if premier.is_none() {
        return Ok(0);
    }
    let mut tx = db.begin().await.context("transaction de l'outbox")?;
    let lignes: Vec<LigneOutbox> = sqlx::query_as(
        r#"SELECT id, id_evenement, routing_key, charge FROM outbox
           WHERE publie_le IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"#,
    )
    .bind(LOT)
    .fetch_all(&mut *tx)
    .await
    .context("lecture de l'outbox")?;
    if lignes.is_empty() {
        tx.commit()
            .await
            .context("fin de la transaction de l'outbox")?;
        return Ok(0);
    }
    let exchange = topologie.exchange();
    let mut confirmations = Vec::with_capacity(lignes.len());
    for l in &lignes {
        let confirmation = canal
            .basic_publish(
                exchange.as_str().into(),
                l.routing_key.as_str().into(),
                BasicPublishOptions::default(),
                l.charge.as_bytes(),
                proprietes_json(&l.id_evenement.to_string()),
            )
            .await
            .context("publication")?;
        confirmations.push(confirmation);
    }
    for c in confirmations {
        let confirmation = c.await.context("confirmation du broker")?;
        anyhow::ensure!(confirmation.is_ack(), "le broker a refusé un événement");
    }
    let ids: Vec<i64> = lignes.iter().map(|l| l.id).collect();
    sqlx::query("UPDATE outbox SET publie_le = now() WHERE id = ANY($1)")
        .bind(&ids)
        .execute(&mut *tx)
        .await
        .context("marquage des événements publiés")?;
    tx.commit().await.context("validation de l'outbox")?;
    Ok(lignes.len())
}
