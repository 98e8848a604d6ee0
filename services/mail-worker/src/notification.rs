//! The `mail_notifier` consumer: one email per customer-visible step of an order, even under
//! redelivery.
//!
//! The routing key says which step (`commande.a_payer` → `a_payer`…, `Etape::depuis_cle`);
//! the payload is an `EtapeCommande` (which still reads the former `CommandeTerminee`, so
//! outcomes queued before the lifecycle are sent as they were). What makes an email unique
//! is the order's reference and the step's notification key,
//! `EtapeCommande::cle_notification`: the step's name, or `paiement_refuse:<payment id>`
//! (each declined attempt has its email). The key is stored in the `statut` column of
//! `emails_envoyes` (see `migrations/0003`).
//!
//! Messages come in batches (what the broker already delivered). For a batch, in one
//! transaction: claim each email's row in `emails_envoyes` with one INSERT (reference + key is
//! the primary key; a concurrent duplicate waits on the uncommitted row, then finds it and
//! skips), send the claimed emails concurrently, give back the claims whose send failed,
//! commit, ack. The claims are inserted sorted by (reference, key): two workers holding the
//! same events in opposite orders then take their row locks in the same order, and one waits
//! for the other instead of both waiting for each other (a deadlock).
//!
//! What becomes of a message:
//! - a routing key that is not a customer-visible step, an unreadable event, an event
//!   lacking what its step's email is about (see `gabarits`), or an address
//!   `contrats::email` refuses (the orders API refuses it too, with the same parser) →
//!   dead-letter queue at once (`Issue::Poison`);
//! - permanent SMTP refusal (a 5xx reply, e.g. 550 unknown user) → dead-letter queue at once:
//!   the same server would refuse it on every try;
//! - any other send failure (4xx reply, server unreachable, timeout) or a database failure →
//!   retried later through the delay queue, dead-lettered after `MAX_ATTEMPTS`
//!   (`Issue::Reessayer`).
//!
//! Logs and outcome reasons never carry a full address: the reasons are logged by the
//! consumer loop, so they name the order and a masked address at most.
//!
//! The comment of `migrations/0001_emails_envoyes.sql` predates the claim: it says the row is
//! written after the SMTP server accepted the message, whereas it is now claimed before the
//! send and given back if the send fails (an applied migration is never edited).

use std::collections::HashSet;

use anyhow::Context;
use contrats::email::AdresseEmail;
use contrats::evenements::EtapeCommande;
use contrats::http::Etape;
use lettre::message::Mailbox;
use lettre::Address;
use socle::amqp::{Issue, Message};
use sqlx::PgPool;
use tracing::Instrument;
use uuid::Uuid;

use crate::envoi::{Echec, Expediteur};
use crate::gabarits::{Courriel, Gabarits};

pub struct Notificateur {
    pub db: PgPool,
    pub gabarits: Gabarits,
    pub expediteur: Expediteur,
}

/// Counter of SMTP sends: label `resultat` (`envoye`; `echec`: a passing failure, tried
/// again; `refuse`: refused for good by the server).
pub const COURRIELS: &str = "courriels_total";

