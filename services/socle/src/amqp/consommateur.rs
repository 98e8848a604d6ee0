//! The consumer loop every service uses.
//!
//! Prefetch is explicit and bounds the messages worked on at once. Each message is acked
//! exactly once, after its handler has committed its work. A handler says what happened:
//! done (ack), poison (reject without requeue: the broker dead-letters it to `<queue>.dlq` at
//! once), or retry later: a copy, its attempt counter (header `x-tentatives`) increased,
//! goes to the wait queue of its delay (`<queue>.retry.<ms>`, one queue per delay with a
//! queue-level TTL, see [`super::topologie`]), then the original is acked; past
//! `tentatives_max` it is dead-lettered instead. The delay doubles from `delai_base` up to
//! `delai_max`.
//!
//! Copies are published `mandatory` with publisher confirms, and the wait for their
//! confirmations is bounded ([`ATTENTE_CONFIRMATIONS`]). A copy the broker did not take
//! (returned because its wait queue is missing, refused, or not confirmed in time) is not a
//! reason to loop: it goes back to the end of the work queue at once with its attempt counted
//! (so a broken retry path ends in the dead-letter queue after `tentatives_max` tries rather
//! than never), and only if that fails too is the original requeued. Nothing in this path
//! sleeps: the other messages of the batch are acked first, and the next batch is not held.
//!
//! The loop survives broker restarts and stops gracefully: on cancellation it cancels the
//! consumer, lets the batch in flight finish and conclude (it logs that it does), then returns.
//! Each concluded batch is logged at debug level (`lot conclu`, with the queue and the message
//! ids): a test waits for that line to know a message was acked.
//!
//! Traces: each message gets a span (`message`), a child of the context its producer sent in
//! the `traceparent` header (kept on retried copies, so a redelivery stays in its trace), ended
//! once the message is concluded; the batch gets its own span (`lot`), in which the handler
//! runs: when its messages share one trace (always for a batch of one) it is a child of it,
//! so what the handler writes to the outbox continues that trace; otherwise it starts a trace
//! linked to each message's. A handler that works message by message can run each piece in
//! [`Message::span`] (the mail worker's SMTP sends).
//!
//! [`consommer_par_lots`] gives the handler every message already delivered (at most the
//! prefetch), one batch after the other, so that it can do their work in one database
//! transaction: under load the commit, the round trips and a hot row's lock are shared by the
//! whole batch instead of paid per message. Each message still gets its own outcome; what a
//! handler does inside a batch concurrently (the mail worker's sends) is its own business.

use std::future::Future;
use std::time::Duration;

