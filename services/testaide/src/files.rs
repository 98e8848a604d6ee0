//! The test broker seen from a test: a channel with a topology declared, how many messages
//! wait in a queue and who consumes it, and taking one message out (a DLQ's content, a
//! published event).

use std::time::{Duration, Instant};

use contrats::noms::Topologie;
use lapin::message::BasicGetMessage;
use lapin::options::{BasicGetOptions, ConfirmSelectOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use lapin::{Connection, ConnectionProperties};

/// A connection to the broker at `url` (usually [`crate::broker`]) and a channel on it with
/// publisher confirms on and `topologie` declared. Keep the connection: dropping it closes
/// the channel.
pub async fn canal(url: &str, topologie: &Topologie) -> (Connection, lapin::Channel) {
    let connexion = Connection::connect(url, ConnectionProperties::default())
        .await
        .expect("connexion de test à RabbitMQ");
    let canal = connexion.create_channel().await.unwrap();
    canal
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    socle::amqp::declarer_topologie(&canal, topologie)
        .await
        .unwrap();
    (connexion, canal)
}

/// `(ready, consumers)` of `file` right now (a passive declare). Ready only: messages
/// delivered and not yet acked are not counted, so « 0 ready » alone never says a queue was
/// drained; with no consumer left (its channel closed, which requeues what it had not acked),
/// it does.
pub async fn etat(canal: &lapin::Channel, file: &str) -> (u32, u32) {
    let q = canal
        .queue_declare(
            file.into(),
            QueueDeclareOptions {
                passive: true,
                ..Default::default()
            },
            FieldTable::default(),
        )
        .await
        .unwrap();
    (q.message_count(), q.consumer_count())
}

/// Waits for a message in `file` and takes it (acked on the way); panics once `limite` has
/// passed with nothing there.
pub async fn prendre(canal: &lapin::Channel, file: &str, limite: Duration) -> BasicGetMessage {
    let debut = Instant::now();
    loop {
        if let Some(m) = canal
            .basic_get(file.into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            return m;
        }
        assert!(debut.elapsed() < limite, "rien dans {file}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
