//! A small SMTP server for tests. It stands in for a remote mail server's policy — refuse one
//! recipient for good (550), put another off a few times (451), accept the rest — which
//! maildev cannot do; it is not a stand-in for our code.
//!
//! It speaks what lettre needs: greeting, EHLO, MAIL FROM, RCPT TO, DATA, RSET, NOOP, QUIT.
//! Every RCPT it refused and every message it accepted (with its content, read back with
//! `mail-parser`: subject, text and HTML parts) is recorded; [`ServeurSmtp::attendre`] waits
//! until those records satisfy a condition.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use crate::aides::DELAI;

/// What the server answers at RCPT for an address.
#[derive(Debug, Clone, Copy)]
enum Politique {
    /// 550: this user does not exist.
    Refuser,
    /// 451 this many more times, then accepted.
    Differer(u32),
}

#[derive(Default)]
pub struct Registre {
    politiques: HashMap<String, Politique>,
    /// Per recipient (lower-cased): the RCPT replies refused, as codes.
    pub refus: HashMap<String, Vec<u16>>,
    /// Per recipient (lower-cased): the messages accepted for it.
    pub recus: HashMap<String, usize>,
    /// Per recipient (lower-cased): each accepted message as sent (after the DATA command,
    /// dot-stuffing undone).
    pub messages: HashMap<String, Vec<Vec<u8>>>,
}

/// What a failed wait prints: everything but the messages' bytes.
impl std::fmt::Debug for Registre {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registre")
            .field("politiques", &self.politiques)
            .field("refus", &self.refus)
            .field("recus", &self.recus)
            .finish_non_exhaustive()
    }
}

/// An accepted message, decoded.
#[derive(Debug, Clone)]
pub struct Courriel {
    pub sujet: String,
    pub texte: String,
    pub html: String,
    pub message_id: String,
}

impl Registre {
    pub fn recus(&self, adresse: &str) -> usize {
        self.recus
            .get(&adresse.to_lowercase())
            .copied()
            .unwrap_or(0)
    }

