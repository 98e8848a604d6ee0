//! The card provider, simulated in-process: test card numbers decide the answer, as a real
//! provider's sandbox does, and one of them answers too late.
//!
//! | card | answer |
//! |---|---|
//! | `4242 4242 4242 4242` | accepted |
//! | `4000 0000 0000 0002` | declined: `carte_refusee` |
//! | `4000 0000 0000 9995` | declined: `fonds_insuffisants` |
//! | `4000 0000 0000 0119` | accepted after `DELAI_CARTE_LENTE_MS` (30 s): past paiements' wait (`DELAI_FOURNISSEUR_MS`, 3 s) |
//! | any other Luhn-valid number | accepted |
//!
//! paiements never waits longer than its `delai_max` for an answer: past it the call is
//! dropped and nothing is captured (a real provider would be asked to void it, keyed by the
//! payment id). Refunds are instantaneous and idempotent by payment id.

use std::time::Duration;

use contrats::http::MotifRefus;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::domaine::Carte;

/// Always accepted.
pub const CARTE_ACCEPTEE: &str = "4242424242424242";
/// Declined by its issuer.
pub const CARTE_REFUSEE: &str = "4000000000000002";
/// Declined for lack of funds.
pub const CARTE_SANS_FONDS: &str = "4000000000009995";
/// Answers after [`Fournisseur::delai_carte_lente`] (then accepts).
pub const CARTE_LENTE: &str = "4000000000000119";

/// Defaults of `DELAI_FOURNISSEUR_MS` and `DELAI_CARTE_LENTE_MS`.
pub const DELAI_FOURNISSEUR_DEFAUT_MS: u64 = 3_000;
pub const DELAI_CARTE_LENTE_DEFAUT_MS: u64 = 30_000;

/// The provider's answer to a capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reponse {
    Acceptee,
    Refusee(MotifRefus),
}

/// No answer within the wait paiements allows: nothing was captured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("le fournisseur de paiement n'a pas répondu à temps")]
pub struct Indisponible;

#[derive(Debug, Clone)]
pub struct Fournisseur {
    /// Longest paiements waits for an answer.
    pub delai_max: Duration,
    /// How long the slow test card takes to answer.
    pub delai_carte_lente: Duration,
}

impl Fournisseur {
    /// Asks the provider to capture `montant` on `carte` for the order `reference`; gives up
    /// after `delai_max`. Each call is logged (brand and last four digits only): the provider
    /// may be asked at most once per order at a time, which tests check.
    pub async fn capturer(
        &self,
        carte: &Carte,
        montant: Decimal,
        reference: Uuid,
    ) -> Result<Reponse, Indisponible> {
        tracing::info!(
            %reference,
            %montant,
            marque = carte.numero.marque().as_str(),
            quatre_derniers = carte.numero.quatre_derniers(),
            "capture demandée au fournisseur"
        );
        tokio::time::timeout(self.delai_max, self.repondre(carte, montant))
            .await
            .map_err(|_| Indisponible)
    }

    /// What the simulated provider answers, and when.
    async fn repondre(&self, carte: &Carte, _montant: Decimal) -> Reponse {
        match carte.numero.chiffres() {
            CARTE_REFUSEE => Reponse::Refusee(MotifRefus::CarteRefusee),
            CARTE_SANS_FONDS => Reponse::Refusee(MotifRefus::FondsInsuffisants),
            CARTE_LENTE => {
                tokio::time::sleep(self.delai_carte_lente).await;
                Reponse::Acceptee
            }
            _ => Reponse::Acceptee,
        }
    }

    /// Gives back a captured payment. The simulated provider always agrees at once; a real
    /// one would be called with `id_paiement` as its idempotency key, so that a refund
    /// retried after a failed commit is not paid twice.
    pub fn rembourser(&self, id_paiement: Uuid) {
        tracing::info!(%id_paiement, "remboursement accordé par le fournisseur");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domaine::{luhn, Cvc, Expiration, NumeroCarte};

    fn carte(numero: &str) -> Carte {
        Carte {
            numero: NumeroCarte::try_from(numero).unwrap(),
            expiration: Expiration::lire("12/30", chrono::NaiveDate::MIN).unwrap(),
            cvc: Cvc::try_from("123").unwrap(),
        }
    }

    fn fournisseur(delai_max: u64, carte_lente: u64) -> Fournisseur {
        Fournisseur {
            delai_max: Duration::from_millis(delai_max),
            delai_carte_lente: Duration::from_millis(carte_lente),
        }
    }

    #[test]
    fn chaque_carte_de_test_passe_le_controle_de_luhn() {
        for numero in [CARTE_ACCEPTEE, CARTE_REFUSEE, CARTE_SANS_FONDS, CARTE_LENTE] {
            assert!(luhn(numero), "{numero}");
            assert!(NumeroCarte::try_from(numero).is_ok(), "{numero}");
        }
    }

    #[tokio::test]
    async fn les_cartes_de_test_donnent_leur_reponse() {
        let f = fournisseur(1_000, 30_000);
        for (numero, attendue) in [
            (CARTE_ACCEPTEE, Reponse::Acceptee),
            (CARTE_REFUSEE, Reponse::Refusee(MotifRefus::CarteRefusee)),
            (
                CARTE_SANS_FONDS,
                Reponse::Refusee(MotifRefus::FondsInsuffisants),
            ),
            ("5555 5555 5555 4444", Reponse::Acceptee),
        ] {
            assert_eq!(
                f.capturer(&carte(numero), Decimal::ONE, Uuid::nil()).await,
                Ok(attendue),
                "{numero}"
            );
        }
    }

    #[tokio::test]
    async fn la_carte_lente_depasse_l_attente_permise() {
        let debut = std::time::Instant::now();
        let r = fournisseur(50, 30_000)
            .capturer(&carte(CARTE_LENTE), Decimal::ONE, Uuid::nil())
            .await;
        assert_eq!(r, Err(Indisponible));
        assert!(debut.elapsed() < Duration::from_secs(5));
        // Within the wait, it answers.
        let r = fournisseur(1_000, 10)
            .capturer(&carte(CARTE_LENTE), Decimal::ONE, Uuid::nil())
            .await;
        assert_eq!(r, Ok(Reponse::Acceptee));
    }
}
