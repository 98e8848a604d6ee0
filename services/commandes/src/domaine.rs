//! Domain types of an order: parsed once at the edge, trusted inward.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use contrats::email::{AdresseEmail, ErreurEmail};
use contrats::http::StatutCommande;
use rust_decimal::Decimal;
use uuid::Uuid;

/// Each bad field and what is wrong with it, for a 422.
pub type Erreurs = BTreeMap<String, String>;

pub const LIGNES_MAX: usize = 50;
pub const QUANTITE_MAX: i64 = 1000;

/// A customer's address, as `contrats::email` accepts it (the mail worker reads it with the
/// same parser): a plain `local@domain.tld`, trimmed, its domain lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(AdresseEmail);

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        AdresseEmail::analyser(&v).map(Email).map_err(|e| match e {
            // Too long to be worth quoting back.
            ErreurEmail::TropLongue => e.to_string(),
            _ => format!("« {} » n'est pas une adresse e-mail valide : {e}", v.trim()),
        })
    }
}

impl Email {
    /// The normalised address, as stored.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A quantity of one product in an order: 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantite(i32);

impl TryFrom<i64> for Quantite {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if (1..=QUANTITE_MAX).contains(&v) {
            Ok(Quantite(v as i32))
        } else {
            Err(format!(
                "la quantité doit être entre 1 et {QUANTITE_MAX} (reçu {v})"
            ))
        }
    }
}

impl Quantite {
    pub fn valeur(self) -> i32 {
        self.0
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

/// A valid order request: repeated product ids are merged, lines sorted by product id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandeCommande {
    pub email: Email,
    pub lignes: Vec<(i64, Quantite)>,
}

impl DemandeCommande {
    /// Merges lines with the same product (the merged quantity must stay within bounds).
    pub fn new(email: Email, lignes: Vec<(i64, i64)>) -> Result<Self, Erreurs> {
        let mut fusion: BTreeMap<i64, i64> = BTreeMap::new();
        for (id, q) in lignes {
            *fusion.entry(id).or_default() += q;
        }
        let mut erreurs = Erreurs::new();
        let mut resultat = Vec::with_capacity(fusion.len());
        for (id, q) in fusion {
            match Quantite::try_from(q) {
                Ok(q) => resultat.push((id, q)),
                Err(e) => {
                    erreurs.insert(
                        format!("produits.{id}.quantite"),
                        format!("produit {id} : {e}"),
                    );
                }
            }
        }
        if erreurs.is_empty() {
            Ok(DemandeCommande {
                email,
                lignes: resultat,
            })
        } else {
            Err(erreurs)
        }
    }

    pub fn ids(&self) -> Vec<i64> {
        self.lignes.iter().map(|(id, _)| *id).collect()
    }

    /// A fingerprint of what was asked, to tell a retry from a different order under the
    /// same Idempotency-Key.
    pub fn empreinte(&self) -> String {
        let lignes: Vec<String> = self
            .lignes
            .iter()
            .map(|(id, q)| format!("{id}x{}", q.valeur()))
            .collect();
        format!(
            "{}|{}",
            self.email.as_str().to_lowercase(),
            lignes.join(",")
        )
    }
}

/// A product as produits prices it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduitCatalogue {
    pub id: i64,
    pub nom: String,
    pub prix: Decimal,
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LigneChiffree {
    pub produit_id: i64,
    pub nom: String,
    pub prix_unitaire: Decimal,
    pub quantite: Quantite,
    pub sous_total: Decimal,
}

/// Prices every line from the catalogue; the error lists the unknown product ids.
pub fn chiffrer(
    demande: &DemandeCommande,
    catalogue: &HashMap<i64, ProduitCatalogue>,
) -> Result<Vec<LigneChiffree>, Vec<i64>> {
    let inconnus: Vec<i64> = demande
        .lignes
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !catalogue.contains_key(id))
        .collect();
    if !inconnus.is_empty() {
        return Err(inconnus);
    }
    Ok(demande
        .lignes
        .iter()
        .map(|(id, q)| {
            let p = &catalogue[id];
            LigneChiffree {
                produit_id: *id,
                nom: p.nom.clone(),
                prix_unitaire: p.prix,
                quantite: *q,
                sous_total: p.prix * Decimal::from(q.valeur()),
            }
        })
        .collect())
}

/// An order as stored (the API shows it as `contrats::http::Commande`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commande {
    pub id_commande: i64,
    pub reference: Uuid,
    pub email: String,
    pub statut: StatutCommande,
    pub total: Decimal,
    pub lignes: Vec<Ligne>,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
}

/// One stored line of an order: name and price as they were when it was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ligne {
    pub produit_id: i64,
    pub nom: String,
    pub prix_unitaire: Decimal,
    pub quantite: i32,
    pub sous_total: Decimal,
}

