//! `cargo xtask up`: the backend natively, Prometheus scraping it, every URL printed, Ctrl-C
//! stops all it started.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::Context;

use crate::infra::{self, Demarres, PG_URL};
use crate::outils::{cargo, dossier_cible, executer, outil_python, racine};
use crate::processus::{attendre_http, signal_d_arret, Enfants};

/// Environment variables of one process.
type Environnement = Vec<(&'static str, String)>;

/// Where one whole shop listens, and which databases it uses: `up` runs [`Pile::dev`], the
/// browser tests [`Pile::e2e`] beside it.
#[derive(Debug, Clone)]
pub struct Pile {
    pub produits: u16,
    pub commandes: u16,
    pub paiements: u16,
    pub mail: u16,
    pub storefront: u16,
    pub passerelle: u16,
    pub traefik_api: u16,
    pub smtp: u16,
    pub boite: u16,
    /// Prefix of the databases (and broker names, when not empty).
    pub prefixe: &'static str,
    pub amqp_url: String,
    /// commandes' `DELAI_PAIEMENT` (seconds an order waits for its payment), when not its
    /// default: the browser tests watch an order expire, so theirs is short.
    pub delai_paiement: Option<u32>,
}

const AMQP_LOCAL: &str = "amqp://guest:guest@127.0.0.1:5672/%2f";

impl Pile {
    pub fn dev() -> Pile {
        Pile {
            produits: 8081,
            commandes: 8082,
            paiements: 8084,
            mail: 8083,
            storefront: 3000,
            passerelle: std::env::var("GATEWAY_PORT")
                .ok()
                .and_then(|p| p.parse().ok())
                .unwrap_or(8000),
            traefik_api: 8080,
            smtp: 1025,
            boite: 8025,
            prefixe: "",
            amqp_url: AMQP_LOCAL.into(),
            delai_paiement: None,
        }
    }

    pub fn e2e() -> Pile {
        Pile {
            produits: 28081,
            commandes: 28082,
            paiements: 28084,
            mail: 28083,
            storefront: 23000,
            passerelle: 28000,
            traefik_api: 28080,
            smtp: 11025,
            boite: 18025,
            prefixe: "e2e_",
            amqp_url: AMQP_LOCAL.into(),
            delai_paiement: Some(20),
        }
    }

    /// Below 32768: Linux gives out the ports above as the local ends of outgoing
    /// connections, and a run under load once found 33000 taken that way.
    pub fn bench() -> Pile {
        Pile {
            produits: 19081,
            commandes: 19082,
            paiements: 19084,
            mail: 19083,
            storefront: 19300,
            passerelle: 19000,
            traefik_api: 19080,
            smtp: 19025,
            boite: 19026,
            prefixe: "bench_",
            amqp_url: AMQP_LOCAL.into(),
            delai_paiement: None,
        }
    }

    /// The services in start order: (binary, port, environment).
    fn services(&self) -> Vec<(&'static str, u16, Environnement)> {
        let produits = format!("http://127.0.0.1:{}", self.produits);
        let commandes = format!("http://127.0.0.1:{}", self.commandes);
        let paiements = format!("http://127.0.0.1:{}", self.paiements);
        let base = |nom: &str| format!("{PG_URL}/{}{nom}", self.prefixe);
        let mut env_commandes = vec![
            ("DATABASE_URL", base("commandes")),
            ("PRODUITS_URL", produits.clone()),
        ];
        if let Some(secondes) = self.delai_paiement {
            env_commandes.push(("DELAI_PAIEMENT", secondes.to_string()));
        }
        vec![
            (
                "produits",
                self.produits,
                vec![
                    ("DATABASE_URL", base("produits")),
                    ("DEMO_DATA", "true".into()),
                ],
            ),
            ("commandes", self.commandes, env_commandes),
            (
                "paiements",
                self.paiements,
                vec![("DATABASE_URL", base("paiements"))],
            ),
            (
                "storefront",
                self.storefront,
                vec![
                    ("PRODUITS_URL", produits),
                    ("COMMANDES_URL", commandes),
                    ("PAIEMENTS_URL", paiements),
                    (
                        "SITE_ROOT",
                        crate::wasm::site().to_string_lossy().into_owned(),
                    ),
                    (
                        "STYLE_DIR",
                        racine().join("style").to_string_lossy().into_owned(),
                    ),
                ],
            ),
            (
                "mail-worker",
                self.mail,
                vec![
                    ("DATABASE_URL", base("mail")),
                    ("SMTP_HOST", "127.0.0.1".into()),
                    ("SMTP_PORT", self.smtp.to_string()),
                    (
                        "STOREFRONT_URL",
                        format!("http://localhost:{}", self.passerelle),
                    ),
                ],
            ),
        ]
    }

    /// Starts maildev (unless an SMTP server answers), the services and Traefik.
    pub fn demarrer(&self, enfants: &mut Enfants, binaires: &Path) -> anyhow::Result<()> {
        infra::assurer_maildev(enfants, self.smtp, self.boite)?;
        let prefixe_broker = self.prefixe.replace('_', ".");
        for (nom, port, env) in self.services() {
            let mut cmd = Command::new(binaires.join(nom));
            cmd.env("PORT", port.to_string())
                .env("AMQP_URL", &self.amqp_url)
                .envs(env.iter().map(|(k, v)| (k, v)));
            if !prefixe_broker.is_empty() {
                cmd.env("BROKER_PREFIX", &prefixe_broker);
            }
            enfants.lancer(nom, &mut cmd)?;
            attendre_http(
                &format!("http://127.0.0.1:{port}/health"),
                Duration::from_secs(60),
            )?;
        }
        self.demarrer_traefik(enfants)
    }

    /// Traefik with the same dynamic configuration as compose; the static settings compose
    /// reads from `traefik/traefik.yml` are given on the command line.
    fn demarrer_traefik(&self, enfants: &mut Enfants) -> anyhow::Result<()> {
        enfants.lancer(
            "traefik",
            Command::new(outil_python("traefik"))
                .arg(format!(
                    "--entryPoints.web.address=127.0.0.1:{}",
                    self.passerelle
                ))
                .arg(format!(
                    "--entryPoints.traefik.address=127.0.0.1:{}",
                    self.traefik_api
                ))
                .args(["--api.dashboard=true", "--api.insecure=true", "--ping=true"])
                .arg(format!(
                    "--providers.file.filename={}",
                    racine().join("traefik/dynamic.yml").display()
                ))
                .args(["--providers.file.watch=true", "--log.level=WARN"])
                .env(
                    "PRODUITS_URL",
                    format!("http://127.0.0.1:{}", self.produits),
                )
                .env(
                    "COMMANDES_URL",
                    format!("http://127.0.0.1:{}", self.commandes),
                )
                .env(
                    "PAIEMENTS_URL",
                    format!("http://127.0.0.1:{}", self.paiements),
                )
                .env(
                    "STOREFRONT_INTERNAL_URL",
                    format!("http://127.0.0.1:{}", self.storefront),
                ),
        )?;
        attendre_http(
            &format!("http://127.0.0.1:{}/ping", self.traefik_api),
            Duration::from_secs(30),
        )?;
        // Routes appear once Traefik has read the file and seen the services healthy.
        attendre_http(
            &format!("http://127.0.0.1:{}/api/produits", self.passerelle),
            Duration::from_secs(30),
        )
    }
}

/// Debian's Prometheus (package `prometheus`, installed by `setup`).
const PROMETHEUS: &str = "/usr/bin/prometheus";

/// Where `up`'s Prometheus listens (`PROMETHEUS_PORT` to change it: on a machine where
/// Debian's own `prometheus` service runs, it already holds 9090).
fn port_prometheus() -> u16 {
    std::env::var("PROMETHEUS_PORT")
        .ok()
        .and_then(|p| p.parse().ok())
        .unwrap_or(9090)
}

impl Pile {
    /// Fills `observabilite/prometheus.yml` with this stack's ports into
    /// `<target>/prometheus/<prefix>prometheus.yml`; returns that file.
    pub fn ecrire_config_prometheus(&self) -> anyhow::Result<PathBuf> {
        let modele = racine().join("observabilite/prometheus.yml");
        let mut texte = std::fs::read_to_string(&modele)
            .with_context(|| format!("lecture de {}", modele.display()))?;
        for (cle, valeur) in [
            (
                "OBSERVABILITE",
                racine().join("observabilite").display().to_string(),
            ),
            ("PORT_PRODUITS", self.produits.to_string()),
            ("PORT_COMMANDES", self.commandes.to_string()),
            ("PORT_PAIEMENTS", self.paiements.to_string()),
            ("PORT_MAIL", self.mail.to_string()),
            ("PORT_STOREFRONT", self.storefront.to_string()),
        ] {
            texte = texte.replace(&format!("${{{cle}}}"), &valeur);
        }
        // A placeholder added to the template and forgotten here would reach Prometheus as a
        // target or a path that never answers: fail now instead.
        if let Some(reste) = texte
            .lines()
            .find(|l| l.contains("${") && !l.trim_start().starts_with('#'))
        {
            anyhow::bail!("{} : variable non remplacée : {reste}", modele.display());
        }
        let dossier = dossier_cible().join("prometheus");
        std::fs::create_dir_all(&dossier)?;
        let config = dossier.join(format!("{}prometheus.yml", self.prefixe));
        std::fs::write(&config, texte)?;
        Ok(config)
    }

    /// Prometheus scraping every service of this stack, its data kept in the target dir
    /// between runs; returns its URL.
    fn demarrer_prometheus(&self, enfants: &mut Enfants) -> anyhow::Result<String> {
        let port = port_prometheus();
        // Checked first: Prometheus would exit on a taken port, and `up` would stop the whole
        // shop without saying why.
        std::net::TcpListener::bind(("127.0.0.1", port)).with_context(|| {
            format!(
                "port {port} déjà pris (le service prometheus de Debian ?) : \
                 PROMETHEUS_PORT=<port> pour en prendre un autre"
            )
        })?;
        let config = self.ecrire_config_prometheus()?;
        enfants.lancer(
            "prometheus",
            Command::new(PROMETHEUS)
                .arg(format!("--config.file={}", config.display()))
                .arg(format!(
                    "--storage.tsdb.path={}",
                    dossier_cible()
                        .join(format!("prometheus/{}donnees", self.prefixe))
                        .display()
                ))
                .arg(format!("--web.listen-address=127.0.0.1:{port}"))
                .arg("--log.level=warn"),
        )?;
        let url = format!("http://localhost:{port}");
        attendre_http(&format!("{url}/-/ready"), Duration::from_secs(30))?;
        Ok(url)
    }
}

/// The binaries `up` and the browser tests run.
const BINAIRES: &[&str] = &[
    "produits",
    "commandes",
    "paiements",
    "storefront",
    "mail-worker",
];

/// Builds the service binaries; returns the folder holding them.
pub fn construire(release: bool) -> anyhow::Result<PathBuf> {
    println!(
        "→ compilation des services ({})…",
        if release { "release" } else { "debug" }
    );
    let mut cmd = Command::new(cargo());
    cmd.current_dir(racine()).arg("build");
    if release {
        cmd.arg("--release");
    }
    for nom in BINAIRES {
        cmd.args(["-p", nom]);
    }
    executer(&mut cmd)?;
    Ok(dossier_cible().join(if release { "release" } else { "debug" }))
}

pub fn up(release: bool) -> anyhow::Result<()> {
    let arret = signal_d_arret()?;
    let mut demarres = Demarres::default();
    let resultat = (|| {
        infra::assurer_services(&mut demarres)?;
        infra::preparer_interface_rabbitmq()?;
        let binaires = construire(release)?;
        crate::wasm::construire()?;
        let mut enfants = Enfants::default();
        let pile = Pile::dev();
        pile.demarrer(&mut enfants, &binaires)?;
        let prometheus = pile.demarrer_prometheus(&mut enfants)?;
        afficher_urls(&pile, &prometheus);
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

fn afficher_urls(pile: &Pile, prometheus: &str) {
    let passerelle = pile.passerelle;
    println!(
        r#"
Boutique 321 tourne :
  Boutique            http://localhost:{passerelle}/
  API via Traefik     http://localhost:{passerelle}/api/produits  http://localhost:{passerelle}/api/commandes  http://localhost:{passerelle}/api/paiements
  Swagger via Traefik http://localhost:{passerelle}/produits/docs/  http://localhost:{passerelle}/api/commandes/docs  http://localhost:{passerelle}/api/paiements/docs
  Traefik dashboard   http://localhost:8080/dashboard/
  API Produits        http://localhost:8081/api/produits
  Swagger Produits    http://localhost:8081/produits/docs/
  API Commandes       http://localhost:8082/api/commandes
  Swagger Commandes   http://localhost:8082/api/commandes/docs
  API Paiements       http://localhost:8084/api/paiements  (carte de test : 4242 4242 4242 4242)
  Swagger Paiements   http://localhost:8084/api/paiements/docs
  Santé               http://localhost:8081/ready  :8082/ready  :8084/ready  :8083/ready (mail-worker)
  Boîte mail (maildev) http://localhost:8025
  Prometheus          {prometheus}  (alertes : {prometheus}/alerts)
  Métriques           http://localhost:8081/metrics  :8082/metrics  :8084/metrics  :8083/metrics  :3000/metrics
  RabbitMQ UI         http://localhost:15672  (user / password)
  Jeton admin         {jeton}
Ctrl-C arrête tout ce qui a été démarré ici."#,
        jeton = // A real token is a secret: only the public development default is ever printed.
        if std::env::var_os("ADMIN_TOKEN").is_some() {
            "celui de la variable ADMIN_TOKEN"
        } else {
            "dev-admin-token (défaut de développement)"
        }
    );
}
