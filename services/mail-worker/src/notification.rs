//! The `mail_notifier` consumer: one email per order outcome, even under redelivery.
//!
//! Per outcome (reference + status), under a PostgreSQL advisory lock so two deliveries of the
//! same event cannot race: if it was already sent, ack; else render, send, record, ack. SMTP
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

        let mut tx = self.db.begin().await.context("transaction")?;
        sqlx::query!("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", cle)
            .execute(&mut *tx)
            .await
            .context("verrou de l'envoi")?;
        let deja = sqlx::query_scalar!(
            r#"SELECT EXISTS (SELECT 1 FROM emails_envoyes WHERE reference = $1 AND statut = $2) AS "deja!""#,
            c.reference,
            statut
        )
        .fetch_one(&mut *tx)
        .await
        .context("recherche d'un envoi")?;
        if deja {
            return Ok(false);
        }
        self.expediteur
            .envoyer(&destinataire, &cle, &courriel)
            .await?;
        // From here the email is out: a failure to record it is the duplicate window.
        sqlx::query!(
            "INSERT INTO emails_envoyes (reference, statut, id_commande, destinataire) VALUES ($1, $2, $3, $4)",
            c.reference,
            statut,
            c.id_commande,
            c.email
        )
        .execute(&mut *tx)
        .await
        .context("enregistrement de l'envoi")?;
        tx.commit().await.context("validation de l'envoi")?;
        tracing::info!(id_commande = c.id_commande, statut, "courriel envoyé");
        Ok(true)
    }
}