    pub fn refus(&self, adresse: &str) -> Vec<u16> {
        self.refus
            .get(&adresse.to_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// The messages accepted for `adresse`, decoded, in the order received.
    pub fn courriels(&self, adresse: &str) -> Vec<Courriel> {
        self.messages
            .get(&adresse.to_lowercase())
            .into_iter()
            .flatten()
            .map(|brut| {
                let m = mail_parser::MessageParser::default()
                    .parse(brut)
                    .expect("un message MIME lisible");
                Courriel {
                    sujet: m.subject().unwrap_or_default().to_owned(),
                    texte: m.body_text(0).map(|t| t.into_owned()).unwrap_or_default(),
                    html: m.body_html(0).map(|t| t.into_owned()).unwrap_or_default(),
                    message_id: m.message_id().unwrap_or_default().to_owned(),
                }
            })
            .collect()
    }
}

pub struct ServeurSmtp {
    pub port: u16,
    registre: Arc<Mutex<Registre>>,
    changement: Arc<Notify>,
}

impl ServeurSmtp {
    /// Listens on a free loopback port until the test ends.
    pub async fn demarrer() -> ServeurSmtp {
        let ecoute = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = ecoute.local_addr().unwrap().port();
        let registre = Arc::new(Mutex::new(Registre::default()));
        let changement = Arc::new(Notify::new());
        let (r, c) = (registre.clone(), changement.clone());
        tokio::spawn(async move {
            while let Ok((flux, _)) = ecoute.accept().await {
                let (r, c) = (r.clone(), c.clone());
                tokio::spawn(async move {
                    let _ = session(flux, r, c).await;
                });
            }
        });
        ServeurSmtp {
            port,
            registre,
            changement,
        }
    }

    /// Every RCPT for `adresse` gets `550 5.1.1` (the server quotes the address, as real ones
    /// do: the worker must not log it).
    pub fn refuser(&self, adresse: &str) {
        self.politique(adresse, Politique::Refuser);
    }

    /// The next `fois` RCPTs for `adresse` get `451 4.2.0`, the following ones are accepted.
    pub fn differer(&self, adresse: &str, fois: u32) {
        self.politique(adresse, Politique::Differer(fois));
    }

    fn politique(&self, adresse: &str, p: Politique) {
        self.registre
            .lock()
            .unwrap()
            .politiques
            .insert(adresse.to_lowercase(), p);
    }

    /// A look at what was recorded so far.
    pub fn lire<T>(&self, f: impl FnOnce(&Registre) -> T) -> T {
        f(&self.registre.lock().unwrap())
    }

    /// Waits until `condition` holds on the records (at most [`DELAI`]).
    pub async fn attendre(&self, quoi: &str, condition: impl Fn(&Registre) -> bool) {
        let fin = Instant::now() + DELAI;
        loop {
            let signal = self.changement.notified();
            if self.lire(&condition) {
                return;
            }
            let reste = fin.saturating_duration_since(Instant::now());
            assert!(
                !reste.is_zero(),
                "serveur SMTP : toujours pas {quoi} après {DELAI:?} ; {:?}",
                self.registre.lock().unwrap()
            );
            // A record may also land between the check and the wait: look again soon anyway.
            let _ = tokio::time::timeout(reste.min(Duration::from_millis(200)), signal).await;
        }
    }
}

/// One client connection, until QUIT or EOF.
async fn session(
    flux: TcpStream,
    registre: Arc<Mutex<Registre>>,
    changement: Arc<Notify>,
) -> std::io::Result<()> {
    let (lecture, mut ecriture) = flux.into_split();
    let mut lecture = BufReader::new(lecture);
    ecriture.write_all(b"220 test.local ESMTP\r\n").await?;
    let mut destinataires: Vec<String> = Vec::new();
    let mut ligne = String::new();
    loop {
        ligne.clear();
        if lecture.read_line(&mut ligne).await? == 0 {
            return Ok(());
        }
        let commande = ligne.trim_end().to_owned();
        let verbe = commande
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        let reponse = match verbe.as_str() {
            "EHLO" => "250-test.local\r\n250-8BITMIME\r\n250 SMTPUTF8".to_owned(),
            "HELO" => "250 test.local".to_owned(),
            "MAIL" => {
                destinataires.clear();
                "250 2.1.0 Ok".to_owned()
            }
            "RCPT" => {
                let adresse = entre_chevrons(&commande).to_lowercase();
                let reponse = {
                    let mut r = registre.lock().unwrap();
                    let politique = r.politiques.get(&adresse).copied();
                    match politique {
                        Some(Politique::Refuser) => {
                            r.refus.entry(adresse.clone()).or_default().push(550);
                            format!(
                                "550 5.1.1 <{adresse}>: Recipient address rejected: User unknown"
                            )
                        }
                        Some(Politique::Differer(n)) if n > 0 => {
                            r.politiques
                                .insert(adresse.clone(), Politique::Differer(n - 1));
                            r.refus.entry(adresse.clone()).or_default().push(451);
                            format!("451 4.2.0 <{adresse}>: Mailbox busy, try again later")
                        }
                        _ => {
                            destinataires.push(adresse);
                            "250 2.1.5 Ok".to_owned()
                        }
                    }
                };
                changement.notify_waiters();
                reponse
            }
            "DATA" if destinataires.is_empty() => "503 5.5.1 No valid recipients".to_owned(),
            "DATA" => {
                ecriture
                    .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let mut contenu = Vec::new();
                loop {
                    ligne.clear();
                    if lecture.read_line(&mut ligne).await? == 0 {
                        return Ok(());
                    }
                    if ligne == ".\r\n" {
                        break;
                    }
                    // Dot-stuffing (RFC 5321 4.5.2): a leading `.` was doubled by the client.
                    let sans = ligne.strip_prefix('.').unwrap_or(&ligne);
                    contenu.extend_from_slice(sans.as_bytes());
                }
                {
                    let mut r = registre.lock().unwrap();
                    for d in destinataires.drain(..) {
                        *r.recus.entry(d.clone()).or_default() += 1;
                        r.messages.entry(d).or_default().push(contenu.clone());
                    }
                }
                changement.notify_waiters();
                "250 2.0.0 Ok: queued".to_owned()
            }
            "RSET" => {
                destinataires.clear();
                "250 2.0.0 Ok".to_owned()
            }
            "NOOP" => "250 2.0.0 Ok".to_owned(),
            "QUIT" => {
                ecriture.write_all(b"221 2.0.0 Bye\r\n").await?;
                return Ok(());
            }
            _ => "502 5.5.2 Command not recognized".to_owned(),
        };
        ecriture.write_all(reponse.as_bytes()).await?;
        ecriture.write_all(b"\r\n").await?;
    }
}

/// `RCPT TO:<a@b.ch>` → `a@b.ch`.
fn entre_chevrons(commande: &str) -> &str {
    let debut = commande.find('<').map_or(0, |i| i + 1);
    let fin = commande.rfind('>').unwrap_or(commande.len());
    commande.get(debut..fin).unwrap_or("")
}
