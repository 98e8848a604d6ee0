//! A real Prometheus (Debian's binary) for tests that check what the services expose under
//! `/metrics` and the PromQL the shop ships: started on its own folder and a free port,
//! scraping and evaluating every second, killed and its folder removed when dropped.
//!
//! The caller gives the scrape targets (YAML) and the rule file; a test that needs more than
//! evaluating an expression builds it on [`Prometheus::get`] and [`Prometheus::evaluer`].

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::Client;
use serde_json::Value;

/// Debian's Prometheus, installed by `cargo xtask setup`.
pub const BINAIRE: &str = "/usr/bin/prometheus";
/// Longest wait for Prometheus to start or to evaluate its rules.
pub const DELAI: Duration = Duration::from_secs(60);
/// [`Prometheus::evaluer`]'s error while Prometheus does not answer (still starting).
pub const INJOIGNABLE: &str = "prometheus injoignable";

/// Whether [`BINAIRE`] is installed; if not, says the test is skipped (on stderr).
pub fn disponible() -> bool {
    let present = Path::new(BINAIRE).exists();
    if !present {
        eprintln!(
            "IGNORÉ : {BINAIRE} absent (paquet Debian prometheus, installé par `cargo xtask setup`)"
        );
    }
    present
}

/// A Prometheus process with its own folder (configuration, data, log), killed and removed
/// when dropped.
pub struct Prometheus {
    enfant: Child,
    url: String,
    dossier: PathBuf,
    client: Client,
}

impl Prometheus {
    /// Starts Prometheus evaluating `regles` (a rule file) every second and scraping every
    /// second the jobs of `scrape_configs`: the YAML entries under `scrape_configs:`, each
    /// starting with `  - job_name: …`.
    pub fn demarrer(regles: &Path, scrape_configs: &str) -> Prometheus {
        let dossier =
            std::env::temp_dir().join(format!("prometheus-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dossier).unwrap();
        let config = format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files:\n  - {:?}\nscrape_configs:\n{scrape_configs}",
            regles.display().to_string()
        );
        std::fs::write(dossier.join("prometheus.yml"), config).unwrap();
        // Free now, taken by Prometheus a moment later: nothing else in tests binds a port
        // it did not ask the system for.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let journal = std::fs::File::create(dossier.join("journal.txt")).unwrap();
        let enfant = Command::new(BINAIRE)
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
    pub async fn attendre_pret(&mut self) {
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
    pub fn verifier_vivant(&mut self) {
        if let Some(statut) = self.enfant.try_wait().unwrap() {
            let journal =
                std::fs::read_to_string(self.dossier.join("journal.txt")).unwrap_or_default();
            panic!("prometheus s'est arrêté ({statut}) :\n{journal}");
        }
    }

    /// The JSON body of `GET chemin?requete` on its HTTP API; `None` while it does not answer.
    pub async fn get(&self, chemin: &str, requete: &[(&str, &str)]) -> Option<Value> {
        let r = self
            .client
            .get(format!("{}{chemin}", self.url))
            .query(requete)
            .send()
            .await
            .ok()?;
        r.json().await.ok()
    }

    /// Evaluates `expr` now: its series, or Prometheus' error (a syntax error), or
    /// [`INJOIGNABLE`].
    pub async fn evaluer(&self, expr: &str) -> Result<Vec<Value>, String> {
        let corps = self
            .get("/api/v1/query", &[("query", expr)])
            .await
            .ok_or(INJOIGNABLE)?;
        if corps["status"] == "success" {
            Ok(corps["data"]["result"]
                .as_array()
                .cloned()
                .unwrap_or_default())
        } else {
            Err(format!("{} : {}", corps["errorType"], corps["error"]))
        }
    }

    /// Waits until Prometheus has loaded and evaluated every rule without error (fails at
    /// once on a rule in error); returns each rule's name and expression.
    pub async fn attendre_regles(&mut self) -> Vec<(String, String)> {
        let debut = Instant::now();
        loop {
            self.verifier_vivant();
            let corps = self.get("/api/v1/rules", &[]).await.unwrap_or(Value::Null);
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
