//! A whole shop backend for one test: produits, commandes, paiements and the mail worker
//! in-process, fresh databases, broker names of its own, and a cuttable proxy in front of
//! RabbitMQ (per service) and of the SMTP catcher.
//!
//! Tests wait for positive markers, never for « nothing happened » after a sleep: a message
//! is known to be handled and acked when its consumer logs the batch that held it as
//! concluded ([`Boutique::attendre_conclusion`], the services' logs are kept by
//! `testaide::journal`); « no other email will come » is known once every source of one is
//! drained: the outbox published, the retry queues empty, and a harmless duplicate sent
//! after everything else concluded ([`Boutique::mail_notifier_au_repos`]).

use std::time::{Duration, Instant};

use contrats::noms::{File, MAIL_NOTIFIER};
use lapin::options::BasicPublishOptions;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use serde_json::{json, Value};
use socle::amqp::OptionsConsommateur;
use testaide::journal;
use testaide::proxy::Proxy;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub const JETON: &str = "jeton-de-test";
/// Generous: CI machines are busy, and a timeout here is a failure.
pub const DELAI: Duration = Duration::from_secs(60);
/// The mail worker's first retry delay here.
const DELAI_REESSAI_MAIL: Duration = Duration::from_millis(200);
/// commandes looks for orders past their deadline this often here.
const INTERVALLE_EXPIRATION: Duration = Duration::from_millis(200);
/// The card paiements' simulated provider always accepts.
pub const CARTE_ACCEPTEE: &str = "4242 4242 4242 4242";
/// The card it always declines.
pub const CARTE_REFUSEE: &str = "4000 0000 0000 0002";
/// The routing keys of the events the mail worker turns into emails.
const CLES_COURRIELS: &str =
    "('commande.a_payer', 'commande.paiement_refuse', 'commande.confirmee', \
     'commande.annulee', 'commande.expediee', 'commande.remboursee')";

/// One running service and how to stop it.
struct EnMarche {
    arret: CancellationToken,
    tache: JoinHandle<anyhow::Result<()>>,
}

impl EnMarche {
    async fn arreter(self) {
        self.arret.cancel();
        let _ = tokio::time::timeout(Duration::from_secs(30), self.tache).await;
    }
}

/// A test's own channel; the connection lives as long as it.
pub struct Canal {
    _connexion: Connection,
    canal: lapin::Channel,
}

impl std::ops::Deref for Canal {
    type Target = lapin::Channel;
    fn deref(&self) -> &lapin::Channel {
        &self.canal
    }
}

pub struct Boutique {
    pub prefixe: String,
    pub client: reqwest::Client,
    pub produits_url: String,
    pub commandes_url: String,
    pub paiements_url: String,
    port_produits: u16,
    port_commandes: u16,
    port_paiements: u16,
    db_produits: String,
    db_commandes: String,
    db_paiements: String,
    db_mail: String,
    /// Per service, its link to RabbitMQ.
    pub broker_produits: Proxy,
    pub broker_commandes: Proxy,
    pub broker_paiements: Proxy,
    pub broker_mail: Proxy,
    pub smtp: Proxy,
    produits: Option<EnMarche>,
    commandes: Option<EnMarche>,
    paiements: Option<EnMarche>,
    mail: Option<EnMarche>,
    /// Failed sends before the mail worker dead-letters a message.
    pub tentatives_mail: u32,
    /// How long an order waits for its payment (commandes' `DELAI_PAIEMENT`).
    pub delai_paiement: Duration,
}

fn amqp(proxy: &Proxy) -> String {
    testaide::broker_via(proxy.port())
}

fn lancer<F>(app: F, arret: CancellationToken) -> EnMarche
where
    F: std::future::Future<Output = anyhow::Result<()>> + Send + 'static,
{
    EnMarche {
        arret,
        tache: tokio::spawn(app),
    }
}

impl Boutique {
    pub async fn demarrer() -> Boutique {
        Self::demarrer_avec(5).await
    }

    pub async fn demarrer_avec(tentatives_mail: u32) -> Boutique {
        Self::demarrer_avec_reglages(tentatives_mail, Duration::from_secs(900)).await
    }

    /// A shop whose orders lapse `delai_paiement` after their stock was reserved.
    pub async fn demarrer_avec_delai_de_paiement(delai_paiement: Duration) -> Boutique {
        Self::demarrer_avec_reglages(5, delai_paiement).await
    }

