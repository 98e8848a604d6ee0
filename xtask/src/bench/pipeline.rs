//! `cargo xtask bench pipeline`: paid orders end to end on release builds, all on this machine.
//!
//! Every order goes through payment: a payer (threads of its own) watches what paiements has
//! learnt is due (`commande.a_payer`, read from paiements' database, as a customer's page would
//! learn it) and pays each order once with the accepted test card (`Idempotency-Key` = the
//! order's reference). Each order thus costs two HTTP requests, seven events and two emails.
//!
//! Phase 1 (throughput): `clients` threads post orders as fast as they can for `duree`
//! seconds; paid orders/s end to end = orders / (first POST → last confirmation email
//! accepted by SMTP, as recorded by the mail worker). Phase 2 (latency): the same at a steady
//! 200 orders/s; order POST p50/p99 client-side (and the payment POST's). Time from order to
//! `confirmee` comes from the orders' own timestamps. Each service's peak RSS is read from
//! /proc.

use std::collections::HashSet;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;

use super::cpu::Releve;
use super::mesure::{percentiles, rss_max_kio, verdict};
use crate::infra::{self, psql_sur, PG_URL};
use crate::lancement::construire;
use crate::outils::{bibliotheques_postfix, smtp_sink};
use crate::processus::{attendre_http, Enfants};

const JETON: &str = "jeton-bench";
const SMTP: u16 = 21025;
const BOITE: u16 = 28025;

struct Service {
    nom: &'static str,
    pid: u32,
}

/// The SMTP server the mail worker sends to during the benchmark.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Smtp {
    /// Postfix's smtp-sink: accepts and drops mail, made for load tests.
    Sink,
    /// maildev, the development inbox (Node, about 300 messages a second at most).
    Maildev,
}

