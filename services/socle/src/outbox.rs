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
//! Every event is published `mandatory`: one that no queue receives comes back from the
//! broker (`basic.return`) before its confirmation, and its row stays unpublished. The relay
//! logs it at error level (exchange, routing key, event id; never the payload) and tries that
//! row again after a pause that doubles from [`REPORT_NON_ROUTE_MIN`] to
//! [`REPORT_NON_ROUTE_MAX`] (kept in memory: the rows behind it are not held), so it is
//! published once a queue is bound to its key.
//!
//! A batch holds a transaction and a pool connection while it waits for the broker, so that
//! wait is bounded ([`OptionsRelais::attente_confirmations`], 10 s by default) and watches the
//! stop token: a broker that blocks publishers (memory or disk alarm) or stops answering
//! makes the relay roll the batch back (its rows stay unpublished for the next pass) and
//! remake its channel; a stop asked meanwhile is obeyed within [`GRACE_ARRET`].
//!
//! The relay is woken in-process by [`Reveil::signaler`], called by whoever committed rows,
//! and otherwise polls every [`SONDAGE`] (rows a stopped replica left behind). Not by a
//! PostgreSQL NOTIFY: a notifying commit takes a cluster-wide lock held until the commit is
//! flushed, which serialised every order's commit (see the README's benchmarks).
//!
//! Each row keeps the trace context of the span that wrote it (`traceparent`, see
//! [`crate::telemetrie`]); the relay publishes each event in a span of that trace and sends
//! its context in the message's `traceparent` header, so consumers continue the same trace.
//!
//! The table (`outbox`) is created by socle's migrations; published rows are deleted after a
//! while by [`crate::retention`].
//! The queries here are checked at run time, not by `query!`: this crate has no database of
//! its own to check them against; every service's integration tests run them for real.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use contrats::noms::Topologie;
use lapin::options::{BasicPublishOptions, ConfirmSelectOptions};
use lapin::Confirmation;
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

/// How long a stop asked during a batch still waits for its confirmations.
const GRACE_ARRET: Duration = Duration::from_millis(500);

/// First pause before publishing again an event that no queue received; it doubles each
/// time, up to [`REPORT_NON_ROUTE_MAX`].
pub const REPORT_NON_ROUTE_MIN: Duration = Duration::from_secs(1);
pub const REPORT_NON_ROUTE_MAX: Duration = Duration::from_secs(60);

/// The relay's settings.
#[derive(Debug, Clone)]
pub struct OptionsRelais {
    /// Longest wait for the broker to take and confirm a batch (the relay then holds a
    /// transaction and a pool connection). Past it the batch is rolled back (its rows stay
    /// unpublished) and the relay opens a new channel.
    pub attente_confirmations: Duration,
}

impl Default for OptionsRelais {
    fn default() -> Self {
        OptionsRelais {
            attente_confirmations: Duration::from_secs(10),
        }
    }
}

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
/// event id, event)` each, published in this order, with the current span's trace context.
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
        r#"INSERT INTO outbox (id_evenement, routing_key, charge, traceparent)
           SELECT e.id, e.cle, e.charge, $4
           FROM UNNEST($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS e(id, cle, charge, rang)
           ORDER BY e.rang"#,
    )
    .bind(&ids)
    .bind(&cles)
    .bind(&charges)
    .bind(crate::telemetrie::traceparent_courant())
    .execute(conn)
    .await
    .context("écriture dans l'outbox")?;
    Ok(())
}

/// Publishes the outbox until `arret`; the batch in flight is finished first if the broker
/// confirms it within [`GRACE_ARRET`], otherwise rolled back.
pub async fn relayer(
    db: PgPool,
    broker: Broker,
    topologie: Topologie,
    reveil: Reveil,
    arret: CancellationToken,
    options: OptionsRelais,
) {
    let exchange = topologie.exchange();
    let mut attente = Duration::from_millis(200);
    let mut non_routes = NonRoutes::default();
    loop {
        let Some(connexion) = broker.attendre_connexion(&arret).await else {
            return;
        };
        let ouverture = async {
            let canal = connexion.create_channel().await?;
            canal
                .confirm_select(ConfirmSelectOptions::default())
                .await?;
            declarer_topologie(&canal, &topologie).await?;
            anyhow::Ok(canal)
        };
        // Not bounded by a timeout (no row is held meanwhile): a channel given up on here
        // would still open later, orphaned. A dead connection fails it (heartbeats); a stop
        // ends the wait.
        let canal = tokio::select! {
            () = arret.cancelled() => return,
            r = ouverture => r,
        };
        let canal = match canal {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(%exchange, erreur = %e, "canal de publication impossible");
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
            let passe =
                publier_un_lot(&db, &canal, &topologie, &mut non_routes, &options, &arret).await;
            match passe {
                Ok(Passe::Publies(n)) => {
                    // More may have come meanwhile: look again at once.
                    tracing::debug!(%exchange, evenements = n, "événements publiés");
                }
                // Nothing waiting: sleep until the next commit here (or the poll).
                Ok(Passe::Rien) => {
                    tokio::select! {
                        () = arret.cancelled() => {}
                        () = reveil.attendre() => {}
                        () = tokio::time::sleep(SONDAGE) => {}
                    }
                }
                Ok(Passe::Arret) => {}
                Ok(Passe::Delai(n)) => {
                    // The channel may still owe confirmations: a new one starts clean.
                    tracing::warn!(%exchange, evenements = n, delai = ?options.attente_confirmations, "le broker n'a pas confirmé à temps : lot rendu à l'outbox, nouveau canal");
                    break;
                }
                Err(e) => {
                    tracing::warn!(%exchange, erreur = %format!("{e:#}"), "publication interrompue, nouvel essai");
                    tokio::select! {
                        () = arret.cancelled() => {}
                        () = tokio::time::sleep(Duration::from_millis(500)) => {}
                    }
                    break;
                }
            }
            if arret.is_cancelled() {
                fermer(canal).await;
                return;
            }
        }
    }
}