/// A readable event, ready to send.
struct Envoi {
    rang: usize,
    commande: EtapeCommande,
    /// `EtapeCommande::cle_notification`: with the reference, what makes the email unique.
    cle: String,
    /// Normalised by `contrats::email`: what is stored and sent.
    adresse: AdresseEmail,
    destinataire: Mailbox,
    courriel: Courriel,
    /// The message's span: the SMTP send is traced inside it, in the order's trace.
    span: tracing::Span,
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
                // Emails already out when the commit failed are the duplicate window. A
                // permanent refusal stays one: the server's answer does not depend on it.
                if !matches!(
                    issues[envoi.rang],
                    Some(Issue::Reessayer(_) | Issue::Poison(_))
                ) {
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
        let etape = Etape::depuis_cle(&message.routing_key)
            .filter(|e| *e != Etape::Recue)
            .ok_or_else(|| format!("clé de routage sans courriel : {:?}", message.routing_key))?;
        let commande: EtapeCommande = serde_json::from_slice(&message.corps)
            .map_err(|e| format!("événement illisible : {e}"))?;
        let (adresse, destinataire) = destinataire(&commande.email).map_err(|raison| {
            format!(
                "adresse de destination refusée (commande {}) : {raison}",
                commande.id_commande
            )
        })?;
        let courriel = self
            .gabarits
            .rendre(etape, &commande)
            .map_err(|e| format!("rendu impossible : {e:#}"))?;
        Ok(Envoi {
            rang,
            span: message.span.clone(),
            cle: commande.cle_notification(etape),
            commande,
            adresse,
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
        // Sorted before the INSERT: PostgreSQL takes the claims' row locks in the order of
        // the rows, so two workers holding the same duplicates in opposite orders would each
        // wait on a row the other one claimed (a deadlock). In one global order, the second
        // one only waits for the first.
        let mut tries: Vec<&Envoi> = envois.iter().collect();
        tries.sort_by(|a, b| (a.commande.reference, &a.cle).cmp(&(b.commande.reference, &b.cle)));
        let references: Vec<Uuid> = tries.iter().map(|e| e.commande.reference).collect();
        let cles: Vec<&str> = tries.iter().map(|e| e.cle.as_str()).collect();
        let ids: Vec<i64> = tries.iter().map(|e| e.commande.id_commande).collect();
        let destinataires: Vec<&str> = tries.iter().map(|e| e.adresse.as_str()).collect();
        let mut reclames: HashSet<(Uuid, String)> = sqlx::query!(
            r#"INSERT INTO emails_envoyes (reference, statut, id_commande, destinataire)
               SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::bigint[], $4::text[])
               ON CONFLICT DO NOTHING
               RETURNING reference, statut"#,
            &references,
            &cles as &[&str],
            &ids,
            &destinataires as &[&str]
        )
        .fetch_all(&mut *tx)
        .await
        .context("réservation des envois")?
        .into_iter()
        .map(|r| (r.reference, r.statut))
        .collect();

        let mut a_envoyer = Vec::new();
        for envoi in envois {
            // Already sent (or the same email twice in this batch): nothing to do.
            if reclames.remove(&(envoi.commande.reference, envoi.cle.clone())) {
                a_envoyer.push(envoi);
            } else {
                tracing::info!(
                    id_commande = envoi.commande.id_commande,
                    cle = envoi.cle,
                    "courriel déjà envoyé pour cette étape : ignoré"
                );
                issues[envoi.rang] = Some(Issue::Traite);
            }
        }
        let resultats = futures::future::join_all(a_envoyer.iter().map(|envoi| {
            // A Message-ID's left part is a dot-atom: no `:` (from `paiement_refuse:<id>`).
            let identifiant = format!(
                "{}.{}",
                envoi.commande.reference,
                envoi.cle.replace(':', ".")
            );
            let span = tracing::info_span!(
                parent: &envoi.span,
                "envoi_smtp",
                otel.name = "smtp send",
                otel.kind = "client",
                id_commande = envoi.commande.id_commande,
                cle = %envoi.cle,
                trace_id = tracing::field::Empty,
            );
            socle::telemetrie::rattacher(&span, None);
            async move {
                self.expediteur
                    .envoyer(&envoi.destinataire, &identifiant, &envoi.courriel)
                    .await
            }
            .instrument(span)
        }))
        .await;
        let mut rendus = (Vec::new(), Vec::new());
        for (envoi, resultat) in a_envoyer.iter().zip(resultats) {
            let issue = match &resultat {
                Ok(()) => "envoye",
                Err(Echec::Definitif(_)) => "refuse",
                Err(Echec::Passager(_)) => "echec",
            };
            metrics::counter!(COURRIELS, "resultat" => issue).increment(1);
            match resultat {
                Ok(()) => {
                    tracing::info!(
                        id_commande = envoi.commande.id_commande,
                        cle = envoi.cle,
                        "courriel envoyé"
                    );
                    issues[envoi.rang] = Some(Issue::Traite);
                }
                Err(echec) => {
                    issues[envoi.rang] = Some(match echec {
                        Echec::Definitif(raison) => Issue::Poison(format!(
                            "commande {} ({}) : {raison}",
                            envoi.commande.id_commande,
                            envoi.adresse.masquee()
                        )),
                        Echec::Passager(raison) => Issue::Reessayer(format!(
                            "commande {} : {raison}",
                            envoi.commande.id_commande
                        )),
                    });
                    // Given back either way: a message shovelled back from the dead-letter
                    // queue (the mailbox exists now) must be able to claim it again.
                    rendus.0.push(envoi.commande.reference);
                    rendus.1.push(envoi.cle.as_str());
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

/// The recipient of an email, read with the orders API's own parser (`contrats::email`),
/// then handed to lettre as its parts: an address the API accepted is one lettre accepts
/// (the property test below). The error never repeats the address.
fn destinataire(email: &str) -> Result<(AdresseEmail, Mailbox), String> {
    let adresse = AdresseEmail::analyser(email).map_err(|e| e.to_string())?;
    let lettre = Address::new(adresse.partie_locale(), adresse.domaine())
        .map_err(|e| format!("lettre la refuse ({}) : {e}", adresse.masquee()))?;
    Ok((adresse, Mailbox::new(None, lettre)))
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    /// Addresses of every shape the API might be sent: an ordinary one, then up to three
    /// characters that trip parsers inserted anywhere (RFC specials, quotes, brackets,
    /// spaces ASCII or not, invisible characters, dots, `@`, non-ASCII symbols), sometimes
    /// wrapped in a display name or given an IP address as domain.
    fn brute() -> impl Strategy<Value = String> {
        let piege = r#"["() <>\[\]\\,;:@.€_\u{200b}\u{a0}\u{202e}\t\r\nİ-]"#;
        let forme = prop_oneof![
            6 => Just("{}"),
            1 => Just("Jean Dupont <{}>"),
            1 => Just("<{}>"),
            1 => Just("\"Jean\" {}"),
            1 => Just("{}@[10.0.0.1]"),
            1 => Just("{}@10.0.0.1"),
            1 => Just("{}@[IPv6:2001:db8::1]"),
        ];
        (
            valide(),
            prop::collection::vec((any::<prop::sample::Index>(), piege), 0..4),
            forme,
        )
            .prop_map(|(adresse, pieges, forme)| {
                let mut chars: Vec<char> = adresse.chars().collect();
                for (ou, c) in pieges {
                    let i = ou.index(chars.len() + 1);
                    chars.splice(i..i, c.chars());
                }
                let adresse: String = chars.into_iter().collect();
                forme.replace("{}", &adresse)
            })
    }

    /// Addresses the API is meant to accept: dot-atoms at a host name, in any case.
    fn valide() -> impl Strategy<Value = String> {
        let atome = r#"[a-zA-Z0-9!#$%&'*+/=?^_`{|}~éßЖ中-]{1,12}"#;
        let etiquette = r"[a-zA-Z0-9éÜЖ中]([a-zA-Z0-9éÜЖ中-]{0,10}[a-zA-Z0-9])?";
        (
            prop::collection::vec(atome, 1..4),
            prop::collection::vec(etiquette, 1..4),
            r"[a-zA-Zé]{2,6}",
            r"[ \t]{0,2}",
        )
            .prop_map(|(atomes, etiquettes, tld, blanc)| {
                format!(
                    "{blanc}{}@{}.{tld}{blanc}",
                    atomes.join("."),
                    etiquettes.join(".")
                )
            })
    }

    /// What the worker hands lettre for `email`, checked against lettre's own parsers.
    fn lettre_accepte(email: &str) -> Result<(), TestCaseError> {
        let Ok(adresse) = AdresseEmail::analyser(email) else {
            return Ok(());
        };
        let (_, boite) =
            destinataire(email).map_err(|e| TestCaseError::fail(format!("{email:?} : {e}")))?;
        prop_assert_eq!(boite.email.to_string(), adresse.as_str());
        let lue = Address::from_str(adresse.as_str());
        prop_assert!(lue.is_ok(), "Address refuse {:?}", adresse.as_str());
        prop_assert_eq!(lue.unwrap(), boite.email.clone());
        let lue = Mailbox::from_str(adresse.as_str());
        prop_assert!(lue.is_ok(), "Mailbox refuse {:?}", adresse.as_str());
        prop_assert_eq!(lue.unwrap().email, boite.email);
        Ok(())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn toute_adresse_acceptee_par_l_api_l_est_par_lettre(email in brute()) {
            lettre_accepte(&email)?;
        }

        #[test]
        fn les_adresses_ordinaires_sont_acceptees_et_lettre_aussi(email in valide()) {
            // Otherwise the property above could hold by refusing everything.
            prop_assert!(AdresseEmail::analyser(&email).is_ok(), "refusée : {:?}", email);
            lettre_accepte(&email)?;
        }
    }

    #[test]
    fn les_adresses_que_l_api_refuse_sont_refusees_ici_aussi() {
        for email in ["N'importe <x@y.ch>", "a@[10.0.0.1]", "a@10.0.0.1", "a@b"] {
            let e = destinataire(email).unwrap_err();
            assert!(!e.contains(email), "{e}");
        }
    }
}
