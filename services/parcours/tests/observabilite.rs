//! Every PromQL expression the shop ships, against a real Prometheus (Debian's binary) after
//! real traffic: each panel of each Grafana dashboard (`observabilite/grafana/tableaux/`)
//! and each alert rule (`observabilite/alertes.yml`). A syntax error, a metric no one exposes,
//! or a panel left empty by traffic that must have fed it fails the test.
//!
//! The four services run in this process and share one metrics recorder: Prometheus scrapes
//! it once (job `boutique`), and RabbitMQ's own metrics (plugin `rabbitmq_prometheus`,
//! enabled by `cargo xtask up` and `cargo xtask test`) as job `rabbitmq`, like `cargo xtask
//! up`'s configuration does.

#[path = "pipeline/boutique.rs"]
#[allow(dead_code)]
mod boutique;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use boutique::{Boutique, CARTE_ACCEPTEE, DELAI};
use serde_json::Value;
use testaide::prometheus::{Prometheus, INJOIGNABLE};

/// RabbitMQ's metrics plugin, on the test broker's host.
const METRIQUES_RABBITMQ: &str = "127.0.0.1:15692";

fn observabilite() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../observabilite")
        .canonicalize()
        .expect("dossier observabilite/")
}

/// Scrapes the shop (`boutique`, one process) and RabbitMQ, evaluates the alert rules, every
/// second.
fn demarrer_prometheus(boutique: &str) -> Prometheus {
    let scrape_configs = format!(
        r#"  - job_name: boutique
    static_configs:
      - targets: ["{boutique}"]
  - job_name: rabbitmq
    metrics_path: /metrics/detailed
    params:
      family: [queue_coarse_metrics, queue_consumer_count]
    static_configs:
      - targets: ["{METRIQUES_RABBITMQ}"]
"#,
        boutique = boutique.trim_start_matches("http://"),
    );
    Prometheus::demarrer(&observabilite().join("alertes.yml"), &scrape_configs)
}

