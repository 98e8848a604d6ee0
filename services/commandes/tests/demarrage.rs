//! The real commandes binary, started as an operator would: it refuses an empty admin token,
//! and the public development token on an address other machines can reach, unless
//! `BOUTIQUE_ENV=development` says this is a developer's machine.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The binary with a clean environment for what these tests decide.
fn commandes() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_commandes"));
    c.env_remove("ADMIN_TOKEN")
        .env_remove("BOUTIQUE_ENV")
        .env_remove("RETENTION_JOURS")
        .env_remove("DELAI_PAIEMENT")
        .env_remove("INTERVALLE_EXPIRATION_MS")
        .env("PORT", "0")
        .env("RUST_LOG", "info")
        .env("LOG_FORMAT", "text")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

/// Runs it to its end (it must stop by itself within 20 s); exit success and stderr.
fn refus(c: &mut Command) -> (bool, String) {
    let mut enfant = c.spawn().expect("lancement de commandes");
    let debut = Instant::now();
    loop {
        if let Some(statut) = enfant.try_wait().unwrap() {
            let mut erreur = String::new();
            std::io::Read::read_to_string(&mut enfant.stderr.take().unwrap(), &mut erreur).unwrap();
            return (statut.success(), erreur);
        }
        if debut.elapsed() > Duration::from_secs(20) {
            enfant.kill().unwrap();
            panic!("commandes aurait dû refuser de démarrer");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn un_jeton_d_administration_vide_empeche_le_demarrage() {
    let (ok, erreur) = refus(commandes().env("ADMIN_TOKEN", "").env("HOST", "127.0.0.1"));
    assert!(!ok);
    assert!(erreur.contains("ADMIN_TOKEN est vide"), "{erreur}");
}

#[test]
fn le_jeton_de_developpement_sur_une_adresse_publique_empeche_le_demarrage() {
    let (ok, erreur) = refus(commandes().env("HOST", "0.0.0.0"));
    assert!(!ok);
    assert!(erreur.contains("refus de démarrer"), "{erreur}");
    assert!(
        !erreur.contains("dev-admin-token"),
        "le jeton n'est jamais écrit : {erreur}"
    );
    let (ok, _) = refus(
        commandes()
            .env("HOST", "0.0.0.0")
            .env("ADMIN_TOKEN", "dev-admin-token")
            .env("BOUTIQUE_ENV", "production"),
    );
    assert!(!ok);
}

#[test]
fn une_retention_de_moins_d_un_jour_empeche_le_demarrage() {
    for valeur in ["0", "sept"] {
        let (ok, erreur) = refus(
            commandes()
                .env("HOST", "127.0.0.1")
                .env("RETENTION_JOURS", valeur),
        );
        assert!(!ok, "{valeur}");
        assert!(erreur.contains("RETENTION_JOURS"), "{erreur}");
    }
}

#[test]
fn un_delai_de_paiement_ou_un_intervalle_d_expiration_nul_ou_illisible_empeche_le_demarrage() {
    for (variable, valeur) in [
        ("DELAI_PAIEMENT", "0"),
        ("DELAI_PAIEMENT", "15min"),
        ("INTERVALLE_EXPIRATION_MS", "0"),
        ("INTERVALLE_EXPIRATION_MS", "-5"),
    ] {
        let (ok, erreur) = refus(commandes().env("HOST", "127.0.0.1").env(variable, valeur));
        assert!(!ok, "{variable}={valeur}");
        assert!(erreur.contains(variable), "{variable}={valeur} : {erreur}");
    }
}

#[test]
fn en_developpement_declare_le_jeton_de_developpement_est_accepte_partout() {
    let mut enfant = commandes()
        .env("HOST", "0.0.0.0")
        .env("BOUTIQUE_ENV", "development")
        .env("DATABASE_URL", testaide::base_de_test("commandes"))
        .env("AMQP_URL", testaide::broker())
        .env(
            "BROKER_PREFIX",
            format!("test.{}.", uuid::Uuid::new_v4().simple()),
        )
        .spawn()
        .expect("lancement de commandes");
    let lignes = BufReader::new(enfant.stdout.take().unwrap()).lines();
    let mut ecoute = false;
    for ligne in lignes {
        let ligne = ligne.unwrap();
        if ligne.contains("à l'écoute") {
            ecoute = true;
            break;
        }
    }
    let _ = enfant.kill();
    let _ = enfant.wait();
    assert!(ecoute, "commandes n'a pas démarré");
}
