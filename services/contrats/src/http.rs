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
///
/// ```text
/// en_attente ─stock refused─▶ annulee (stock)
///     │ stock reserved
///     ▼
///  a_payer ─deadline passed / customer─▶ annulee (expiree | client), stock released
///     │ payment accepted (a declined card keeps a_payer)
///     ▼
/// confirmee ─customer / shop─▶ annulee (client | boutique), refunded, stock released
///     │ shipped by the shop
///     ▼
///  expediee
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatutCommande {
    /// Accepted, waiting for its stock.
    EnAttente,
    /// Stock reserved, waiting for its payment until `echeance_paiement`.
    APayer,
    /// Paid.
    Confirmee,
    /// Shipped: nothing changes it any more.
    Expediee,
    /// Cancelled (`raison_annulation` says why): nothing changes it any more.
    Annulee,
}

impl StatutCommande {
    pub const TOUS: [StatutCommande; 5] = [
        StatutCommande::EnAttente,
        StatutCommande::APayer,
        StatutCommande::Confirmee,
        StatutCommande::Expediee,
        StatutCommande::Annulee,
    ];

    /// The name on the wire and in the databases (`en_attente`…).
    pub fn as_str(self) -> &'static str {
        match self {
            StatutCommande::EnAttente => "en_attente",
            StatutCommande::APayer => "a_payer",
            StatutCommande::Confirmee => "confirmee",
            StatutCommande::Expediee => "expediee",
            StatutCommande::Annulee => "annulee",
        }
    }

    /// How a customer reads it.
    pub fn libelle(self) -> &'static str {
        match self {
            StatutCommande::EnAttente => "en attente",
            StatutCommande::APayer => "à payer",
            StatutCommande::Confirmee => "confirmée",
            StatutCommande::Expediee => "expédiée",
            StatutCommande::Annulee => "annulée",
        }
    }

    /// `true` while the shop's machinery alone will still move it (the customer waits).
    pub fn en_cours(self) -> bool {
        self == StatutCommande::EnAttente
    }

    /// `true` once nothing will change it any more.
    pub fn est_final(self) -> bool {
        matches!(self, StatutCommande::Expediee | StatutCommande::Annulee)
    }

    /// Whether the customer (holding the reference) may cancel it now.
    pub fn annulable_par_le_client(self) -> bool {
        matches!(self, StatutCommande::APayer | StatutCommande::Confirmee)
    }

    /// Whether the shop (admin token) may cancel it now: anything not shipped nor cancelled.
    pub fn annulable_par_la_boutique(self) -> bool {
        !self.est_final()
    }
}

impl fmt::Display for StatutCommande {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an order was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RaisonAnnulation {
    /// Some lines were short of stock.
    Stock,
    /// Not paid before its deadline (`DELAI_PAIEMENT`).
    Expiree,
    /// The customer cancelled it.
    Client,
    /// The shop cancelled it.
    Boutique,
}

impl RaisonAnnulation {
    pub const TOUTES: [RaisonAnnulation; 4] = [
        RaisonAnnulation::Stock,
        RaisonAnnulation::Expiree,
        RaisonAnnulation::Client,
        RaisonAnnulation::Boutique,
    ];

    /// The name on the wire and in the databases.
    pub fn as_str(self) -> &'static str {
        match self {
            RaisonAnnulation::Stock => "stock",
            RaisonAnnulation::Expiree => "expiree",
            RaisonAnnulation::Client => "client",
            RaisonAnnulation::Boutique => "boutique",
        }
    }

    /// How a customer reads it, after « Commande annulée ».
    pub fn libelle(self) -> &'static str {
        match self {
            RaisonAnnulation::Stock => "stock insuffisant",
            RaisonAnnulation::Expiree => "délai de paiement dépassé",
            RaisonAnnulation::Client => "annulée à votre demande",
            RaisonAnnulation::Boutique => "annulée par la boutique",
        }
    }
}

impl FromStr for RaisonAnnulation {
    type Err = StatutInconnu;
    fn from_str(s: &str) -> Result<Self, StatutInconnu> {
        RaisonAnnulation::TOUTES
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| StatutInconnu(s.to_owned()))
    }
}

