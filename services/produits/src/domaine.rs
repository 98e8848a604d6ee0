//! Domain types of the catalogue: a value that exists here has passed every rule.
//!
//! Request DTOs become these through `TryFrom` at the HTTP edge (parse, don't validate);
//! nothing inward ever sees a raw string or an unchecked number.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use socle::pagination::Pagination;

/// Each bad field and what is wrong with it, for a 422.
pub type Erreurs = BTreeMap<String, String>;

/// A product name: trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nom(String);

impl TryFrom<String> for Nom {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        let v = v.trim();
        match v.chars().count() {
            0 => Err("le nom ne peut pas être vide".into()),
            n if n > 200 => Err(format!("le nom dépasse 200 caractères ({n})")),
            _ => Ok(Nom(v.to_owned())),
        }
    }
}

impl Nom {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A description: may be empty (a real value), at most 5000 characters.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Description(String);

impl TryFrom<String> for Description {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        let n = v.chars().count();
        if n > 5000 {
            return Err(format!("la description dépasse 5000 caractères ({n})"));
        }
        Ok(Description(v))
    }
}

impl Description {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A price in CHF: strictly positive, at most two decimals, below one million.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Prix(Decimal);

/// Upper bound that keeps every price inside NUMERIC(12,2) with room for order totals.
const PRIX_MAX: Decimal = Decimal::from_parts(1_000_000, 0, 0, false, 0);

impl TryFrom<Decimal> for Prix {
    type Error = String;
    fn try_from(v: Decimal) -> Result<Self, String> {
        let v = v.normalize();
        if v <= Decimal::ZERO {
            return Err("le prix doit être supérieur à 0".into());
        }
        if v.scale() > 2 {
            return Err(format!("le prix a plus de deux décimales ({v})"));
        }
        if v >= PRIX_MAX {
            return Err("le prix doit être inférieur à 1 000 000 CHF".into());
        }
        let mut v = v;
        v.rescale(2);
        Ok(Prix(v))
    }
}

impl Prix {
    pub fn valeur(self) -> Decimal {
        self.0
    }
}

/// A quantity in stock: an integer ≥ 0 that fits the database column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stock(i32);

impl TryFrom<i64> for Stock {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if v < 0 {
            return Err("la quantité en stock ne peut pas être négative".into());
        }
        i32::try_from(v)
            .map(Stock)
            .map_err(|_| format!("la quantité en stock dépasse {}", i32::MAX))
    }
}

impl Stock {
    pub fn valeur(self) -> i32 {
        self.0
    }
}

/// An image address: an absolute `https://` URL or a site path starting with `/` — exactly
/// what the storefront's Content-Security-Policy lets a page load (`img-src 'self' https:`);
/// a plain `http://` image would be blocked there (and is mixed content on an https shop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageUrl(String);

impl TryFrom<String> for ImageUrl {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        let v = v.trim();
        let forme_ok = v.starts_with("https://") || (v.starts_with('/') && !v.starts_with("//"));
        if !forme_ok || v.chars().any(char::is_whitespace) {
            return Err("l'image doit être une URL https ou un chemin commençant par /".into());
        }
        if v.len() > 2048 {
            return Err("l'URL de l'image dépasse 2048 caractères".into());
        }
        Ok(ImageUrl(v.to_owned()))
    }
}

impl ImageUrl {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A product as the catalogue holds it (what the database gives back; the API shows it as
/// `contrats::http::Produit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Produit {
    pub id: i64,
    pub nom: String,
    pub description: String,
    pub prix: Decimal,
    pub quantite_en_stock: i32,
    pub image_url: Option<String>,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
    /// Bumped by every write, whoever makes it (a trigger, migration 0005): the ETag.
    pub version: i64,
}

/// What changed in the catalogue since an earlier look (see `depot::modifications_depuis`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Modifications {
    /// Where the next look starts from: PostgreSQL's snapshot, as text.
    pub instantane: String,
    /// A product was added or removed, or its name or description changed: which products
    /// a page shows, and how many match, may have changed.
    pub structure: bool,
    /// The products whose row changed (anything in it: stock, price…).
    pub produits: Vec<i64>,
}

