//! The consumer loop against the real broker (`AMQP_URL`, the local one by default), with
//! queue names of each test's own: retries wait in one queue per delay (a short one is never
//! held behind a long one), and a retry path that fails counts the attempt instead of looping.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use contrats::noms::{Topologie, FILES, STOCK_UPDATE};
use lapin::options::{
    BasicGetOptions, BasicPublishOptions, ConfirmSelectOptions, QueueDeclareOptions,
    QueueDeleteOptions,
};
use lapin::types::{AMQPValue, FieldTable, ShortString};
use lapin::{BasicProperties, Channel, Connection, ConnectionProperties};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use super::*;

const DELAI: Duration = Duration::from_secs(60);

fn url() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// What the handler saw: body, tries before, when, and the routing key it was given, in order
/// of delivery.
type Vu = Arc<Mutex<Vec<(String, u32, Instant, String)>>>;

/// A consumer of this test's `stock_update` and a channel of the test's own.
struct Banc {
    topologie: Topologie,
    options: OptionsConsommateur,
    canal: Channel,
    _connexion: Connection,
    arret: CancellationToken,
    taches: TaskTracker,
    vu: Vu,
}

/// Names of the test's own, a connection and a channel with publisher confirms, the
/// topology declared.
async fn canal_de_test() -> (Topologie, Connection, Channel) {
    let topologie = Topologie::new(format!("test.{}.", uuid::Uuid::new_v4().simple()));
    let connexion = Connection::connect(&url(), ConnectionProperties::default())
        .await
        .expect("RabbitMQ de test");
    let canal = connexion.create_channel().await.unwrap();
    canal
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    declarer_topologie(&canal, &topologie).await.unwrap();
    (topologie, connexion, canal)
}

impl Banc {
    /// Declares the topology, then starts consuming with `options`; `issue` decides each
    /// delivery's outcome from its body and tries before.
    async fn demarrer(options: OptionsConsommateur, issue: fn(&str, u32) -> Issue) -> Banc {
        let (topologie, connexion, canal) = canal_de_test().await;
        let arret = CancellationToken::new();
        let taches = TaskTracker::new();
        let broker = Broker::demarrer(url(), arret.clone(), taches.clone());
        let vu: Vu = Default::default();
        let v = vu.clone();
        taches.spawn(consommer_par_lots(
            broker,
            topologie.clone(),
            STOCK_UPDATE,
            options.clone(),
            arret.clone(),
            move |messages: Vec<Message>| {
                let v = v.clone();
                async move {
                    messages
                        .iter()
                        .map(|m| {
                            let corps = String::from_utf8_lossy(&m.corps).into_owned();
                            v.lock().unwrap().push((
                                corps.clone(),
                                m.tentatives,
                                Instant::now(),
                                m.routing_key.clone(),
                            ));
                            issue(&corps, m.tentatives)
                        })
                        .collect()
                }
            },
        ));
        let b = Banc {
            topologie,
            options,
            canal,
            _connexion: connexion,
            arret,
            taches,
            vu,
        };
        // Positive marker: the consumer is attached (its wait queues were declared before).
        let file = b.topologie.file(STOCK_UPDATE);
        b.attendre(
            || async { b.compter(&file).await.1 == 1 },
            "consommateur attaché",
        )
        .await;
        b
    }

    /// `(ready, consumers)` of `file`.
    async fn compter(&self, file: &str) -> (u32, u32) {
        let q = self
            .canal
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

    /// Messages waiting for a retry, in every wait queue of the work queue.
    async fn en_attente(&self) -> u32 {
        let t = &self.topologie;
        let mut files = vec![t.attente(STOCK_UPDATE)];
        for p in self.options.paliers() {
            files.push(file_d_attente(t, STOCK_UPDATE, p));
        }
        let mut n = 0;
        for f in files {
            n += self.compter(&f).await.0;
        }
        n
    }

    async fn attendre<F, Fut>(&self, condition: F, quoi: &str)
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let debut = Instant::now();
        while !condition().await {
            assert!(debut.elapsed() < DELAI, "jamais arrivé : {quoi}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Puts `corps` in the work queue, as if tried `tentatives` times already.
    async fn deposer(&self, corps: &str, tentatives: u32) {
        let mut entetes = FieldTable::default();
        entetes.insert(
            ShortString::from(ENTETE_TENTATIVES),
            AMQPValue::LongUInt(tentatives),
        );
        let confirmation = self
            .canal
            .basic_publish(
                "".into(),
                self.topologie.file(STOCK_UPDATE).into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..Default::default()
                },
                corps.as_bytes(),
                BasicProperties::default()
                    .with_delivery_mode(2)
                    .with_message_id(corps.into())
                    .with_headers(entetes),
            )
            .await
            .unwrap()
            .await
            .unwrap();
        assert_eq!(confirmation, lapin::Confirmation::Ack(None));
    }

    fn vus(&self, corps: &str) -> Vec<(u32, Instant)> {
        self.vu
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _, _, _)| c == corps)
            .map(|(_, t, i, _)| (*t, *i))
            .collect()
    }

