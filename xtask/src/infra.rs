//! PostgreSQL and RabbitMQ on this machine: reachable, or started when installed.

use std::net::{SocketAddr, TcpStream};
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::outils::{executer, existe, outil_npm};
use crate::processus::{attendre_http, Enfants};

pub const PG_URL: &str = "postgres://postgres@127.0.0.1:5432";

pub fn port_ouvert(port: u16) -> bool {
    let adresse = SocketAddr::from(([127, 0, 0, 1], port));
    TcpStream::connect_timeout(&adresse, Duration::from_millis(300)).is_ok()
}

pub fn attendre_port(port: u16, delai: Duration) -> anyhow::Result<()> {
    let debut = Instant::now();
    while !port_ouvert(port) {
        anyhow::ensure!(debut.elapsed() < delai, "le port {port} ne s'ouvre pas");
        std::thread::sleep(Duration::from_millis(200));
    }
    Ok(())
}

/// What this run started and must stop.
#[derive(Default)]
pub struct Demarres {
    postgres: Option<String>,
    rabbitmq: bool,
}

impl Demarres {
    pub fn arreter(&mut self) {
        if let Some(version) = self.postgres.take() {
            println!("→ arrêt de PostgreSQL");
            let _ = Command::new("pg_ctlcluster")
                .args(["--skip-systemctl-redirect", &version, "main", "stop"])
                .status();
        }
        if std::mem::take(&mut self.rabbitmq) {
            println!("→ arrêt de RabbitMQ");
            let _ = Command::new("rabbitmqctl").args(["-q", "stop"]).status();
        }
    }
}