/// One step in an order's life: an entry of its history, and (for the customer-visible
/// ones) the routing key of the event the mail worker turns into an email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Etape {
    /// The order was accepted (`en_attente`).
    Recue,
    /// Stock reserved, waiting for payment.
    APayer,
    /// A card was declined (the status stays `a_payer`).
    PaiementRefuse,
    /// Paid.
    Confirmee,
    /// Cancelled.
    Annulee,
    /// Shipped.
    Expediee,
    /// The payment of the cancelled order was refunded (the status stays `annulee`).
    Remboursee,
}

impl Etape {
    pub const TOUTES: [Etape; 7] = [
        Etape::Recue,
        Etape::APayer,
        Etape::PaiementRefuse,
        Etape::Confirmee,
        Etape::Annulee,
        Etape::Expediee,
        Etape::Remboursee,
    ];

    /// The name on the wire and in the databases (`a_payer`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Etape::Recue => "recue",
            Etape::APayer => "a_payer",
            Etape::PaiementRefuse => "paiement_refuse",
            Etape::Confirmee => "confirmee",
            Etape::Annulee => "annulee",
            Etape::Expediee => "expediee",
            Etape::Remboursee => "remboursee",
        }
    }

    /// The routing key of the event announcing it (`commande.a_payer`…).
    pub fn cle(self) -> &'static str {
        use crate::noms::cles;
        match self {
            Etape::Recue => cles::COMMANDE_NOUVELLE,
            Etape::APayer => cles::COMMANDE_A_PAYER,
            Etape::PaiementRefuse => cles::COMMANDE_PAIEMENT_REFUSE,
            Etape::Confirmee => cles::COMMANDE_CONFIRMEE,
            Etape::Annulee => cles::COMMANDE_ANNULEE,
            Etape::Expediee => cles::COMMANDE_EXPEDIEE,
            Etape::Remboursee => cles::COMMANDE_REMBOURSEE,
        }
    }

    /// The step a routing key announces.
    pub fn depuis_cle(cle: &str) -> Option<Etape> {
        Etape::TOUTES.into_iter().find(|e| e.cle() == cle)
    }

    /// How a customer reads it in the history.
    pub fn libelle(self) -> &'static str {
        match self {
            Etape::Recue => "commande reçue",
            Etape::APayer => "stock réservé, en attente de paiement",
            Etape::PaiementRefuse => "paiement refusé",
            Etape::Confirmee => "paiement reçu, commande confirmée",
            Etape::Annulee => "commande annulée",
            Etape::Expediee => "commande expédiée",
            Etape::Remboursee => "paiement remboursé",
        }
    }
}

impl FromStr for Etape {
    type Err = StatutInconnu;
    fn from_str(s: &str) -> Result<Self, StatutInconnu> {
        Etape::TOUTES
            .into_iter()
            .find(|t| t.as_str() == s)
            .ok_or_else(|| StatutInconnu(s.to_owned()))
    }
}

/// One entry of an order's history, oldest first in [`Commande::historique`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EntreeHistorique {
    pub etape: Etape,
    /// The order's status after this step.
    pub statut: StatutCommande,
    /// For a cancellation: why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub raison: Option<RaisonAnnulation>,
    pub le: DateTime<Utc>,
}

/// A Swiss delivery address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Adresse {
    #[cfg_attr(feature = "openapi", schema(example = "Rue du Lac 12"))]
    pub rue: String,
    /// Swiss postcode: four digits, 1000 to 9999.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "1003", pattern = "^[1-9][0-9]{3}$")
    )]
    pub npa: String,
    #[cfg_attr(feature = "openapi", schema(example = "Lausanne"))]
    pub localite: String,
}

/// How an order was shipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Expedition {
    #[cfg_attr(feature = "openapi", schema(example = "La Poste"))]
    pub transporteur: String,
    #[cfg_attr(feature = "openapi", schema(example = "99.00.123456.12345678"))]
    pub numero_suivi: String,
    pub expediee_le: DateTime<Utc>,
}

