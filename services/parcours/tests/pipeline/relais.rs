//! The outbox relay's sharp edges: an event that no queue receives stays in the outbox until
//! one does, and a broker that stops confirming neither holds the outbox's rows nor the stop.
//!
//! The broker-side tests run the relay alone, as a service of its own (socle's tables in a
//! fresh database, `/health`, the graceful stop of every service), behind a proxy that can
//! freeze: the connection stays open and nothing goes through, as with a broker under a
//! memory alarm, without touching the broker other tests share.

use std::time::{Duration, Instant};

use contrats::noms::Topologie;
use lapin::options::{QueueBindOptions, QueueDeclareOptions};
use lapin::types::FieldTable;
use socle::messagerie::Messagerie;
use socle::outbox::OptionsRelais;
use socle::serveur::{Parties, Serveur};
use sqlx::PgPool;
use testaide::journal;
use testaide::proxy::Proxy;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::boutique::{canal_sur, Boutique, DELAI};

/// The relay of a service, alone, publishing through a proxy.
struct Relais {
    /// Closed with the service: [`Relais::url`] opens another.
    db: PgPool,
    url: String,
    proxy: Proxy,
    topologie: Topologie,
    arret: CancellationToken,
    tache: JoinHandle<anyhow::Result<()>>,
}

impl Relais {
    async fn demarrer(options: OptionsRelais) -> Relais {
        journal::installer();
        let url = testaide::base_de_test("relais");
        let db = socle::db::ouvrir(&url, 5, &sqlx::migrate::Migrator::DEFAULT)
            .await
            .unwrap();
        let proxy = Proxy::demarrer(&testaide::adresse_broker()).await;
        let prefixe = format!("test.{}.", uuid::Uuid::new_v4().simple());
        let m = Messagerie::demarrer(&testaide::broker_via(proxy.port()), &prefixe);
        m.relayer_outbox_avec(db.clone(), options);
        let parties = Parties {
            router: socle::sante::router(db.clone(), m.broker.clone()),
            arret: m.arret.clone(),
            taches: m.taches.clone(),
            db: Some(db.clone()),
        };
        let serveur = Serveur::lier("relais", "127.0.0.1", 0, parties)
            .await
            .unwrap();
        Relais {
            db,
            url,
            proxy,
            topologie: m.topologie.clone(),
            arret: serveur.jeton_arret(),
            tache: tokio::spawn(serveur.run_until_stopped()),
        }
    }

    /// A row in the outbox, as a service's transaction writes it; returns its id.
    async fn ajouter(&self, routing_key: &str, charge: &str) -> i64 {
        sqlx::query_scalar(
            "INSERT INTO outbox (id_evenement, routing_key, charge)
             VALUES (gen_random_uuid(), $1, $2) RETURNING id",
        )
        .bind(routing_key)
        .bind(charge)
        .fetch_one(&self.db)
        .await
        .unwrap()
    }

    async fn publiee(&self, id: i64) -> bool {
        sqlx::query_scalar("SELECT publie_le IS NOT NULL FROM outbox WHERE id = $1")
            .bind(id)
            .fetch_one(&self.db)
            .await
            .unwrap()
    }