use contrats::noms::{File, Topologie};
use futures::{FutureExt, StreamExt};
use lapin::message::Delivery;
use lapin::options::{
    BasicAckOptions, BasicCancelOptions, BasicConsumeOptions, BasicNackOptions,
    BasicPublishOptions, BasicQosOptions, ConfirmSelectOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::Confirmation;
use lapin::{BasicProperties, Channel};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::telemetrie;

use super::topologie::{declarer_attentes, file_d_attente};
use super::{declarer_topologie, Broker};

/// Header counting how many times a message was tried.
pub const ENTETE_TENTATIVES: &str = "x-tentatives";

/// Header keeping the routing key a message was published with: a retried copy travels
/// through the default exchange and its wait queue, and comes back under the queue's name.
pub const ENTETE_CLE_ORIGINE: &str = "x-cle-origine";

/// Longest wait for the broker to confirm a batch's retry copies: a broker that blocks
/// publishers (memory or disk alarm) must not hold the batch, and the stop, forever.
pub const ATTENTE_CONFIRMATIONS: Duration = Duration::from_secs(10);

/// Longest wait for the broker's answer when stopping (cancel, close): a stop is prompt even
/// when the broker no longer answers.
const ATTENTE_ARRET: Duration = Duration::from_secs(2);

/// What a handler made of a message.
#[derive(Debug)]
pub enum Issue {
    /// Work committed: ack.
    Traite,
    /// Will never succeed (unreadable, impossible): dead-letter queue at once.
    Poison(String),
    /// A dependency failed (database, SMTP…): try again later.
    Reessayer(String),
}

/// A delivered message, as handlers see it.
#[derive(Debug, Clone)]
pub struct Message {
    pub routing_key: String,
    pub message_id: Option<String>,
    pub corps: Vec<u8>,
    /// Tries before this one.
    pub tentatives: u32,
    /// This message's span (child of its producer's): per-message work may run in it.
    pub span: tracing::Span,
}

#[derive(Debug, Clone)]
pub struct OptionsConsommateur {
    /// Unacked messages the broker may send at once, hence the largest batch.
    pub prefetch: u16,
    /// Tries before a retried message is dead-lettered.
    pub tentatives_max: u32,
    /// First retry delay; doubles each try up to `delai_max`.
    pub delai_base: Duration,
    pub delai_max: Duration,
}

impl Default for OptionsConsommateur {
    fn default() -> Self {
        OptionsConsommateur {
            prefetch: 32,
            tentatives_max: 5,
            delai_base: Duration::from_secs(1),
            delai_max: Duration::from_secs(60),
        }
    }
}

impl OptionsConsommateur {
    /// How long a message waits after its `tentatives`-th failed try (counted from 1).
    pub fn delai(&self, tentatives: u32) -> Duration {
        self.delai_base
            .saturating_mul(2u32.saturating_pow(tentatives.saturating_sub(1)))
            .min(self.delai_max)
    }

    /// Every delay a retry can wait, shortest first: one wait queue each. A message is
    /// retried after its 1st … (`tentatives_max` − 1)th failure.
    pub fn paliers(&self) -> Vec<Duration> {
        let mut paliers: Vec<Duration> = (1..self.tentatives_max).map(|n| self.delai(n)).collect();
        paliers.dedup();
        paliers
    }
}

/// Consumes `file` until `arret`, handing `gestionnaire` batches of up to `prefetch`
/// messages; it answers with one outcome per message, in the same order.
pub async fn consommer_par_lots<G, Fut>(
    broker: Broker,
    topologie: Topologie,
    file: File,
    options: OptionsConsommateur,
    arret: CancellationToken,
    gestionnaire: G,
) where
    G: Fn(Vec<Message>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Vec<Issue>> + Send + 'static,
{
    let nom = topologie.file(file);
    let mut attente = Duration::from_millis(200);
    loop {
        let Some(connexion) = broker.attendre_connexion(&arret).await else {
            return;
        };
        match session(
            &connexion,
            &topologie,
            file,
            &options,
            &arret,
            &gestionnaire,
        )
        .await
        {
            Ok(()) => return,
            Err(e) => {
                tracing::warn!(file = %nom, erreur = %e, "consommation interrompue, reprise dans {attente:?}");
            }
        }
        tokio::select! {
            () = arret.cancelled() => return,
            () = tokio::time::sleep(attente) => {}
        }
        attente = (attente * 2).min(Duration::from_secs(5));
    }
}

/// One channel's worth of consuming; `Ok` only when stopped on purpose.
async fn session<G, Fut>(
    connexion: &lapin::Connection,
    topologie: &Topologie,
    file: File,
    options: &OptionsConsommateur,
    arret: &CancellationToken,
    gestionnaire: &G,
) -> anyhow::Result<()>
where
    G: Fn(Vec<Message>) -> Fut,
    Fut: Future<Output = Vec<Issue>>,
{
    let canal = connexion.create_channel().await?;
    declarer_topologie(&canal, topologie).await?;
    declarer_attentes(&canal, topologie, file, &options.paliers()).await?;
    canal
        .basic_qos(options.prefetch, BasicQosOptions::default())
        .await?;
    // Retries are republished on this channel: confirm them before acking the original.
    canal
        .confirm_select(ConfirmSelectOptions::default())
        .await?;
    let nom = topologie.file(file);
    let mut flux = canal
        .basic_consume(
            nom.as_str().into(),
            "".into(),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await?;
    let etiquette = flux.tag();
    tracing::info!(file = %nom, prefetch = options.prefetch, "consommation démarrée");
    // A batch runs to its end before the loop looks at `arret` again: stopping never cuts
    // one in half, and its messages are acked before the channel goes.
    let resultat = loop {
        tokio::select! {
            () = arret.cancelled() => {
                let annulation = canal.basic_cancel(etiquette.clone(), BasicCancelOptions::default());
                let _ = tokio::time::timeout(ATTENTE_ARRET, annulation).await;
                break Ok(());
            }
            livraison = flux.next() => match livraison {
                Some(Ok(livraison)) => {
                    // Whatever else is already here joins the batch; nothing waits for more.
                    let mut lot = vec![livraison];
                    let mut rompu = None;
                    while lot.len() < usize::from(options.prefetch) {
                        match flux.next().now_or_never() {
                            Some(Some(Ok(l))) => lot.push(l),
                            Some(Some(Err(e))) => {
                                rompu = Some(e);
                                break;
                            }
                            Some(None) | None => break,
                        }
                    }
                    let spans: Vec<tracing::Span> =
                        lot.iter().map(|l| span_de_message(l, &nom)).collect();
                    let span_lot = span_de_lot(&lot, &nom);
                    let messages = lot
                        .iter()
                        .zip(&spans)
                        .map(|(l, span)| message(l, span.clone()))
                        .collect();
                    let debut = std::time::Instant::now();
                    metrics::histogram!(crate::metriques::LOT_TAILLE, "file" => file.nom)
                        .record(lot.len() as f64);
                    let travail = gestionnaire(messages).instrument(span_lot.clone());
                    tokio::pin!(travail);
                    let issues = tokio::select! {
                        biased;
                        issues = &mut travail => issues,
                        () = arret.cancelled() => {
                            // Said out loud: the stop waits for this batch (a test waits for
                            // this line before checking that the service is still running).
                            tracing::info!(file = %nom, messages = lot.len(), "arrêt demandé pendant un lot : il se termine et s'acquitte d'abord");
                            travail.await
                        }
                    };
                    conclure_lot(lot, spans, issues, &canal, topologie, file, options)
                        .instrument(span_lot)
                        .await;
                    metrics::histogram!(crate::metriques::LOT_DUREE, "file" => file.nom)
                        .record(debut.elapsed().as_secs_f64());
                    if let Some(e) = rompu {
                        break Err(e.into());
                    }
                }
                Some(Err(e)) => break Err(e.into()),
                None => break Err(anyhow::anyhow!("flux de messages terminé")),
            },
        }
    };
    if resultat.is_ok() {
        let _ = tokio::time::timeout(ATTENTE_ARRET, canal.close(200, "arret".into())).await;
        tracing::info!(file = %nom, "consommation arrêtée");
    }
    resultat
}

fn message(livraison: &Delivery, span: tracing::Span) -> Message {
    Message {
        routing_key: cle_origine(livraison),
        message_id: identifiant(&livraison.properties),
        corps: livraison.data.clone(),
        tentatives: tentatives(livraison),
        span,
    }
}

/// The trace context its producer sent with the message (header `traceparent`).
fn contexte_producteur(livraison: &Delivery) -> Option<opentelemetry::Context> {
    let valeur = livraison
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(telemetrie::TRACEPARENT))
        .and_then(|v| match v {
            AMQPValue::LongString(s) => Some(s.to_string()),
            _ => None,
        });
    telemetrie::contexte(valeur.as_deref())
}

/// A message's span: a child of its producer's context.
fn span_de_message(livraison: &Delivery, file: &str) -> tracing::Span {
    let cle = cle_origine(livraison);
    let span = tracing::info_span!(
        parent: None,
        "message",
        otel.name = %format_args!("{cle} process"),
        otel.kind = "consumer",
        file,
        routing_key = %cle,
        message_id = identifiant(&livraison.properties).as_deref().unwrap_or("-"),
        tentatives = tentatives(livraison),
        issue = tracing::field::Empty,
        trace_id = tracing::field::Empty,
    );
    telemetrie::rattacher(&span, contexte_producteur(livraison));
    span
}

/// A batch's span. Its messages all from one trace (a batch of one, at least): a child of
/// the first one's producer context, so that what the handler writes to the outbox continues
/// that trace. From several traces: a trace of its own, linked to each message's producer
/// (the reactions then belong to the batch, never to another order's trace).
fn span_de_lot(lot: &[Delivery], file: &str) -> tracing::Span {
    use opentelemetry::trace::TraceContextExt;
    let span = tracing::info_span!(
        parent: None,
        "lot",
        otel.name = %format_args!("{file} receive"),
        otel.kind = "consumer",
        file,
        messages = lot.len(),
        trace_id = tracing::field::Empty,
    );
    let contextes: Vec<opentelemetry::Context> =
        lot.iter().filter_map(contexte_producteur).collect();
    let trace = |cx: &opentelemetry::Context| cx.span().span_context().trace_id();
    let une_trace = contextes
        .first()
        .is_some_and(|premier| contextes.iter().all(|cx| trace(cx) == trace(premier)));
    if une_trace {
        telemetrie::rattacher(&span, contextes.into_iter().next());
    } else {
        for cx in &contextes {
            telemetrie::lier(&span, cx);
        }
        telemetrie::rattacher(&span, None);
    }
    span
}

/// The routing key the message was published with: the header a retried copy carries, or
/// the delivery's own.
fn cle_origine(livraison: &Delivery) -> String {
    livraison
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(ENTETE_CLE_ORIGINE))
        .and_then(|v| match v {
            AMQPValue::LongString(s) => Some(s.to_string()),
            _ => None,
        })
        .unwrap_or_else(|| livraison.routing_key.as_str().to_owned())
}

fn identifiant(proprietes: &BasicProperties) -> Option<String> {
    proprietes
        .message_id()
        .as_ref()
        .map(|m| m.as_str().to_owned())
}

/// Acts on a batch's outcomes: acks and dead-letters first, then parks the retries (the
/// only part that waits on the broker), then logs the batch as concluded.
async fn conclure_lot(
    lot: Vec<Delivery>,
    spans: Vec<tracing::Span>,
    issues: Vec<Issue>,
    canal: &Channel,
    topologie: &Topologie,
    file: File,
    options: &OptionsConsommateur,
) {
    let nom = topologie.file(file);
    if issues.len() != lot.len() {
        tracing::error!(file = %nom, "lot : une issue par message attendue");
    }
    let ids: Vec<String> = lot
        .iter()
        .map(|l| identifiant(&l.properties).unwrap_or_else(|| "-".into()))
        .collect();
    let mut issues = issues.into_iter();
    let mut a_reporter = Vec::new();
    // Each message's span ends here (dropped), once its outcome is acted on; a retried one's
    // once its copy is parked.
    let mut spans_reportes = Vec::new();
    for (livraison, span) in lot.into_iter().zip(spans) {
        // A missing outcome is retried rather than guessed.
        let issue = issues
            .next()
            .unwrap_or_else(|| Issue::Reessayer("aucune issue rendue pour ce message".into()));
        let tentatives = tentatives(&livraison);
        let resultat = match issue {
            Issue::Traite => {
                span.record("issue", "traite");
                compter(file, "traite");
                livraison.acker.ack(BasicAckOptions::default()).await
            }
            Issue::Poison(raison) => {
                span.record("issue", "poison");
                compter(file, "poison");
                span.in_scope(|| tracing::error!(file = %nom, %raison, "message empoisonné : file des lettres mortes"));
                livraison.acker.nack(sans_remise()).await
            }
            Issue::Reessayer(raison) if tentatives + 1 >= options.tentatives_max => {
                span.record("issue", "epuise");
                compter(file, "epuise");
                span.in_scope(|| tracing::error!(file = %nom, %raison, tentatives = tentatives + 1, "échecs répétés : file des lettres mortes"));
                livraison.acker.nack(sans_remise()).await
            }
            Issue::Reessayer(raison) => {
                let delai = options.delai(tentatives + 1);
                span.record("issue", "reessai");
                compter(file, "reessai");
                span.in_scope(|| tracing::warn!(file = %nom, %raison, tentative = tentatives + 1, ?delai, "nouvel essai plus tard"));
                a_reporter.push((livraison, tentatives + 1));
                spans_reportes.push(span);
                continue;
            }
        };
        if let Err(e) = resultat {
            // The channel is gone: the broker will redeliver the message to the next consumer.
            tracing::warn!(file = %nom, erreur = %e, "acquittement impossible");
        }
    }
    if !a_reporter.is_empty() {
        reporter(&a_reporter, canal, topologie, file, options).await;
    }
    drop(spans_reportes);
    tracing::debug!(file = %nom, messages = %ids.join(","), "lot conclu");
}

/// Counts one message of `file` concluded as `issue` (see [`crate::metriques::MESSAGES`]).
fn compter(file: File, issue: &'static str) {
    metrics::counter!(crate::metriques::MESSAGES, "file" => file.nom, "issue" => issue)
        .increment(1);
}

/// A copy to publish on the default exchange, straight into queue `file`.
struct Copie<'a> {
    livraison: &'a Delivery,
    file: String,
    tentatives: u32,
}

