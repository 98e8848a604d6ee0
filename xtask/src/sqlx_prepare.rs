//! `cargo xtask sqlx-prepare [crate…]`: regenerates the services' `.sqlx/` query data.
//!
//! The services build offline (`SQLX_OFFLINE=true` in `.cargo/config.toml`) from the
//! committed `.sqlx/`. After changing a query or a migration, this applies the migrations to
//! a scratch database and recompiles the crate online with `SQLX_OFFLINE_DIR` set, which makes
//! the sqlx macros write their data there (what `cargo sqlx prepare` does, without sqlx-cli).

use std::process::Command;

use crate::infra::{self, Demarres, PG_URL};
use crate::outils::{cargo, executer, racine};

/// Crates with compile-checked queries.
const CRATES: &[&str] = &["produits", "commandes", "mail-worker", "paiements"];

/// Regenerates the `.sqlx/` of `choisis` (every crate of [`CRATES`] when empty).
pub fn preparer(choisis: &[String]) -> anyhow::Result<()> {
    if let Some(inconnu) = choisis.iter().find(|c| !CRATES.contains(&c.as_str())) {
        anyhow::bail!("{inconnu} n'a pas de requêtes vérifiées ; au choix : {CRATES:?}");
    }
    let crates: Vec<&str> = CRATES
        .iter()
        .copied()
        .filter(|c| choisis.is_empty() || choisis.iter().any(|x| x == c))
        .collect();
    let mut demarres = Demarres::default();
    let resultat = (|| {
        infra::assurer_services(&mut demarres)?;
        let cargo = cargo();
        for krate in crates {
            let dossier = racine().join("services").join(krate);
            let base = format!("sqlx_prepare_{}", krate.replace('-', "_"));
            infra::psql(&format!("DROP DATABASE IF EXISTS {base} WITH (FORCE)"))?;
            infra::psql(&format!("CREATE DATABASE {base}"))?;
            let url = format!("{PG_URL}/{base}");
            // As at start-up: socle's tables (outbox, inbox) first, then the service's own.
            let mut migrations = fichiers_sql(&racine().join("services/socle/migrations"))?;
            migrations.extend(fichiers_sql(&dossier.join("migrations"))?);
            for m in &migrations {
                executer(
                    Command::new("psql")
                        .args([&url, "-q", "-v", "ON_ERROR_STOP=1", "-f"])
                        .arg(m),
                )?;
            }
            let donnees = dossier.join(".sqlx");
            let _ = std::fs::remove_dir_all(&donnees);
            std::fs::create_dir_all(&donnees)?;
            // Force the macros to run again. Only the crate's lib and bins: its tests may
            // depend on another service (compiled online too, against the wrong schema).
            executer(
                Command::new(&cargo)
                    .current_dir(racine())
                    .args(["clean", "-p", krate]),
            )?;
            executer(
                Command::new(&cargo)
                    .current_dir(racine())
                    .args(["check", "-p", krate])
                    .env("SQLX_OFFLINE", "false")
                    .env("DATABASE_URL", &url)
                    .env("SQLX_OFFLINE_DIR", &donnees),
            )?;
            infra::psql(&format!("DROP DATABASE IF EXISTS {base} WITH (FORCE)"))?;
            let n = std::fs::read_dir(&donnees)?.count();
            println!("✓ {krate} : {n} requêtes dans {}", donnees.display());
        }
        Ok(())
    })();
    demarres.arreter();
    resultat
}

/// The `.sql` files of a migrations folder, in version order.
fn fichiers_sql(dossier: &std::path::Path) -> anyhow::Result<Vec<std::path::PathBuf>> {
    let mut fichiers: Vec<_> = std::fs::read_dir(dossier)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    fichiers.sort();
    Ok(fichiers)
}
