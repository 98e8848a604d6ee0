//! `cargo xtask bench catalogue`: GET /api/produits on produits against a ceiling, a bare
//! axum handler (`plafond`) serving the same JSON from memory, so the ratio shows what the
//! service costs per request beyond axum itself.

use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use super::mesure::{rss_max_kio, verdict, wrk};
use crate::infra::{self, PG_URL};
use crate::lancement::construire;
use crate::outils::{cargo, executer, racine};
use crate::processus::{attendre_http, Enfants};

const PORT_SERVICE: u16 = 18181;
const PORT_PLAFOND: u16 = 18182;

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
    let mut enfants = Enfants::default();
    let pid = enfants.lancer(
        "produits",
        Command::new(binaires.join("produits"))
            .env("PORT", PORT_SERVICE.to_string())
            .env("DATABASE_URL", format!("{PG_URL}/bench_produits"))
            .env("DEMO_DATA", "true")
            .env("RUST_LOG", "warn"),
    )?;
    let url_service = format!("http://127.0.0.1:{PORT_SERVICE}/api/produits");
    attendre_http(
        &format!("http://127.0.0.1:{PORT_SERVICE}/health"),
        Duration::from_secs(60),
    )?;
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
    let service = wrk(&url_service, duree, connexions)?;
    let plafond = wrk(&url_plafond, duree, connexions)?;
    let rss = rss_max_kio(pid).unwrap_or(0) as f64 / 1024.0;
    enfants.arreter();
    infra::supprimer_bases("bench_")?;

    let ratio = service.req_s / plafond.req_s;
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
        "ratio produits/plafond : {ratio:.2} (objectif ≥ 0.50) {}",
        verdict(ratio >= 0.5)
    );
    println!(
        "RSS max de produits sous charge : {rss:.1} Mo (objectif < 40) {}",
        verdict(rss < 40.0)
    );
    Ok(())
}
