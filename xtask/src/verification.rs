//! `cargo xtask test` (what CI runs) and `cargo xtask e2e`, each ending with one summary line
//! `xtask: N passed, N failed, N skipped`.
//!
//! Named for what it does rather than `tests`, which reads as Rust's `mod tests`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::Context;

use crate::infra::{self, Demarres};
use crate::installation;
use crate::lancement::{self, Pile};
use crate::outils::{cargo, dossier_cible, dossier_outils, executer, outil_python, racine};
use crate::processus::Enfants;
use crate::{architecture, kubernetes, wasm};

/// The tests' own SMTP catcher, apart from the one `up` runs on 1025/8025.
const PORT_SMTP_TEST: u16 = 11025;
const PORT_BOITE_TEST: u16 = 18025;

pub fn test() -> anyhow::Result<()> {
    installation::setup()?;
    let mut demarres = Demarres::default();
    let resultat = (|| {
        infra::assurer_services(&mut demarres)?;
        let anciennes = infra::supprimer_bases("test_")?;
        if anciennes > 0 {
            println!("✓ {anciennes} bases de test d'un run précédent supprimées");
        }
        let cargo = cargo();

        println!("→ cargo fmt --check");
        executer(
            Command::new(&cargo)
                .current_dir(racine())
                .args(["fmt", "--all", "--", "--check"]),
        )?;
        // Counted rather than fatal: one run reports every module cycle and the tests too.
        println!("→ cargo xtask architecture");
        let architecture_propre = architecture::verifier()?.afficher();
        let observabilite = verifier_observabilite()?;
        let manifestes = kubernetes::verifier()?;
        // The browser crate is linted on its own: built with the rest of the workspace, the
        // `app` crate would get its server and browser features at once.
        println!("→ cargo clippy -D warnings");
        executer(Command::new(&cargo).current_dir(racine()).args([
            "clippy",
            "--workspace",
            "--exclude",
            "frontend",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]))?;
        executer(
            Command::new(&cargo)
                .current_dir(racine())
                .args(["clippy", "-p", "frontend", "--", "-D", "warnings"]),
        )?;
        println!("→ docker-compose config -q (spécification Compose, sans moteur Docker)");
        executer(
            Command::new(outil_python("docker-compose"))
                .current_dir(racine())
                .args(["-f", "docker-compose.yml", "config", "-q"]),
        )?;

        let amqp = infra::recreer_vhost_de_test()?;
        // parcours' observability test reads the queues' depths from RabbitMQ's own metrics.
        infra::activer_metriques_rabbitmq()?;
        // The SMTP catcher the pipeline tests send to and read from.
        let mut enfants = Enfants::default();
        infra::assurer_maildev(&mut enfants, PORT_SMTP_TEST, PORT_BOITE_TEST)?;

        println!("→ cargo test");
        let mut bilan = cargo_test(&cargo, &amqp)?;
        for propre in std::iter::once(architecture_propre)
            .chain(observabilite)
            .chain(manifestes)
        {
            if propre {
                bilan.reussis += 1;
            } else {
                bilan.echoues += 1;
            }
        }

        println!("→ tests navigateur (Chromium, à travers Traefik)");
        let navigateur = tests_navigateur(&mut enfants, &amqp)?;
        bilan.reussis += navigateur.reussis;
        bilan.echoues += navigateur.echoues;
        bilan.ignores += navigateur.ignores;
        bilan.ok &= navigateur.ok;
        enfants.arreter();
        infra::supprimer_bases("e2e_")?;
        infra::supprimer_vhost_de_test();
        infra::supprimer_bases("test_")?;
        println!(
            "xtask: {} passed, {} failed, {} skipped",
            bilan.reussis, bilan.echoues, bilan.ignores
        );
        anyhow::ensure!(bilan.ok && bilan.echoues == 0, "des tests ont échoué");
        anyhow::ensure!(bilan.reussis > 0, "aucun test n'a tourné");
        Ok(())
    })();
    demarres.arreter();
    resultat
}

/// `cargo xtask e2e`: the browser scenarios alone, with the same summary line.
pub fn e2e() -> anyhow::Result<()> {
    let mut demarres = Demarres::default();
    let resultat = (|| {
        infra::assurer_services(&mut demarres)?;
        let amqp = infra::recreer_vhost_de_test()?;
        let mut enfants = Enfants::default();
        infra::assurer_maildev(&mut enfants, PORT_SMTP_TEST, PORT_BOITE_TEST)?;
        let bilan = tests_navigateur(&mut enfants, &amqp)?;
        enfants.arreter();
        infra::supprimer_bases("e2e_")?;
        infra::supprimer_vhost_de_test();
        println!(
            "xtask: {} passed, {} failed, {} skipped",
            bilan.reussis, bilan.echoues, bilan.ignores
        );
        anyhow::ensure!(bilan.ok && bilan.echoues == 0, "des tests ont échoué");
        Ok(())
    })();
    demarres.arreter();
    resultat
}

