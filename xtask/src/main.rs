//! `cargo xtask`: everything a developer or CI does, natively, without Docker.
//!
//! # Layout
//! - [`installation`]: `setup` — installs what is missing on a fresh Debian machine.
//! - [`infra`]: PostgreSQL and RabbitMQ: find them, start them, prepare the broker's UI login.
//! - [`processus`]: the child processes `up` and `bench` start, and how they are stopped.
//! - [`lancement`]: `up` — the whole backend, with every URL printed.
//! - [`tests`]: `test` — what CI runs.
//! - [`bench`]: `bench catalogue` — load numbers against a ceiling.
//! - [`bench_pipeline`]: `bench pipeline` — orders per second end to end, latencies, memory.
//! - [`wasm`]: the storefront's WASM bundle (rustup target, or Debian's Rust offline).
//! - [`sqlx_prepare`]: regenerates the committed `.sqlx/` query data.

mod bench;
mod bench_pipeline;
mod cpu;
mod infra;
mod installation;
mod lancement;
mod processus;
mod sqlx_prepare;
mod tests;
mod wasm;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    about = "Boutique 321 : construire, lancer, tester, mesurer"
)]
struct Cli {
    #[command(subcommand)]
    commande: Commande,
}

#[derive(Subcommand)]
enum Commande {
    /// Install what the project needs (apt, pip, npm), only what is missing.
    Setup,
    /// Run the whole backend natively; Ctrl-C stops everything it started.
    Up {
        /// Build and run optimised binaries.
        #[arg(long)]
        release: bool,
    },
    /// Everything CI runs: format, lints, the compose file, every test.
    Test,
    /// Only the browser tests (the whole shop on its test ports), while working on the
    /// storefront.
    E2e,
    /// Load benchmarks.
    Bench {
        #[arg(value_enum)]
        quoi: bench::Quoi,
        /// Seconds of load per target.
        #[arg(long, default_value_t = 10)]
        duree: u32,
        /// Concurrent connections.
        #[arg(long, default_value_t = 64)]
        connexions: u32,
        /// SMTP server of the pipeline benchmark.
        #[arg(long, value_enum, default_value_t = bench_pipeline::Smtp::Sink)]
        smtp: bench_pipeline::Smtp,
    },
    /// Build the storefront's WASM bundle into `<target>/site/pkg`.
    Wasm,
    /// Regenerate `.sqlx/` (compile-time query data) against a live PostgreSQL.
    SqlxPrepare,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.commande {
        Commande::Setup => installation::setup(),
        Commande::Up { release } => lancement::up(release),
        Commande::Test => tests::test(),
        Commande::E2e => tests::e2e(),
        Commande::Bench {
            quoi,
            duree,
            connexions,
            smtp,
        } => bench::bench(quoi, duree, connexions, smtp),
        Commande::SqlxPrepare => sqlx_prepare::preparer(),
        Commande::Wasm => wasm::construire().map(|_| ()),
    }
}

/// The workspace root (xtask lives one level below it).
pub fn racine() -> PathBuf {
    // Read at run time: with a target dir shared by several checkouts (CI clones), cargo may
    // run an xtask binary last linked for another checkout, whose compile-time path is not ours.
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("xtask is inside the workspace")
        .to_path_buf()
}

/// Where installed tools live: outside the checkout, so CI clones share them.
pub fn dossier_outils() -> PathBuf {
    std::env::var_os("BOUTIQUE_TOOLS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let home = std::env::var_os("HOME").unwrap_or_else(|| "/tmp".into());
            PathBuf::from(home).join(".cache/boutique-321/outils")
        })
}

/// Runs a command, failing with its name when it fails.
pub fn executer(cmd: &mut std::process::Command) -> anyhow::Result<()> {
    let statut = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("impossible de lancer {cmd:?} : {e}"))?;
    anyhow::ensure!(statut.success(), "échec de {cmd:?} ({statut})");
    Ok(())
}

/// Whether `programme` is on PATH.
pub fn existe(programme: &str) -> bool {
    std::process::Command::new("sh")
        .args(["-c", &format!("command -v {programme} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}
