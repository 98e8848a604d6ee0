//! The `mail_notifier` consumer: one email per order outcome, even under redelivery.
//!
//! Per outcome (reference + status), in one transaction: claim its row in `emails_envoyes`
//! (a concurrent duplicate waits on it, then skips), send, commit, ack. SMTP
//! down → retry later (delay queue); unreadable event or undeliverable address → dead-letter
//! queue at once.

use anyhow::Context;
use contrats::evenements::{CommandeTerminee, StatutFinal};
use lettre::message::Mailbox;
use socle::amqp::{Issue, Message};
use sqlx::PgPool;

use crate::envoi::Expediteur;
use crate::gabarits::Gabarits;

pub struct Notificateur {
    pub db: PgPool,
    pub gabarits: Gabarits,
    pub expediteur: Expediteur,
}

enum Echec {
    Poison(String),
    Reessayer(anyhow::Error),
}

impl From<anyhow::Error> for Echec {
    fn from(e: anyhow::Error) -> Self {
        Echec::Reessayer(e)
    }
}

impl Notificateur {
    pub async fn traiter(&self, message: Message) -> Issue {
        match self.notifier(&message).await {
            Ok(true) => Issue::Traite,
            Ok(false) => {
                tracing::info!("courriel déjà envoyé pour cet événement : ignoré");
                Issue::Traite
            }
            Err(Echec::Poison(raison)) => Issue::Poison(raison),
            Err(Echec::Reessayer(e)) => Issue::Reessayer(format!("{e:#}")),
        }
    }

    /// `true` when an email was sent, `false` when it had been already.
    async fn notifier(&self, message: &Message) -> Result<bool, Echec> {
        let c: CommandeTerminee = serde_json::from_slice(&message.corps)
            .map_err(|e| Echec::Poison(format!("événement illisible : {e}")))?;
        let destinataire: Mailbox = c
            .email
            .parse()
            .map_err(|_| Echec::Poison(format!("adresse de destination invalide : {}", c.email)))?;
        let courriel = self
            .gabarits
            .rendre(&c)
            .map_err(|e| Echec::Poison(format!("rendu impossible : {e}")))?;
        let statut = match c.statut {
            StatutFinal::Confirmee => "confirmee",
            StatutFinal::Annulee => "annulee",
        };
        let cle = format!("{}.{statut}", c.reference);

        // The row is claimed before the send and committed after it. A second delivery of
        // the same outcome waits on the uncommitted row (primary key), then finds it and
        // skips; if the send failed, the rollback frees the claim for the retry.
        let mut tx = self.db.begin().await.context("transaction")?;
        let reclame = sqlx::query!(
            "INSERT INTO emails_envoyes (reference, statut, id_commande, destinataire) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            c.reference,
            statut,
            c.id_commande,
            c.email
        )
        .execute(&mut *tx)
        .await
        .context("réservation de l'envoi")?
        .rows_affected()
            == 1;
        if !reclame {
            return Ok(false);
        }
        self.expediteur
            .envoyer(&destinataire, &cle, &courriel)
            .await?;
        // From here the email is out: a failure to commit is the duplicate window. (The row's
        // `envoye_le` is when the claim was made, a few milliseconds before SMTP accepted.)
        tx.commit().await.context("validation de l'envoi")?;
        tracing::info!(id_commande = c.id_commande, statut, "courriel envoyé");
        Ok(true)
    }
}
