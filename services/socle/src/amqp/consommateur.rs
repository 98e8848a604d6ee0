//! The consumer loop every service uses.
//!
//! Prefetch is explicit and bounds the messages worked on at once. Each message is acked
//! exactly once, after its handler has committed its work. A handler says what happened:
//! done (ack), poison (reject without requeue: the broker dead-letters it to `<queue>.dlq` at
//! once), or retry later (a copy goes to `<queue>.retry` with a growing per-message TTL and an
//! attempt counter, then the original is acked; past the limit it is dead-lettered instead).
//! The loop survives broker restarts and stops gracefully: on cancellation it cancels the
//! consumer, lets in-flight messages finish, then returns.
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
use lapin::Channel;
use tokio_util::sync::CancellationToken;

use super::{declarer_topologie, Broker};

/// Header counting how many times a message was tried.
const ENTETE_TENTATIVES: &str = "x-tentatives";

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
                let _ = canal.basic_cancel(etiquette.clone(), BasicCancelOptions::default()).await;
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
                    let issues = gestionnaire(lot.iter().map(message).collect()).await;
                    if issues.len() != lot.len() {
                        tracing::error!(file = file.nom, "lot : une issue par message attendue");
                    }
                    let mut issues = issues.into_iter();
                    for livraison in lot {
                        // A missing outcome is retried rather than guessed.
                        let issue = issues.next().unwrap_or_else(|| {
                            Issue::Reessayer("aucune issue rendue pour ce message".into())
                        });
                        conclure(livraison, issue, &canal, topologie, file, options).await;
                    }
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
        let _ = canal.close(200, "arret".into()).await;
        tracing::info!(file = %nom, "consommation arrêtée");
    }
    resultat
}

fn message(livraison: &Delivery) -> Message {
    Message {
        routing_key: livraison.routing_key.as_str().to_owned(),
        message_id: livraison
            .properties
            .message_id()
            .as_ref()
            .map(|m| m.as_str().to_owned()),
        corps: livraison.data.clone(),
        tentatives: tentatives(livraison),
    }
}

/// Acts on a message's outcome: ack, dead-letter, or park for a retry.
async fn conclure(
    livraison: Delivery,
    issue: Issue,
    canal: &Channel,
    topologie: &Topologie,
    file: File,
    options: &OptionsConsommateur,
) {
    let tentatives = tentatives(&livraison);
    let resultat = match issue {
        Issue::Traite => livraison.acker.ack(BasicAckOptions::default()).await,
        Issue::Poison(raison) => {
            tracing::error!(file = file.nom, %raison, "message empoisonné : file des lettres mortes");
            livraison.acker.nack(sans_remise()).await
        }
        Issue::Reessayer(raison) if tentatives + 1 >= options.tentatives_max => {
            tracing::error!(file = file.nom, %raison, tentatives = tentatives + 1, "échecs répétés : file des lettres mortes");
            livraison.acker.nack(sans_remise()).await
        }
        Issue::Reessayer(raison) => {
            let delai = options
                .delai_base
                .saturating_mul(2u32.saturating_pow(tentatives))
                .min(options.delai_max);
            tracing::warn!(file = file.nom, %raison, tentative = tentatives + 1, ?delai, "nouvel essai plus tard");
            match reporter(&livraison, canal, topologie, file, tentatives + 1, delai).await {
                Ok(()) => livraison.acker.ack(BasicAckOptions::default()).await,
                // Could not park it: give it back to the queue rather than lose it.
                Err(e) => {
                    tracing::warn!(erreur = %e, "report impossible, remise en file");
                    tokio::time::sleep(delai.min(Duration::from_secs(1))).await;
                    livraison
                        .acker
                        .nack(BasicNackOptions {
                            requeue: true,
                            ..Default::default()
                        })
                        .await
                }
            }
        }
    };
    if let Err(e) = resultat {
        // The channel is gone: the broker will redeliver the message to the next consumer.
        tracing::warn!(file = file.nom, erreur = %e, "acquittement impossible");
    }
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

/// Parks a copy in the retry queue; it comes back to the queue when its TTL runs out.
async fn reporter(
    livraison: &Delivery,
    canal: &Channel,
    topologie: &Topologie,
    file: File,
    tentatives: u32,
    delai: Duration,
) -> anyhow::Result<()> {
    let mut entetes = livraison.properties.headers().clone().unwrap_or_default();
    entetes.insert(
        ShortString::from(ENTETE_TENTATIVES),
        AMQPValue::LongUInt(tentatives),
    );
    let proprietes = livraison
        .properties
        .clone()
        .with_headers(entetes)
        .with_expiration(delai.as_millis().to_string().into())
        .with_delivery_mode(2);
    let confirmation = canal
        .basic_publish(
            "".into(),
            topologie.attente(file).into(),
            BasicPublishOptions::default(),
            &livraison.data,
            proprietes,
        )
        .await?
        .await?;
    anyhow::ensure!(confirmation.is_ack(), "le broker a refusé le report");
    Ok(())
}