/// The payment of an order, as the order shows it: never the card number, only its brand
/// and last four digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PaiementCommande {
    pub id_paiement: Uuid,
    #[cfg_attr(feature = "openapi", schema(example = "visa"))]
    pub marque: String,
    #[cfg_attr(feature = "openapi", schema(example = "4242"))]
    pub quatre_derniers: String,
    pub paye_le: DateTime<Utc>,
    /// Set once the amount was refunded (a paid order cancelled).
    #[serde(default)]
    pub rembourse_le: Option<DateTime<Utc>>,
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
    /// The customer's name (orders made before addresses were asked have none).
    #[serde(default)]
    pub nom: Option<String>,
    /// Where to deliver (orders made before addresses were asked have none).
    #[serde(default)]
    pub adresse: Option<Adresse>,
    pub statut: StatutCommande,
    /// Why it was cancelled, once `annulee`.
    #[serde(default)]
    pub raison_annulation: Option<RaisonAnnulation>,
    /// While `a_payer`: when the reservation lapses if still unpaid.
    #[serde(default)]
    pub echeance_paiement: Option<DateTime<Utc>>,
    /// Once paid.
    #[serde(default)]
    pub paiement: Option<PaiementCommande>,
    /// Once shipped.
    #[serde(default)]
    pub expedition: Option<Expedition>,
    /// Total in CHF, exact, two decimals.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 129.50))]
    pub total: Decimal,
    pub lignes: Vec<LigneCommande>,
    /// Every step so far, oldest first.
    #[serde(default)]
    pub historique: Vec<EntreeHistorique>,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
}

/// Body of `POST /api/commandes/{reference}/expedition` (admin).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandeExpedition {
    #[cfg_attr(
        feature = "openapi",
        schema(example = "La Poste", min_length = 1, max_length = 100)
    )]
    pub transporteur: String,
    #[cfg_attr(
        feature = "openapi",
        schema(example = "99.00.123456.12345678", min_length = 1, max_length = 100)
    )]
    pub numero_suivi: String,
}

/// A card as the customer typed it, in `POST /api/paiements`. paiements keeps only its
/// brand and last four digits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Carte {
    /// 12 to 19 digits (spaces allowed), Luhn-valid.
    #[cfg_attr(feature = "openapi", schema(example = "4242 4242 4242 4242"))]
    pub numero: String,
    /// `MM/AA`, not past.
    #[cfg_attr(
        feature = "openapi",
        schema(example = "12/30", pattern = "^(0[1-9]|1[0-2])/[0-9]{2}$")
    )]
    pub expiration: String,
    /// 3 or 4 digits.
    #[cfg_attr(feature = "openapi", schema(example = "123", pattern = "^[0-9]{3,4}$"))]
    pub cvc: String,
}

/// Body of `POST /api/paiements` (header `Idempotency-Key` required). The amount is not
/// here: paiements knows what the order owes from commandes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DemandePaiement {
    pub reference: Uuid,
    pub carte: Carte,
}

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum StatutPaiement {
    /// Captured.
    Accepte,
    /// Declined by the provider: nothing captured.
    Refuse,
    /// Captured, then refunded.
    Rembourse,
}

/// Why a card was declined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MotifRefus {
    /// The issuer declined the card.
    CarteRefusee,
    /// Not enough funds on the card.
    FondsInsuffisants,
}

impl MotifRefus {
    /// The name on the wire and in the databases; also the `code` of the 402 answer.
    pub fn as_str(self) -> &'static str {
        match self {
            MotifRefus::CarteRefusee => "carte_refusee",
            MotifRefus::FondsInsuffisants => "fonds_insuffisants",
        }
    }

    /// How a customer reads it.
    pub fn libelle(self) -> &'static str {
        match self {
            MotifRefus::CarteRefusee => "votre carte a été refusée",
            MotifRefus::FondsInsuffisants => "fonds insuffisants sur la carte",
        }
    }
}

