//! `cargo xtask up`: the backend natively, every URL printed, Ctrl-C stops all it started.

use std::process::Command;
use std::time::Duration;

use crate::infra::{self, Demarres, PG_URL};
use crate::processus::{attendre_http, signal_d_arret, Enfants};
use crate::{executer, racine};

/// A service of the shop as `up` runs it.
pub struct Service {
    pub nom: &'static str,
    pub port: u16,
    pub env: Vec<(&'static str, String)>,
}

/// The SMTP catcher of `up` (MailHog's ports).
const PORT_SMTP: u16 = 1025;
const PORT_BOITE: u16 = 8025;

pub fn services() -> Vec<Service> {
    vec![
        Service {
            nom: "produits",
            port: 8081,
            env: vec![
                ("DATABASE_URL", format!("{PG_URL}/produits")),
                ("DEMO_DATA", "true".into()),
            ],
        },
        Service {
            nom: "commandes",
            port: 8082,
            env: vec![
                ("DATABASE_URL", format!("{PG_URL}/commandes")),
                ("PRODUITS_URL", "http://127.0.0.1:8081".into()),
            ],
        },
        Service {
            nom: "mail-worker",
            port: 8083,
            env: vec![
                ("DATABASE_URL", format!("{PG_URL}/mail")),
                ("SMTP_HOST", "127.0.0.1".into()),
                ("SMTP_PORT", PORT_SMTP.to_string()),
                ("STOREFRONT_URL", "http://localhost:8000".into()),
            ],
        },
    ]
}

/// Builds the service binaries; returns the folder holding them.
pub fn construire(release: bool) -> anyhow::Result<std::path::PathBuf> {
    println!(
        "→ compilation des services ({})…",
        if release { "release" } else { "debug" }
    );
    let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    cmd.current_dir(racine()).arg("build");
    if release {
        cmd.arg("--release");
    }
    for s in services() {
        cmd.args(["-p", s.nom]);
    }
    executer(&mut cmd)?;
    let cible = std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| racine().join("target"));
    Ok(cible.join(if release { "release" } else { "debug" }))
}

pub fn up(release: bool) -> anyhow::Result<()> {
    let arret = signal_d_arret()?;
    let mut demarres = Demarres::default();
    let resultat = (|| {
        infra::assurer_services(&mut demarres)?;
        infra::preparer_interface_rabbitmq()?;
        let binaires = construire(release)?;
        let mut enfants = Enfants::default();
        infra::assurer_maildev(&mut enfants, PORT_SMTP, PORT_BOITE)?;
        for s in services() {
            let mut cmd = Command::new(binaires.join(s.nom));
            cmd.env("PORT", s.port.to_string())
                .envs(s.env.iter().map(|(k, v)| (k, v)));
            enfants.lancer(s.nom, &mut cmd)?;
            attendre_http(
                &format!("http://127.0.0.1:{}/health", s.port),
                Duration::from_secs(60),
            )?;
        }
        afficher_urls();
        loop {
            if arret.recv_timeout(Duration::from_millis(300)).is_ok() {
                println!("\n→ arrêt demandé");
                break;
            }
            if let Some(nom) = enfants.un_est_mort() {
                eprintln!("! {nom} s'est arrêté de lui-même : arrêt de tout");
                break;
            }
        }
        enfants.arreter();
        Ok(())
    })();
    demarres.arreter();
    resultat
}

fn afficher_urls() {
    println!(
        r#"
Boutique 321 tourne :
  API Produits        http://localhost:8081/api/produits
  Swagger Produits    http://localhost:8081/produits/docs/
  API Commandes       http://localhost:8082/api/commandes
  Swagger Commandes   http://localhost:8082/api/commandes/docs
  Santé               http://localhost:8081/ready  :8082/ready  :8083/ready (mail-worker)
  Boîte mail (maildev) http://localhost:8025
  RabbitMQ UI         http://localhost:15672  (user / password)
  Jeton admin         {}
Ctrl-C arrête tout ce qui a été démarré ici."#,
        // A real token is a secret: only the public development default is ever printed.
        if std::env::var_os("ADMIN_TOKEN").is_some() {
            "celui de la variable ADMIN_TOKEN"
        } else {
            "dev-admin-token (défaut de développement)"
        }
    );
}