    async fn demarrer_avec_reglages(tentatives_mail: u32, delai_paiement: Duration) -> Boutique {
        journal::installer();
        let broker = &testaide::adresse_broker();
        let mut b = Boutique {
            prefixe: format!("test.{}.", uuid::Uuid::new_v4().simple()),
            client: reqwest::Client::new(),
            produits_url: String::new(),
            commandes_url: String::new(),
            paiements_url: String::new(),
            port_produits: 0,
            port_commandes: 0,
            port_paiements: 0,
            db_produits: testaide::base_de_test("produits"),
            db_commandes: testaide::base_de_test("commandes"),
            db_paiements: testaide::base_de_test("paiements"),
            db_mail: testaide::base_de_test("mail"),
            broker_produits: Proxy::demarrer(broker).await,
            broker_commandes: Proxy::demarrer(broker).await,
            broker_paiements: Proxy::demarrer(broker).await,
            broker_mail: Proxy::demarrer(broker).await,
            smtp: Proxy::demarrer(&format!("127.0.0.1:{}", testaide::boite_mail::port_smtp()))
                .await,
            produits: None,
            commandes: None,
            paiements: None,
            mail: None,
            tentatives_mail,
            delai_paiement,
        };
        b.demarrer_produits().await;
        b.demarrer_commandes().await;
        b.demarrer_paiements().await;
        b.demarrer_mail().await;
        b
    }

    /// The settings the three services share here: their port (0 the first time, the same
    /// one on a restart), database, broker proxy, this run's broker names.
    fn config_service(
        &self,
        port: u16,
        database_url: &str,
        broker: &Proxy,
        prefetch: u16,
    ) -> socle::config::ConfigService {
        socle::config::ConfigService {
            port,
            max_connexions_db: 10,
            prefixe_broker: self.prefixe.clone(),
            prefetch,
            ..testaide::config_service(database_url.to_owned(), amqp(broker), JETON)
        }
    }

    pub async fn demarrer_produits(&mut self) {
        let config = produits::Config {
            service: self.config_service(
                self.port_produits,
                &self.db_produits,
                &self.broker_produits,
                32,
            ),
            demo: false,
        };
        let app = produits::Application::build(config)
            .await
            .expect("produits");
        self.port_produits = app.port();
        self.produits_url = format!("http://127.0.0.1:{}", app.port());
        let arret = app.jeton_arret();
        self.produits = Some(lancer(app.run_until_stopped(), arret));
    }

    pub async fn demarrer_commandes(&mut self) {
        let config = commandes::Config {
            delai_produits: Duration::from_secs(10),
            delai_paiement: self.delai_paiement,
            intervalle_expiration: INTERVALLE_EXPIRATION,
            ..commandes::Config::new(
                self.config_service(
                    self.port_commandes,
                    &self.db_commandes,
                    &self.broker_commandes,
                    32,
                ),
                self.produits_url.clone(),
            )
        };
        let app = commandes::Application::build(config)
            .await
            .expect("commandes");
        self.port_commandes = app.port();
        self.commandes_url = format!("http://127.0.0.1:{}", app.port());
        let arret = app.jeton_arret();
        self.commandes = Some(lancer(app.run_until_stopped(), arret));
    }

    pub async fn demarrer_paiements(&mut self) {
        let config = paiements::Config {
            service: self.config_service(
                self.port_paiements,
                &self.db_paiements,
                &self.broker_paiements,
                32,
            ),
            delai_fournisseur: Duration::from_secs(3),
            delai_carte_lente: Duration::from_secs(30),
        };
        let app = paiements::Application::build(config)
            .await
            .expect("paiements");
        self.port_paiements = app.port();
        self.paiements_url = format!("http://127.0.0.1:{}", app.port());
        let arret = app.jeton_arret();
        self.paiements = Some(lancer(app.run_until_stopped(), arret));
    }

    pub async fn demarrer_mail(&mut self) {
        let config = mail_worker::Config {
            service: self.config_service(0, &self.db_mail, &self.broker_mail, 8),
            smtp_host: "127.0.0.1".into(),
            smtp_port: self.smtp.port(),
            smtp_from: "Boutique 321 <commandes@boutique321.ch>".into(),
            storefront_url: "http://localhost:8000".into(),
            tentatives_max: self.tentatives_mail,
            delai_reessai: DELAI_REESSAI_MAIL,
        };
        let app = mail_worker::Application::build(config)
            .await
            .expect("mail-worker");
        let arret = app.jeton_arret();
        self.mail = Some(lancer(app.run_until_stopped(), arret));
    }

