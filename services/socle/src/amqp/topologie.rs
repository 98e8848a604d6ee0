//! Declaring the shop's exchanges and queues. Every service declares all of it at start-up
//! (declarations are idempotent), so no message is lost for lack of a queue whichever
//! service starts first.

use contrats::noms::{Topologie, FILES};
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
/// (dead-lettering to `<queue>.dlq`), its bindings, its DLQ and its retry queue (whose
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

/// Persistent JSON message whose `message_id` is the event id.
pub fn proprietes_json(message_id: &str) -> BasicProperties {
    BasicProperties::default()
        .with_content_type("application/json".into())
        .with_delivery_mode(2)
        .with_message_id(message_id.into())
}