/// Which products to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filtre {
    /// Words searched in name and description (case-insensitive), trimmed, not empty.
    pub recherche: Option<String>,
    /// Only these ids (used by commandes to price an order in one request).
    pub ids: Option<Vec<i64>>,
    pub pagination: Pagination,
}

/// Everything needed to create or fully replace a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NouveauProduit {
    pub nom: Nom,
    pub description: Description,
    pub prix: Prix,
    pub quantite_en_stock: Stock,
    pub image_url: Option<ImageUrl>,
}

/// A partial update: `None` leaves a field as it is; `image_url: Some(None)` removes the image.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModificationProduit {
    pub nom: Option<Nom>,
    pub description: Option<Description>,
    pub prix: Option<Prix>,
    pub quantite_en_stock: Option<Stock>,
    pub image_url: Option<Option<ImageUrl>>,
}

/// What an `If-Match` header allows: the write happens only if the product's current version
/// is one of these. `*` (any version: the product must exist) is `Existe`; a list that names
/// no version of ours (weak or foreign tags) is an empty `Versions`, which nothing matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Precondition {
    Existe,
    Versions(Vec<i64>),
}

impl Precondition {
    /// Does the product's current `version` satisfy it?
    pub fn accepte(&self, version: i64) -> bool {
        match self {
            Precondition::Existe => true,
            Precondition::Versions(v) => v.contains(&version),
        }
    }
}

/// A relative stock change: never zero, fits the column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delta(i32);

impl TryFrom<i64> for Delta {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if v == 0 {
            return Err("le delta ne peut pas être nul".into());
        }
        i32::try_from(v)
            .ok()
            .filter(|d| *d != i32::MIN)
            .map(Delta)
            .ok_or_else(|| format!("le delta doit rester entre -{m} et {m}", m = i32::MAX))
    }
}

impl Delta {
    pub fn valeur(self) -> i32 {
        self.0
    }
}

/// Why the stock was adjusted: trimmed, 1 to 200 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Raison(String);

impl TryFrom<String> for Raison {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        let v = v.trim();
        match v.chars().count() {
            0 => Err("la raison ne peut pas être vide".into()),
            n if n > 200 => Err(format!("la raison dépasse 200 caractères ({n})")),
            _ => Ok(Raison(v.to_owned())),
        }
    }
}

impl Raison {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `POST /api/produits/{id}/stock`: add `delta` (signed) to the stock, for `raison`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ajustement {
    pub delta: Delta,
    pub raison: Raison,
}

impl Ajustement {
    /// The stock after the adjustment, or why it cannot be made: the stock never goes below
    /// zero (nor above the column's maximum).
    pub fn appliquer(&self, stock: i32) -> Result<Stock, Refus> {
        Stock::try_from(i64::from(stock) + i64::from(self.delta.0)).map_err(|_| {
            Refus::StockHorsLimites {
                stock,
                delta: self.delta.0,
            }
        })
    }
}

/// Why a write to a product was not made (nothing was written).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refus {
    Introuvable,
    /// `If-Match` names a version that is no longer the product's.
    VersionDifferente,
    /// The adjustment would take the stock below zero (or past the column's maximum).
    StockHorsLimites {
        stock: i32,
        delta: i32,
    },
}

/// Parses `valeur` into `T`, recording the error under `champ`.
pub(crate) fn champ<V, T: TryFrom<V, Error = String>>(
    erreurs: &mut Erreurs,
    nom: &str,
    valeur: V,
) -> Option<T> {
    T::try_from(valeur)
        .map_err(|e| {
            erreurs.insert(nom.to_owned(), e);
        })
        .ok()
}