    /// Stops every service gracefully (in-flight messages finish first).
    pub async fn arreter_tout(&mut self) {
        for s in [
            self.mail.take(),
            self.paiements.take(),
            self.commandes.take(),
            self.produits.take(),
        ]
        .into_iter()
        .flatten()
        {
            s.arreter().await;
        }
    }

    /// Restarts produits with its statements allowed to run `delai` (its pool's
    /// `statement_timeout`, 5 s by default): for a test that holds one of its row locks on
    /// purpose, and must not see the waiting statement cancelled when a busy machine makes
    /// the test slow.
    pub async fn redemarrer_produits_avec_delai_sql(&mut self, delai: Duration) {
        self.arreter_produits().await;
        self.db_produits = format!(
            "{}?options[statement_timeout]={}",
            self.db_produits,
            delai.as_millis()
        );
        self.demarrer_produits().await;
    }

    /// Asks produits to stop, without waiting: see [`Self::produits_arrete`].
    pub fn demander_arret_produits(&self) {
        if let Some(p) = &self.produits {
            p.arret.cancel();
        }
    }

    /// Whether produits has stopped (its `run_until_stopped` returned).
    pub fn produits_arrete(&self) -> bool {
        self.produits.as_ref().is_none_or(|p| p.tache.is_finished())
    }

    /// Waits for produits to stop once asked (or stops it now).
    pub async fn arreter_produits(&mut self) {
        if let Some(p) = self.produits.take() {
            p.arreter().await;
        }
    }

    /// A crash, as the broker sees it: every link to it drops at once, unacked messages are
    /// handed back; then the processes are gone.
    pub async fn tuer_tout(&mut self) {
        for p in [
            &self.broker_produits,
            &self.broker_commandes,
            &self.broker_paiements,
            &self.broker_mail,
        ] {
            p.couper();
        }
        self.arreter_tout().await;
        for p in [
            &self.broker_produits,
            &self.broker_commandes,
            &self.broker_paiements,
            &self.broker_mail,
        ] {
            p.retablir();
        }
    }

    pub async fn redemarrer_tout(&mut self) {
        self.demarrer_produits().await;
        self.demarrer_commandes().await;
        self.demarrer_paiements().await;
        self.demarrer_mail().await;
    }

    /// A unique address for this test.
    pub fn adresse(&self, qui: &str) -> String {
        format!(
            "{qui}.{}@example.com",
            self.prefixe.trim_matches('.').replace('.', "-")
        )
    }

    pub async fn creer_produit(&self, nom: &str, prix: &str, stock: i64) -> i64 {
        testaide::creer_produit(&self.client, &self.produits_url, JETON, nom, prix, stock).await
    }

