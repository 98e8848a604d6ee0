//! Event payloads on the `commandes` exchange.
//!
//! `CommandeNouvelle` keeps the seed's fields exactly (`id_commande`, `email`, `total`,
//! `produits`, `timestamp`) so a consumer written for the original still works; the extra
//! fields are additions only. Every event carries `id_evenement`, also sent as the AMQP
//! `message_id`, which consumers use to drop duplicates.
//!
//! Which routing key carries which payload: `commande.nouvelle` → [`CommandeNouvelle`];
//! `stock.reserve`/`stock.refuse` → [`ResultatStock`]; `stock.libere` → [`LiberationStock`];
//! `paiement.*` → [`ResultatPaiement`]; every other `commande.*` → [`EtapeCommande`].

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::http::{
    Etape, Expedition, MotifRefus, PaiementCommande, RaisonAnnulation, StatutCommande,
};

/// One product and quantity of an order, as the seed published it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProduitCommande {
    pub produit_id: i64,
    pub quantite: i32,
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LigneEvenement {
    pub produit_id: i64,
    pub nom: String,
    pub prix_unitaire: Decimal,
    pub quantite: i32,
    pub sous_total: Decimal,
}

/// `commande.nouvelle`: an order was accepted and waits for its stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandeNouvelle {
    pub id_evenement: Uuid,
    pub id_commande: i64,
    pub reference: Uuid,
    pub email: String,
    pub total: Decimal,
    pub produits: Vec<ProduitCommande>,
    pub lignes: Vec<LigneEvenement>,
    pub timestamp: DateTime<Utc>,
}

/// A line produits could not reserve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manquant {
    pub produit_id: i64,
    /// The product's name, when it still exists.
    pub nom: Option<String>,
    pub demande: i32,
    pub disponible: i32,
}

/// `stock.reserve` / `stock.refuse`: produits' answer to a `commande.nouvelle`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultatStock {
    pub id_evenement: Uuid,
    /// The `commande.nouvelle` this answers.
    pub id_evenement_commande: Uuid,
    pub id_commande: i64,
    pub reference: Uuid,
    /// Empty for `stock.reserve`; the lines short of stock for `stock.refuse`.
    #[serde(default)]
    pub manquants: Vec<Manquant>,
    pub timestamp: DateTime<Utc>,
}

/// `commande.a_payer`, `commande.paiement_refuse`, `commande.confirmee`, `commande.annulee`,
/// `commande.expediee`, `commande.remboursee`: a customer-visible step of an order, with
/// everything the mail worker needs to tell the customer (the routing key says which step,
/// see [`Etape::depuis_cle`]; paiements reads what is due from `commande.a_payer` and what to
/// refund from `commande.annulee`).
///
/// The fields of the former `CommandeTerminee` (`commande.confirmee`/`annulee` before the
/// lifecycle) are kept with their names and meaning, so an event published by an older
/// commandes still reads; the others are additions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EtapeCommande {
    pub id_evenement: Uuid,
    pub id_commande: i64,
    pub reference: Uuid,
    pub email: String,
    /// The order's status after this step.
    pub statut: StatutCommande,
    pub total: Decimal,
    pub lignes: Vec<LigneEvenement>,
    /// For a cancellation for lack of stock: what was short.
    #[serde(default)]
    pub manquants: Vec<Manquant>,
    /// For a cancellation: why (an older commandes only cancelled for lack of stock).
    #[serde(default)]
    pub raison: Option<RaisonAnnulation>,
    #[serde(default)]
    pub nom: Option<String>,
    /// For `a_payer`: when the order lapses if unpaid.
    #[serde(default)]
    pub echeance_paiement: Option<DateTime<Utc>>,
    /// The payment captured, once there is one (on a cancellation: the customer is refunded;
    /// on `remboursee`: when).
    #[serde(default)]
    pub paiement: Option<PaiementCommande>,
    /// For `paiement_refuse`: the declined attempt and why.
    #[serde(default)]
    pub refus: Option<RefusPaiement>,
    /// For `expediee`: carrier and tracking number.
    #[serde(default)]
    pub expedition: Option<Expedition>,
    pub timestamp: DateTime<Utc>,
}

/// A declined payment attempt, in `commande.paiement_refuse`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusPaiement {
    pub id_paiement: Uuid,
    pub motif: MotifRefus,
}

impl EtapeCommande {
    /// What makes one email unique for the mail worker: one per order and step, except a
    /// declined payment, which may happen several times (one email per attempt).
    pub fn cle_notification(&self, etape: Etape) -> String {
        match (&self.refus, etape) {
            (Some(r), Etape::PaiementRefuse) => format!("{}:{}", etape.as_str(), r.id_paiement),
            _ => etape.as_str().to_owned(),
        }
    }
}

/// `stock.libere`: an order that held stock is cancelled; produits returns what THIS order
/// reserved, once, however many times this arrives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiberationStock {
    pub id_evenement: Uuid,
    pub id_commande: i64,
    pub reference: Uuid,
    pub raison: RaisonAnnulation,
    pub timestamp: DateTime<Utc>,
}

/// `paiement.accepte` / `paiement.refuse` / `paiement.rembourse`: paiements' outcome for one
/// payment of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultatPaiement {
    pub id_evenement: Uuid,
    pub id_paiement: Uuid,
    pub id_commande: i64,
    pub reference: Uuid,
    pub montant: Decimal,
    pub marque: String,
    pub quatre_derniers: String,
    /// For `paiement.refuse`.
    #[serde(default)]
    pub motif_refus: Option<MotifRefus>,
    pub timestamp: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_confirmation_publiee_avant_le_cycle_de_vie_se_lit_encore() {
        // The shape of `CommandeTerminee`, as an older commandes published it.
        let ancienne = serde_json::json!({
            "id_evenement": Uuid::new_v4(), "id_commande": 4, "reference": Uuid::new_v4(),
            "email": "a@example.com", "statut": "annulee", "total": "12.50", "lignes": [],
            "manquants": [{"produit_id": 1, "nom": "Lampe", "demande": 2, "disponible": 0}],
            "timestamp": "2026-11-28T08:00:00Z"
        });
        let e: EtapeCommande = serde_json::from_value(ancienne).unwrap();
        assert_eq!(e.statut, StatutCommande::Annulee);
        assert_eq!(e.raison, None);
        assert_eq!(e.manquants.len(), 1);
        assert_eq!(e.cle_notification(Etape::Annulee), "annulee");
    }

    #[test]
    fn chaque_refus_de_paiement_a_sa_propre_notification() {
        let mut e: EtapeCommande = serde_json::from_value(serde_json::json!({
            "id_evenement": Uuid::new_v4(), "id_commande": 4, "reference": Uuid::new_v4(),
            "email": "a@example.com", "statut": "a_payer", "total": "12.50", "lignes": [],
            "timestamp": "2026-11-28T08:00:00Z"
        }))
        .unwrap();
        let id = Uuid::new_v4();
        e.refus = Some(RefusPaiement {
            id_paiement: id,
            motif: MotifRefus::FondsInsuffisants,
        });
        assert_eq!(
            e.cle_notification(Etape::PaiementRefuse),
            format!("paiement_refuse:{id}")
        );
    }
}
