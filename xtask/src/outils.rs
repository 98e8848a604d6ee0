//! Where things are and how to run them: the workspace root, the cargo target dir, the tools
//! `setup` installs, and the two helpers every command uses to run programs.
//!
//! A leaf on purpose: it imports no other xtask module, so every module can use it without
//! any module depending back on the one using it.

use std::path::PathBuf;
use std::process::Command;

use anyhow::Context;

/// rustup's name for the browser target.
pub const CIBLE_WASM: &str = "wasm32-unknown-unknown";

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

/// The cargo that runs xtask (`CARGO`), so that nested builds use the same toolchain.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// The cargo target dir (`CARGO_TARGET_DIR` or `<root>/target`).
pub fn dossier_cible() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| racine().join("target"))
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
pub fn executer(cmd: &mut Command) -> anyhow::Result<()> {
    let statut = cmd
        .status()
        .map_err(|e| anyhow::anyhow!("impossible de lancer {cmd:?} : {e}"))?;
    anyhow::ensure!(statut.success(), "échec de {cmd:?} ({statut})");
    Ok(())
}

/// Whether `programme` is on PATH.
pub fn existe(programme: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {programme} >/dev/null 2>&1")])
        .status()
        .is_ok_and(|s| s.success())
}

/// A program installed in the tools venv.
pub fn outil_python(nom: &str) -> PathBuf {
    dossier_outils().join("venv/bin").join(nom)
}

/// A program installed by npm in the tools folder.
pub fn outil_npm(nom: &str) -> PathBuf {
    dossier_outils().join("npm/node_modules/.bin").join(nom)
}

/// A program installed by `cargo install` in the tools folder.
pub fn outil_cargo(nom: &str) -> PathBuf {
    dossier_outils().join("cargo/bin").join(nom)
}

/// `smtp-sink` as extracted by `setup`; it needs [`bibliotheques_postfix`] to run.
pub fn smtp_sink() -> PathBuf {
    dossier_outils().join("postfix/usr/sbin/smtp-sink")
}

/// Postfix's own shared libraries, for `LD_LIBRARY_PATH`.
pub fn bibliotheques_postfix() -> PathBuf {
    dossier_outils().join("postfix/usr/lib/postfix")
}

/// Whether rustup's toolchain can build wasm32 directly (otherwise Debian's Rust does).
pub fn rustup_a_la_cible() -> bool {
    Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l.trim() == CIBLE_WASM)
        })
}

/// The wasm-bindgen version locked in Cargo.lock: the CLI must be exactly that version.
pub fn version_wasm_bindgen() -> anyhow::Result<String> {
    let verrou = std::fs::read_to_string(racine().join("Cargo.lock")).context("Cargo.lock")?;
    let mut lignes = verrou.lines();
    while let Some(l) = lignes.next() {
        if l.trim() == "name = \"wasm-bindgen\"" {
            if let Some(v) = lignes
                .next()
                .and_then(|v| v.trim().strip_prefix("version = "))
            {
                return Ok(v.trim_matches('"').to_owned());
            }
        }
    }
    anyhow::bail!("wasm-bindgen absent de Cargo.lock")
}