impl From<&LigneChiffree> for Ligne {
    fn from(l: &LigneChiffree) -> Self {
        Ligne {
            produit_id: l.produit_id,
            nom: l.nom.clone(),
            prix_unitaire: l.prix_unitaire,
            quantite: l.quantite.valeur(),
            sous_total: l.sous_total,
        }
    }
}

/// The order total in CHF: the exact sum, rounded once to the centime (half away from zero).
pub fn total(lignes: &[LigneChiffree]) -> Decimal {
    let somme: Decimal = lignes.iter().map(|l| l.sous_total).sum();
    somme.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn email() -> Email {
        Email::try_from("client@example.com".to_owned()).unwrap()
    }

    fn catalogue() -> HashMap<i64, ProduitCatalogue> {
        [
            (1, "Lampe", dec!(0.10)),
            (2, "Tasse", dec!(0.20)),
            (3, "Sac", dec!(129.95)),
        ]
        .into_iter()
        .map(|(id, nom, prix)| {
            (
                id,
                ProduitCatalogue {
                    id,
                    nom: nom.into(),
                    prix,
                },
            )
        })
        .collect()
    }

    #[test]
    fn le_total_est_exact_la_ou_un_flottant_se_tromperait() {
        // 0.1 + 0.2 is 0.30000000000000004 in f64.
        let d = DemandeCommande::new(email(), vec![(1, 1), (2, 1)]).unwrap();
        let lignes = chiffrer(&d, &catalogue()).unwrap();
        assert_eq!(total(&lignes).to_string(), "0.30");
    }

    #[test]
    fn le_sous_total_multiplie_le_prix_par_la_quantite() {
        let d = DemandeCommande::new(email(), vec![(3, 3)]).unwrap();
        let lignes = chiffrer(&d, &catalogue()).unwrap();
        assert_eq!(lignes[0].sous_total, dec!(389.85));
        assert_eq!(total(&lignes), dec!(389.85));
    }

    #[test]
    fn les_produits_repetes_sont_fusionnes() {
        let d = DemandeCommande::new(email(), vec![(2, 1), (1, 2), (2, 3)]).unwrap();
        assert_eq!(
            d.lignes,
            vec![(1, Quantite(2)), (2, Quantite(4))],
            "fusionnées et triées par identifiant"
        );
    }

    #[test]
    fn une_fusion_qui_depasse_la_quantite_maximale_est_refusee() {
        let e = DemandeCommande::new(email(), vec![(1, 600), (1, 600)]).unwrap_err();
        assert!(e.contains_key("produits.1.quantite"));
    }

    #[test]
    fn un_produit_inconnu_est_nomme() {
        let d = DemandeCommande::new(email(), vec![(1, 1), (42, 1), (43, 1)]).unwrap();
        assert_eq!(chiffrer(&d, &catalogue()).unwrap_err(), vec![42, 43]);
    }

    #[test]
    fn une_adresse_e_mail_doit_etre_complete() {
        assert!(Email::try_from(" client@example.com ".to_owned()).is_ok());
        for mauvaise in [
            "",
            "client",
            "client@",
            "@example.com",
            "client@example",
            "a b@c.ch",
        ] {
            assert!(Email::try_from(mauvaise.to_owned()).is_err(), "{mauvaise}");
        }
    }

    #[test]
    fn une_adresse_e_mail_est_normalisee() {
        let e = Email::try_from("  Jean.Dupont@Exemple.CH ".to_owned()).unwrap();
        assert_eq!(e.as_str(), "Jean.Dupont@exemple.ch");
    }

    #[test]
    fn un_nom_affiche_ou_un_domaine_litteral_sont_refuses_en_le_disant() {
        let e = Email::try_from("N'importe <x@y.ch>".to_owned()).unwrap_err();
        assert!(
            e.contains("« N'importe <x@y.ch> »") && e.contains("sans nom"),
            "{e}"
        );
        let e = Email::try_from("a@[10.0.0.1]".to_owned()).unwrap_err();
        assert!(e.contains("crochets"), "{e}");
        let e = Email::try_from(format!("{}@b.ch", "a".repeat(300))).unwrap_err();
        assert_eq!(e, "l'adresse e-mail dépasse 254 caractères");
    }

    #[test]
    fn une_quantite_est_entre_1_et_1000() {
        assert!(Quantite::try_from(0).is_err());
        assert!(Quantite::try_from(1).is_ok());
        assert!(Quantite::try_from(1000).is_ok());
        assert!(Quantite::try_from(1001).is_err());
    }

    #[test]
    fn la_meme_demande_a_la_meme_empreinte() {
        let a = DemandeCommande::new(email(), vec![(2, 1), (1, 1)]).unwrap();
        let b = DemandeCommande::new(email(), vec![(1, 1), (2, 1)]).unwrap();
        let c = DemandeCommande::new(email(), vec![(1, 2), (2, 1)]).unwrap();
        assert_eq!(a.empreinte(), b.empreinte());
        assert_ne!(a.empreinte(), c.empreinte());
    }
}