/// Closes the relay's channel, without waiting long for a broker that no longer answers.
async fn fermer(canal: lapin::Channel) {
    let _ = tokio::time::timeout(Duration::from_secs(2), canal.close(200, "arret".into())).await;
}

/// What one pass of the relay did.
enum Passe {
    /// This many rows published (rows no queue received, if any, stay unpublished).
    Publies(usize),
    /// Nothing to publish.
    Rien,
    /// Stopped while waiting for the broker: the batch was rolled back.
    Arret,
    /// The broker did not confirm this many rows in time: the batch was rolled back.
    Delai(usize),
}

/// Rows that no queue received, each with when to try it again and the next pause.
#[derive(Default)]
struct NonRoutes(HashMap<i64, (Instant, Duration)>);

impl NonRoutes {
    /// Rows not to publish yet.
    fn differes(&self) -> Vec<i64> {
        let maintenant = Instant::now();
        self.0
            .iter()
            .filter(|(_, (quand, _))| *quand > maintenant)
            .map(|(id, _)| *id)
            .collect()
    }

    /// Holds `id` back for a pause that doubles each time; returns the pause.
    fn reporter(&mut self, id: i64) -> Duration {
        let pause = self.0.get(&id).map_or(REPORT_NON_ROUTE_MIN, |(_, p)| {
            (*p * 2).min(REPORT_NON_ROUTE_MAX)
        });
        self.0.insert(id, (Instant::now() + pause, pause));
        pause
    }

    fn oublier(&mut self, id: i64) {
        self.0.remove(&id);
    }
}

#[derive(sqlx::FromRow)]
struct LigneOutbox {
    id: i64,
    id_evenement: Uuid,
    routing_key: String,
    charge: String,
    traceparent: Option<String>,
}

/// Publishes up to [`LOT`] pending rows, except those held back after no queue received them.
async fn publier_un_lot(
    db: &PgPool,
    canal: &lapin::Channel,
    topologie: &Topologie,
    non_routes: &mut NonRoutes,
    options: &OptionsRelais,
    arret: &CancellationToken,
) -> anyhow::Result<Passe> {
    let differes = non_routes.differes();
    // One round trip outside any transaction first: many wake-ups announce rows an earlier
    // batch already took, and the claim below costs three. Shaped like the claim so that it
    // reads the partial index whatever the table held when it was planned: as an `EXISTS`
    // prepared on an empty table it kept a sequential scan (1.6 ms a call once the table held
    // thousands of published rows), since the prepared statement keeps its plan.
    let premier: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM outbox WHERE publie_le IS NULL AND id <> ALL($1) ORDER BY id LIMIT 1",
    )
    .bind(&differes)
    .fetch_optional(db)
    .await
    .context("lecture de l'outbox")?;
    if premier.is_none() {
        return Ok(Passe::Rien);
    }
    let mut tx = db.begin().await.context("transaction de l'outbox")?;
    let lignes: Vec<LigneOutbox> = sqlx::query_as(
        r#"SELECT id, id_evenement, routing_key, charge, traceparent FROM outbox
           WHERE publie_le IS NULL AND id <> ALL($2)
           ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED"#,
    )
    .bind(LOT)
    .bind(&differes)
    .fetch_all(&mut *tx)
    .await
    .context("lecture de l'outbox")?;
    if lignes.is_empty() {
        tx.commit()
            .await
            .context("fin de la transaction de l'outbox")?;
        return Ok(Passe::Rien);
    }
    let exchange = topologie.exchange();
    let envoi = publier(canal, &exchange, &lignes);
    tokio::pin!(envoi);
    let limite = tokio::time::sleep(options.attente_confirmations);
    tokio::pin!(limite);
    let confirmations = tokio::select! {
        r = &mut envoi => Some(r),
        () = &mut limite => None,
        () = arret.cancelled() => {
            // A broker that answers confirms within milliseconds: let it, rather than publish
            // the batch again after the restart; one that does not is not waited for.
            tokio::time::timeout(GRACE_ARRET, &mut envoi).await.ok()
        }
    };
    let Some(confirmations) = confirmations else {
        let _ = tx.rollback().await;
        return Ok(if arret.is_cancelled() {
            Passe::Arret
        } else {
            Passe::Delai(lignes.len())
        });
    };
    let confirmations = confirmations?;
    let mut publies = Vec::with_capacity(lignes.len());
    for (l, confirmation) in lignes.iter().zip(confirmations) {
        match confirmation {
            Recu::Oui => publies.push(l.id),
            Recu::NonRoute(raison) => {
                let pause = non_routes.reporter(l.id);
                tracing::error!(
                    %exchange,
                    routing_key = %l.routing_key,
                    id_evenement = %l.id_evenement,
                    %raison,
                    prochain_essai = ?pause,
                    "événement non routé : aucune file ne reçoit cette clé, il reste dans l'outbox"
                );
            }
            Recu::Refuse => {
                let pause = non_routes.reporter(l.id);
                tracing::warn!(%exchange, routing_key = %l.routing_key, id_evenement = %l.id_evenement, prochain_essai = ?pause, "événement refusé par le broker, il reste dans l'outbox");
            }
        }
    }
    // This commit only marks rows already confirmed by the broker: it need not wait for the
    // disk. Lost in a database crash, the marks make the next relay publish those rows again,
    // which the consumers drop as duplicates (the window this module's doc already accepts).
    // Every other commit of the shop keeps waiting for the disk.
    sqlx::query("SET LOCAL synchronous_commit = off")
        .execute(&mut *tx)
        .await
        .context("commit asynchrone du marquage")?;
    sqlx::query("UPDATE outbox SET publie_le = now() WHERE id = ANY($1)")
        .bind(&publies)
        .execute(&mut *tx)
        .await
        .context("marquage des événements publiés")?;
    tx.commit().await.context("validation de l'outbox")?;
    for id in &publies {
        non_routes.oublier(*id);
    }
    Ok(Passe::Publies(publies.len()))
}

