//! `cargo xtask`: everything a developer or CI does, natively, without Docker.
//!
//! # Layout
//! - [`outils`]: where things are (workspace, target dir, installed tools) and how programs
//!   are run. A leaf: it uses no other module, and this file holds nothing but the CLI.
//! - [`installation`]: `setup` — installs what is missing on a fresh Debian machine.
//! - [`infra`]: PostgreSQL and RabbitMQ: find them, start them, prepare the broker's UI login.
//! - [`processus`]: the child processes `up`, `test` and `bench` start, and how they stop.
//! - [`lancement`]: `up` — the whole backend, with every URL printed.
//! - [`verification`]: `test` — what CI runs — and `e2e`.
//! - [`bench`]: `bench catalogue|pipeline|storefront` — load numbers against goals.
//! - [`wasm`]: the storefront's WASM bundle (rustup target, or Debian's Rust offline).
//! - [`sqlx_prepare`]: regenerates the committed `.sqlx/` query data.
//! - [`architecture`]: `architecture` — no cycle between modules, allowed crate dependencies.
//! - [`kubernetes`]: `kubernetes` — the manifests and images, checked without a cluster.
//!
//! Modules use each other in one direction only (`cargo xtask architecture` checks it).

mod architecture;
mod bench;
mod infra;
mod installation;
mod kubernetes;
mod lancement;
mod outils;
mod processus;
mod sqlx_prepare;
mod verification;
mod wasm;

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
    /// Everything CI runs: format, architecture, lints, the compose file, every test.
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
        #[arg(long, value_enum, default_value_t = bench::Smtp::Sink)]
        smtp: bench::Smtp,
    },
    /// Build the storefront's WASM bundle into `<target>/site/pkg`.
    Wasm,
    /// Regenerate `.sqlx/` (compile-time query data) against a live PostgreSQL.
    SqlxPrepare {
        /// Only these crates (all of them when none is named).
        crates: Vec<String>,
    },
    /// Check the structure: no cycle between modules, only allowed crate dependencies.
    Architecture,
    /// Check `deploy/kubernetes` and the Dockerfiles without a cluster (also run by `test`).
    Kubernetes,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.commande {
        Commande::Setup => installation::setup(),
        Commande::Up { release } => lancement::up(release),
        Commande::Test => verification::test(),
        Commande::E2e => verification::e2e(),
        Commande::Bench {
            quoi,
            duree,
            connexions,
            smtp,
        } => bench::bench(quoi, duree, connexions, smtp),
        Commande::SqlxPrepare { crates } => sqlx_prepare::preparer(&crates),
        Commande::Wasm => wasm::construire().map(|_| ()),
        Commande::Architecture => architecture::architecture(),
        Commande::Kubernetes => kubernetes::kubernetes(),
    }
}
