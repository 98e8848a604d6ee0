//! A customer's email address: the one parser the orders API, the mail worker and the
//! storefront share, so that an address the shop accepts is one it can send to.
//!
//! Accepted: a plain `local@domain`, nothing around it. The local part is a dot-atom
//! (RFC 5322 `atext` characters separated by single dots; non-ASCII letters allowed as in
//! RFC 6531); the domain is a host name of at least two labels (letters, digits, inner
//! hyphens), whose last label is not a number. Refused: a display name (`Nom <a@b.ch>`),
//! comments, quoted local parts, domain literals (`a@[10.0.0.1]`), a bare IP address, a
//! domain without a dot, whitespace or control characters anywhere.
//!
//! Normalised on the way in: trimmed, the domain lower-cased (domains are case-insensitive,
//! local parts are not: RFC 5321 §2.4), the local part kept as typed.
//!
//! Everything accepted here also passes `email_address`'s own parser (the one lettre uses to
//! check an `Address`), with display text and domain literals turned off: this module only
//! narrows it, and the mail worker's property test checks that lettre agrees.
//!
//! No server dependency: it compiles to WASM with the rest of `contrats`.

use std::fmt;
use std::str::FromStr;

/// Longest address, in bytes, once trimmed (RFC 5321's path limit less its angle brackets).
pub const LONGUEUR_MAX: usize = 254;
/// Longest local part, in bytes (RFC 5321 §4.5.3.1.1).
pub const PARTIE_LOCALE_MAX: usize = 64;
/// Longest domain label, in bytes (RFC 1035).
pub const ETIQUETTE_MAX: usize = 63;

/// A valid, normalised email address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AdresseEmail {
    texte: String,
    /// Byte index of the `@` that separates the local part from the domain.
    arobase: usize,
}

/// Why an address is refused. The messages are French and never repeat the address, so that
/// they may be logged as they are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErreurEmail {
    Vide,
    TropLongue,
    /// `Nom <a@b.ch>` or `<a@b.ch>`: only the address itself is expected.
    NomAffiche,
    /// `a(commentaire)@b.ch`.
    Commentaire,
    /// A space, tab, line break or other control character inside.
    Espace,
    SansArobase,
    /// Empty, quoted, or with a character or a dot where none may be.
    PartieLocale,
    PartieLocaleTropLongue,
    /// `a@[10.0.0.1]`: the shop sends to host names only.
    DomaineLitteral,
    /// `a@localhost`.
    DomaineSansPoint,
    /// A label empty, too long, or with a character other than letters, digits and inner
    /// hyphens.
    Domaine,
    /// `a@10.0.0.1`: an IP address written as a domain.
    DomaineNumerique,
}

impl fmt::Display for ErreurEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ErreurEmail::Vide => "l'adresse e-mail est vide",
            ErreurEmail::TropLongue => "l'adresse e-mail dépasse 254 caractères",
            ErreurEmail::NomAffiche => {
                "seule l'adresse est attendue, sans nom ni chevrons (par exemple nom@exemple.ch)"
            }
            ErreurEmail::Commentaire => "les commentaires entre parenthèses ne sont pas acceptés",
            ErreurEmail::Espace => {
                "l'adresse ne peut pas contenir d'espace ni de caractère invisible"
            }
            ErreurEmail::SansArobase => "il manque le @",
            ErreurEmail::PartieLocale => "la partie avant le @ n'est pas valide",
            ErreurEmail::PartieLocaleTropLongue => "la partie avant le @ dépasse 64 caractères",
            ErreurEmail::DomaineLitteral => {
                "une adresse IP entre crochets n'est pas acceptée : il faut un nom de domaine"
            }
            ErreurEmail::DomaineSansPoint => "le domaine doit contenir un point (exemple.ch)",
            ErreurEmail::Domaine => "le domaine n'est pas un nom de domaine valide",
            ErreurEmail::DomaineNumerique => {
                "le domaine ne peut pas être une adresse IP : il faut un nom de domaine"
            }
        })
    }
}

impl std::error::Error for ErreurEmail {}