/// What the broker said of one row.
enum Recu {
    /// Confirmed and routed to at least one queue.
    Oui,
    /// Returned: no queue is bound to its routing key (the broker's reason).
    NonRoute(String),
    /// Negatively confirmed.
    Refuse,
}

/// Publishes `lignes` (mandatory) and waits for every confirmation; one answer per row.
/// Each row is published in a span of its own trace (a child of the stored context), ended
/// once the broker confirmed it; that span's context goes in the `traceparent` header.
async fn publier(
    canal: &lapin::Channel,
    exchange: &str,
    lignes: &[LigneOutbox],
) -> anyhow::Result<Vec<Recu>> {
    let mut attentes = Vec::with_capacity(lignes.len());
    // Ended when dropped, at the end of this function: once the broker has answered.
    let mut spans = Vec::with_capacity(lignes.len());
    for l in lignes {
        // `parent: None`: a row's trace is its own, whatever the relay's loop is in.
        let span = tracing::info_span!(
            parent: None,
            "publication",
            otel.name = %format_args!("{} publish", l.routing_key),
            otel.kind = "producer",
            routing_key = %l.routing_key,
            id_evenement = %l.id_evenement,
            trace_id = tracing::field::Empty,
        );
        crate::telemetrie::rattacher(&span, crate::telemetrie::contexte(l.traceparent.as_deref()));
        let mut proprietes = proprietes_json(&l.id_evenement.to_string());
        if let Some(tp) = crate::telemetrie::traceparent(&span) {
            let mut entetes = lapin::types::FieldTable::default();
            entetes.insert(
                crate::telemetrie::TRACEPARENT.into(),
                lapin::types::AMQPValue::LongString(tp.into()),
            );
            proprietes = proprietes.with_headers(entetes);
        }
        spans.push(span);
        let attente = canal
            .basic_publish(
                exchange.into(),
                l.routing_key.as_str().into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                l.charge.as_bytes(),
                proprietes,
            )
            .await
            .context("publication")?;
        attentes.push(attente);
    }
    let mut recus = Vec::with_capacity(lignes.len());
    let mut retours = Vec::new();
    for attente in attentes {
        recus.push(match attente.await.context("confirmation du broker")? {
            Confirmation::Ack(retour) => {
                retours.extend(retour);
                Recu::Oui
            }
            Confirmation::Nack(retour) => {
                retours.extend(retour);
                Recu::Refuse
            }
            Confirmation::NotRequested => anyhow::bail!("canal sans confirmations"),
        });
    }
    // lapin hands a returned message to the next confirmation it resolves, which is not
    // always its own (one `multiple` ack resolves several): the message id names the row.
    for retour in retours {
        let id = retour
            .delivery
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str().to_owned());
        let rang = lignes
            .iter()
            .position(|l| id.as_deref() == Some(l.id_evenement.to_string().as_str()))
            .context("message retourné sans ligne correspondante")?;
        recus[rang] = Recu::NonRoute(retour.reply_text.as_str().to_owned());
    }
    Ok(recus)
}
