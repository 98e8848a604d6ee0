//! `cargo xtask bench catalogue`: GET /api/produits on produits against a ceiling, a bare
//! axum handler (`plafond`) serving the same JSON from memory, so the ratio shows what the
//! service costs per request beyond axum itself; then the same GET while orders flow (200
//! orders/s posted to commandes, each reserving stock of a product on the page), against the
//! same GET at rest, so the second ratio shows what the stock writes cost the catalogue.

use super::cpu::{resume, Releve};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;

use super::mesure::{rss_max_kio, verdict, wrk};
use crate::infra::{self, psql_sur, PG_URL};
use crate::lancement::construire;
use crate::outils::{cargo, executer, racine};
use crate::processus::{attendre_http, Enfants};

const PORT_SERVICE: u16 = 18181;
const PORT_PLAFOND: u16 = 18182;
const PORT_COMMANDES: u16 = 18183;
const JETON: &str = "jeton-bench";
/// Orders per second during the mixed measurement.
const CADENCE: f64 = 200.0;
/// The demo product the orders take (the mug, on the measured page).
const PRODUIT_COMMANDE: i64 = 2;

pub fn mesurer(duree: u32, connexions: u32) -> anyhow::Result<()> {
    let binaires = construire(true)?;
    // The ceiling, with the same profile (a separate build: `--bin` would narrow the other).
    executer(Command::new(cargo()).current_dir(racine()).args([
        "build",
        "--release",
        "-p",
        "xtask",
        "--bin",
        "plafond",
    ]))?;
    infra::supprimer_bases("bench_")?;
    let amqp = infra::recreer_vhost(infra::VHOST_BENCH)?;
    let prefixe = format!("bench.{}.", std::process::id());
    let mut enfants = Enfants::default();
    let pid = enfants.lancer(
        "produits",
        Command::new(binaires.join("produits"))
            .env("PORT", PORT_SERVICE.to_string())
            .env("DATABASE_URL", format!("{PG_URL}/bench_produits"))
            .env("AMQP_URL", &amqp)
            .env("BROKER_PREFIX", &prefixe)
            .env("ADMIN_TOKEN", JETON)
            .env("DEMO_DATA", "true")
            .env("RUST_LOG", "warn"),
    )?;
    let url_service = format!("http://127.0.0.1:{PORT_SERVICE}/api/produits");
    attendre_http(
        &format!("http://127.0.0.1:{PORT_SERVICE}/health"),
        Duration::from_secs(60),
    )?;
    enfants.lancer(
        "commandes",
        Command::new(binaires.join("commandes"))
            .env("PORT", PORT_COMMANDES.to_string())
            .env("DATABASE_URL", format!("{PG_URL}/bench_commandes"))
            .env("PRODUITS_URL", format!("http://127.0.0.1:{PORT_SERVICE}"))
            .env("AMQP_URL", &amqp)
            .env("BROKER_PREFIX", &prefixe)
            .env("ADMIN_TOKEN", JETON)
            .env("RUST_LOG", "warn"),
    )?;
    attendre_http(
        &format!("http://127.0.0.1:{PORT_COMMANDES}/health"),
        Duration::from_secs(60),
    )?;
    // Enough stock that no order of the run is refused (a refusal writes nothing).
    ureq::post(&format!("{url_service}/{PRODUIT_COMMANDE}/stock"))
        .header("Authorization", &format!("Bearer {JETON}"))
        .header("Content-Type", "application/json")
        .send(r#"{"delta": 100000000, "raison": "bench catalogue"}"#)
        .context("stock du produit commandé")?;
    let json = ureq::get(&url_service)
        .call()?
        .body_mut()
        .read_to_vec()
        .context("lecture du catalogue")?;
    println!("→ catalogue de démo : {} octets de JSON", json.len());
    let fichier = std::env::temp_dir().join("boutique-321-plafond.json");
    std::fs::write(&fichier, &json)?;
    enfants.lancer(
        "plafond",
        Command::new(binaires.join("plafond"))
            .arg(PORT_PLAFOND.to_string())
            .arg("/api/produits")
            .arg(&fichier)
            .arg("12"),
    )?;
    let url_plafond = format!("http://127.0.0.1:{PORT_PLAFOND}/api/produits");
    attendre_http(&url_plafond, Duration::from_secs(10))?;

    // Warm both up (connections, caches) before measuring.
    wrk(&url_service, 2, connexions)?;
    wrk(&url_plafond, 2, connexions)?;
    let releve = Releve::maintenant();
    let service = wrk(&url_service, duree, connexions)?;
    let (_, cpu_repos) = Releve::maintenant().depuis(&releve);
    let plafond = wrk(&url_plafond, duree, connexions)?;

    println!("→ même mesure pendant {CADENCE:.0} commandes/s");
    let commandes = Commandes::demarrer(CADENCE);
    // Orders flowing (posted, reserved) before the measurement starts.
    std::thread::sleep(Duration::from_secs(2));
    let reservees_avant = reservations()?;
    let debut = Instant::now();
    let releve = Releve::maintenant();
    let melange = wrk(&url_service, duree, connexions)?;
    let (_, cpu_melange) = Releve::maintenant().depuis(&releve);
    let fenetre = debut.elapsed();
    let reservees = reservations()? - reservees_avant;
    let (postees, refusees) = commandes.arreter();
    let rss = rss_max_kio(pid).unwrap_or(0) as f64 / 1024.0;
    enfants.arreter();
    infra::supprimer_bases("bench_")?;
    infra::supprimer_vhost(infra::VHOST_BENCH);

    let ratio = service.req_s / plafond.req_s;
    let ratio_melange = melange.req_s / service.req_s;
    println!();
    println!("bench catalogue — GET /api/produits (12 produits), wrk -t2 -c{connexions} -d{duree}s, 2 cœurs partagés avec wrk");
    println!("| cible | req/s | p50 | p99 |");
    println!("|---|---|---|---|");
    println!(
        "| produits | {:.0} | {:.2} ms | {:.2} ms |",
        service.req_s, service.p50_ms, service.p99_ms
    );
    println!(
        "| plafond (axum nu, JSON en mémoire) | {:.0} | {:.2} ms | {:.2} ms |",
        plafond.req_s, plafond.p50_ms, plafond.p99_ms
    );
    println!(
        "| produits pendant {CADENCE:.0} commandes/s | {:.0} | {:.2} ms | {:.2} ms |",
        melange.req_s, melange.p50_ms, melange.p99_ms
    );
    println!(
        "ratio produits/plafond : {ratio:.2} (objectif ≥ 0.50) {}",
        verdict(ratio >= 0.5)
    );
    println!(
        "ratio pendant les commandes/au repos : {ratio_melange:.2} (objectif ≥ 0.50) {}",
        verdict(ratio_melange >= 0.5)
    );
    println!(
        "réservations pendant la mesure : {reservees} ({:.0}/s) ; commandes postées : {postees}, refusées : {refusees}",
        reservees as f64 / fenetre.as_secs_f64()
    );
    println!(
        "RSS max de produits sous charge : {rss:.1} Mo (objectif < 40) {}",
        verdict(rss < 40.0)
    );
    // Where the cores went: the mixed figure is only as good as what the order flow leaves.
    println!(
        "CPU au repos (% d'un cœur, 200 % en tout) : {}",
        resume(&cpu_repos)
    );
    println!("CPU pendant les commandes : {}", resume(&cpu_melange));
    Ok(())
}

/// Stock reservations produits has committed (its inbox of `commande.nouvelle`).
fn reservations() -> anyhow::Result<i64> {
    Ok(
        psql_sur("bench_produits", "SELECT count(*) FROM evenements_traites")?
            .trim()
            .parse()?,
    )
}

/// Orders posted to commandes at a steady rate by a few threads, until stopped.
struct Commandes {
    arret: Arc<AtomicBool>,
    postees: Arc<AtomicUsize>,
    refusees: Arc<AtomicUsize>,
    fils: Vec<std::thread::JoinHandle<()>>,
}

impl Commandes {
    fn demarrer(cadence: f64) -> Self {
        const FILS: u32 = 8;
        let arret = Arc::new(AtomicBool::new(false));
        let postees = Arc::new(AtomicUsize::new(0));
        let refusees = Arc::new(AtomicUsize::new(0));
        let debut = Instant::now();
        let intervalle = Duration::from_secs_f64(f64::from(FILS) / cadence);
        let fils = (0..FILS)
            .map(|f| {
                let (arret, postees, refusees) = (arret.clone(), postees.clone(), refusees.clone());
                std::thread::spawn(move || {
                    let agent = ureq::Agent::new_with_defaults();
                    let corps = format!(
                        r#"{{"email": "client{f}@example.com", "produits": [{{"produit_id": {PRODUIT_COMMANDE}, "quantite": 1}}]}}"#
                    );
                    // Threads spread over the interval, so the rate is steady.
                    let decalage = intervalle.mul_f64(f64::from(f) / f64::from(FILS));
                    let mut k = 0u32;
                    while !arret.load(Ordering::Relaxed) {
                        let prevu = debut + decalage + intervalle * k;
                        if let Some(attente) = prevu.checked_duration_since(Instant::now()) {
                            std::thread::sleep(attente);
                        }
                        let r = agent
                            .post(&format!("http://127.0.0.1:{PORT_COMMANDES}/api/commandes"))
                            .header("Content-Type", "application/json")
                            .send(&corps);
                        match r {
                            Ok(r) if r.status() == 201 => postees.fetch_add(1, Ordering::Relaxed),
                            _ => refusees.fetch_add(1, Ordering::Relaxed),
                        };
                        k += 1;
                    }
                })
            })
            .collect();
        Commandes {
            arret,
            postees,
            refusees,
            fils,
        }
    }

    /// Stops posting; returns how many orders were accepted and refused.
    fn arreter(self) -> (usize, usize) {
        self.arret.store(true, Ordering::Relaxed);
        for f in self.fils {
            let _ = f.join();
        }
        (
            self.postees.load(Ordering::Relaxed),
            self.refusees.load(Ordering::Relaxed),
        )
    }
}
