//! Domain types of a payment: a card parsed once at the edge (never printable in full), the
//! Idempotency-Key, the request's fingerprint, and what an order owes.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use contrats::http::{MotifRefus, StatutPaiement};
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use socle::http::Erreurs;

/// A card number: 12 to 19 digits (the spaces a customer types are dropped), Luhn-valid.
/// Its `Debug` shows the brand and last four digits only, so that no log line can carry it.
#[derive(Clone, PartialEq, Eq)]
pub struct NumeroCarte(String);

impl TryFrom<&str> for NumeroCarte {
    type Error = String;
    fn try_from(v: &str) -> Result<Self, String> {
        // Never quote the value back: an error message may end up in a log.
        if !v.chars().all(|c| c.is_ascii_digit() || c == ' ') {
            return Err("le numéro de carte ne contient que des chiffres (et des espaces)".into());
        }
        let chiffres: String = v.chars().filter(char::is_ascii_digit).collect();
        if !(12..=19).contains(&chiffres.len()) {
            return Err(format!(
                "le numéro de carte compte de 12 à 19 chiffres (reçu {})",
                chiffres.len()
            ));
        }
        if !luhn(&chiffres) {
            return Err("le numéro de carte n'est pas valide (chiffre de contrôle)".into());
        }
        Ok(NumeroCarte(chiffres))
    }
}

/// The Luhn check digit test of card numbers (`chiffres`: ASCII digits only).
pub fn luhn(chiffres: &str) -> bool {
    let somme: u32 = chiffres
        .bytes()
        .rev()
        .enumerate()
        .map(|(rang, b)| {
            let c = u32::from(b - b'0');
            match (rang % 2, c * 2) {
                (0, _) => c,
                (_, d) if d > 9 => d - 9,
                (_, d) => d,
            }
        })
        .sum();
    somme.is_multiple_of(10)
}

impl NumeroCarte {
    /// The digits, for the provider only: never stored, never logged.
    pub fn chiffres(&self) -> &str {
        &self.0
    }

    pub fn marque(&self) -> Marque {
        Marque::de(&self.0)
    }

    /// What a receipt may show.
    pub fn quatre_derniers(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }
}

impl fmt::Debug for NumeroCarte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "NumeroCarte({} •••• {})",
            self.marque().as_str(),
            self.quatre_derniers()
        )
    }
}

/// The card's network, read from its first digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marque {
    Visa,
    Mastercard,
    Amex,
    /// Any other network.
    Carte,
}

impl Marque {
    /// Visa starts with 4; Mastercard with 51–55 or 2221–2720; American Express with 34 or 37.
    pub fn de(chiffres: &str) -> Marque {
        let prefixe = |n: usize| chiffres.get(..n).and_then(|p| p.parse::<u32>().ok());
        match (prefixe(1), prefixe(2), prefixe(4)) {
            (Some(4), _, _) => Marque::Visa,
            (_, Some(34 | 37), _) => Marque::Amex,
            (_, Some(51..=55), _) | (_, _, Some(2221..=2720)) => Marque::Mastercard,
            _ => Marque::Carte,
        }
    }

    /// The name on the wire and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Marque::Visa => "visa",
            Marque::Mastercard => "mastercard",
            Marque::Amex => "amex",
            Marque::Carte => "carte",
        }
    }
}

/// A card's expiry: valid until the end of its month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expiration {
    mois: u32,
    /// Four digits (`AA` is 20AA).
    annee: i32,
}

impl Expiration {
    /// `MM/AA`, not before the month of `aujourd_hui`.
    pub fn lire(v: &str, aujourd_hui: NaiveDate) -> Result<Self, String> {
        let format = || "la date d'expiration s'écrit MM/AA (par exemple 09/29)".to_owned();
        let (mm, aa) = v.trim().split_once('/').ok_or_else(format)?;
        let deux_chiffres = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !deux_chiffres(mm) || !deux_chiffres(aa) {
            return Err(format());
        }
        let mois: u32 = mm.parse().map_err(|_| format())?;
        if !(1..=12).contains(&mois) {
            return Err(format!("le mois d'expiration va de 01 à 12 (reçu {mm})"));
        }
        let annee = 2000 + aa.parse::<i32>().map_err(|_| format())?;
        if (annee, mois) < (aujourd_hui.year(), aujourd_hui.month()) {
            return Err("la carte est expirée".into());
        }
        Ok(Expiration { mois, annee })
    }

    /// `MM/AA`, as typed.
    pub fn texte(self) -> String {
        format!("{:02}/{:02}", self.mois, self.annee % 100)
    }
}

/// The card's security code: 3 or 4 digits. Its `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Cvc(String);

impl TryFrom<&str> for Cvc {
    type Error = String;
    fn try_from(v: &str) -> Result<Self, String> {
        let v = v.trim();
        if (3..=4).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Cvc(v.to_owned()))
        } else {
            Err("le code de sécurité compte 3 ou 4 chiffres".into())
        }
    }
}

impl fmt::Debug for Cvc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Cvc(•••)")
    }
}