    async fn attendre_publication(&self, id: i64) {
        let debut = Instant::now();
        while !self.publiee(id).await {
            assert!(
                debut.elapsed() < DELAI,
                "la ligne {id} n'est jamais publiée"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Whether some transaction holds outbox rows locked (the relay's claim, `FOR UPDATE`).
    async fn lignes_retenues(&self) -> bool {
        sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM pg_locks
                            WHERE database = (SELECT oid FROM pg_database
                                              WHERE datname = current_database())
                              AND relation = 'outbox'::regclass
                              AND mode = 'RowShareLock' AND granted)",
        )
        .fetch_one(&self.db)
        .await
        .unwrap()
    }
}

/// Whether commandes' event `id_evenement` is marked published.
async fn publiee(db: &PgPool, id_evenement: uuid::Uuid) -> bool {
    sqlx::query_scalar("SELECT publie_le IS NOT NULL FROM outbox WHERE id_evenement = $1")
        .bind(id_evenement)
        .fetch_one(db)
        .await
        .unwrap()
}

/// A queue of the test's own, bound to `routing_key` on `topologie`'s exchange.
async fn lier_une_file(canal: &lapin::Channel, topologie: &Topologie, routing_key: &str) -> String {
    let file = format!("{}essai.{routing_key}", topologie.exchange());
    canal
        .queue_declare(
            file.as_str().into(),
            QueueDeclareOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    canal
        .queue_bind(
            file.as_str().into(),
            topologie.exchange().into(),
            routing_key.into(),
            QueueBindOptions::default(),
            FieldTable::default(),
        )
        .await
        .unwrap();
    file
}

async fn prendre(canal: &lapin::Channel, file: &str) -> Vec<u8> {
    testaide::files::prendre(canal, file, DELAI)
        .await
        .delivery
        .data
}

#[tokio::test]
async fn un_evenement_qu_aucune_file_ne_recoit_reste_dans_l_outbox_jusqu_a_ce_qu_une_le_recoive() {
    // Arrange: commandes' outbox gets an event whose routing key no queue is bound to, then
    // an ordinary confirmation, behind it.
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Boussole", "45.00", 5).await;
    let premier = b.adresse("avant-non-route");
    let c = b.commander(&premier, &[(p, 1)]).await;
    assert_eq!(
        b.statut_final(c["reference"].as_str().unwrap()).await,
        "a_payer"
    );
    let db = b.db_commandes().await;
    let secret = format!("charge-secrete-{}", uuid::Uuid::new_v4().simple());
    let cle = "essai.sans_file";
    let id_non_route = uuid::Uuid::new_v4();
    sqlx::query("INSERT INTO outbox (id_evenement, routing_key, charge) VALUES ($1, $2, $3)")
        .bind(id_non_route)
        .bind(cle)
        .bind(format!(r#"{{"secret": "{secret}"}}"#))
        .execute(&db)
        .await
        .unwrap();
    let mut confirmation: serde_json::Value = serde_json::from_str(
        &b.charge_outbox_commandes(contrats::noms::cles::COMMANDE_A_PAYER)
            .await,
    )
    .unwrap();
    let second = b.adresse("apres-non-route");
    let id_confirmation = uuid::Uuid::new_v4();
    confirmation["id_evenement"] = id_confirmation.to_string().into();
    confirmation["reference"] = uuid::Uuid::new_v4().to_string().into();
    confirmation["email"] = second.clone().into();
    sqlx::query("INSERT INTO outbox (id_evenement, routing_key, charge) VALUES ($1, $2, $3)")
        .bind(id_confirmation)
        .bind(contrats::noms::cles::COMMANDE_A_PAYER)
        .bind(confirmation.to_string())
        .execute(&db)
        .await
        .unwrap();

    // Act: the relay publishes both; the one behind is marked published (its batch, which
    // held the first too or came after it, is committed).
    let debut = Instant::now();
    while !publiee(&db, id_confirmation).await {
        assert!(
            debut.elapsed() < DELAI,
            "la confirmation n'est jamais publiée"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Assert: the broker returned the first; it stays unpublished and is logged loudly,
    // naming the exchange and the key, never the payload.
    assert!(
        !publiee(&db, id_non_route).await,
        "un événement que personne n'a reçu n'est pas publié"
    );
    let exchange = b.topologie().exchange();
    let lignes = journal::attendre(
        &[
            "ERROR socle::outbox",
            "événement non routé",
            &format!("exchange={exchange} "),
        ],
        1,
        DELAI,
    )
    .await;
    assert!(
        lignes[0].contains(&format!("routing_key={cle} ")),
        "{}",
        lignes[0]
    );
    assert!(
        journal::lignes(&["socle::", &secret]).is_empty(),
        "la charge n'apparaît jamais dans le journal"
    );
    b.emails_exactement(&second, 1).await;

    // Once a queue receives that key, the relay's next try publishes it.
    let canal = b.canal().await;
    let file = lier_une_file(&canal, &b.topologie(), cle).await;
    let recu = prendre(&canal, &file).await;
    assert!(String::from_utf8(recu).unwrap().contains(&secret));
    let debut = Instant::now();
    while !publiee(&db, id_non_route).await {
        assert!(debut.elapsed() < DELAI, "jamais marqué publié");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn un_broker_qui_ne_confirme_plus_fait_rendre_le_lot_dans_le_delai_puis_le_publie_a_son_retour(
) {
    // Arrange: a relay that waits at most 1 s for confirmations, publishing for real.
    let r = Relais::demarrer(OptionsRelais {
        attente_confirmations: Duration::from_secs(1),
    })
    .await;
    let canal = canal_sur(&r.topologie).await;
    let file = lier_une_file(&canal, &r.topologie, "essai.relais").await;
    let avant = r.ajouter("essai.relais", r#""avant""#).await;
    r.attendre_publication(avant).await;
    assert_eq!(prendre(&canal, &file).await, br#""avant""#);

    // Act: the broker stops answering, then a row comes.
    r.proxy.geler();
    let debut = Instant::now();
    let ligne = r.ajouter("essai.relais", r#""pendant""#).await;

    // Assert: the relay gives up on it within its bound and lets the row go.
    let exchange = r.topologie.exchange();
    journal::attendre(
        &[
            "le broker n'a pas confirmé à temps",
            &format!("exchange={exchange} "),
        ],
        1,
        DELAI,
    )
    .await;
    // Generous for a busy machine, and still far from never (or from the default 10 s).
    assert!(
        debut.elapsed() < Duration::from_secs(8),
        "abandon après {:?} pour un délai de 1 s",
        debut.elapsed()
    );
    assert!(!r.publiee(ligne).await, "rien n'a été confirmé");
    assert!(
        !r.lignes_retenues().await,
        "la transaction du lot est annulée, ses lignes libérées"
    );

    // Once the broker answers again, the row is published.
    r.proxy.reprendre();
    r.attendre_publication(ligne).await;
    assert_eq!(prendre(&canal, &file).await, br#""pendant""#);
    r.arret.cancel();
    let _ = tokio::time::timeout(Duration::from_secs(10), r.tache).await;
}

#[tokio::test]
async fn un_relais_qui_attend_un_broker_muet_s_arrete_des_qu_on_le_lui_demande() {
    // Arrange: a relay that would wait a whole minute for confirmations; the broker stops
    // answering while it holds a batch (its claim's row locks are the marker).
    let r = Relais::demarrer(OptionsRelais {
        attente_confirmations: Duration::from_secs(60),
    })
    .await;
    let canal = canal_sur(&r.topologie).await;
    // Bound, so that the first row is routed and published.
    lier_une_file(&canal, &r.topologie, "essai.arret").await;
    let avant = r.ajouter("essai.arret", "1").await;
    r.attendre_publication(avant).await;
    r.proxy.geler();
    let ligne = r.ajouter("essai.arret", "2").await;
    let debut = Instant::now();
    while !r.lignes_retenues().await {
        assert!(
            debut.elapsed() < DELAI,
            "le relais ne prend jamais la ligne"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // Act
    let debut = Instant::now();
    r.arret.cancel();
    let fin = tokio::time::timeout(Duration::from_secs(30), r.tache).await;

    // Assert: stopped at once (not after its minute), the batch rolled back.
    assert!(fin.is_ok(), "le service ne s'arrête pas");
    assert!(
        // Half a second for the batch, at most 2 s to close the frozen channel (README).
        debut.elapsed() < Duration::from_secs(5),
        "arrêt en {:?}",
        debut.elapsed()
    );
    let publie: bool = sqlx::query_scalar("SELECT publie_le IS NOT NULL FROM outbox WHERE id = $1")
        .bind(ligne)
        .fetch_one(&PgPool::connect(&r.url).await.unwrap())
        .await
        .unwrap();
    assert!(!publie, "rien n'a été confirmé");
}
