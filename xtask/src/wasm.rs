//! Building the storefront's WASM bundle.
//!
//! With rustup's `wasm32-unknown-unknown` target installed, plain cargo builds it. Without
//! it (rustup cannot download it on our machines), Debian's own Rust builds std for wasm32
//! from source (`rustc-web`, `rust-web-src`, `lld`; see `cargo xtask setup`). Either way it
//! has a target dir of its own, cargo rebuilds only what changed, and wasm-bindgen (the exact
//! version of the crate in Cargo.lock) writes `<target>/site/pkg/frontend{.js,_bg.wasm}`,
//! gzipped alongside for the storefront's precompressed serving.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::outils::{
    cargo, dossier_cible, executer, outil_cargo, racine, rustup_a_la_cible, CIBLE_WASM,
};

const PROFIL: &str = "wasm-release";
/// getrandom (uuid v4) must use the browser's crypto.getRandomValues. Its `wasm_js` feature
/// (enabled by `app`'s `hydrate`) suffices for the release in Cargo.lock; the cfg keeps older
/// 0.3 releases, which also require it, building.
const RUSTFLAGS_COMMUNS: &str = "--cfg getrandom_backend=\"wasm_js\"";

/// Where the storefront finds `pkg/`.
pub fn site() -> PathBuf {
    dossier_cible().join("site")
}

/// Builds the bundle (only what changed); returns the site folder holding `pkg/`.
pub fn construire() -> anyhow::Result<PathBuf> {
    let debut = Instant::now();
    let cible_wasm = dossier_cible().join("wasm");
    println!("→ compilation du WASM (frontend, profil {PROFIL})…");
    let construction = [
        "build",
        "-p",
        "frontend",
        "--profile",
        PROFIL,
        "--target",
        CIBLE_WASM,
    ];
    let mut cmd = if rustup_a_la_cible() {
        let mut c = Command::new(cargo());
        c.args(construction).env("RUSTFLAGS", RUSTFLAGS_COMMUNS);
        c
    } else {
        anyhow::ensure!(
            Path::new("/usr/bin/rustc").exists() && Path::new("/usr/bin/wasm-ld").exists(),
            "pas de cible wasm32 : lancez `cargo xtask setup` (rustc-web, rust-web-src, lld)"
        );
        let mut c = Command::new("/usr/bin/cargo");
        let chemin = format!("/usr/bin:{}", std::env::var("PATH").unwrap_or_default());
        c.args(construction)
            .args(["-Zbuild-std=std,panic_abort"])
            // std is compiled here anyway, so it can drop the panic machinery (message
            // formatting, unwinding tables): a panic traps at once. About a fifth of the bundle.
            // BOUTIQUE_WASM_PANIQUES=1 keeps it, so that console_error_panic_hook can say why.
            .env(
                "RUSTFLAGS",
                if std::env::var_os("BOUTIQUE_WASM_PANIQUES").is_some() {
                    RUSTFLAGS_COMMUNS.to_owned()
                } else {
                    format!("{RUSTFLAGS_COMMUNS} -Zunstable-options -Cpanic=immediate-abort")
                },
            )
            .env("PATH", chemin)
            .env("RUSTC", "/usr/bin/rustc")
            .env("RUSTC_BOOTSTRAP", "1")
            .env("CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER", "wasm-ld")
            // rustup's proxies must not pick the toolchain for Debian's cargo.
            .env_remove("RUSTUP_TOOLCHAIN")
            .env_remove("CARGO");
        c
    };
    executer(
        cmd.current_dir(racine())
            .env("CARGO_TARGET_DIR", &cible_wasm),
    )?;
    let wasm = cible_wasm
        .join(CIBLE_WASM)
        .join(PROFIL)
        .join("frontend.wasm");
    let pkg = site().join("pkg");
    let sortie = pkg.join("frontend_bg.wasm");
    let a_jour = |source: &Path, produit: &Path| -> bool {
        match (std::fs::metadata(source), std::fs::metadata(produit)) {
            (Ok(s), Ok(p)) => p.modified().ok() >= s.modified().ok(),
            _ => false,
        }
    };
    if !a_jour(&wasm, &sortie) {
        std::fs::create_dir_all(&pkg)?;
        executer(
            Command::new(outil_cargo("wasm-bindgen"))
                .args([
                    "--target",
                    "web",
                    "--no-typescript",
                    "--remove-name-section",
                ])
                .args(["--out-name", "frontend", "--out-dir"])
                .arg(&pkg)
                .arg(&wasm),
        )?;
        for f in ["frontend_bg.wasm", "frontend.js"] {
            executer(Command::new("gzip").args(["-kf9"]).arg(pkg.join(f)))?;
        }
    }
    let brut = std::fs::metadata(&sortie)?.len();
    let gz = std::fs::metadata(pkg.join("frontend_bg.wasm.gz"))?.len();
    println!(
        "✓ WASM : {} Kio ({} Kio gzip) en {:.0} s",
        brut / 1024,
        gz / 1024,
        debut.elapsed().as_secs_f64()
    );
    Ok(site())
}