/// Makes sure PostgreSQL (5432) and RabbitMQ (5672) answer, starting them if installed.
pub fn assurer_services(demarres: &mut Demarres) -> anyhow::Result<()> {
    if port_ouvert(5432) {
        println!("✓ PostgreSQL répond sur 127.0.0.1:5432");
    } else {
        anyhow::ensure!(
            existe("pg_ctlcluster"),
            "PostgreSQL n'est pas installé : lancez `cargo xtask setup`"
        );
        let version = std::fs::read_dir("/etc/postgresql")
            .context("/etc/postgresql")?
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .max()
            .context("aucun cluster PostgreSQL")?;
        println!("→ démarrage de PostgreSQL {version}");
        executer(Command::new("pg_ctlcluster").args([
            "--skip-systemctl-redirect",
            &version,
            "main",
            "start",
        ]))?;
        attendre_port(5432, Duration::from_secs(30))?;
        demarres.postgres = Some(version);
    }
    if port_ouvert(5672) {
        println!("✓ RabbitMQ répond sur 127.0.0.1:5672");
    } else {
        anyhow::ensure!(
            existe("rabbitmq-server") || std::path::Path::new("/usr/sbin/rabbitmq-server").exists(),
            "RabbitMQ n'est pas installé : lancez `cargo xtask setup`"
        );
        println!("→ démarrage de RabbitMQ (quelques secondes)");
        executer(Command::new("rabbitmq-server").arg("-detached"))?;
        demarres.rabbitmq = true;
        let debut = Instant::now();
        while !Command::new("rabbitmqctl")
            .args(["-q", "await_startup", "--timeout", "1"])
            .output()
            .is_ok_and(|o| o.status.success())
        {
            anyhow::ensure!(
                debut.elapsed() < Duration::from_secs(90),
                "RabbitMQ ne démarre pas"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        attendre_port(5672, Duration::from_secs(30))?;
    }
    Ok(())
}

/// RabbitMQ's own metrics for Prometheus on :15692 (plugin `rabbitmq_prometheus`): queue
/// depths, unacked messages, dead-letter queues. `up` scrapes them; `test` reads them.
pub fn activer_metriques_rabbitmq() -> anyhow::Result<()> {
    let actifs = Command::new("rabbitmq-plugins")
        .args(["list", "-e", "-m", "-q"])
        .output()
        .context("rabbitmq-plugins")?;
    if !String::from_utf8_lossy(&actifs.stdout).contains("rabbitmq_prometheus") {
        println!("→ activation des métriques Prometheus de RabbitMQ");
        executer(Command::new("rabbitmq-plugins").args(["enable", "-q", "rabbitmq_prometheus"]))?;
    }
    Ok(())
}

/// The management UI on :15672 with the seed's login `user`/`password` (dev only), and the
/// Prometheus metrics plugin on :15692.
pub fn preparer_interface_rabbitmq() -> anyhow::Result<()> {
    let actifs = Command::new("rabbitmq-plugins")
        .args(["list", "-e", "-m", "-q"])
        .output()
        .context("rabbitmq-plugins")?;
    if !String::from_utf8_lossy(&actifs.stdout).contains("rabbitmq_management") {
        println!("→ activation de l'interface de gestion RabbitMQ");
        executer(Command::new("rabbitmq-plugins").args(["enable", "-q", "rabbitmq_management"]))?;
    }
    activer_metriques_rabbitmq()?;
    let utilisateurs = Command::new("rabbitmqctl")
        .args(["--silent", "list_users"])
        .output()
        .context("rabbitmqctl list_users")?;
    let existe = String::from_utf8_lossy(&utilisateurs.stdout)
        .lines()
        .any(|l| l.split_whitespace().next() == Some("user"));
    if !existe {
        println!("→ création de l'utilisateur RabbitMQ user/password");
        executer(Command::new("rabbitmqctl").args(["-q", "add_user", "user", "password"]))?;
    }
    executer(Command::new("rabbitmqctl").args(["-q", "set_user_tags", "user", "administrator"]))?;
    executer(Command::new("rabbitmqctl").args([
        "-q",
        "set_permissions",
        "-p",
        "/",
        "user",
        ".*",
        ".*",
        ".*",
    ]))?;
    Ok(())
}

/// Runs SQL on the maintenance database with psql.
pub fn psql(sql: &str) -> anyhow::Result<String> {
    psql_sur("postgres", sql)
}

/// Runs SQL on database `base` with psql; returns the unaligned output.
pub fn psql_sur(base: &str, sql: &str) -> anyhow::Result<String> {
    let sortie = Command::new("psql")
        .args([
            &format!("{PG_URL}/{base}"),
            "-qtAX",
            "-v",
            "ON_ERROR_STOP=1",
            "-c",
            sql,
        ])
        .output()
        .context("psql")?;
    anyhow::ensure!(
        sortie.status.success(),
        "psql a échoué : {}",
        String::from_utf8_lossy(&sortie.stderr)
    );
    Ok(String::from_utf8_lossy(&sortie.stdout).into_owned())
}

/// Drops every database whose name starts with `prefixe`.
pub fn supprimer_bases(prefixe: &str) -> anyhow::Result<usize> {
    let noms = psql(&format!(
        "SELECT datname FROM pg_database WHERE datname LIKE '{prefixe}%'"
    ))?;
    let mut n = 0;
    for nom in noms.lines().map(str::trim).filter(|l| !l.is_empty()) {
        psql(&format!("DROP DATABASE IF EXISTS \"{nom}\" WITH (FORCE)"))?;
        n += 1;
    }
    Ok(n)
}

/// Starts maildev (SMTP on `smtp`, web inbox and API on `web`) unless something already
/// listens on `smtp`.
pub fn assurer_maildev(enfants: &mut Enfants, smtp: u16, web: u16) -> anyhow::Result<()> {
    if port_ouvert(smtp) {
        println!("✓ un serveur SMTP répond déjà sur {smtp}");
        return Ok(());
    }
    println!("→ démarrage de maildev (SMTP {smtp}, boîte {web})");
    enfants.lancer(
        "maildev",
        Command::new(outil_npm("maildev"))
            .args(["-s", &smtp.to_string(), "-w", &web.to_string()])
            .args(["--ip", "127.0.0.1", "--web-ip", "127.0.0.1", "--silent"])
            .stdout(std::process::Stdio::null()),
    )?;
    attendre_http(
        &format!("http://127.0.0.1:{web}/api/healthz"),
        Duration::from_secs(30),
    )
}

/// The virtual host the tests use, recreated empty on every run: deleting it removes every
/// exchange and queue the tests declared (each test prefixes its own names).
pub const VHOST_TESTS: &str = "boutique-tests";
/// The same for the pipeline benchmark, so that no run measures a broker full of the queues
/// earlier runs left.
pub const VHOST_BENCH: &str = "boutique-bench";

pub fn supprimer_vhost(vhost: &str) {
    let _ = Command::new("rabbitmqctl")
        .args(["-q", "delete_vhost", vhost])
        .output();
}

pub fn supprimer_vhost_de_test() {
    supprimer_vhost(VHOST_TESTS);
}

pub fn recreer_vhost_de_test() -> anyhow::Result<String> {
    recreer_vhost(VHOST_TESTS)
}

/// Deletes and recreates `vhost` for guest; returns its AMQP URL.
pub fn recreer_vhost(vhost: &str) -> anyhow::Result<String> {
    supprimer_vhost(vhost);
    executer(Command::new("rabbitmqctl").args(["-q", "add_vhost", vhost]))?;
    executer(Command::new("rabbitmqctl").args([
        "-q",
        "set_permissions",
        "-p",
        vhost,
        "guest",
        ".*",
        ".*",
        ".*",
    ]))?;
    Ok(format!("amqp://guest:guest@127.0.0.1:5672/{vhost}"))
}