pub fn mesurer(duree: u32, clients: u32, smtp: Smtp) -> anyhow::Result<()> {
    let binaires = construire(true)?;
    infra::supprimer_bases("bench_")?;
    let prefixe = format!("bench.{}.", std::process::id());
    let mut enfants = Enfants::default();
    match smtp {
        Smtp::Maildev => infra::assurer_maildev(&mut enfants, SMTP, BOITE)?,
        Smtp::Sink => {
            anyhow::ensure!(
                smtp_sink().exists(),
                "smtp-sink manque : lancez `cargo xtask setup`"
            );
            println!("→ démarrage de smtp-sink (SMTP {SMTP})");
            enfants.lancer(
                "smtp-sink",
                Command::new(smtp_sink())
                    .env("LD_LIBRARY_PATH", bibliotheques_postfix())
                    // It refuses to run as root without a user to switch to.
                    .args(["-u", "nobody", &format!("127.0.0.1:{SMTP}"), "512"]),
            )?;
            infra::attendre_port(SMTP, Duration::from_secs(10))?;
        }
    }
    let amqp = infra::recreer_vhost(infra::VHOST_BENCH)?;
    let amqp = amqp.as_str();
    let mut services = Vec::new();
    for (nom, port, env) in [
        (
            "produits",
            18281u16,
            vec![("DATABASE_URL", format!("{PG_URL}/bench_produits"))],
        ),
        (
            "commandes",
            18282,
            vec![
                ("DATABASE_URL", format!("{PG_URL}/bench_commandes")),
                ("PRODUITS_URL", "http://127.0.0.1:18281".into()),
            ],
        ),
        (
            "paiements",
            18284,
            vec![("DATABASE_URL", format!("{PG_URL}/bench_paiements"))],
        ),
        (
            "mail-worker",
            18283,
            vec![
                ("DATABASE_URL", format!("{PG_URL}/bench_mail")),
                ("SMTP_PORT", SMTP.to_string()),
            ],
        ),
    ] {
        let pid = enfants.lancer(
            nom,
            Command::new(binaires.join(nom))
                .env("PORT", port.to_string())
                .env("AMQP_URL", amqp)
                .env("BROKER_PREFIX", &prefixe)
                .env("ADMIN_TOKEN", JETON)
                .env("RUST_LOG", "warn")
                .envs(env),
        )?;
        attendre_http(
            &format!("http://127.0.0.1:{port}/health"),
            Duration::from_secs(60),
        )?;
        services.push(Service { nom, pid });
    }
    let id = creer_produit()?;
    let payeur = Payeur::demarrer(clients.min(16));

    println!("→ phase 1 : débit, {clients} clients, {duree} s, chaque commande payée");
    let debut = Instant::now();
    let releve = Releve::maintenant();
    let (n1, _) = charger(id, clients, duree, None)?;
    let fin_envoi = debut.elapsed();
    let fin = attendre_emails(n1, Duration::from_secs(300))?;
    let (duree_releve, cpu) = Releve::maintenant().depuis(&releve);
    let debit = n1 as f64 / fin.as_secs_f64();
    println!(
        "   {n1} commandes postées en {:.1} s, toutes payées et confirmées par courriel en {:.1} s",
        fin_envoi.as_secs_f64(),
        fin.as_secs_f64()
    );

    println!("→ phase 2 : 200 commandes/s pendant {duree} s");
    psql_sur(
        "bench_commandes",
        "UPDATE commandes SET cle_idempotence = cle_idempotence",
    )?;
    let deja = n1;
    let (n2, latences) = charger(id, clients.min(32), duree, Some(200.0))?;
    attendre_emails(deja + n2, Duration::from_secs(300))?;
    let paiements = payeur.arreter()?;
    anyhow::ensure!(
        paiements.payees == deja + n2,
        "{} paiements pour {} commandes",
        paiements.payees,
        deja + n2
    );
    let (p50, p99) = percentiles(latences);
    let (pp50, pp99) = percentiles(paiements.latences_phase2(n2));
    let confirmation = psql_sur(
        "bench_commandes",
        &format!(
            "SELECT round(1000 * percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM paye_le - cree_le))::numeric, 1) || ' ' || \
                    round(1000 * percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM paye_le - cree_le))::numeric, 1) \
             FROM (SELECT * FROM commandes ORDER BY id OFFSET {deja}) AS phase2"
        ),
    )?;
    let mut confirmation = confirmation.split_whitespace();
    let (c50, c99) = (
        confirmation.next().unwrap_or("?").to_owned(),
        confirmation.next().unwrap_or("?").to_owned(),
    );
    let rss: Vec<(String, f64)> = services
        .iter()
        .map(|s| {
            (
                s.nom.to_owned(),
                rss_max_kio(s.pid).unwrap_or(0) as f64 / 1024.0,
            )
        })
        .collect();
    enfants.arreter();
    infra::supprimer_bases("bench_")?;
    infra::supprimer_vhost(infra::VHOST_BENCH);

    println!();
    let serveur_smtp = match smtp {
        Smtp::Sink => "smtp-sink",
        Smtp::Maildev => "maildev",
    };
    println!("bench pipeline — release, tout sur cette machine à 2 cœurs (PostgreSQL, RabbitMQ, {serveur_smtp}, 4 services, clients et payeur)");
    println!("débit de bout en bout : {debit:.0} commandes payées/s ({n1} commandes, {clients} clients) (objectif ≥ 600) {}", verdict(debit >= 600.0));
    println!("à 200 commandes/s ({n2} commandes, toutes payées) : POST commande p50 {p50:.1} ms, p99 {p99:.1} ms (objectif p99 < 25) {} ; POST paiement p50 {pp50:.1} ms, p99 {pp99:.1} ms", verdict(p99 < 25.0));
    println!("de la commande à son paiement (payeur compris) : p50 {c50} ms, p99 {c99} ms");
    for (nom, mo) in rss {
        println!("RSS max {nom} : {mo:.1} Mo");
    }
    println!(
        "CPU pendant la phase 1 ({:.1} s, en % d'un cœur, 200 % en tout) : {}",
        duree_releve.as_secs_f64(),
        super::cpu::resume(&cpu)
    );
    Ok(())
}