    /// The routing keys `corps` was delivered with, in order.
    fn cles(&self, corps: &str) -> Vec<String> {
        self.vu
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _, _, _)| c == corps)
            .map(|(_, _, _, cle)| cle.clone())
            .collect()
    }

    /// Stops the consumer: once its channel is closed, anything it had not acked is back in
    /// the queue (the broker answers the close after requeueing).
    async fn arreter(&self) {
        self.arret.cancel();
        self.taches.close();
        tokio::time::timeout(Duration::from_secs(10), self.taches.wait())
            .await
            .expect("le consommateur s'arrête");
    }

    /// Stops the consumer, then deletes every queue of the test.
    async fn nettoyer(self) {
        self.arreter().await;
        let t = &self.topologie;
        let mut files = Vec::new();
        for f in FILES {
            files.extend([t.file(*f), t.dlq(*f), t.attente(*f)]);
        }
        for p in self.options.paliers() {
            files.push(file_d_attente(t, STOCK_UPDATE, p));
        }
        for f in files {
            let _ = self
                .canal
                .queue_delete(f.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
    }
}

#[tokio::test]
async fn un_nouvel_essai_court_n_attend_pas_derriere_un_long() {
    // Arrange: « long » has failed 6 times (its next wait: 500 ms × 2⁶ = 32 s); « court »
    // fails once (500 ms), then succeeds.
    let b = Banc::demarrer(
        OptionsConsommateur {
            prefetch: 10,
            tentatives_max: 10,
            delai_base: Duration::from_millis(500),
            delai_max: Duration::from_secs(60),
        },
        |corps, tentatives| match (corps, tentatives) {
            ("court", 1..) => Issue::Traite,
            _ => Issue::Reessayer("dépendance en panne".into()),
        },
    )
    .await;
    b.deposer("long", 6).await;
    b.attendre(
        || async { b.en_attente().await == 1 },
        "« long » en attente",
    )
    .await;

    // Act
    b.deposer("court", 0).await;

    // Assert: « court » is back after its own 500 ms, long before « long »'s 32 s are up
    // (in one queue of per-message TTLs it came back only after « long »).
    let debut = Instant::now();
    while b.vus("court").len() < 2 {
        assert!(
            debut.elapsed() < Duration::from_secs(20),
            "le nouvel essai court attend derrière le long"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let vus = b.vus("court");
    let attente = vus[1].1 - vus[0].1;
    assert!(attente >= Duration::from_millis(450), "{attente:?}");
    assert!(attente < Duration::from_secs(10), "{attente:?}");
    assert_eq!(b.vus("long").len(), 1, "« long » attend toujours");
    b.nettoyer().await;
}

/// A retried copy travels through its wait queue and comes back under the queue's name; the
/// handler must still be given the key it was published with (commandes and the mail worker
/// decide what a message is from it).
#[tokio::test]
async fn un_message_reessaye_revient_avec_sa_cle_de_routage_d_origine() {
    let b = Banc::demarrer(
        OptionsConsommateur {
            prefetch: 10,
            tentatives_max: 5,
            delai_base: Duration::from_millis(100),
            delai_max: Duration::from_secs(1),
        },
        |_, tentatives| match tentatives {
            0 | 1 => Issue::Reessayer("pas encore".into()),
            _ => Issue::Traite,
        },
    )
    .await;
    let confirmation = b
        .canal
        .basic_publish(
            b.topologie.exchange().into(),
            contrats::noms::cles::COMMANDE_NOUVELLE.into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            b"cle",
            BasicProperties::default().with_message_id("cle".into()),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(confirmation, lapin::Confirmation::Ack(None));

    let debut = Instant::now();
    while b.cles("cle").len() < 3 {
        assert!(
            debut.elapsed() < Duration::from_secs(20),
            "trois essais attendus : {:?}",
            b.cles("cle")
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(b.cles("cle"), ["commande.nouvelle"; 3]);
    b.nettoyer().await;
}

#[tokio::test]
async fn un_report_impossible_compte_la_tentative_sans_retenir_les_autres_messages() {
    // Arrange: the wait queues are gone (deleted under the consumer's feet), so parking a
    // retry fails: the broker returns the mandatory copy.
    let b = Banc::demarrer(
        OptionsConsommateur {
            prefetch: 10,
            tentatives_max: 11,
            delai_base: Duration::from_secs(2),
            delai_max: Duration::from_secs(60),
        },
        |corps, _| match corps {
            "bon" => Issue::Traite,
            _ => Issue::Reessayer("dépendance en panne".into()),
        },
    )
    .await;
    for p in b.options.paliers() {
        b.canal
            .queue_delete(
                file_d_attente(&b.topologie, STOCK_UPDATE, p).into(),
                QueueDeleteOptions::default(),
            )
            .await
            .unwrap();
    }

    // Act
    let debut = Instant::now();
    b.deposer("rate", 0).await;
    b.deposer("bon", 0).await;

    // Assert: every failure counted, so the message reaches the dead-letter queue after
    // `tentatives_max` tries instead of coming back forever.
    let dlq = b.topologie.dlq(STOCK_UPDATE);
    let mort = loop {
        if let Some(m) = b
            .canal
            .basic_get(dlq.as_str().into(), BasicGetOptions { no_ack: true })
            .await
            .unwrap()
        {
            break m;
        }
        assert!(
            debut.elapsed() < DELAI,
            "le message n'arrive jamais en file des lettres mortes"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let ecoule = debut.elapsed();
    assert_eq!(mort.delivery.data, b"rate");
    let essais: Vec<u32> = b.vus("rate").iter().map(|(t, _)| *t).collect();
    assert_eq!(
        essais,
        (0..11).collect::<Vec<u32>>(),
        "une tentative comptée par échec"
    );
    // Ten failed parkings: nothing sleeps on the way (it used to wait up to 1 s each,
    // holding the acks of the batch's other messages).
    assert!(ecoule < Duration::from_secs(5), "{ecoule:?}");
    assert_eq!(b.vus("bon").len(), 1);
    b.arreter().await;
    assert_eq!(
        b.compter(&b.topologie.file(STOCK_UPDATE)).await,
        (0, 0),
        "« bon » a été acquitté, rien n'est rendu à la file"
    );
    b.nettoyer().await;
}

/// A queue declared by an older version keeps its bindings; declaring today's topology removes
/// those it lists as former ones. Here `commandes_statut`'s `stock.*` (which would deliver
/// `stock.libere` to commandes): published after the declaration, `stock.libere` lands in
/// `stock_liberation` only.
#[tokio::test]
async fn une_ancienne_liaison_est_retiree_a_la_declaration() {
    use contrats::noms::{cles, COMMANDES_STATUT, STOCK_LIBERATION};
    // The older version: the same queue and exchange, bound to `stock.*`.
    let (topologie, _connexion, canal) = canal_de_test().await;
    canal
        .queue_bind(
            topologie.file(COMMANDES_STATUT).into(),
            topologie.exchange().into(),
            "stock.*".into(),
            Default::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    declarer_topologie(&canal, &topologie).await.unwrap();
    canal
        .basic_publish(
            topologie.exchange().into(),
            cles::STOCK_LIBERE.into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            b"{}",
            proprietes_json("liaison"),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    let prendre = |file: String| {
        let canal = canal.clone();
        async move {
            canal
                .basic_get(file.into(), BasicGetOptions { no_ack: true })
                .await
                .unwrap()
                .is_some()
        }
    };
    // Positive marker first: the message reached produits' queue, so routing is done.
    assert!(prendre(topologie.file(STOCK_LIBERATION)).await);
    assert!(!prendre(topologie.file(COMMANDES_STATUT)).await);
    for f in FILES {
        for nom in [topologie.file(*f), topologie.dlq(*f), topologie.attente(*f)] {
            let _ = canal
                .queue_delete(nom.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
    }
}

/// A batch whose messages come from several traces belongs to none of them (what its handler
/// publishes would otherwise join another order's trace); each message's span stays in its
/// producer's trace; a batch from one trace continues it.
#[tokio::test]
async fn un_lot_de_plusieurs_traces_a_la_sienne_et_chaque_message_garde_celle_de_son_producteur() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    let _ = tracing_subscriber::registry()
        .with(crate::telemetrie::couche_traces())
        .try_init();
    const A: &str = "0af7651916cd43dd8448eb211c80319c";
    const B: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
    let topologie = Topologie::new(format!("test.{}.", uuid::Uuid::new_v4().simple()));
    let connexion = Connection::connect(&url(), ConnectionProperties::default())
        .await
        .expect("RabbitMQ de test");
    let canal = connexion.create_channel().await.unwrap();
    canal
        .confirm_select(ConfirmSelectOptions::default())
        .await
        .unwrap();
    declarer_topologie(&canal, &topologie).await.unwrap();
    let deposer = |corps: &'static str, trace: &'static str| {
        let (canal, file) = (canal.clone(), topologie.file(STOCK_UPDATE));
        async move {
            let mut entetes = FieldTable::default();
            entetes.insert(
                ShortString::from("traceparent"),
                AMQPValue::LongString(format!("00-{trace}-b7ad6b7169203331-01").into()),
            );
            canal
                .basic_publish(
                    "".into(),
                    file.into(),
                    BasicPublishOptions::default(),
                    corps.as_bytes(),
                    proprietes_json(corps).with_headers(entetes),
                )
                .await
                .unwrap()
                .await
                .unwrap();
        }
    };
    // Waiting before the consumer starts, alternating: while the first batch is handled
    // (slowly), the next ones arrive and are batched together.
    for _ in 0..10 {
        deposer("a", A).await;
        deposer("b", B).await;
    }
    type Lots = Arc<Mutex<Vec<(Option<String>, Vec<Option<String>>)>>>;
    let lots: Lots = Default::default();
    let (arret, taches) = (CancellationToken::new(), TaskTracker::new());
    let broker = Broker::demarrer(url(), arret.clone(), taches.clone());
    let vus = lots.clone();
    taches.spawn(consommer_par_lots(
        broker,
        topologie.clone(),
        STOCK_UPDATE,
        OptionsConsommateur {
            prefetch: 10,
            ..Default::default()
        },
        arret.clone(),
        move |messages: Vec<Message>| {
            let vus = vus.clone();
            async move {
                let lot = crate::telemetrie::trace_id(&tracing::Span::current());
                tokio::time::sleep(Duration::from_millis(50)).await;
                let traces = messages
                    .iter()
                    .map(|m| crate::telemetrie::trace_id(&m.span))
                    .collect();
                vus.lock().unwrap().push((lot, traces));
                messages.iter().map(|_| Issue::Traite).collect()
            }
        },
    ));
    let attendre = |n: usize| {
        let lots = lots.clone();
        async move {
            let debut = Instant::now();
            while lots
                .lock()
                .unwrap()
                .iter()
                .map(|l| l.1.len())
                .sum::<usize>()
                < n
            {
                assert!(debut.elapsed() < DELAI, "messages jamais traités");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    attendre(20).await;

    let lots = lots.lock().unwrap().clone();
    let messages: Vec<Option<String>> = lots.iter().flat_map(|l| l.1.clone()).collect();
    assert_eq!(
        messages,
        (0..10)
            .flat_map(|_| [Some(A.to_owned()), Some(B.to_owned())])
            .collect::<Vec<_>>(),
        "chaque message dans la trace de son producteur"
    );
    let mut melanges = 0;
    for (lot, traces) in &lots {
        let lot = lot.clone().expect("le lot a une trace");
        if traces.iter().all(|t| *t == traces[0]) {
            assert_eq!(Some(lot), traces[0], "un lot d'une seule trace la continue");
        } else {
            melanges += 1;
            assert!(lot != A && lot != B, "un lot de deux traces a la sienne");
        }
    }
    assert!(melanges > 0, "aucun lot de deux traces : {lots:?}");
    arret.cancel();
    taches.close();
    taches.wait().await;
    for f in FILES {
        for nom in [topologie.file(*f), topologie.dlq(*f), topologie.attente(*f)] {
            let _ = canal
                .queue_delete(nom.as_str().into(), QueueDeleteOptions::default())
                .await;
        }
    }
    for p in OptionsConsommateur::default().paliers() {
        let _ = canal
            .queue_delete(
                file_d_attente(&topologie, STOCK_UPDATE, p).into(),
                QueueDeleteOptions::default(),
            )
            .await;
    }
}