/// A card as the provider needs it; only its brand and last four digits outlive the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carte {
    pub numero: NumeroCarte,
    pub expiration: Expiration,
    pub cvc: Cvc,
}

/// A valid payment request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandePaiement {
    /// The order paid for.
    pub reference: Uuid,
    pub carte: Carte,
}

impl DemandePaiement {
    /// What identifies the request under its Idempotency-Key: a SHA-256 digest (hex) of the
    /// order, the card's brand and last four digits and its expiry — never of the whole card
    /// number or the CVC: a bare digest of a card number can be reversed by trying the few
    /// numbers a known brand and last four leave. Two different cards sharing brand, last four
    /// and expiry under one key would be taken for a retry and get the first answer: harmless
    /// (nothing is charged twice) and vanishingly rare.
    pub fn empreinte(&self) -> String {
        let mut h = Sha256::new();
        for morceau in [
            self.reference.to_string().as_str(),
            self.carte.numero.marque().as_str(),
            self.carte.numero.quatre_derniers(),
            self.carte.expiration.texte().as_str(),
        ] {
            h.update(morceau.as_bytes());
            // A separator that no part contains: « 12|3 » and « 1|23 » differ.
            h.update(b"|");
        }
        h.finalize().iter().map(|o| format!("{o:02x}")).collect()
    }
}

/// An `Idempotency-Key`: 1 to 200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleIdempotence(String);

impl TryFrom<&str> for CleIdempotence {
    type Error = String;
    fn try_from(v: &str) -> Result<Self, String> {
        if v.is_empty() || v.len() > 200 || !v.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("Idempotency-Key doit faire 1 à 200 caractères ASCII visibles".into());
        }
        Ok(CleIdempotence(v.to_owned()))
    }
}

impl CleIdempotence {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What commandes said an order owes, and where it stands for paiements.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandeDue {
    pub reference: Uuid,
    pub id_commande: i64,
    pub montant: Decimal,
    pub annulee: bool,
    /// A payment was captured (and may have been refunded since).
    pub payee: bool,
}

/// Why an order cannot be paid now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Blocage {
    /// commandes has not said yet what it owes (its stock is not reserved yet, or the
    /// event is on its way): try again in a moment.
    PasOuverte,
    Annulee,
    DejaPayee,
}

impl CommandeDue {
    /// Whether `commande` (`None`: unknown here) may be paid now.
    pub fn payable(commande: Option<&CommandeDue>) -> Result<&CommandeDue, Blocage> {
        match commande {
            None => Err(Blocage::PasOuverte),
            Some(c) if c.annulee => Err(Blocage::Annulee),
            Some(c) if c.payee => Err(Blocage::DejaPayee),
            Some(c) => Ok(c),
        }
    }
}

/// A payment attempt as stored (the API shows it as `contrats::http::Paiement`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paiement {
    pub id_paiement: Uuid,
    pub id_commande: i64,
    pub reference: Uuid,
    pub statut: StatutPaiement,
    pub montant: Decimal,
    pub marque: String,
    pub quatre_derniers: String,
    pub motif_refus: Option<MotifRefus>,
    pub cree_le: DateTime<Utc>,
    pub rembourse_le: Option<DateTime<Utc>>,
}

/// The name of a payment status in the database (the wire's).
pub fn statut_texte(s: StatutPaiement) -> &'static str {
    match s {
        StatutPaiement::Accepte => "accepte",
        StatutPaiement::Refuse => "refuse",
        StatutPaiement::Rembourse => "rembourse",
    }
}

/// A stored payment status; `None` for a name the table's CHECK would not let in.
pub fn statut_depuis(s: &str) -> Option<StatutPaiement> {
    [
        StatutPaiement::Accepte,
        StatutPaiement::Refuse,
        StatutPaiement::Rembourse,
    ]
    .into_iter()
    .find(|t| statut_texte(*t) == s)
}

