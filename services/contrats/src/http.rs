//! The HTTP shapes that more than one crate reads: a product, an order, its lines, its status,
//! and the JSON error body. The services answer with them, commandes reads produits with them,
//! and the storefront (server and WASM) reads both with them — so they are written once, here.
//!
//! Serde only (plus `utoipa` schemas behind the `openapi` feature, for the services' Swagger);
//! nothing here knows about axum or sqlx.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A product of the catalogue, as `GET /api/produits` returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Produit {
    pub id: i64,
    pub nom: String,
    pub description: String,
    /// Price in CHF, exact, two decimals.
    #[cfg_attr(feature = "openapi", schema(example = 49.90))]
    pub prix: Decimal,
    pub quantite_en_stock: i32,
    pub image_url: Option<String>,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
}

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatutCommande {
    /// Accepted, waiting for its stock.
    EnAttente,
    Confirmee,
    Annulee,
}

impl StatutCommande {
    pub const TOUS: [StatutCommande; 3] = [
        StatutCommande::EnAttente,
        StatutCommande::Confirmee,
        StatutCommande::Annulee,
    ];

    /// The name on the wire and in the databases (`en_attente`…).
    pub fn as_str(self) -> &'static str {
        match self {
            StatutCommande::EnAttente => "en_attente",
            StatutCommande::Confirmee => "confirmee",
            StatutCommande::Annulee => "annulee",
        }
    }

    /// How a customer reads it.
    pub fn libelle(self) -> &'static str {
        match self {
            StatutCommande::EnAttente => "en attente",
            StatutCommande::Confirmee => "confirmée",
            StatutCommande::Annulee => "annulée",
        }
    }

    /// `false` once nothing will change it any more.
    pub fn en_cours(self) -> bool {
        self == StatutCommande::EnAttente
    }
}

impl fmt::Display for StatutCommande {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An unknown status name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatutInconnu(pub String);

impl fmt::Display for StatutInconnu {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "statut de commande inconnu : {}", self.0)
    }
}

impl std::error::Error for StatutInconnu {}

impl FromStr for StatutCommande {
    type Err = StatutInconnu;
    fn from_str(s: &str) -> Result<Self, StatutInconnu> {
        StatutCommande::TOUS
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| StatutInconnu(s.to_owned()))
    }
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LigneCommande {
    pub produit_id: i64,
    pub nom: String,
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 49.90))]
    pub prix_unitaire: Decimal,
    pub quantite: i32,
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 99.80))]
    pub sous_total: Decimal,
}

/// An order, as `POST /api/commandes` and `GET /api/commandes/{reference}` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Commande {
    pub id_commande: i64,
    /// Public handle of the order, for its page and `GET /api/commandes/{reference}`.
    pub reference: Uuid,
    pub email: String,
    pub statut: StatutCommande,
    /// Total in CHF, exact, two decimals.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 129.50))]
    pub total: Decimal,
    pub lignes: Vec<LigneCommande>,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
}

/// Every error answer: `{"erreur": "...", "code": "...", "champs": {...}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CorpsErreur {
    /// What went wrong, in French, for a person.
    pub erreur: String,
    /// A stable machine-readable code (`validation`, `introuvable`, `non_autorise`…).
    pub code: String,
    /// For validation errors: each bad field and what is wrong with it.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub champs: BTreeMap<String, String>,
}

impl CorpsErreur {
    pub fn new(code: &str, erreur: impl Into<String>) -> Self {
        CorpsErreur {
            erreur: erreur.into(),
            code: code.to_owned(),
            champs: BTreeMap::new(),
        }
    }

    pub fn avec_champs(mut self, champs: BTreeMap<String, String>) -> Self {
        self.champs = champs;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::de::DeserializeOwned;

    /// Serialises, reads back, and checks nothing moved; returns the JSON for further checks.
    fn aller_retour<T>(valeur: &T) -> serde_json::Value
    where
        T: Serialize + DeserializeOwned + PartialEq + fmt::Debug,
    {
        let texte = serde_json::to_string(valeur).unwrap();
        let relu: T = serde_json::from_str(&texte).unwrap();
        assert_eq!(&relu, valeur);
        serde_json::from_str(&texte).unwrap()
    }

    fn date() -> DateTime<Utc> {
        "2026-11-28T08:00:00.123456Z".parse().unwrap()
    }

    fn ligne() -> LigneCommande {
        LigneCommande {
            produit_id: 3,
            nom: "Tasse émaillée".into(),
            prix_unitaire: Decimal::new(1990, 2),
            quantite: 2,
            sous_total: Decimal::new(3980, 2),
        }
    }

    #[test]
    fn un_produit_fait_l_aller_retour_avec_un_prix_exact() {
        let p = Produit {
            id: 7,
            nom: "Lampe".into(),
            description: String::new(),
            prix: Decimal::new(4990, 2),
            quantite_en_stock: 0,
            image_url: None,
            cree_le: date(),
            modifie_le: date(),
        };
        let json = aller_retour(&p);
        assert_eq!(json["prix"].to_string(), "49.90");
        assert!(json["image_url"].is_null());
    }

    #[test]
    fn une_ligne_fait_l_aller_retour() {
        let json = aller_retour(&ligne());
        assert_eq!(json["sous_total"].to_string(), "39.80");
    }

    #[test]
    fn une_commande_fait_l_aller_retour_avec_sa_reference_et_son_statut() {
        let c = Commande {
            id_commande: 1,
            reference: Uuid::new_v4(),
            email: "moi@example.com".into(),
            statut: StatutCommande::EnAttente,
            total: Decimal::new(3980, 2),
            lignes: vec![ligne()],
            cree_le: date(),
            modifie_le: date(),
        };
        let json = aller_retour(&c);
        assert_eq!(json["statut"], "en_attente");
        assert_eq!(json["reference"], c.reference.to_string());
    }

    #[test]
    fn chaque_statut_fait_l_aller_retour_sous_son_nom() {
        for s in StatutCommande::TOUS {
            assert_eq!(aller_retour(&s), s.as_str());
            assert_eq!(s.as_str().parse::<StatutCommande>(), Ok(s));
        }
        assert!("expediee_hier".parse::<StatutCommande>().is_err());
    }

    #[test]
    fn un_corps_d_erreur_fait_l_aller_retour_et_omet_des_champs_vides() {
        let json = aller_retour(&CorpsErreur::new(
            "introuvable",
            "le produit 9 n'existe pas",
        ));
        assert!(json.get("champs").is_none());
        let mut champs = BTreeMap::new();
        champs.insert("email".to_owned(), "adresse invalide".to_owned());
        let json = aller_retour(&CorpsErreur::new("validation", "x").avec_champs(champs));
        assert_eq!(json["champs"]["email"], "adresse invalide");
    }
}