/// Parks copies in their wait queues, then acks the originals; see the module's doc for what
/// happens to a copy the broker did not take.
async fn reporter(
    a_reporter: &[(Delivery, u32)],
    canal: &Channel,
    topologie: &Topologie,
    file: File,
    options: &OptionsConsommateur,
) {
    let nom = topologie.file(file);
    let copies: Vec<Copie> = a_reporter
        .iter()
        .map(|(livraison, tentatives)| Copie {
            livraison,
            file: file_d_attente(topologie, file, options.delai(*tentatives)),
            tentatives: *tentatives,
        })
        .collect();
    let resultats = publier_copies(canal, &copies).await;
    let mut en_fin_de_file = Vec::new();
    for (copie, resultat) in copies.into_iter().zip(resultats) {
        match resultat {
            Ok(()) => acquitter(copie.livraison, &nom).await,
            Err(raison) => {
                tracing::error!(file = %nom, attente = %copie.file, %raison, tentative = copie.tentatives, "report impossible : le message repart en fin de file, sa tentative comptée");
                en_fin_de_file.push(Copie {
                    file: nom.clone(),
                    ..copie
                });
            }
        }
    }
    if en_fin_de_file.is_empty() {
        return;
    }
    let resultats = publier_copies(canal, &en_fin_de_file).await;
    for (copie, resultat) in en_fin_de_file.into_iter().zip(resultats) {
        match resultat {
            Ok(()) => acquitter(copie.livraison, &nom).await,
            Err(raison) => {
                tracing::error!(file = %nom, %raison, "report et remise en fin de file impossibles : message rendu à la file");
                let remise = BasicNackOptions {
                    requeue: true,
                    ..Default::default()
                };
                if let Err(e) = copie.livraison.acker.nack(remise).await {
                    tracing::warn!(file = %nom, erreur = %e, "acquittement impossible");
                }
            }
        }
    }
}

