//! Sending over SMTP with lettre (MailHog / maildev in development: plain SMTP, no auth).
//!
//! lettre's own pooled transport connects without `TCP_NODELAY`, and it writes a message's
//! body and its final `.` in two writes before reading the reply: Nagle's algorithm holds the
//! dot back until the server acknowledges the body, which the server delays (~40 ms on
//! Linux) since it has nothing to answer yet. Every email took ~40 ms per connection. So the
//! connections are opened here, with `TCP_NODELAY`, handed to lettre's SMTP client, and kept
//! in a deadpool pool.
//!
//! A failed send says whether trying again can help: [`Echec::Definitif`] when the server
//! answered with a permanent (5xx) reply — lettre's `is_permanent()`: an unknown user, a
//! refused domain — or the message cannot even be built; [`Echec::Passager`] for everything
//! else: a 4xx reply (`is_transient()`), a refused or cut connection, a timeout. The reasons
//! never contain the recipient's address (servers often quote it): they end up in logs.

use std::time::Duration;

use anyhow::Context;
use deadpool::managed::{self, Metrics, Object, RecycleError, RecycleResult};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::client::AsyncSmtpConnection;
use lettre::transport::smtp::extension::ClientId;
use lettre::Address;
use lettre::Message;
use tokio::net::TcpStream;

use crate::gabarits::Courriel;

/// How long a connect or a whole send may take.
const DELAI: Duration = Duration::from_secs(10);
/// A connection idle for longer is checked with a NOOP before use (servers drop idle clients).
const REPOS_SANS_VERIFICATION: Duration = Duration::from_secs(5);

/// Opens SMTP connections for the pool and decides whether one may be used again.
struct Connecteur {
    hote: String,
    port: u16,
    nom: ClientId,
}

impl managed::Manager for Connecteur {
    type Type = AsyncSmtpConnection;
    type Error = anyhow::Error;

    async fn create(&self) -> anyhow::Result<AsyncSmtpConnection> {
        let tcp = tokio::time::timeout(DELAI, TcpStream::connect((self.hote.as_str(), self.port)))
            .await
            .context("connexion SMTP trop lente")?
            .context("connexion SMTP")?;
        tcp.set_nodelay(true).context("TCP_NODELAY")?;
        tokio::time::timeout(
            DELAI,
            AsyncSmtpConnection::connect_with_transport(Box::new(tcp), &self.nom),
        )
        .await
        .context("accueil SMTP trop lent")?
        .context("accueil SMTP")
    }

    async fn recycle(
        &self,
        conn: &mut AsyncSmtpConnection,
        metrics: &Metrics,
    ) -> RecycleResult<anyhow::Error> {
        if conn.has_broken() {
            return Err(RecycleError::message("connexion SMTP rompue"));
        }
        if metrics.last_used() > REPOS_SANS_VERIFICATION && !conn.test_connected().await {
            return Err(RecycleError::message(
                "connexion SMTP fermée par le serveur",
            ));
        }
        Ok(())
    }
}

/// Why an email was not sent, with a reason fit for logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Echec {
    /// Will fail the same way every time: not worth a retry.
    Definitif(String),
    /// May work later: retry.
    Passager(String),
}

#[derive(Clone)]
pub struct Expediteur {
    connexions: managed::Pool<Connecteur>,
    de: Mailbox,
}

impl Expediteur {
    /// `connexions`: SMTP connections kept open at most (the worker's emails in flight).
    pub fn new(hote: &str, port: u16, de: &str, connexions: u32) -> anyhow::Result<Self> {
        let connecteur = Connecteur {
            hote: hote.to_owned(),
            port,
            nom: ClientId::default(),
        };
        let connexions = managed::Pool::builder(connecteur)
            .max_size(connexions.max(1) as usize)
            .build()
            .context("réserve de connexions SMTP")?;
        Ok(Expediteur {
            connexions,
            de: de
                .parse()
                .context("SMTP_FROM n'est pas une adresse valide")?,
        })
    }

    /// Sends `courriel` to `a`. The Message-ID is derived from `identifiant`, so a duplicate
    /// that slipped through is at least recognisable as one by the receiving side.
    pub async fn envoyer(
        &self,
        a: &Mailbox,
        identifiant: &str,
        courriel: &Courriel,
    ) -> Result<(), Echec> {
        let message = Message::builder()
            .from(self.de.clone())
            .to(a.clone())
            .subject(&courriel.sujet)
            .message_id(Some(format!("<{identifiant}@boutique321.ch>")))
            .multipart(
                MultiPart::alternative()
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_PLAIN)
                            .body(courriel.texte.clone()),
                    )
                    .singlepart(
                        SinglePart::builder()
                            .header(ContentType::TEXT_HTML)
                            .body(courriel.html.clone()),
                    ),
            )
            // The same input would fail the same way on every try.
            .map_err(|e| Echec::Definitif(format!("construction du message : {e}")))?;
        let mut conn = self
            .connexions
            .get()
            .await
            .map_err(|e| Echec::Passager(format!("connexion SMTP indisponible : {e}")))?;
        let envoi =
            tokio::time::timeout(DELAI, conn.send(message.envelope(), &message.formatted())).await;
        match envoi {
            Ok(Ok(_)) => Ok(()),
            // In an unknown state: never handed out again.
            Ok(Err(e)) => {
                let _ = Object::take(conn);
                let raison = expurger(&format!("envoi SMTP : {e}"), &a.email);
                Err(if e.is_permanent() {
                    Echec::Definitif(raison)
                } else {
                    Echec::Passager(raison)
                })
            }
            Err(_) => {
                let _ = Object::take(conn);
                Err(Echec::Passager("envoi SMTP trop lent".into()))
            }
        }
    }
}

/// `texte` with every occurrence of `adresse` (in any case) replaced by its masked form, so
/// that a server's reply quoting the recipient can be logged.
fn expurger(texte: &str, adresse: &Address) -> String {
    let masquee = format!(
        "{}***@{}",
        adresse.user().chars().next().unwrap_or('?'),
        adresse.domain()
    );
    // ASCII lower-casing keeps every byte offset, so positions found in the lower-cased
    // copy cut the original text at the same places.
    let meule = texte.to_ascii_lowercase();
    let aiguille = adresse.to_string().to_ascii_lowercase();
    let mut resultat = String::with_capacity(texte.len());
    let mut depuis = 0;
    while let Some(i) = meule[depuis..].find(&aiguille) {
        resultat.push_str(&texte[depuis..depuis + i]);
        resultat.push_str(&masquee);
        depuis += i + aiguille.len();
    }
    resultat.push_str(&texte[depuis..]);
    resultat
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_reponse_du_serveur_ne_livre_pas_l_adresse() {
        let a: Address = "Jean.Dupont@exemple.ch".parse().unwrap();
        let r = expurger(
            "permanent error (550): 5.1.1 <jean.dupont@EXEMPLE.CH>: Recipient address rejected; \
             Jean.Dupont@exemple.ch unknown",
            &a,
        );
        assert!(!r.to_lowercase().contains("jean.dupont@"), "{r}");
        assert_eq!(r.matches("J***@exemple.ch").count(), 2, "{r}");
        assert!(r.starts_with("permanent error (550): 5.1.1 <"), "{r}");
    }
}
