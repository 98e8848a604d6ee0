//! `cargo xtask bench …`: load numbers measured on release builds, each against a goal.
//!
//! This module only dispatches: each benchmark lives in its own file, and what they share
//! (wrk, percentiles, peak memory, the ✓/✗ verdict) in [`mesure`], which uses none of them.

mod catalogue;
mod cpu;
mod mesure;
mod pipeline;
mod storefront;

use std::process::Command;

use crate::infra::{self, Demarres};
use crate::outils::{cargo, executer, existe, racine};

pub use pipeline::Smtp;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Quoi {
    /// GET /api/produits on produits vs a bare axum handler serving the same JSON.
    Catalogue,
    /// Orders end to end: POST → stock reserved → status final → email accepted by SMTP.
    Pipeline,
    /// The SSR catalogue page through Traefik vs a static file through Traefik; WASM size.
    Storefront,
}

pub fn bench(quoi: Quoi, duree: u32, connexions: u32, smtp: Smtp) -> anyhow::Result<()> {
    // The load generator must not be a debug build competing for the same two cores.
    if cfg!(debug_assertions) {
        let quoi = match quoi {
            Quoi::Catalogue => "catalogue",
            Quoi::Pipeline => "pipeline",
            Quoi::Storefront => "storefront",
        };
        println!("→ xtask en release pour la mesure");
        return executer(
            Command::new(cargo())
                .current_dir(racine())
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
                        Smtp::Sink => "sink",
                        Smtp::Maildev => "maildev",
                    },
                ]),
        );
    }
    anyhow::ensure!(existe("wrk"), "wrk manque : lancez `cargo xtask setup`");
    let mut demarres = Demarres::default();
    let resultat = (|| {
        infra::assurer_services(&mut demarres)?;
        match quoi {
            Quoi::Catalogue => catalogue::mesurer(duree, connexions),
            Quoi::Pipeline => pipeline::mesurer(duree, connexions, smtp),
            Quoi::Storefront => storefront::mesurer(duree, connexions),
        }
    })();
    demarres.arreter();
    resultat
}