/// The whole shop on its test ports, then the browser scenarios in `e2e/` (node's test
/// runner with playwright-core driving Debian's Chromium).
fn tests_navigateur(enfants: &mut Enfants, amqp: &str) -> anyhow::Result<Bilan> {
    let binaires = lancement::construire(false)?;
    wasm::construire()?;
    infra::supprimer_bases("e2e_")?;
    let pile = Pile {
        amqp_url: amqp.to_owned(),
        ..Pile::e2e()
    };
    pile.demarrer(enfants, &binaires)?;
    let captures = dossier_cible().join("captures");
    let mut enfant = Command::new("node")
        .current_dir(racine())
        .args([
            "--test",
            "--test-reporter=tap",
            "--test-concurrency=1",
            "e2e/",
        ])
        .env("NODE_PATH", dossier_outils().join("npm/node_modules"))
        .env("BASE_URL", format!("http://127.0.0.1:{}", pile.passerelle))
        .env("MAILDEV_URL", format!("http://127.0.0.1:{}", pile.boite))
        .env("CAPTURES", &captures)
        .stdout(Stdio::piped())
        .spawn()?;
    let mut bilan = Bilan::default();
    for ligne in BufReader::new(enfant.stdout.take().expect("stdout piped")).lines() {
        let ligne = ligne?;
        println!("{ligne}");
        let mut mots = ligne.split_whitespace();
        if let (Some("#"), Some(quoi), Some(n)) = (mots.next(), mots.next(), mots.next()) {
            let n: u64 = n.parse().unwrap_or(0);
            match quoi {
                "pass" => bilan.reussis += n,
                "fail" => bilan.echoues += n,
                "skipped" | "todo" => bilan.ignores += n,
                _ => {}
            }
        }
    }
    bilan.ok = enfant.wait()?.success();
    println!("✓ captures d'écran dans {}", captures.display());
    for (service, port, spec) in [
        ("produits", pile.produits, "/produits/docs/openapi.json"),
        (
            "commandes",
            pile.commandes,
            "/api/commandes/docs/openapi.json",
        ),
        (
            "paiements",
            pile.paiements,
            "/api/paiements/docs/openapi.json",
        ),
    ] {
        println!("→ schemathesis : {service}");
        if schemathesis(&format!("http://127.0.0.1:{port}{spec}"))? {
            bilan.reussis += 1;
        } else {
            bilan.echoues += 1;
        }
    }
    Ok(bilan)
}

/// Schemathesis against a running service's OpenAPI document: generated requests (valid and
/// invalid) must never get a 5xx, and every response must be one the document describes
/// (status, headers, body schema, content type). A fixed seed, example count and one worker
/// keep the run deterministic; the admin token lets it reach the write endpoints.
///
/// `positive_data_acceptance` is left out: a request the schema allows can still be refused
/// by a rule a schema cannot state (an order for a product that does not exist is a 422, a
/// payment for an order paiements does not know is a 409).
fn schemathesis(spec: &str) -> anyhow::Result<bool> {
    let jeton = std::env::var("ADMIN_TOKEN").unwrap_or_else(|_| "dev-admin-token".into());
    let statut = Command::new(outil_python("schemathesis"))
        .current_dir(racine())
        .args(["run", spec, "--checks", "all"])
        .args(["--exclude-checks", "positive_data_acceptance"])
        .args(["--seed", "321", "--generation-deterministic"])
        .args(["--max-examples", "20", "--workers", "1"])
        .arg("--no-color")
        .args(["--request-timeout", "10"])
        .arg("-H")
        .arg(format!("Authorization: Bearer {jeton}"))
        .status()
        .context("schemathesis")?;
    Ok(statut.success())
}

/// promtool over `observabilite/`: the alert rules are valid, their unit tests pass, and the
/// Prometheus configuration `up` writes is valid (with the rules it loads). One counted step
/// each, like the architecture check: a failure is reported, the run goes on.
fn verifier_observabilite() -> anyhow::Result<Vec<bool>> {
    let dossier = racine().join("observabilite");
    let config = Pile::dev().ecrire_config_prometheus()?;
    let mut resultats = Vec::new();
    for (quoi, args) in [
        (
            "check rules",
            vec!["check".into(), "rules".into(), "alertes.yml".into()],
        ),
        (
            "test rules",
            vec!["test".into(), "rules".into(), "alertes.test.yml".into()],
        ),
        (
            "check config",
            vec![
                "check".into(),
                "config".into(),
                config.display().to_string(),
            ],
        ),
    ] {
        println!("→ promtool {quoi}");
        let statut = Command::new("promtool")
            .current_dir(&dossier)
            .args(&args)
            .status()
            .context("promtool (paquet Debian prometheus, installé par setup)")?;
        resultats.push(statut.success());
    }
    Ok(resultats)
}

#[derive(Default)]
struct Bilan {
    reussis: u64,
    echoues: u64,
    ignores: u64,
    ok: bool,
}

/// Runs the workspace's tests, echoing their output and adding up each binary's
/// `test result:` line.
fn cargo_test(cargo: &str, amqp: &str) -> anyhow::Result<Bilan> {
    let mut enfant = Command::new(cargo)
        .current_dir(racine())
        .args([
            "test",
            "--workspace",
            "--exclude",
            "frontend",
            "--no-fail-fast",
        ])
        .env("AMQP_URL", amqp)
        .env("TEST_SMTP_PORT", PORT_SMTP_TEST.to_string())
        .env(
            "TEST_MAILDEV_URL",
            format!("http://127.0.0.1:{PORT_BOITE_TEST}"),
        )
        .stdout(Stdio::piped())
        .spawn()?;
    let mut bilan = Bilan::default();
    let sortie = enfant.stdout.take().expect("stdout piped");
    for ligne in BufReader::new(sortie).lines() {
        let ligne = ligne?;
        println!("{ligne}");
        if let Some(reste) = ligne.strip_prefix("test result: ") {
            for morceau in reste.split(['.', ';']) {
                let mots: Vec<&str> = morceau.split_whitespace().collect();
                if let [n, quoi] = mots.as_slice() {
                    let n: u64 = n.parse().unwrap_or(0);
                    match *quoi {
                        "passed" => bilan.reussis += n,
                        "failed" => bilan.echoues += n,
                        "ignored" => bilan.ignores += n,
                        _ => {}
                    }
                }
            }
        }
    }
    bilan.ok = enfant.wait()?.success();
    Ok(bilan)
}
