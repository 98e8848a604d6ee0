//! The workspace as cargo sees it: `cargo metadata --no-deps` (no network, no resolution),
//! reduced to what the checks need: each crate's targets and its dependencies on the others.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Context;
use serde_json::Value;

pub struct Espace {
    pub racine: PathBuf,
    pub paquets: Vec<Paquet>,
}

pub struct Paquet {
    pub nom: String,
    pub manifeste: PathBuf,
    /// Root files of its lib, bins, tests, benches and examples (not `build.rs`).
    pub cibles: Vec<PathBuf>,
    /// Its dependencies on other workspace crates.
    pub dependances: Vec<Dependance>,
    /// The names of all its dependencies, for crates that must stay light.
    pub toutes: Vec<(String, Sorte)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sorte {
    Normale,
    Dev,
    Construction,
}

pub struct Dependance {
    pub nom: String,
    pub sorte: Sorte,
}

impl Espace {
    pub fn lire(racine: &Path, cargo: &str) -> anyhow::Result<Espace> {
        let sortie = Command::new(cargo)
            .current_dir(racine)
            .args(["metadata", "--no-deps", "--format-version", "1"])
            .output()
            .context("cargo metadata")?;
        anyhow::ensure!(
            sortie.status.success(),
            "cargo metadata a échoué : {}",
            String::from_utf8_lossy(&sortie.stderr)
        );
        Espace::depuis_json(&serde_json::from_slice(&sortie.stdout)?)
    }

    fn depuis_json(json: &Value) -> anyhow::Result<Espace> {
        let texte = |v: &Value, cle: &str| -> anyhow::Result<String> {
            Ok(v[cle]
                .as_str()
                .with_context(|| format!("cargo metadata : {cle} absent"))?
                .to_owned())
        };
        let paquets_json = json["packages"]
            .as_array()
            .context("cargo metadata : packages absent")?;
        // With --no-deps, `packages` holds exactly the workspace members.
        let membres: Vec<String> = paquets_json
            .iter()
            .map(|p| texte(p, "name"))
            .collect::<anyhow::Result<_>>()?;
        let mut paquets = Vec::new();
        for p in paquets_json {
            let mut cibles = Vec::new();
            for c in p["targets"].as_array().into_iter().flatten() {
                let sortes: Vec<&str> = c["kind"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .collect();
                if !sortes.contains(&"custom-build") {
                    cibles.push(PathBuf::from(texte(c, "src_path")?));
                }
            }
            let mut dependances = Vec::new();
            let mut toutes = Vec::new();
            for d in p["dependencies"].as_array().into_iter().flatten() {
                let nom = texte(d, "name")?;
                let sorte = match d["kind"].as_str() {
                    Some("dev") => Sorte::Dev,
                    Some("build") => Sorte::Construction,
                    _ => Sorte::Normale,
                };
                if membres.contains(&nom) && d["path"].is_string() {
                    dependances.push(Dependance {
                        nom: nom.clone(),
                        sorte,
                    });
                }
                toutes.push((nom, sorte));
            }
            paquets.push(Paquet {
                nom: texte(p, "name")?,
                manifeste: PathBuf::from(texte(p, "manifest_path")?),
                cibles,
                dependances,
                toutes,
            });
        }
        Ok(Espace {
            racine: PathBuf::from(texte(json, "workspace_root")?),
            paquets,
        })
    }

    /// `path` relative to the workspace root, for messages.
    pub fn relatif(&self, chemin: &Path) -> String {
        chemin
            .strip_prefix(&self.racine)
            .unwrap_or(chemin)
            .display()
            .to_string()
    }
}
