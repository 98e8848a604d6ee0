//! Sending over SMTP with lettre (MailHog / maildev in development: plain SMTP, no auth).

use std::time::Duration;

use anyhow::Context;
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::PoolConfig;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::gabarits::Courriel;

#[derive(Clone)]
pub struct Expediteur {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    de: Mailbox,
}

impl Expediteur {
    /// `connexions`: SMTP connections kept open. Each email took about 40 ms per connection
    /// on loopback while the worker was nearly idle (most likely a delayed ACK: lettre does
    /// not set TCP_NODELAY), so throughput comes from sending on many connections at once.
    pub fn new(hote: &str, port: u16, de: &str, connexions: u32) -> anyhow::Result<Self> {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(hote)
            .port(port)
            .timeout(Some(Duration::from_secs(10)))
            .pool_config(PoolConfig::new().max_size(connexions.max(1)))
            .build();
        Ok(Expediteur {
            transport,
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
    ) -> anyhow::Result<()> {
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
            .context("construction du message")?;
        self.transport.send(message).await.context("envoi SMTP")?;
        Ok(())
    }
}