fn creer_produit() -> anyhow::Result<i64> {
    let mut r = ureq::post("http://127.0.0.1:18281/api/produits")
        .header("Authorization", &format!("Bearer {JETON}"))
        .header("Content-Type", "application/json")
        .send(r#"{"nom": "Article de charge", "prix": 12.50, "quantite_en_stock": 100000000}"#)?;
    let corps = r.body_mut().read_to_string()?;
    let debut = corps.find("\"id\":").context("id du produit")? + 5;
    let fin = corps[debut..].find(',').context("id du produit")? + debut;
    Ok(corps[debut..fin].trim().parse()?)
}

/// Posts orders from `clients` threads for `duree` seconds, as fast as possible or at
/// `cadence` orders/s in all; returns how many and each POST's latency.
fn charger(
    produit: i64,
    clients: u32,
    duree: u32,
    cadence: Option<f64>,
) -> anyhow::Result<(usize, Vec<Duration>)> {
    let latences = Arc::new(Mutex::new(Vec::new()));
    let erreurs = Arc::new(Mutex::new(0usize));
    let debut = Instant::now();
    let fin = debut + Duration::from_secs(duree.into());
    let fils: Vec<_> = (0..clients)
        .map(|c| {
            let latences = latences.clone();
            let erreurs = erreurs.clone();
            std::thread::spawn(move || {
                let agent = ureq::Agent::new_with_defaults();
                let corps = format!(
                    r#"{{"email": "client{c}@example.com", "nom": "Client {c}", "adresse": {{"rue": "Rue du Lac 12", "npa": "1003", "localite": "Lausanne"}}, "produits": [{{"produit_id": {produit}, "quantite": 1}}]}}"#
                );
                let intervalle = cadence.map(|r| Duration::from_secs_f64(clients as f64 / r));
                let mut k = 0u32;
                loop {
                    if let Some(i) = intervalle {
                        // Clients are spread over the interval so the rate is steady.
                        let prevu = debut + i * k + i.mul_f64(c as f64 / clients as f64);
                        if let Some(attente) = prevu.checked_duration_since(Instant::now()) {
                            std::thread::sleep(attente);
                        }
                    }
                    if Instant::now() >= fin {
                        break;
                    }
                    let t = Instant::now();
                    let r = agent
                        .post("http://127.0.0.1:18282/api/commandes")
                        .header("Content-Type", "application/json")
                        .send(&corps);
                    let ecoule = t.elapsed();
                    match r {
                        Ok(r) if r.status() == 201 => latences.lock().unwrap().push(ecoule),
                        _ => *erreurs.lock().unwrap() += 1,
                    }
                    k += 1;
                }
            })
        })
        .collect();
    for f in fils {
        f.join().map_err(|_| anyhow::anyhow!("client en panique"))?;
    }
    let erreurs = *erreurs.lock().unwrap();
    anyhow::ensure!(
        erreurs == 0,
        "{erreurs} commandes refusées pendant la charge"
    );
    let latences = Arc::try_unwrap(latences).unwrap().into_inner().unwrap();
    Ok((latences.len(), latences))
}

/// Waits until `n` confirmation emails (paid orders) are recorded as sent; returns the time
/// from the first order to the last email.
fn attendre_emails(n: usize, delai: Duration) -> anyhow::Result<Duration> {
    let debut = Instant::now();
    let mut mail = SessionPsql::ouvrir("bench_mail")?;
    loop {
        let envoyes: usize = mail
            .requete("SELECT count(*) FROM emails_envoyes WHERE statut = 'confirmee'")?
            .trim()
            .parse()?;
        if envoyes >= n {
            break;
        }
        anyhow::ensure!(
            debut.elapsed() < delai,
            "{envoyes} courriels sur {n} après {delai:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    // Server-side clocks: first order created → last email accepted by SMTP.
    let premier = psql_sur(
        "bench_commandes",
        "SELECT extract(epoch FROM min(cree_le)) FROM commandes",
    )?;
    let dernier = psql_sur(
        "bench_mail",
        "SELECT extract(epoch FROM max(envoye_le)) FROM emails_envoyes",
    )?;
    let secondes: f64 = dernier.trim().parse::<f64>()? - premier.trim().parse::<f64>()?;
    Ok(Duration::from_secs_f64(secondes.max(0.001)))
}

/// Pays every order paiements has learnt is due, once, with the accepted test card.
struct Payeur {
    arret: Arc<AtomicBool>,
    guetteur: std::thread::JoinHandle<anyhow::Result<()>>,
    fils: Vec<std::thread::JoinHandle<()>>,
    latences: Arc<Mutex<Vec<Duration>>>,
    erreurs: Arc<Mutex<Vec<String>>>,
}

/// What the payer did.
struct Paiements {
    payees: usize,
    /// Each payment's latency, in the order they were made.
    latences: Vec<Duration>,
}

impl Paiements {
    /// The last `n` payments' latencies (the phase-2 orders, paid after phase 1's).
    fn latences_phase2(&self, n: usize) -> Vec<Duration> {
        self.latences[self.latences.len().saturating_sub(n)..].to_vec()
    }
}

impl Payeur {
    fn demarrer(fils: u32) -> Payeur {
        let arret = Arc::new(AtomicBool::new(false));
        let latences = Arc::new(Mutex::new(Vec::new()));
        let erreurs = Arc::new(Mutex::new(Vec::new()));
        let (envoi, reception) = mpsc::channel::<String>();
        let reception = Arc::new(Mutex::new(reception));
        let fils = (0..fils)
            .map(|_| {
                let reception = reception.clone();
                let latences = latences.clone();
                let erreurs = erreurs.clone();
                std::thread::spawn(move || {
                    let agent = ureq::Agent::new_with_defaults();
                    loop {
                        let Ok(reference) = reception.lock().unwrap().recv() else {
                            return;
                        };
                        let corps = format!(
                            r#"{{"reference": "{reference}", "carte": {{"numero": "4242 4242 4242 4242", "expiration": "12/39", "cvc": "123"}}}}"#
                        );
                        let t = Instant::now();
                        let r = agent
                            .post("http://127.0.0.1:18284/api/paiements")
                            .header("Content-Type", "application/json")
                            .header("Idempotency-Key", &reference)
                            .send(&corps);
                        match r {
                            Ok(r) if r.status() == 201 => {
                                latences.lock().unwrap().push(t.elapsed())
                            }
                            Ok(r) => erreurs
                                .lock()
                                .unwrap()
                                .push(format!("{reference} : {}", r.status())),
                            Err(e) => erreurs.lock().unwrap().push(format!("{reference} : {e}")),
                        }
                    }
                })
            })
            .collect();
        let a = arret.clone();
        // Reads what became due since its last look (less half a second: a transaction that
        // started earlier may commit later), each reference sent once.
        let guetteur = std::thread::spawn(move || {
            let mut vues: HashSet<String> = HashSet::new();
            let mut depuis = String::from("-infinity");
            let mut paiements = SessionPsql::ouvrir("bench_paiements")?;
            loop {
                let fini = a.load(Ordering::Relaxed);
                let lignes = paiements.requete(&format!(
                    "SELECT reference, cree_le FROM commandes_a_payer \
                         WHERE cree_le >= timestamptz '{depuis}' - interval '500 milliseconds' \
                         AND annulee_le IS NULL ORDER BY cree_le"
                ))?;
                for ligne in lignes.lines() {
                    let Some((reference, cree_le)) = ligne.split_once('|') else {
                        continue;
                    };
                    depuis = cree_le.to_owned();
                    if vues.insert(reference.to_owned()) {
                        envoi.send(reference.to_owned())?;
                    }
                }
                if fini {
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        Payeur {
            arret,
            guetteur,
            fils,
            latences,
            erreurs,
        }
    }

    /// Stops once everything due was paid (called after the last confirmation email).
    fn arreter(self) -> anyhow::Result<Paiements> {
        self.arret.store(true, Ordering::Relaxed);
        self.guetteur
            .join()
            .map_err(|_| anyhow::anyhow!("guetteur en panique"))??;
        for f in self.fils {
            f.join().map_err(|_| anyhow::anyhow!("payeur en panique"))?;
        }
        let erreurs = self.erreurs.lock().unwrap();
        anyhow::ensure!(
            erreurs.is_empty(),
            "{} paiements refusés, dont {:?}",
            erreurs.len(),
            erreurs.first()
        );
        let latences = self.latences.lock().unwrap().clone();
        Ok(Paiements {
            payees: latences.len(),
            latences,
        })
    }
}

/// One psql process kept open on a database: the payer and the wait for the emails look
/// every 50 and 100 ms, and a psql started for each look (a process, a connection, a server
/// backend forked each time) cost the machine they measure a few percent of a core.
struct SessionPsql {
    enfant: std::process::Child,
    entree: std::process::ChildStdin,
    sortie: std::io::BufReader<std::process::ChildStdout>,
}

/// Printed after each query's rows: where its output ends.
const FIN: &str = "--fin-de-requete--";

impl SessionPsql {
    fn ouvrir(base: &str) -> anyhow::Result<SessionPsql> {
        let mut enfant = Command::new("psql")
            .args([
                &format!("{PG_URL}/{base}"),
                "-qtAX",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .context("psql")?;
        let entree = enfant.stdin.take().context("entrée de psql")?;
        let sortie = std::io::BufReader::new(enfant.stdout.take().context("sortie de psql")?);
        Ok(SessionPsql {
            enfant,
            entree,
            sortie,
        })
    }

    /// Runs one statement; its unaligned output, like `psql_sur`. psql stops at the first
    /// error (ON_ERROR_STOP): the end of its output says so.
    fn requete(&mut self, sql: &str) -> anyhow::Result<String> {
        use std::io::{BufRead, Write};
        writeln!(self.entree, "{sql};\n\\echo {FIN}").context("requête à psql")?;
        self.entree.flush().context("requête à psql")?;
        let mut resultat = String::new();
        loop {
            let mut ligne = String::new();
            anyhow::ensure!(
                self.sortie
                    .read_line(&mut ligne)
                    .context("réponse de psql")?
                    > 0,
                "psql s'est arrêté (erreur SQL ?) pendant : {sql}"
            );
            if ligne.trim_end() == FIN {
                return Ok(resultat);
            }
            resultat.push_str(&ligne);
        }
    }
}

impl Drop for SessionPsql {
    fn drop(&mut self) {
        let _ = self.enfant.kill();
        let _ = self.enfant.wait();
    }
}