/// Waits until `expr` gives at least one series; fails at once on an error.
async fn attendre_series(prom: &mut Prometheus, ou: &str, expr: &str) {
    let debut = Instant::now();
    loop {
        prom.verifier_vivant();
        match prom.evaluer(expr).await {
            Ok(series) if !series.is_empty() => return,
            Err(e) if e != INJOIGNABLE => panic!("{ou} : {e}\n{expr}"),
            _ => {}
        }
        assert!(
            debut.elapsed() < DELAI,
            "{ou} : aucune série après {DELAI:?}\n{expr}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Every metric name Prometheus holds.
async fn metriques_connues(prom: &Prometheus) -> Vec<String> {
    let corps = prom
        .get("/api/v1/label/__name__/values", &[])
        .await
        .expect("noms des métriques");
    corps["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// `(dashboard file, panel title, expression)` of every panel target of every dashboard.
fn expressions_des_tableaux() -> Vec<(String, String, String)> {
    let dossier = observabilite().join("grafana/tableaux");
    let mut exprs = Vec::new();
    let mut fichiers: Vec<PathBuf> = std::fs::read_dir(&dossier)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    fichiers.sort();
    for f in fichiers {
        let tableau: Value = serde_json::from_str(&std::fs::read_to_string(&f).unwrap())
            .unwrap_or_else(|e| panic!("{} : {e}", f.display()));
        let nom = f.file_name().unwrap().to_string_lossy().into_owned();
        for panneau in tableau["panels"].as_array().expect("panels") {
            for cible in panneau["targets"].as_array().expect("targets") {
                exprs.push((
                    nom.clone(),
                    panneau["title"].as_str().unwrap().to_owned(),
                    cible["expr"].as_str().expect("expr").to_owned(),
                ));
            }
        }
    }
    exprs
}

/// The metric names a PromQL expression reads: an identifier outside strings, `{…}`, `[…]`
/// and grouping lists (`by (…)`…) that is not a function call, an aggregation or a keyword.
/// (Prometheus 2.42 has no parse endpoint.)
fn noms_de_metriques(expr: &str) -> Vec<String> {
    const MOTS: &[&str] = &[
        "and",
        "or",
        "unless",
        "bool",
        "offset",
        "inf",
        "nan",
        "sum",
        "min",
        "max",
        "avg",
        "group",
        "stddev",
        "stdvar",
        "count",
        "count_values",
        "bottomk",
        "topk",
        "quantile",
    ];
    const LISTES: &[&str] = &[
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
    ];
    let c: Vec<char> = expr.chars().collect();
    // Index just past the `fin` closing `c[i]`, strings skipped.
    let sauter = |mut i: usize, fin: char| {
        while i < c.len() && c[i] != fin {
            if c[i] == '"' || c[i] == '\'' {
                let guillemet = c[i];
                i += 1;
                while i < c.len() && c[i] != guillemet {
                    i += if c[i] == '\\' { 2 } else { 1 };
                }
            }
            i += 1;
        }
        i + 1
    };
    let mut noms = Vec::new();
    let mut i = 0;
    while i < c.len() {
        match c[i] {
            '"' | '\'' => i = sauter(i + 1, c[i]),
            '{' => i = sauter(i + 1, '}'),
            '[' => i = sauter(i + 1, ']'),
            x if x.is_ascii_alphanumeric() || x == '_' || x == ':' || x == '.' => {
                let debut = i;
                while i < c.len()
                    && (c[i].is_ascii_alphanumeric() || matches!(c[i], '_' | ':' | '.'))
                {
                    i += 1;
                }
                let mot: String = c[debut..i].iter().collect();
                let suivant = c[i..].iter().find(|x| !x.is_whitespace());
                if LISTES.contains(&mot.as_str()) {
                    if suivant == Some(&'(') {
                        let ouvrante = i + c[i..].iter().position(|x| *x == '(').unwrap();
                        i = sauter(ouvrante + 1, ')');
                    }
                } else if !(x.is_ascii_digit() || x == '.')
                    && suivant != Some(&'(')
                    && !MOTS.contains(&mot.to_lowercase().as_str())
                {
                    noms.push(mot);
                }
            }
            _ => i += 1,
        }
    }
    noms
}

#[test]
fn noms_de_metriques_lit_les_selecteurs_seulement() {
    assert_eq!(
        noms_de_metriques(
            r#"histogram_quantile(0.99, sum by (job, le) (rate(a_bucket{route!="/x}"}[5m])))
               / on (job) group_left b:c > bool 1e3 or up == 0
               unless on (queue) label_replace(d, "queue", "$1", "file", "(.+)")"#
        ),
        ["a_bucket", "b:c", "up", "d"]
    );
}

/// Every metric an expression reads is one Prometheus holds.
fn verifier_noms(ou: &str, expr: &str, connues: &[String]) {
    let noms = noms_de_metriques(expr);
    assert!(!noms.is_empty(), "{ou} : aucune métrique dans {expr}");
    for nom in noms {
        assert!(
            connues.contains(&nom),
            "{ou} : métrique inconnue {nom}\n{expr}"
        );
    }
}

#[tokio::test]
async fn chaque_panneau_et_chaque_alerte_se_lisent_apres_une_vraie_commande() {
    if !testaide::prometheus::disponible() {
        return;
    }
    assert!(
        std::net::TcpStream::connect(METRIQUES_RABBITMQ).is_ok(),
        "les métriques de RabbitMQ ne répondent pas sur {METRIQUES_RABBITMQ} : \
         `rabbitmq-plugins enable rabbitmq_prometheus` (fait par `cargo xtask up` et `test`)"
    );

    // Arrange: an order paid then cancelled by the shop (refund, stock back, emails), and one
    // refused for lack of stock.
    let b = Boutique::demarrer().await;
    let p = b.creer_produit("Lampe Lugano", "49.90", 5).await;
    let email = b.adresse("mesuree");
    let c = b.commander(&email, &[(p, 2)]).await;
    let reference = c["reference"].as_str().unwrap().to_owned();
    assert_eq!(b.statut_final(&reference).await, "a_payer");
    let (statut, corps) = b.payer(&reference, CARTE_ACCEPTEE).await;
    assert_eq!(statut, 201, "{corps}");
    b.attendre_statut(&reference, "confirmee").await;
    let (statut, corps) = b.annuler(&reference, true).await;
    assert_eq!(statut, 200, "{corps}");
    let refusee = b.commander(&b.adresse("trop"), &[(p, 50)]).await;
    assert_eq!(
        b.statut_final(refusee["reference"].as_str().unwrap()).await,
        "annulee"
    );
    // A payment refunded, its email sent: the last events of the pipeline.
    b.emails_exactement(&email, 4).await;

    // Act
    let mut prom = demarrer_prometheus(&b.commandes_url);

    // Assert: every panel has series, reads known metrics only.
    let exprs = expressions_des_tableaux();
    assert!(exprs.len() >= 15, "panneaux lus : {}", exprs.len());
    for (fichier, titre, expr) in &exprs {
        attendre_series(&mut prom, &format!("{fichier} « {titre} »"), expr).await;
    }
    let connues = metriques_connues(&prom).await;
    for (fichier, titre, expr) in &exprs {
        verifier_noms(&format!("{fichier} « {titre} »"), expr, &connues);
    }

    // Every alert: loaded, evaluated without error, reading known metrics only.
    let regles = prom.attendre_regles().await;
    let attendues = std::fs::read_to_string(observabilite().join("alertes.yml"))
        .unwrap()
        .lines()
        .filter(|l| l.trim_start().starts_with("- alert:"))
        .count();
    assert_eq!(regles.len(), attendues, "règles chargées : {regles:?}");
    for (nom, expr) in &regles {
        if let Err(e) = prom.evaluer(expr).await {
            panic!("alerte {nom} : {e}\n{expr}");
        }
        verifier_noms(&format!("alerte {nom}"), expr, &connues);
    }
}