/// A payment attempt, as `POST /api/paiements` (201) and `GET /api/paiements/{id}` return it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Paiement {
    pub id_paiement: Uuid,
    /// The order paid for.
    pub reference: Uuid,
    pub statut: StatutPaiement,
    /// In CHF, exact, two decimals: what the order owed.
    #[cfg_attr(feature = "openapi", schema(value_type = f64, example = 129.50))]
    pub montant: Decimal,
    #[cfg_attr(feature = "openapi", schema(example = "visa"))]
    pub marque: String,
    #[cfg_attr(feature = "openapi", schema(example = "4242"))]
    pub quatre_derniers: String,
    /// When declined: why.
    #[serde(default)]
    pub motif_refus: Option<MotifRefus>,
    pub cree_le: DateTime<Utc>,
    #[serde(default)]
    pub rembourse_le: Option<DateTime<Utc>>,
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
            nom: Some("Ada Lovelace".into()),
            adresse: Some(Adresse {
                rue: "Rue du Lac 12".into(),
                npa: "1003".into(),
                localite: "Lausanne".into(),
            }),
            statut: StatutCommande::Annulee,
            raison_annulation: Some(RaisonAnnulation::Client),
            echeance_paiement: None,
            paiement: Some(PaiementCommande {
                id_paiement: Uuid::new_v4(),
                marque: "visa".into(),
                quatre_derniers: "4242".into(),
                paye_le: date(),
                rembourse_le: Some(date()),
            }),
            expedition: None,
            total: Decimal::new(3980, 2),
            lignes: vec![ligne()],
            historique: vec![
                EntreeHistorique {
                    etape: Etape::Recue,
                    statut: StatutCommande::EnAttente,
                    raison: None,
                    le: date(),
                },
                EntreeHistorique {
                    etape: Etape::Annulee,
                    statut: StatutCommande::Annulee,
                    raison: Some(RaisonAnnulation::Client),
                    le: date(),
                },
            ],
            cree_le: date(),
            modifie_le: date(),
        };
        let json = aller_retour(&c);
        assert_eq!(json["statut"], "annulee");
        assert_eq!(json["raison_annulation"], "client");
        assert_eq!(json["historique"][1]["etape"], "annulee");
        assert!(json["historique"][0].get("raison").is_none());
        assert_eq!(json["reference"], c.reference.to_string());
    }

    #[test]
    fn une_commande_d_avant_le_cycle_de_vie_se_lit_encore() {
        let ancienne = serde_json::json!({
            "id_commande": 1, "reference": Uuid::new_v4(), "email": "moi@example.com",
            "statut": "confirmee", "total": "39.80", "lignes": [],
            "cree_le": date(), "modifie_le": date()
        });
        let c: Commande = serde_json::from_value(ancienne).unwrap();
        assert_eq!(c.statut, StatutCommande::Confirmee);
        assert!(c.historique.is_empty() && c.adresse.is_none());
    }

    #[test]
    fn chaque_etape_a_sa_cle_et_se_relit() {
        for e in Etape::TOUTES {
            assert_eq!(Etape::depuis_cle(e.cle()), Some(e));
            assert_eq!(e.as_str().parse::<Etape>(), Ok(e));
            assert_eq!(aller_retour(&e), e.as_str());
        }
        for r in RaisonAnnulation::TOUTES {
            assert_eq!(r.as_str().parse::<RaisonAnnulation>(), Ok(r));
            assert_eq!(aller_retour(&r), r.as_str());
        }
    }

    #[test]
    fn qui_peut_annuler_quoi() {
        use StatutCommande::*;
        let client: Vec<_> = StatutCommande::TOUS
            .into_iter()
            .filter(|s| s.annulable_par_le_client())
            .collect();
        assert_eq!(client, [APayer, Confirmee]);
        let boutique: Vec<_> = StatutCommande::TOUS
            .into_iter()
            .filter(|s| s.annulable_par_la_boutique())
            .collect();
        assert_eq!(boutique, [EnAttente, APayer, Confirmee]);
    }

    #[test]
    fn un_paiement_fait_l_aller_retour_sans_numero_de_carte() {
        let p = Paiement {
            id_paiement: Uuid::new_v4(),
            reference: Uuid::new_v4(),
            statut: StatutPaiement::Refuse,
            montant: Decimal::new(12950, 2),
            marque: "visa".into(),
            quatre_derniers: "0002".into(),
            motif_refus: Some(MotifRefus::CarteRefusee),
            cree_le: date(),
            rembourse_le: None,
        };
        let json = aller_retour(&p);
        assert_eq!(json["statut"], "refuse");
        assert_eq!(json["motif_refus"], MotifRefus::CarteRefusee.as_str());
        assert_eq!(json["montant"].to_string(), "129.50");
        let demande = DemandePaiement {
            reference: p.reference,
            carte: Carte {
                numero: "4242 4242 4242 4242".into(),
                expiration: "12/30".into(),
                cvc: "123".into(),
            },
        };
        aller_retour(&demande);
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
