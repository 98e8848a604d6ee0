//! `/metrics` read by a real Prometheus (Debian's binary): a real produits and commandes in
//! this process, a few requests, then Prometheus scrapes them every second and must hold
//! request counts under route templates, a latency histogram and the pool gauges; every rule
//! of `observabilite/alertes.yml` must load and evaluate (that they read only metrics that
//! exist is checked with the whole pipeline, in services/parcours/tests/observabilite.rs).
//!
//! Its own test target: one process, one metrics recorder, shared by the two services here.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reqwest::Client;
use testaide::prometheus::{Prometheus, DELAI};

const JETON: &str = "jeton-de-test";

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

/// Scrapes each `(job, address)` and evaluates `alertes.yml`, every second.
fn demarrer_prometheus(cibles: &[(&str, &str)]) -> Prometheus {
    let mut scrape_configs = String::new();
    for (job, adresse) in cibles {
        let hote = adresse.trim_start_matches("http://");
        scrape_configs +=
            &format!("  - job_name: {job}\n    static_configs:\n      - targets: [\"{hote}\"]\n");
    }
    Prometheus::demarrer(&alertes(), &scrape_configs)
}

/// Waits until `expr` gives one series whose value passes `condition`; returns the value.
async fn attendre_valeur(
    prom: &mut Prometheus,
    expr: &str,
    condition: impl Fn(f64) -> bool,
) -> f64 {
    let debut = Instant::now();
    loop {
        prom.verifier_vivant();
        let resultat = prom.evaluer(expr).await;
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

fn alertes() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../observabilite/alertes.yml")
        .canonicalize()
        .expect("observabilite/alertes.yml")
}

#[tokio::test]
async fn prometheus_lit_les_metriques_de_chaque_service() {
    if !testaide::prometheus::disponible() {
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

    let mut prom = demarrer_prometheus(&[("produits", &produits), ("commandes", &commandes)]);
    prom.attendre_pret().await;

    let requetes = r#"http_requetes_total{job="produits",route="/api/produits/{id}",methode="GET",statut="200"}"#;
    attendre_valeur(&mut prom, requetes, |n| n >= 3.0).await;
    attendre_valeur(
        &mut prom,
        r#"http_requetes_total{job="produits",route="/api/produits/{id}",methode="GET",statut="404"}"#,
        |n| n >= 1.0,
    )
    .await;
    attendre_valeur(
        &mut prom,
        r#"http_requetes_total{job="produits",route="inconnue",methode="GET",statut="404"}"#,
        |n| n >= 1.0,
    )
    .await;
    attendre_valeur(
        &mut prom,
        r#"http_requetes_total{job="commandes",route="/api/commandes/{reference}",statut="404"}"#,
        |n| n >= 1.0,
    )
    .await;
    // Seen in the same scrape as the template above: the raw path was never a label.
    let brut = r#"http_requetes_total{route=~"/api/produits/[0-9]+"}"#;
    assert_eq!(prom.evaluer(brut).await, Ok(vec![]), "chemin brut en label");

    // A histogram (buckets, not a summary), with the 4 reads of one route in it.
    let seaux = r#"count(http_duree_requete_secondes_bucket{job="produits",route="/api/produits/{id}",methode="GET"})"#;
    attendre_valeur(&mut prom, seaux, |n| n > 2.0).await;
    attendre_valeur(
        &mut prom,
        r#"http_duree_requete_secondes_bucket{job="produits",route="/api/produits/{id}",methode="GET",le="+Inf"}"#,
        |n| n >= 4.0,
    )
    .await;
    attendre_valeur(
        &mut prom,
        r#"http_duree_requete_secondes_sum{job="produits",route="/api/produits/{id}",methode="GET"}"#,
        |s| s > 0.0,
    )
    .await;

    // Pool gauges of each service's own pool, read when scraped.
    for (job, base) in [("produits", &base_produits), ("commandes", &base_commandes)] {
        let jauge = |etat: &str| {
            format!(r#"db_pool_connexions{{job="{job}",base="{base}",etat="{etat}"}}"#)
        };
        let ouvertes = attendre_valeur(&mut prom, &jauge("ouvertes"), |n| n >= 1.0).await;
        let inactives = attendre_valeur(&mut prom, &jauge("inactives"), |n| n >= 0.0).await;
        let utilisees = attendre_valeur(&mut prom, &jauge("utilisees"), |n| n >= 0.0).await;
        assert!(
            inactives + utilisees <= ouvertes,
            "{job} : {ouvertes} ouvertes"
        );
        // testaide::config_service gives every pool 5 connections.
        attendre_valeur(
            &mut prom,
            &format!(r#"db_pool_connexions_max{{job="{job}",base="{base}"}}"#),
            |n| n == 5.0,
        )
        .await;
    }

    // The outbox's backlog, read when scraped: nothing waits here (no broker traffic needed).
    for (job, base) in [("produits", &base_produits), ("commandes", &base_commandes)] {
        attendre_valeur(
            &mut prom,
            &format!(r#"outbox_a_publier{{job="{job}",base="{base}"}}"#),
            |n| n >= 0.0,
        )
        .await;
        attendre_valeur(
            &mut prom,
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
