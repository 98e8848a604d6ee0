//! `cargo xtask bench …`: load numbers measured with wrk, each against a ceiling.

use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::infra::{self, Demarres, PG_URL};
use crate::lancement::construire;
use crate::processus::{attendre_http, rss_max_kio, Enfants};

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Quoi {
    /// GET /api/produits on produits vs a bare axum handler serving the same JSON.
    Catalogue,
    /// Orders end to end: POST → stock reserved → status final → email accepted by SMTP.
    Pipeline,
    /// The SSR catalogue page through Traefik vs a static file through Traefik; WASM size.
    Storefront,
}

const PORT_SERVICE: u16 = 18181;
const PORT_PLAFOND: u16 = 18182;

pub fn bench(
    quoi: Quoi,
    duree: u32,
    connexions: u32,
    smtp: crate::bench_pipeline::Smtp,
) -> anyhow::Result<()> {
    // The load generator must not be a debug build competing for the same two cores.
    if cfg!(debug_assertions) {
        let quoi = match quoi {
            Quoi::Catalogue => "catalogue",
            Quoi::Pipeline => "pipeline",
            Quoi::Storefront => "storefront",
        };
        println!("→ xtask en release pour la mesure");
        return crate::executer(
            Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
                .current_dir(crate::racine())
                .args([
                    "run",
                    "--quiet",
                    "--release",
                    "-p",
                    "xtask",
                    "--bin",
                    "xtask",
                    "--",
                ])
                .args(["bench", quoi, "--duree", &duree.to_string()])
                .args(["--connexions", &connexions.to_string()])
                .args([
                    "--smtp",
                    match smtp {
                        crate::bench_pipeline::Smtp::Sink => "sink",
                        crate::bench_pipeline::Smtp::Maildev => "maildev",
                    },
                ]),
        );
    }
    anyhow::ensure!(
        crate::existe("wrk"),
        "wrk manque : lancez `cargo xtask setup`"
    );
    let mut demarres = Demarres::default();
    let resultat = (|| {
        infra::assurer_services(&mut demarres)?;
        match quoi {
            Quoi::Catalogue => catalogue(duree, connexions),
            Quoi::Pipeline => crate::bench_pipeline::pipeline(duree, connexions, smtp),
            Quoi::Storefront => storefront(duree, connexions),
        }
    })();
    demarres.arreter();
    resultat
}

fn catalogue(duree: u32, connexions: u32) -> anyhow::Result<()> {
    let binaires = construire(true)?;
    // The ceiling, with the same profile (a separate build: `--bin` would narrow the other).
    crate::executer(
        Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(crate::racine())
            .args(["build", "--release", "-p", "xtask", "--bin", "plafond"]),
    )?;
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

fn storefront(duree: u32, connexions: u32) -> anyhow::Result<()> {
    let binaires = construire(true)?;
    let site = crate::wasm::construire()?;
    infra::supprimer_bases("bench_")?;
    let pile = crate::lancement::Pile::bench();
    let mut enfants = Enfants::default();
    pile.demarrer(&mut enfants, &binaires)?;
    let base = format!("http://127.0.0.1:{}", pile.passerelle);
    let page = format!("{base}/");
    let fichier = format!("{base}/style/main.css");
    wrk(&page, 2, connexions)?;
    wrk(&fichier, 2, connexions)?;
    let ssr = wrk(&page, duree, connexions)?;
    let statique = wrk(&fichier, duree, connexions)?;
    enfants.arreter();
    infra::supprimer_bases("bench_")?;
    let pkg = site.join("pkg");
    let taille = |f: &str| std::fs::metadata(pkg.join(f)).map(|m| m.len()).unwrap_or(0);
    let gz = taille("frontend_bg.wasm.gz");
    println!();
    println!("bench storefront — release, à travers Traefik, wrk -t2 -c{connexions} -d{duree}s, 2 cœurs partagés");
    println!("| cible | req/s | p50 | p99 |");
    println!("|---|---|---|---|");
    println!(
        "| catalogue rendu par le serveur (GET /) | {:.0} | {:.2} ms | {:.2} ms |",
        ssr.req_s, ssr.p50_ms, ssr.p99_ms
    );
    println!(
        "| fichier statique (GET /style/main.css) | {:.0} | {:.2} ms | {:.2} ms |",
        statique.req_s, statique.p50_ms, statique.p99_ms
    );
    println!("ratio SSR/statique : {:.2}", ssr.req_s / statique.req_s);
    println!(
        "WASM : {} Kio, {} Kio gzip (objectif ≤ 250 Ko) {}",
        taille("frontend_bg.wasm") / 1024,
        gz / 1024,
        verdict(gz <= 250_000)
    );
    Ok(())
}

pub fn verdict(ok: bool) -> &'static str {
    if ok {
        "✓"
    } else {
        "✗"
    }
}

pub struct Mesure {
    pub req_s: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
}

/// Runs wrk and reads its requests/s and latency percentiles.
pub fn wrk(url: &str, duree: u32, connexions: u32) -> anyhow::Result<Mesure> {
    let sortie = Command::new("wrk")
        .args([
            "-t2",
            &format!("-c{connexions}"),
            &format!("-d{duree}s"),
            "--latency",
            url,
        ])
        .output()
        .context("wrk")?;
    let texte = String::from_utf8_lossy(&sortie.stdout);
    anyhow::ensure!(sortie.status.success(), "wrk a échoué : {texte}");
    anyhow::ensure!(
        !texte.contains("Non-2xx"),
        "des réponses non 2xx pendant la charge : {texte}"
    );
    let champ = |prefixe: &str| -> Option<&str> {
        texte
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefixe))?
            .split_whitespace()
            .nth(1)
    };
    let req_s = champ("Requests/sec:")
        .and_then(|v| v.parse().ok())
        .context("Requests/sec absent")?;
    let p50_ms = champ("50%").and_then(en_ms).context("p50 absent")?;
    let p99_ms = champ("99%").and_then(en_ms).context("p99 absent")?;
    Ok(Mesure {
        req_s,
        p50_ms,
        p99_ms,
    })
}

/// wrk prints `812.00us`, `1.23ms` or `1.02s`.
fn en_ms(v: &str) -> Option<f64> {
    if let Some(n) = v.strip_suffix("us") {
        n.parse::<f64>().ok().map(|x| x / 1000.0)
    } else if let Some(n) = v.strip_suffix("ms") {
        n.parse().ok()
    } else if let Some(n) = v.strip_suffix('s') {
        n.parse::<f64>().ok().map(|x| x * 1000.0)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::en_ms;

    #[test]
    fn les_unites_de_wrk_sont_converties_en_millisecondes() {
        assert_eq!(en_ms("812.00us"), Some(0.812));
        assert_eq!(en_ms("1.50ms"), Some(1.5));
        assert_eq!(en_ms("1.02s"), Some(1020.0));
        assert_eq!(en_ms("abc"), None);
    }
}
