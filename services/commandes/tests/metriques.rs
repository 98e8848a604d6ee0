//! `/metrics` read by a real Prometheus (Debian's binary): a real produits and commandes in
//! this process, a few requests, then Prometheus scrapes them every second and must hold
//! request counts under route templates, a latency histogram and the pool gauges; every rule
//! of `observabilite/alertes.yml` must load and evaluate (that they read only metrics that
//! exist is checked with the whole pipeline, in services/parcours/tests/observabilite.rs).
//!
//! Its own test target: one process, one metrics recorder, shared by the two services here.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;

const PROMETHEUS: &str = "/usr/bin/prometheus";
const JETON: &str = "jeton-de-test";
/// Longest wait for Prometheus to start, scrape, or evaluate its rules.
const DELAI: Duration = Duration::from_secs(60);

/// The database name at the end of a test database URL: the pool gauges' `base` label.
fn nom_de_base(url: &str) -> String {
    url.rsplit('/').next().unwrap().to_owned()
}

/// produits on a random port; its address and its database's name.
async fn demarrer_produits() -> (String, String) {
    let url = testaide::base_de_test("produits");
    let config = produits::Config {
        service: testaide::config_service(url.clone(), testaide::broker(), JETON),
        demo: false,
    };
    let app = produits::Application::build(config)
        .await
        .expect("produits");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (adresse, nom_de_base(&url))
}

/// commandes on a random port, pointed at `produits`; its address and its database's name.
async fn demarrer_commandes(produits: &str) -> (String, String) {
    let url = testaide::base_de_test("commandes");
    let config = commandes::Config {
        delai_produits: Duration::from_secs(2),
        ..commandes::Config::new(
            testaide::config_service(url.clone(), testaide::broker(), JETON),
            produits,
        )
    };
    let app = commandes::Application::build(config)
        .await
        .expect("commandes");
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    (adresse, nom_de_base(&url))
}

/// A Prometheus process with its own folder (configuration, data, log), killed and removed
/// when dropped.
struct Prometheus {
    enfant: Child,
    url: String,
    dossier: PathBuf,
    client: Client,
}