impl AdresseEmail {
    /// Parses and normalises `brut` (see the module's documentation for what is accepted).
    pub fn analyser(brut: &str) -> Result<Self, ErreurEmail> {
        let v = brut.trim();
        if v.is_empty() {
            return Err(ErreurEmail::Vide);
        }
        if v.len() > LONGUEUR_MAX {
            return Err(ErreurEmail::TropLongue);
        }
        // Checked before splitting, so that `Nom <a@b.ch>` is named for what it is rather
        // than as a bad local part.
        if v.contains(['<', '>']) {
            return Err(ErreurEmail::NomAffiche);
        }
        if v.contains(['(', ')']) {
            return Err(ErreurEmail::Commentaire);
        }
        if v.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(ErreurEmail::Espace);
        }
        let (locale, domaine) = v.rsplit_once('@').ok_or(ErreurEmail::SansArobase)?;
        verifier_partie_locale(locale)?;
        let domaine = domaine.to_lowercase();
        verifier_domaine(&domaine)?;
        let texte = format!("{locale}@{domaine}");
        if texte.len() > LONGUEUR_MAX {
            // Lower-casing may lengthen a non-ASCII domain.
            return Err(ErreurEmail::TropLongue);
        }
        // Our rules are meant to be a subset of the RFC's as `email_address` reads them
        // (lettre checks addresses with it): should they ever drift apart, refuse rather
        // than accept an address the mail worker could not send to.
        let options = email_address::Options::default()
            .without_display_text()
            .without_domain_literal()
            .with_required_tld();
        if email_address::EmailAddress::parse_with_options(&texte, options).is_err() {
            return Err(ErreurEmail::Domaine);
        }
        Ok(AdresseEmail {
            arobase: locale.len(),
            texte,
        })
    }

    /// The normalised address, as stored and sent.
    pub fn as_str(&self) -> &str {
        &self.texte
    }

    /// What is before the `@`, as typed.
    pub fn partie_locale(&self) -> &str {
        &self.texte[..self.arobase]
    }

    /// What is after the `@`, lower-cased.
    pub fn domaine(&self) -> &str {
        &self.texte[self.arobase + 1..]
    }

    /// For logs: the first character of the local part, then `***@` and the domain, so an
    /// operator can tell which provider refused without the log naming the customer.
    pub fn masquee(&self) -> String {
        let initiale = self.partie_locale().chars().next().unwrap_or('?');
        format!("{initiale}***@{}", self.domaine())
    }

    pub fn into_string(self) -> String {
        self.texte
    }
}

/// A dot-atom: `atext` runs separated by single dots, at most 64 bytes.
fn verifier_partie_locale(locale: &str) -> Result<(), ErreurEmail> {
    if locale.len() > PARTIE_LOCALE_MAX {
        return Err(ErreurEmail::PartieLocaleTropLongue);
    }
    let atome_valide = |atome: &str| !atome.is_empty() && atome.chars().all(est_atext);
    if locale.split('.').all(atome_valide) {
        Ok(())
    } else {
        Err(ErreurEmail::PartieLocale)
    }
}

/// RFC 5322 `atext`, and any non-ASCII letter or digit (RFC 6531). Non-ASCII symbols are
/// left out: none belongs in an address typed at a checkout, and some (invisible or
/// direction-changing ones) would hide what the address really is.
fn est_atext(c: char) -> bool {
    c.is_ascii_alphanumeric()
        || "!#$%&'*+-/=?^_`{|}~".contains(c)
        || (!c.is_ascii() && c.is_alphanumeric())
}

/// At least two labels of letters, digits and inner hyphens, the last one not a number.
fn verifier_domaine(domaine: &str) -> Result<(), ErreurEmail> {
    if domaine.starts_with('[') {
        return Err(ErreurEmail::DomaineLitteral);
    }
    let etiquettes: Vec<&str> = domaine.split('.').collect();
    if etiquettes.len() < 2 {
        return Err(ErreurEmail::DomaineSansPoint);
    }
    for e in &etiquettes {
        let valide = !e.is_empty()
            && e.len() <= ETIQUETTE_MAX
            && !e.starts_with('-')
            && !e.ends_with('-')
            && e.chars().all(|c| c.is_alphanumeric() || c == '-');
        if !valide {
            return Err(ErreurEmail::Domaine);
        }
    }
    // A top-level domain is never all digits (RFC 3696 §2): `a@10.0.0.1` is an IP address.
    if etiquettes
        .last()
        .is_some_and(|tld| tld.chars().all(char::is_numeric))
    {
        return Err(ErreurEmail::DomaineNumerique);
    }
    Ok(())
}

impl FromStr for AdresseEmail {
    type Err = ErreurEmail;
    fn from_str(s: &str) -> Result<Self, ErreurEmail> {
        AdresseEmail::analyser(s)
    }
}

impl fmt::Display for AdresseEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.texte)
    }
}