async fn acquitter(livraison: &Delivery, file: &str) {
    if let Err(e) = livraison.acker.ack(BasicAckOptions::default()).await {
        tracing::warn!(%file, erreur = %e, "acquittement impossible");
    }
}

/// Publishes `copies` (mandatory, persistent), then waits for their confirmations, at most
/// [`ATTENTE_CONFIRMATIONS`] in all; one result per copy.
async fn publier_copies(canal: &Channel, copies: &[Copie<'_>]) -> Vec<Result<(), String>> {
    let envoi = async {
        let mut attentes = Vec::with_capacity(copies.len());
        for c in copies {
            let attente = canal
                .basic_publish(
                    "".into(),
                    c.file.as_str().into(),
                    BasicPublishOptions {
                        mandatory: true,
                        ..Default::default()
                    },
                    &c.livraison.data,
                    proprietes_de_copie(c.livraison, c.tentatives),
                )
                .await;
            attentes.push(attente);
        }
        let mut resultats = Vec::with_capacity(copies.len());
        let mut retours = Vec::new();
        for attente in attentes {
            resultats.push(match attente {
                Err(e) => Err(format!("publication : {e}")),
                Ok(confirmation) => match confirmation.await {
                    Err(e) => Err(format!("confirmation : {e}")),
                    Ok(Confirmation::Ack(retour)) => {
                        retours.extend(retour);
                        Ok(())
                    }
                    Ok(Confirmation::Nack(retour)) => {
                        retours.extend(retour);
                        Err("refusée par le broker".into())
                    }
                    Ok(Confirmation::NotRequested) => Ok(()),
                },
            });
        }
        // lapin hands a returned message to the next confirmation it resolves, which is not
        // always its own (one `multiple` ack resolves several): match each to a copy by
        // queue and message id; one that matches nothing fails them all (a duplicate later
        // beats a message lost).
        for retour in retours {
            let file = retour.delivery.routing_key.as_str();
            let id = identifiant(&retour.delivery.properties);
            tracing::error!(exchange = "(défaut)", routing_key = %file, code = retour.reply_code, raison = %retour.reply_text, "copie retournée par le broker : aucune file de ce nom");
            let trouve = copies.iter().zip(resultats.iter_mut()).find(|(c, r)| {
                r.is_ok() && c.file == file && identifiant(&c.livraison.properties) == id
            });
            match trouve {
                Some((_, r)) => {
                    *r = Err(format!("retournée par le broker ({})", retour.reply_text))
                }
                None => resultats
                    .iter_mut()
                    .for_each(|r| *r = Err("retour non attribuable".into())),
            }
        }
        resultats
    };
    match tokio::time::timeout(ATTENTE_CONFIRMATIONS, envoi).await {
        Ok(resultats) => resultats,
        Err(_) => copies
            .iter()
            .map(|_| Err("pas de confirmation du broker à temps".into()))
            .collect(),
    }
}

/// The original's properties with the attempt counter set, persistent, and without any
/// per-message TTL (the wait queue's TTL decides).
fn proprietes_de_copie(livraison: &Delivery, tentatives: u32) -> BasicProperties {
    let origine = &livraison.properties;
    let mut entetes = origine.headers().clone().unwrap_or_default();
    entetes.insert(
        ShortString::from(ENTETE_TENTATIVES),
        AMQPValue::LongUInt(tentatives),
    );
    // The key it was published with, kept from copy to copy (a copy comes back under the
    // queue's name).
    entetes.insert(
        ShortString::from(ENTETE_CLE_ORIGINE),
        AMQPValue::LongString(cle_origine(livraison).into()),
    );
    let mut p = BasicProperties::default()
        .with_headers(entetes)
        .with_delivery_mode(2);
    if let Some(v) = origine.content_type() {
        p = p.with_content_type(v.clone());
    }
    if let Some(v) = origine.content_encoding() {
        p = p.with_content_encoding(v.clone());
    }
    if let Some(v) = origine.message_id() {
        p = p.with_message_id(v.clone());
    }
    if let Some(v) = origine.correlation_id() {
        p = p.with_correlation_id(v.clone());
    }
    if let Some(v) = origine.timestamp() {
        p = p.with_timestamp(*v);
    }
    if let Some(v) = origine.kind() {
        p = p.with_type(v.clone());
    }
    if let Some(v) = origine.app_id() {
        p = p.with_app_id(v.clone());
    }
    if let Some(v) = origine.priority() {
        p = p.with_priority(*v);
    }
    p
}

fn sans_remise() -> BasicNackOptions {
    BasicNackOptions {
        requeue: false,
        ..Default::default()
    }
}

fn tentatives(livraison: &Delivery) -> u32 {
    livraison
        .properties
        .headers()
        .as_ref()
        .and_then(|h| h.inner().get(ENTETE_TENTATIVES))
        .and_then(|v| match v {
            AMQPValue::LongUInt(n) => Some(*n),
            AMQPValue::LongInt(n) => u32::try_from(*n).ok(),
            AMQPValue::LongLongInt(n) => u32::try_from(*n).ok(),
            _ => None,
        })
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_delais_doublent_jusqu_au_plafond_un_palier_par_delai() {
        let o = OptionsConsommateur {
            prefetch: 1,
            tentatives_max: 10,
            delai_base: Duration::from_millis(500),
            delai_max: Duration::from_secs(20),
        };
        assert_eq!(o.delai(1), Duration::from_millis(500));
        assert_eq!(o.delai(3), Duration::from_secs(2));
        let ms: Vec<u128> = o.paliers().iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [500, 1000, 2000, 4000, 8000, 16000, 20000]);
    }

    #[test]
    fn sans_nouvel_essai_il_n_y_a_pas_de_palier() {
        let o = OptionsConsommateur {
            tentatives_max: 1,
            ..Default::default()
        };
        assert!(o.paliers().is_empty());
        let defaut = OptionsConsommateur::default().paliers();
        let s: Vec<u64> = defaut.iter().map(Duration::as_secs).collect();
        assert_eq!(s, [1, 2, 4, 8]);
    }
}