/// Like [`champ`], for a field the client must send.
pub(crate) fn requis<V, T: TryFrom<V, Error = String>>(
    erreurs: &mut Erreurs,
    nom: &str,
    valeur: Option<V>,
) -> Option<T> {
    match valeur {
        Some(v) => champ(erreurs, nom, v),
        None => {
            erreurs.insert(nom.to_owned(), "champ requis".into());
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_image_est_en_https_ou_sur_le_site_comme_la_csp_le_permet() {
        for ok in ["https://cdn.example.ch/a.png", "/images/tasse.svg"] {
            assert!(ImageUrl::try_from(ok.to_owned()).is_ok(), "{ok}");
        }
        for refuse in [
            "http://cdn.example.ch/a.png",
            "//cdn.example.ch/a.png",
            "data:x",
            "javascript:alert(1)",
        ] {
            assert!(ImageUrl::try_from(refuse.to_owned()).is_err(), "{refuse}");
        }
    }
    use rust_decimal_macros::dec;

    #[test]
    fn un_prix_garde_deux_decimales_exactes() {
        let p = Prix::try_from(dec!(12.5)).unwrap();
        assert_eq!(p.valeur().to_string(), "12.50");
        assert_eq!(
            Prix::try_from(dec!(0.10)).unwrap().valeur().to_string(),
            "0.10"
        );
    }

    #[test]
    fn un_prix_nul_negatif_ou_trop_precis_est_refuse() {
        assert!(Prix::try_from(dec!(0)).is_err());
        assert!(Prix::try_from(dec!(-1)).is_err());
        assert!(Prix::try_from(dec!(1.005)).is_err());
        assert!(Prix::try_from(dec!(1000000)).is_err());
    }

    #[test]
    fn des_zeros_en_trop_ne_rendent_pas_un_prix_trop_precis() {
        assert_eq!(
            Prix::try_from(dec!(3.1000)).unwrap().valeur().to_string(),
            "3.10"
        );
    }

    #[test]
    fn un_nom_est_rogne_et_borne_a_200_caracteres() {
        assert_eq!(
            Nom::try_from("  Lampe  ".to_owned()).unwrap().as_str(),
            "Lampe"
        );
        assert!(Nom::try_from("   ".to_owned()).is_err());
        assert!(Nom::try_from("é".repeat(200)).is_ok());
        assert!(Nom::try_from("é".repeat(201)).is_err());
    }

    #[test]
    fn un_stock_est_positif_et_tient_dans_la_colonne() {
        assert_eq!(Stock::try_from(0).unwrap().valeur(), 0);
        assert!(Stock::try_from(-1).is_err());
        assert!(Stock::try_from(i64::from(i32::MAX) + 1).is_err());
    }

    #[test]
    fn un_ajustement_ne_descend_jamais_sous_zero() {
        let a = |d: i64| Ajustement {
            delta: Delta::try_from(d).unwrap(),
            raison: Raison::try_from("inventaire".to_owned()).unwrap(),
        };
        assert_eq!(a(-3).appliquer(3).unwrap().valeur(), 0);
        assert_eq!(
            a(-4).appliquer(3),
            Err(Refus::StockHorsLimites {
                stock: 3,
                delta: -4
            })
        );
        assert!(a(1).appliquer(i32::MAX).is_err());
        assert!(Delta::try_from(0).is_err());
        assert!(Delta::try_from(i64::from(i32::MIN)).is_err());
        assert!(Raison::try_from(" ".to_owned()).is_err());
        assert!(Raison::try_from("é".repeat(201)).is_err());
    }

    #[test]
    fn une_precondition_n_accepte_que_les_versions_nommees() {
        assert!(Precondition::Existe.accepte(7));
        assert!(Precondition::Versions(vec![3, 7]).accepte(7));
        assert!(!Precondition::Versions(vec![3]).accepte(7));
        assert!(!Precondition::Versions(vec![]).accepte(7));
    }

    #[test]
    fn une_image_est_une_url_http_ou_un_chemin_du_site() {
        assert!(ImageUrl::try_from("/images/a.svg".to_owned()).is_ok());
        assert!(ImageUrl::try_from("https://exemple.ch/a.png".to_owned()).is_ok());
        assert!(ImageUrl::try_from("javascript:alert(1)".to_owned()).is_err());
        assert!(ImageUrl::try_from("//evil.example/a.png".to_owned()).is_err());
    }
}