impl Prometheus {
    /// Scrapes each `(job, address)` every second and evaluates `alertes.yml` every second.
    fn demarrer(cibles: &[(&str, &str)]) -> Prometheus {
        let dossier =
            std::env::temp_dir().join(format!("metriques-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dossier).unwrap();
        let mut config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {:?}\nscrape_configs:\n",
            alertes().display().to_string()
        );
        for (job, adresse) in cibles {
            let hote = adresse.trim_start_matches("http://");
            config += &format!(
                "  - job_name: {job}\n    static_configs:\n      - targets: [\"{hote}\"]\n"
            );
        }
        std::fs::write(dossier.join("prometheus.yml"), config).unwrap();
        // Free now, taken by Prometheus a moment later: nothing else here binds ports.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let journal = std::fs::File::create(dossier.join("journal.txt")).unwrap();
        let enfant = Command::new(PROMETHEUS)
            .arg(format!(
                "--config.file={}",
                dossier.join("prometheus.yml").display()
            ))
            .arg(format!(
                "--storage.tsdb.path={}",
                dossier.join("donnees").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(journal)
            .spawn()
            .expect("lancer prometheus");
        Prometheus {
            enfant,
            url: format!("http://127.0.0.1:{port}"),
            dossier,
            client: Client::new(),
        }
    }

    /// Waits until Prometheus answers `/-/ready` (its storage open, its rules loaded).
    async fn attendre_pret(&mut self) {
        let debut = Instant::now();
        loop {
            self.verifier_vivant();
            let pret = self
                .client
                .get(format!("{}/-/ready", self.url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if pret {
                return;
            }
            assert!(
                debut.elapsed() < DELAI,
                "prometheus pas prêt après {DELAI:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Fails the test with Prometheus' log if it has exited (a rule file it cannot load).
    fn verifier_vivant(&mut self) {
        if let Some(statut) = self.enfant.try_wait().unwrap() {
            let journal =
                std::fs::read_to_string(self.dossier.join("journal.txt")).unwrap_or_default();
            panic!("prometheus s'est arrêté ({statut}) :\n{journal}");
        }
    }

    async fn get(&self, chemin: &str, requete: &[(&str, &str)]) -> Value {
        let r = self
            .client
            .get(format!("{}{chemin}", self.url))
            .query(requete)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{chemin} : {e}"));
        r.json().await.unwrap()
    }

    /// Evaluates `expr` now; its result vector, or Prometheus' error (a syntax error).
    async fn evaluer(&self, expr: &str) -> Result<Vec<Value>, String> {
        let corps = self.get("/api/v1/query", &[("query", expr)]).await;
        if corps["status"] == "success" {
            Ok(corps["data"]["result"]
                .as_array()
                .cloned()
                .unwrap_or_default())
        } else {
            Err(format!("{} : {}", corps["errorType"], corps["error"]))
        }
    }

    /// Waits until `expr` gives one series whose value passes `condition`; returns the value.
    async fn attendre_valeur(&mut self, expr: &str, condition: impl Fn(f64) -> bool) -> f64 {
        let debut = Instant::now();
        loop {
            self.verifier_vivant();
            let resultat = self.evaluer(expr).await;
            if let Ok([serie]) = resultat.as_deref() {
                let valeur: f64 = serie["value"][1].as_str().unwrap().parse().unwrap();
                if condition(valeur) {
                    return valeur;
                }
            }
            assert!(
                debut.elapsed() < DELAI,
                "{expr} : toujours {resultat:?} après {DELAI:?}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until Prometheus has loaded and evaluated every rule without error; returns each
    /// rule's name and expression.
    async fn attendre_regles(&mut self) -> Vec<(String, String)> {
        let debut = Instant::now();
        loop {
            self.verifier_vivant();
            let corps = self.get("/api/v1/rules", &[]).await;
            let regles: Vec<&Value> = corps["data"]["groups"]
                .as_array()
                .into_iter()
                .flatten()
                .flat_map(|g| g["rules"].as_array().into_iter().flatten())
                .collect();
            for r in &regles {
                assert_ne!(r["health"], "err", "règle en erreur : {r}");
            }
            if !regles.is_empty() && regles.iter().all(|r| r["health"] == "ok") {
                return regles
                    .iter()
                    .map(|r| {
                        (
                            r["name"].as_str().unwrap().to_owned(),
                            r["query"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
            }
            assert!(debut.elapsed() < DELAI, "règles pas évaluées : {corps}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.enfant.kill();
        let _ = self.enfant.wait();
        let _ = std::fs::remove_dir_all(&self.dossier);
    }
}

fn alertes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../observabilite/alertes.yml")
        .canonicalize()
        .expect("observabilite/alertes.yml")
}

#[tokio::test]
async fn prometheus_lit_les_metriques_de_chaque_service() {
    if !Path::new(PROMETHEUS).exists() {
        eprintln!(
            "IGNORÉ : {PROMETHEUS} absent (paquet Debian prometheus, installé par `cargo xtask setup`)"
        );
        return;
    }
    let (produits, base_produits) = demarrer_produits().await;
    let (commandes, base_commandes) = demarrer_commandes(&produits).await;
    let client = Client::new();
    let id = testaide::creer_produit(&client, &produits, JETON, "Thé vert", "4.50", 10).await;
    for _ in 0..3 {
        let r = client
            .get(format!("{produits}/api/produits/{id}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let absent = client
        .get(format!("{produits}/api/produits/{}", id + 1_000_000))
        .send()
        .await
        .unwrap();
    assert_eq!(absent.status(), 404);
    let inconnue = client
        .get(format!("{produits}/nulle/part/{id}"))
        .send()
        .await
        .unwrap();
    assert_eq!(inconnue.status(), 404);
    let commande = client
        .get(format!(
            "{commandes}/api/commandes/{}",
            uuid::Uuid::new_v4()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(commande.status(), 404);

    // The exposition itself: route templates, never the paths requested.
    let texte = client
        .get(format!("{produits}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        texte.contains(r#"route="/api/produits/{id}""#),
        "pas de route modèle :\n{texte}"
    );
    assert!(texte.contains(r#"route="inconnue""#), "{texte}");
    assert!(!texte.contains(&format!("/api/produits/{id}\"")), "{texte}");
    assert!(!texte.contains("/nulle/part"), "{texte}");

    let mut prom = Prometheus::demarrer(&[("produits", &produits), ("commandes", &commandes)]);
    prom.attendre_pret().await;

    let requetes = r#"http_requetes_total{job="produits",route="/api/produits/{id}",methode="GET",statut="200"}"#;
    prom.attendre_valeur(requetes, |n| n >= 3.0).await;
    prom.attendre_valeur(
        r#"http_requetes_total{job="produits",route="/api/produits/{id}",methode="GET",statut="404"}"#,
        |n| n >= 1.0,
    )
    .await;
    prom.attendre_valeur(
        r#"http_requetes_total{job="produits",route="inconnue",methode="GET",statut="404"}"#,
        |n| n >= 1.0,
    )
    .await;
    prom.attendre_valeur(
        r#"http_requetes_total{job="commandes",route="/api/commandes/{reference}",statut="404"}"#,
        |n| n >= 1.0,
    )
    .await;
    // Seen in the same scrape as the template above: the raw path was never a label.
    let brut = r#"http_requetes_total{route=~"/api/produits/[0-9]+"}"#;
    assert_eq!(prom.evaluer(brut).await, Ok(vec![]), "chemin brut en label");

    // A histogram (buckets, not a summary), with the 4 reads of one route in it.
    let seaux = r#"count(http_duree_requete_secondes_bucket{job="produits",route="/api/produits/{id}",methode="GET"})"#;
    prom.attendre_valeur(seaux, |n| n > 2.0).await;
    prom.attendre_valeur(
        r#"http_duree_requete_secondes_bucket{job="produits",route="/api/produits/{id}",methode="GET",le="+Inf"}"#,
        |n| n >= 4.0,
    )
    .await;
    prom.attendre_valeur(
        r#"http_duree_requete_secondes_sum{job="produits",route="/api/produits/{id}",methode="GET"}"#,
        |s| s > 0.0,
    )
    .await;

    // Pool gauges of each service's own pool, read when scraped.
    for (job, base) in [("produits", &base_produits), ("commandes", &base_commandes)] {
        let jauge = |etat: &str| {
            format!(r#"db_pool_connexions{{job="{job}",base="{base}",etat="{etat}"}}"#)
        };
        let ouvertes = prom.attendre_valeur(&jauge("ouvertes"), |n| n >= 1.0).await;
        let inactives = prom
            .attendre_valeur(&jauge("inactives"), |n| n >= 0.0)
            .await;
        let utilisees = prom
            .attendre_valeur(&jauge("utilisees"), |n| n >= 0.0)
            .await;
        assert!(
            inactives + utilisees <= ouvertes,
            "{job} : {ouvertes} ouvertes"
        );
        // testaide::config_service gives every pool 5 connections.
        prom.attendre_valeur(
            &format!(r#"db_pool_connexions_max{{job="{job}",base="{base}"}}"#),
            |n| n == 5.0,
        )
        .await;
    }

    // The outbox's backlog, read when scraped: nothing waits here (no broker traffic needed).
    for (job, base) in [("produits", &base_produits), ("commandes", &base_commandes)] {
        prom.attendre_valeur(
            &format!(r#"outbox_a_publier{{job="{job}",base="{base}"}}"#),
            |n| n >= 0.0,
        )
        .await;
        prom.attendre_valeur(
            &format!(r#"outbox_age_plus_ancien_secondes{{job="{job}",base="{base}"}}"#),
            |s| s >= 0.0,
        )
        .await;
    }

    // Every alert rule: loaded and evaluated without error, each of its expressions valid.
    // Whether they read metrics that exist needs the whole pipeline (RabbitMQ's metrics, the
    // consumers'): services/parcours/tests/observabilite.rs checks that, with the dashboards.
    let regles = prom.attendre_regles().await;
    let attendues = std::fs::read_to_string(alertes())
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with("- alert:"))
        .count();
    assert_eq!(regles.len(), attendues, "règles chargées : {regles:?}");
    for (nom, expr) in &regles {
        if let Err(e) = prom.evaluer(expr).await {
            panic!("alerte {nom} : {e}\n{expr}");
        }
    }
}
