//! Declaring the shop's exchanges and queues. Every service declares all of it at start-up
//! (declarations are idempotent), so no message is lost for lack of a queue whichever
//! service starts first.
//!
//! Retries wait in one queue per delay ([`declarer_attentes`], `<queue>.retry.<ms>`), each
//! with a queue-level TTL: RabbitMQ only expires the message at the head of a queue, so in
//! one queue of per-message TTLs a 60 s copy held back every 1 s copy behind it. The levels
//! depend on the consumer's retry settings, so each consumer declares its own before it
//! consumes. The former single `<queue>.retry` (per-message TTLs) is still declared, so that
//! copies parked there before the change come back.

use std::time::Duration;

use contrats::noms::{File, Topologie, FILES};
use lapin::options::{ExchangeDeclareOptions, QueueBindOptions, QueueDeclareOptions};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, ExchangeKind};

fn arguments(paires: &[(&str, String)]) -> FieldTable {
    let mut table = FieldTable::default();
    for (cle, valeur) in paires {
        table.insert(
            ShortString::from(*cle),
            AMQPValue::LongString(valeur.as_str().into()),
        );
    }
    table
}

/// Exchange `commandes` (topic) and its dead-letter exchange; for each queue: the queue
/// (dead-lettering to `<queue>.dlq`), its bindings (and without its former ones), its DLQ and its retry queue (whose
/// expired messages go back to the queue).
pub async fn declarer_topologie(canal: &Channel, t: &Topologie) -> lapin::Result<()> {
    let durable = ExchangeDeclareOptions {
        durable: true,
        ..Default::default()
    };
    canal
        .exchange_declare(
            t.exchange().into(),
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await?;
    canal
        .exchange_declare(
            t.dlx().into(),
            ExchangeKind::Topic,
            durable,
            FieldTable::default(),
        )
        .await?;
    let file_durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for f in FILES {
        canal
            .queue_declare(
                t.file(*f).into(),
                file_durable,
                arguments(&[
                    ("x-dead-letter-exchange", t.dlx()),
                    ("x-dead-letter-routing-key", f.nom.to_owned()),
                ]),
            )
            .await?;
        for cle in f.liaisons {
            canal
                .queue_bind(
                    t.file(*f).into(),
                    t.exchange().into(),
                    (*cle).into(),
                    QueueBindOptions::default(),
                    FieldTable::default(),
                )
                .await?;
        }
        // Unbinding what is not bound is not an error for RabbitMQ: this runs at every start.
        for cle in f.anciennes_liaisons {
            canal
                .queue_unbind(
                    t.file(*f).into(),
                    t.exchange().into(),
                    (*cle).into(),
                    FieldTable::default(),
                )
                .await?;
        }
        canal
            .queue_declare(t.dlq(*f).into(), file_durable, FieldTable::default())
            .await?;
        canal
            .queue_bind(
                t.dlq(*f).into(),
                t.dlx().into(),
                f.nom.into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await?;
        // Expired messages leave through the default exchange, straight back to the queue.
        // No longer published to (see the module's doc), kept for what still waits there.
        canal
            .queue_declare(
                t.attente(*f).into(),
                file_durable,
                arguments(&[
                    ("x-dead-letter-exchange", String::new()),
                    ("x-dead-letter-routing-key", t.file(*f)),
                ]),
            )
            .await?;
    }
    Ok(())
}

/// The queue where copies of `f`'s messages wait `delai` before going back to `f`.
pub fn file_d_attente(t: &Topologie, f: File, delai: Duration) -> String {
    format!("{}.{}", t.attente(f), delai.as_millis())
}

/// One wait queue per delay in `paliers` for `f`: queue-level TTL, expired messages go back
/// to `f` through the default exchange. Idempotent: the name carries the TTL, so two
/// consumers of `f` with other delays never declare one name with different arguments.
pub async fn declarer_attentes(
    canal: &Channel,
    t: &Topologie,
    f: File,
    paliers: &[Duration],
) -> lapin::Result<()> {
    let durable = QueueDeclareOptions {
        durable: true,
        ..Default::default()
    };
    for delai in paliers {
        let mut args = arguments(&[
            ("x-dead-letter-exchange", String::new()),
            ("x-dead-letter-routing-key", t.file(f)),
        ]);
        let ms = i64::try_from(delai.as_millis()).unwrap_or(i64::MAX);
        args.insert(
            ShortString::from("x-message-ttl"),
            AMQPValue::LongLongInt(ms),
        );
        canal
            .queue_declare(file_d_attente(t, f, *delai).into(), durable, args)
            .await?;
    }
    Ok(())
}

/// Persistent JSON message whose `message_id` is the event id.
pub fn proprietes_json(message_id: &str) -> BasicProperties {
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(message_id.into())
}
