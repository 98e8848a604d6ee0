//! `cargo xtask bench storefront`: the server-rendered catalogue page through Traefik against
//! a static file through the same Traefik, and the size of the WASM bundle.

use super::mesure::{verdict, wrk};
use crate::infra;
use crate::lancement::{construire, Pile};
use crate::processus::Enfants;
use crate::wasm;

pub fn mesurer(duree: u32, connexions: u32) -> anyhow::Result<()> {
    let binaires = construire(true)?;
    let site = wasm::construire()?;
    infra::supprimer_bases("bench_")?;
    let pile = Pile::bench();
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
