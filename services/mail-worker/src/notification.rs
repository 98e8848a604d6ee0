//! The `mail_notifier` consumer: one email per order outcome, even under redelivery.
//!
//! Messages come in batches (what the broker already delivered). For a batch, in one
//! transaction: claim each outcome's row in `emails_envoyes` (reference + status is the
//! primary key; a concurrent duplicate waits on the uncommitted row, then finds it and
//! skips), send the claimed emails concurrently, give back the claims whose send failed,
//! commit, ack. An unreadable event or an address that does not parse → dead-letter queue at
//! once; any SMTP failure (server down, or a refusal) → retried later through the delay
//! queue, and dead-lettered after `MAX_ATTEMPTS`.
//!
//! The comment of `migrations/0001_emails_envoyes.sql` predates the claim: it says the row is
//! written after the SMTP server accepted the message, whereas it is now claimed before the
//! send and given back if the send fails (an applied migration is never edited).

use std::collections::HashSet;

use anyhow::Context;
use contrats::evenements::{CommandeTerminee, StatutFinal};
use lettre::message::Mailbox;
use socle::amqp::{Issue, Message};
use sqlx::PgPool;
use uuid::Uuid;

use crate::envoi::Expediteur;
use crate::gabarits::{Courriel, Gabarits};

pub struct Notificateur {
    pub db: PgPool,
    pub gabarits: Gabarits,
    pub expediteur: Expediteur,
}

/// A readable event, ready to send.
struct Envoi {
    rang: usize,
    commande: CommandeTerminee,
    statut: &'static str,
    destinataire: Mailbox,
    courriel: Courriel,
}

impl Notificateur {
    /// One outcome per message, in order.
    pub async fn traiter_lot(&self, messages: Vec<Message>) -> Vec<Issue> {
        let mut issues: Vec<Option<Issue>> = Vec::with_capacity(messages.len());
        let mut envois = Vec::new();
        for (rang, message) in messages.iter().enumerate() {
            match self.preparer(rang, message) {
                Ok(envoi) => {
                    issues.push(None);
                    envois.push(envoi);
                }
                Err(raison) => issues.push(Some(Issue::Poison(raison))),
            }
        }
        if let Err(e) = self.envoyer(&envois, &mut issues).await {
            for envoi in &envois {
                // Emails already out when the commit failed are the duplicate window.
                if !matches!(issues[envoi.rang], Some(Issue::Reessayer(_))) {
                    issues[envoi.rang] = Some(Issue::Reessayer(format!("{e:#}")));
                }
            }
        }
        issues
            .into_iter()
            .map(|i| i.unwrap_or_else(|| Issue::Reessayer("message sans issue".into())))
            .collect()
    }

    fn preparer(&self, rang: usize, message: &Message) -> Result<Envoi, String> {
        let commande: CommandeTerminee = serde_json::from_slice(&message.corps)
            .map_err(|e| format!("événement illisible : {e}"))?;
        let destinataire: Mailbox = commande
            .email
            .parse()
            .map_err(|_| format!("adresse de destination invalide : {}", commande.email))?;
        let courriel = self
            .gabarits
            .rendre(&commande)
            .map_err(|e| format!("rendu impossible : {e}"))?;
        let statut = match commande.statut {
            StatutFinal::Confirmee => "confirmee",
            StatutFinal::Annulee => "annulee",
        };
        Ok(Envoi {
            rang,
            commande,
            statut,
            destinataire,
            courriel,
        })
    }

    /// Claims, sends and commits; records each message's outcome in `issues`.
    async fn envoyer(&self, envois: &[Envoi], issues: &mut [Option<Issue>]) -> anyhow::Result<()> {
        if envois.is_empty() {
            return Ok(());
        }
        let mut tx = self.db.begin().await.context("transaction")?;
        let references: Vec<Uuid> = envois.iter().map(|e| e.commande.reference).collect();
        let statuts: Vec<&str> = envois.iter().map(|e| e.statut).collect();
        let ids: Vec<i64> = envois.iter().map(|e| e.commande.id_commande).collect();
        let destinataires: Vec<String> = envois.iter().map(|e| e.commande.email.clone()).collect();
        let mut reclames: HashSet<(Uuid, String)> = sqlx::query!(
            r#"INSERT INTO emails_envoyes (reference, statut, id_commande, destinataire)
               SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::text[])
               ON CONFLICT DO NOTHING
               RETURNING reference, statut"#,
            &references,
            &statuts as &[&str],
            &ids,
            &destinataires
        )
        .fetch_all(&mut *tx)
        .await
        .context("réservation des envois")?
        .into_iter()
        .map(|r| (r.reference, r.statut))
        .collect();

        let mut a_envoyer = Vec::new();
        for envoi in envois {
            // Already sent (or the same outcome twice in this batch): nothing to do.
            if reclames.remove(&(envoi.commande.reference, envoi.statut.to_owned())) {
                a_envoyer.push(envoi);
            } else {
                tracing::info!(
                    id_commande = envoi.commande.id_commande,
                    "courriel déjà envoyé pour cet événement : ignoré"
                );
                issues[envoi.rang] = Some(Issue::Traite);
            }
        }
        let resultats = futures::future::join_all(a_envoyer.iter().map(|envoi| {
            let identifiant = format!("{}.{}", envoi.commande.reference, envoi.statut);
            async move {
                self.expediteur
                    .envoyer(&envoi.destinataire, &identifiant, &envoi.courriel)
                    .await
            }
        }))
        .await;
        let mut rendus = (Vec::new(), Vec::new());
        for (envoi, resultat) in a_envoyer.iter().zip(resultats) {
            match resultat {
                Ok(()) => {
                    tracing::info!(
                        id_commande = envoi.commande.id_commande,
                        statut = envoi.statut,
                        "courriel envoyé"
                    );
                    issues[envoi.rang] = Some(Issue::Traite);
                }
                Err(e) => {
                    issues[envoi.rang] = Some(Issue::Reessayer(format!("{e:#}")));
                    rendus.0.push(envoi.commande.reference);
                    rendus.1.push(envoi.statut);
                }
            }
        }
        if !rendus.0.is_empty() {
            // Not sent: the claim goes, so that the retry can send it.
            sqlx::query!(
                r#"DELETE FROM emails_envoyes AS e
                   USING UNNEST($1::uuid[], $2::text[]) AS r(reference, statut)
                   WHERE e.reference = r.reference AND e.statut = r.statut"#,
                &rendus.0,
                &rendus.1 as &[&str]
            )
            .execute(&mut *tx)
            .await
            .context("abandon des envois manqués")?;
        }
        // From here the emails are out: a failure to commit is the duplicate window. (A row's
        // `envoye_le` is when the claim was made, a few milliseconds before SMTP accepted.)
        tx.commit().await.context("validation des envois")?;
        Ok(())
    }
}