impl AsRef<str> for AdresseEmail {
    fn as_ref(&self) -> &str {
        &self.texte
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn refus(v: &str) -> ErreurEmail {
        AdresseEmail::analyser(v).expect_err(v)
    }

    #[test]
    fn une_adresse_simple_est_acceptee_et_normalisee() {
        let a = AdresseEmail::analyser("  Jean.Dupont+boutique@Exemple.CH \n").unwrap();
        assert_eq!(a.as_str(), "Jean.Dupont+boutique@exemple.ch");
        assert_eq!(
            a.partie_locale(),
            "Jean.Dupont+boutique",
            "gardée telle quelle"
        );
        assert_eq!(a.domaine(), "exemple.ch");
        assert_eq!(a.masquee(), "J***@exemple.ch");
    }

    #[test]
    fn les_adresses_internationales_sont_acceptees() {
        let a = AdresseEmail::analyser("zoë@Müller.CH").unwrap();
        assert_eq!(a.as_str(), "zoë@müller.ch");
        assert!(AdresseEmail::analyser("o'brien@sous-domaine.exemple.co.uk").is_ok());
    }

    #[test]
    fn un_nom_affiche_est_refuse() {
        assert_eq!(refus("N'importe <x@y.ch>"), ErreurEmail::NomAffiche);
        assert_eq!(refus("<x@y.ch>"), ErreurEmail::NomAffiche);
        assert_eq!(refus("\"Jean\" <x@y.ch>"), ErreurEmail::NomAffiche);
    }

    #[test]
    fn un_domaine_litteral_ou_une_adresse_ip_sont_refuses() {
        assert_eq!(refus("a@[10.0.0.1]"), ErreurEmail::DomaineLitteral);
        assert_eq!(refus("a@[IPv6:::1]"), ErreurEmail::DomaineLitteral);
        assert_eq!(refus("a@10.0.0.1"), ErreurEmail::DomaineNumerique);
    }

    #[test]
    fn les_commentaires_guillemets_et_espaces_sont_refuses() {
        assert_eq!(refus("a(commentaire)@b.ch"), ErreurEmail::Commentaire);
        assert_eq!(refus("a@b.ch(commentaire)"), ErreurEmail::Commentaire);
        assert_eq!(refus("\"a b\"@b.ch"), ErreurEmail::Espace);
        assert_eq!(refus("\"ab\"@b.ch"), ErreurEmail::PartieLocale);
        assert_eq!(refus("a b@c.ch"), ErreurEmail::Espace);
        assert_eq!(refus("a\u{0}b@c.ch"), ErreurEmail::Espace);
    }

    #[test]
    fn une_adresse_incomplete_est_refusee() {
        assert_eq!(refus(""), ErreurEmail::Vide);
        assert_eq!(refus("   "), ErreurEmail::Vide);
        assert_eq!(refus("client"), ErreurEmail::SansArobase);
        assert_eq!(refus("client@"), ErreurEmail::DomaineSansPoint);
        assert_eq!(refus("@exemple.ch"), ErreurEmail::PartieLocale);
        assert_eq!(refus("client@exemple"), ErreurEmail::DomaineSansPoint);
        assert_eq!(refus("a@b@c.ch"), ErreurEmail::PartieLocale);
        assert_eq!(refus("a..b@c.ch"), ErreurEmail::PartieLocale);
        assert_eq!(refus(".a@c.ch"), ErreurEmail::PartieLocale);
        assert_eq!(refus("a@c..ch"), ErreurEmail::Domaine);
        assert_eq!(refus("a@-c.ch"), ErreurEmail::Domaine);
        assert_eq!(refus("a@c_d.ch"), ErreurEmail::Domaine);
        assert_eq!(refus("a@c.ch."), ErreurEmail::Domaine);
    }

    #[test]
    fn les_longueurs_sont_bornees() {
        let locale = "a".repeat(PARTIE_LOCALE_MAX);
        assert!(AdresseEmail::analyser(&format!("{locale}@b.ch")).is_ok());
        assert_eq!(
            refus(&format!("{locale}a@b.ch")),
            ErreurEmail::PartieLocaleTropLongue
        );
        let etiquette = "b".repeat(ETIQUETTE_MAX);
        assert!(AdresseEmail::analyser(&format!("a@{etiquette}.ch")).is_ok());
        assert_eq!(refus(&format!("a@{etiquette}b.ch")), ErreurEmail::Domaine);
        // 4 + 4 × 62 + 2 = 254 bytes: the longest accepted; one more byte is too long.
        let domaine = format!("{0}.{0}.{0}.{0}.ch", "c".repeat(61));
        let juste = format!("abc@{domaine}");
        assert_eq!(juste.len(), LONGUEUR_MAX);
        assert!(AdresseEmail::analyser(&juste).is_ok());
        assert_eq!(refus(&format!("abcd@{domaine}")), ErreurEmail::TropLongue);
    }

    #[test]
    fn les_messages_ne_repetent_pas_l_adresse() {
        for v in ["N'importe <secret@y.ch>", "secret@[10.0.0.1]", "secret@y"] {
            assert!(!refus(v).to_string().contains("secret"), "{v}");
        }
    }

    proptest! {
        /// The normal form is a fixed point: the mail worker, parsing what the API stored,
        /// finds the same address.
        #[test]
        fn la_forme_normale_se_relit_a_l_identique(brut in "[ ]{0,2}[a-zA-Z0-9.+_'éß-]{1,20}@[a-zA-Z0-9.éÜ-]{1,30}[ ]{0,2}") {
            if let Ok(a) = AdresseEmail::analyser(&brut) {
                let relue = AdresseEmail::analyser(a.as_str()).unwrap();
                prop_assert_eq!(&relue, &a);
                prop_assert_eq!(a.as_str().len(), a.partie_locale().len() + 1 + a.domaine().len());
            }
        }
    }
}