/// A stored reason for a declined card.
pub fn motif_depuis(s: &str) -> Option<MotifRefus> {
    [MotifRefus::CarteRefusee, MotifRefus::FondsInsuffisants]
        .into_iter()
        .find(|m| m.as_str() == s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn le(a: i32, m: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(a, m, 15).unwrap()
    }

    fn demande(numero: &str, cvc: &str) -> DemandePaiement {
        DemandePaiement {
            reference: Uuid::nil(),
            carte: Carte {
                numero: NumeroCarte::try_from(numero).unwrap(),
                expiration: Expiration::lire("12/30", le(2026, 1)).unwrap(),
                cvc: Cvc::try_from(cvc).unwrap(),
            },
        }
    }

    #[test]
    fn le_controle_de_luhn_reconnait_les_numeros_valides() {
        for bon in ["4242424242424242", "5555555555554444", "378282246310005"] {
            assert!(luhn(bon), "{bon}");
        }
        for mauvais in ["4242424242424241", "1234567812345678"] {
            assert!(!luhn(mauvais), "{mauvais}");
        }
    }

    #[test]
    fn un_numero_avec_espaces_est_lu_sans_ses_espaces() {
        let n = NumeroCarte::try_from("4242 4242 4242 4242").unwrap();
        assert_eq!(n.chiffres(), "4242424242424242");
        assert_eq!(n.quatre_derniers(), "4242");
    }

    #[test]
    fn un_numero_trop_court_trop_long_ou_non_numerique_est_refuse_sans_etre_cite() {
        for (mauvais, mot) in [
            ("42424242424", "12 à 19"),
            ("42424242424242424242", "12 à 19"),
            ("4242-4242-4242-4242", "chiffres"),
            ("4242 4242 4242 4241", "contrôle"),
        ] {
            let e = NumeroCarte::try_from(mauvais).unwrap_err();
            assert!(e.contains(mot), "{mauvais} : {e}");
            assert!(!e.contains("4242"), "le numéro n'est jamais cité : {e}");
        }
    }

    #[test]
    fn la_marque_vient_des_premiers_chiffres() {
        for (numero, marque) in [
            ("4242424242424242", Marque::Visa),
            ("5555555555554444", Marque::Mastercard),
            ("2223003122003222", Marque::Mastercard),
            ("378282246310005", Marque::Amex),
            ("6011111111111117", Marque::Carte),
        ] {
            assert_eq!(NumeroCarte::try_from(numero).unwrap().marque(), marque);
        }
    }

    #[test]
    fn la_carte_est_valable_jusqu_a_la_fin_de_son_mois() {
        assert!(Expiration::lire("11/26", le(2026, 11)).is_ok());
        assert_eq!(
            Expiration::lire("10/26", le(2026, 11)).unwrap_err(),
            "la carte est expirée"
        );
        assert!(Expiration::lire("01/27", le(2026, 11)).is_ok());
        for mauvaise in ["13/30", "00/30", "1/30", "12-30", "12/2030", "ab/cd", ""] {
            assert!(
                Expiration::lire(mauvaise, le(2026, 11)).is_err(),
                "{mauvaise}"
            );
        }
        assert_eq!(
            Expiration::lire("09/29", le(2026, 1)).unwrap().texte(),
            "09/29"
        );
    }

    #[test]
    fn le_code_de_securite_a_trois_ou_quatre_chiffres() {
        assert!(Cvc::try_from("123").is_ok());
        assert!(Cvc::try_from("1234").is_ok());
        for mauvais in ["12", "12345", "12a", ""] {
            assert!(Cvc::try_from(mauvais).is_err(), "{mauvais}");
        }
    }

    #[test]
    fn rien_de_la_carte_ne_s_affiche_en_debug() {
        let d = demande("4242 4242 4242 4242", "7391");
        let texte = format!("{d:?}");
        assert!(!texte.contains("4242424242424242"), "{texte}");
        assert!(!texte.contains("7391"), "{texte}");
        assert!(texte.contains("visa •••• 4242"), "{texte}");
    }

    #[test]
    fn l_empreinte_distingue_les_demandes_sans_contenir_la_carte() {
        let a = demande("4242424242424242", "7391");
        assert_eq!(
            a.empreinte(),
            demande("4242 4242 4242 4242", "7391").empreinte()
        );
        // The CVC is not in it (a retry that mistypes it is still the same request).
        assert_eq!(
            a.empreinte(),
            demande("4242424242424242", "7392").empreinte()
        );
        assert_ne!(
            a.empreinte(),
            demande("5555555555554444", "7391").empreinte()
        );
        let e = a.empreinte();
        assert_eq!(e.len(), 64);
        assert!(!e.contains("4242424242424242") && !e.contains("7391"));
    }

    #[test]
    fn une_commande_se_paie_une_fois_tant_qu_elle_n_est_pas_annulee() {
        let c = CommandeDue {
            reference: Uuid::nil(),
            id_commande: 1,
            montant: Decimal::ONE,
            annulee: false,
            payee: false,
        };
        assert!(CommandeDue::payable(Some(&c)).is_ok());
        assert_eq!(CommandeDue::payable(None), Err(Blocage::PasOuverte));
        let payee = CommandeDue {
            payee: true,
            ..c.clone()
        };
        assert_eq!(CommandeDue::payable(Some(&payee)), Err(Blocage::DejaPayee));
        // Cancelled wins: a refunded order is both.
        let annulee = CommandeDue {
            annulee: true,
            ..payee
        };
        assert_eq!(CommandeDue::payable(Some(&annulee)), Err(Blocage::Annulee));
    }

    #[test]
    fn chaque_statut_et_chaque_motif_se_relisent() {
        for s in [
            StatutPaiement::Accepte,
            StatutPaiement::Refuse,
            StatutPaiement::Rembourse,
        ] {
            assert_eq!(statut_depuis(statut_texte(s)), Some(s));
            assert_eq!(serde_json::to_value(s).unwrap(), statut_texte(s));
        }
        for m in [MotifRefus::CarteRefusee, MotifRefus::FondsInsuffisants] {
            assert_eq!(motif_depuis(m.as_str()), Some(m));
        }
        assert_eq!(statut_depuis("inconnu"), None);
    }
}