    /// GET `url`, its JSON body.
    async fn lire(&self, url: String) -> Value {
        self.client
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn stock(&self, id: i64) -> i64 {
        let p = self
            .lire(format!("{}/api/produits/{id}", self.produits_url))
            .await;
        p["quantite_en_stock"].as_i64().unwrap()
    }

    /// Waits until the product's stock is `attendu` (stock released comes back through
    /// `stock.libere`, asynchronously).
    pub async fn attendre_stock(&self, produit: i64, attendu: i64) {
        let debut = Instant::now();
        loop {
            let stock = self.stock(produit).await;
            if stock == attendu {
                return;
            }
            assert!(
                debut.elapsed() < DELAI,
                "stock {stock} au lieu de {attendu}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Places an order; returns the created order.
    pub async fn commander(&self, email: &str, lignes: &[(i64, i64)]) -> Value {
        let produits: Vec<Value> = lignes
            .iter()
            .map(|(id, q)| json!({"produit_id": id, "quantite": q}))
            .collect();
        let r = self
            .client
            .post(format!("{}/api/commandes", self.commandes_url))
            .json(&json!({
                "email": email,
                "produits": produits,
                "nom": "Ada Lovelace",
                "adresse": {"rue": "Rue du Lac 12", "npa": "1003", "localite": "Lausanne"},
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status(),
            201,
            "commande refusée : {}",
            r.text().await.unwrap()
        );
        r.json().await.unwrap()
    }

    pub async fn commande(&self, reference: &str) -> Value {
        self.lire(format!("{}/api/commandes/{reference}", self.commandes_url))
            .await
    }

    /// Pays `reference` with `carte` (a fresh Idempotency-Key); returns the status and body of
    /// paiements' answer. While paiements has not yet learned what the order owes (409
    /// `paiement_pas_ouvert`, with Retry-After) it tries again, as the storefront does.
    pub async fn payer(&self, reference: &str, carte: &str) -> (u16, Value) {
        let cle = uuid::Uuid::new_v4().to_string();
        let debut = Instant::now();
        loop {
            let r = self
                .client
                .post(format!("{}/api/paiements", self.paiements_url))
                .header("Idempotency-Key", &cle)
                .json(&json!({
                    "reference": reference,
                    "carte": {"numero": carte, "expiration": "12/39", "cvc": "123"},
                }))
                .send()
                .await
                .unwrap();
            let statut = r.status().as_u16();
            let corps: Value = r.json().await.unwrap();
            if statut == 409 && corps["code"] == "paiement_pas_ouvert" {
                assert!(debut.elapsed() < DELAI, "paiement jamais ouvert : {corps}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            return (statut, corps);
        }
    }

    /// Cancels `reference` as its customer (`admin` false) or as the shop; returns the status
    /// and body of the answer.
    pub async fn annuler(&self, reference: &str, admin: bool) -> (u16, Value) {
        let mut requete = self.client.post(format!(
            "{}/api/commandes/{reference}/annulation",
            self.commandes_url
        ));
        if admin {
            requete = requete.bearer_auth(JETON);
        }
        let r = requete.send().await.unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Ships `reference` (admin); returns the status and body of the answer.
    pub async fn expedier(&self, reference: &str) -> (u16, Value) {
        let r = self
            .client
            .post(format!(
                "{}/api/commandes/{reference}/expedition",
                self.commandes_url
            ))
            .bearer_auth(JETON)
            .json(&json!({"transporteur": "La Poste", "numero_suivi": "99.00.123456.12345678"}))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap())
    }

    /// Waits until the order satisfies `condition`; returns it.
    pub async fn attendre_commande(
        &self,
        reference: &str,
        quoi: &str,
        condition: impl Fn(&Value) -> bool,
    ) -> Value {
        let debut = Instant::now();
        loop {
            let c = self.commande(reference).await;
            if condition(&c) {
                return c;
            }
            assert!(
                debut.elapsed() < DELAI,
                "la commande {reference} n'a jamais été {quoi} : {c}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the order's status is `statut`; returns the order.
    pub async fn attendre_statut(&self, reference: &str, statut: &str) -> Value {
        self.attendre_commande(reference, statut, |c| c["statut"] == statut)
            .await
    }

    /// Waits until paiements knows what `reference` owes (it read `commande.a_payer`).
    pub async fn attendre_paiement_ouvert(&self, reference: &str) {
        let db = sqlx::PgPool::connect(&self.db_paiements).await.unwrap();
        let debut = Instant::now();
        loop {
            let n: i64 = sqlx::query_scalar(
                "SELECT count(*) FROM commandes_a_payer WHERE reference = $1::uuid",
            )
            .bind(reference)
            .fetch_one(&db)
            .await
            .unwrap();
            if n == 1 {
                return;
            }
            assert!(debut.elapsed() < DELAI, "paiements ignore {reference}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The payment `id` as paiements shows it.
    pub async fn paiement(&self, id: &str) -> Value {
        self.lire(format!("{}/api/paiements/{id}", self.paiements_url))
            .await
    }

    /// Waits until the order leaves `en_attente`; returns its status then (`a_payer` once its
    /// stock is reserved, `annulee` when refused).
    pub async fn statut_final(&self, reference: &str) -> String {
        let c = self
            .attendre_commande(reference, "sortie d'attente", |c| {
                c["statut"] != "en_attente"
            })
            .await;
        c["statut"].as_str().unwrap().to_owned()
    }

    /// Waits for `n` emails to `adresse` (at least one), then for the mail pipeline to be at
    /// rest, and checks that no extra one came.
    pub async fn emails_exactement(&self, adresse: &str, n: usize) -> Vec<Value> {
        let debut = Instant::now();
        loop {
            let recus = testaide::boite_mail::emails_pour(adresse).await;
            assert!(
                recus.len() <= n,
                "{} courriels pour {adresse}, {n} attendus",
                recus.len()
            );
            if recus.len() == n {
                break;
            }
            assert!(
                debut.elapsed() < DELAI,
                "{} courriels pour {adresse} au lieu de {n}",
                recus.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        self.mail_notifier_au_repos(adresse).await;
        let recus = testaide::boite_mail::emails_pour(adresse).await;
        assert_eq!(recus.len(), n, "courriel en double pour {adresse}");
        recus
    }

    /// Like [`Self::emails_exactement`] with `n = 1`, for many addresses at once.
    pub async fn un_email_chacun(&self, adresses: &[String]) {
        let attendus: Vec<(String, usize)> = adresses.iter().map(|a| (a.clone(), 1)).collect();
        self.emails_par_adresse(&attendus).await;
    }

    /// Waits until each address got its number of emails, then for the mail pipeline to be at
    /// rest, and checks that none got more.
    pub async fn emails_par_adresse(&self, attendus: &[(String, usize)]) {
        let compter = |tous: Vec<Value>| {
            let mut compte: std::collections::HashMap<String, usize> = Default::default();
            for e in tous {
                for a in e["to"].as_array().into_iter().flatten() {
                    if let Some(a) = a["address"].as_str() {
                        *compte.entry(a.to_owned()).or_default() += 1;
                    }
                }
            }
            compte
        };
        let debut = Instant::now();
        loop {
            let compte = compter(testaide::boite_mail::tous_les_emails().await);
            let servis = attendus
                .iter()
                .filter(|(a, n)| compte.get(a).copied().unwrap_or(0) >= *n)
                .count();
            if servis == attendus.len() {
                break;
            }
            assert!(
                debut.elapsed() < DELAI,
                "{servis} destinataires sur {} ont reçu leurs courriels",
                attendus.len()
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        self.mail_notifier_au_repos(&attendus[0].0).await;
        let compte = compter(testaide::boite_mail::tous_les_emails().await);
        for (a, n) in attendus {
            assert_eq!(compte.get(a), Some(n), "courriels pour {a}");
        }
    }

    /// Waits until nothing can still make the mail worker send: commandes' outcome events are
    /// all published, no copy waits for a retry, and a duplicate of `adresse`'s outcome event
    /// (already emailed: the worker skips it), put in `mail_notifier` after everything else,
    /// was concluded — the queue is FIFO, so every message before it was concluded too, and
    /// an email it sent was accepted by the SMTP catcher (which stores before it answers).
    pub async fn mail_notifier_au_repos(&self, adresse: &str) {
        let db = self.db_commandes().await;
        let debut = Instant::now();
        loop {
            let en_attente: i64 = sqlx::query_scalar(&format!(
                "SELECT count(*) FROM outbox WHERE publie_le IS NULL
                 AND routing_key IN {CLES_COURRIELS}"
            ))
            .fetch_one(&db)
            .await
            .unwrap();
            if en_attente == 0 {
                break;
            }
            assert!(
                debut.elapsed() < DELAI,
                "des issues de commande restent à publier"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let (cle, doublon): (String, String) = sqlx::query_as(&format!(
            "SELECT routing_key, charge FROM outbox
             WHERE routing_key IN {CLES_COURRIELS}
               AND charge::jsonb ->> 'email' = $1
             ORDER BY id LIMIT 1"
        ))
        .bind(adresse)
        .fetch_one(&db)
        .await
        .expect("un événement déjà envoyé à cette adresse");
        let canal = self.canal().await;
        let file = self.topologie().file(MAIL_NOTIFIER);
        loop {
            while self.en_attente_de_reessai(&canal, MAIL_NOTIFIER).await > 0 {
                assert!(
                    debut.elapsed() < DELAI,
                    "des copies attendent toujours un nouvel essai"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            // Through the exchange with its own key: the worker reads the step from it (other
            // queues bound to that key get a duplicate too, which they skip).
            let sentinelle = self.publier(&canal, &cle, doublon.as_bytes()).await;
            self.attendre_conclusion(&file, &sentinelle).await;
            if self.en_attente_de_reessai(&canal, MAIL_NOTIFIER).await == 0 {
                return;
            }
        }
    }

    /// Waits until the consumer of `file` has concluded (acked, dead-lettered or parked) the
    /// message `message_id`: its batch is logged as concluded once every outcome was sent.
    pub async fn attendre_conclusion(&self, file: &str, message_id: &str) {
        journal::attendre_conclus(file, message_id, 1, DELAI).await;
    }

    /// Copies of `file`'s messages waiting for a retry, in all its wait queues.
    pub async fn en_attente_de_reessai(&self, canal: &lapin::Channel, file: File) -> u32 {
        let t = self.topologie();
        let mut files = vec![t.attente(file)];
        // The other consumers keep socle's default delays.
        let options = if file == MAIL_NOTIFIER {
            OptionsConsommateur {
                tentatives_max: self.tentatives_mail,
                delai_base: DELAI_REESSAI_MAIL,
                ..Default::default()
            }
        } else {
            OptionsConsommateur::default()
        };
        for p in options.paliers() {
            files.push(socle::amqp::file_d_attente(&t, file, p));
        }
        let mut n = 0;
        for f in files {
            n += self.etat_file(canal, &f).await.0;
        }
        n
    }

    /// Waits until the `/ready` of the service at `base` says its broker link is `broker`
    /// (`ok` or `indisponible`).
    pub async fn attendre_broker(&self, base: &str, broker: &str) {
        let debut = Instant::now();
        loop {
            let etat: Value = self
                .client
                .get(format!("{base}/ready"))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            if etat["broker"] == broker {
                return;
            }
            assert!(debut.elapsed() < DELAI, "broker de {base} : {etat}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// A channel on the real broker, with this test's topology declared.
    pub async fn canal(&self) -> Canal {
        canal_sur(&self.topologie()).await
    }

    pub fn topologie(&self) -> contrats::noms::Topologie {
        contrats::noms::Topologie::new(self.prefixe.as_str())
    }

    /// Publishes raw bytes on the `commandes` exchange (as a producer would); returns the
    /// message id given to it (for [`Self::attendre_conclusion`]).
    pub async fn publier(&self, canal: &lapin::Channel, routing_key: &str, corps: &[u8]) -> String {
        envoyer(canal, &self.topologie().exchange(), routing_key, corps).await
    }

    /// Publishes raw bytes straight into a queue (default exchange); returns its message id.
    pub async fn deposer(&self, canal: &lapin::Channel, file: &str, corps: &[u8]) -> String {
        envoyer(canal, "", file, corps).await
    }

    /// Waits for a message in `file` and takes it.
    pub async fn prendre(&self, canal: &lapin::Channel, file: &str) -> Vec<u8> {
        testaide::files::prendre(canal, file, DELAI)
            .await
            .delivery
            .data
    }

    /// `(ready, consumers)` of `file` right now (see [`testaide::files::etat`]).
    pub async fn etat_file(&self, canal: &lapin::Channel, file: &str) -> (u32, u32) {
        testaide::files::etat(canal, file).await
    }

    pub async fn db_commandes(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.db_commandes).await.unwrap()
    }

    /// The payload of an event commandes wrote with `routing_key` (the first one).
    pub async fn charge_outbox_commandes(&self, routing_key: &str) -> String {
        sqlx::query_scalar("SELECT charge FROM outbox WHERE routing_key = $1 ORDER BY id LIMIT 1")
            .bind(routing_key)
            .fetch_one(&self.db_commandes().await)
            .await
            .unwrap()
    }

    pub async fn db_produits(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.db_produits).await.unwrap()
    }

    pub async fn db_mail(&self) -> sqlx::PgPool {
        sqlx::PgPool::connect(&self.db_mail).await.unwrap()
    }
}

/// A channel of the test's own on the real broker (publisher confirms on), with
/// `topologie` declared.
pub async fn canal_sur(topologie: &contrats::noms::Topologie) -> Canal {
    let connexion = Connection::connect(&testaide::broker(), ConnectionProperties::default())
        .await
        .expect("connexion de test à RabbitMQ");
    let canal = connexion.create_channel().await.unwrap();
    canal
        .confirm_select(lapin::options::ConfirmSelectOptions::default())
        .await
        .unwrap();
    socle::amqp::declarer_topologie(&canal, topologie)
        .await
        .unwrap();
    Canal {
        _connexion: connexion,
        canal,
    }
}

/// A persistent, mandatory publish with a fresh message id, confirmed and routed to a queue;
/// returns the id.
async fn envoyer(
    canal: &lapin::Channel,
    exchange: &str,
    routing_key: &str,
    corps: &[u8],
) -> String {
    let id = uuid::Uuid::new_v4().to_string();
    let confirmation = canal
        .basic_publish(
            exchange.into(),
            routing_key.into(),
            BasicPublishOptions {
                mandatory: true,
                ..Default::default()
            },
            corps,
            BasicProperties::default()
                .with_delivery_mode(2)
                .with_message_id(id.as_str().into()),
        )
        .await
        .unwrap()
        .await
        .unwrap();
    assert_eq!(
        confirmation,
        lapin::Confirmation::Ack(None),
        "{routing_key} : publié et routé"
    );
    id
}
