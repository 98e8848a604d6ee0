//! Event payloads on the `commandes` exchange.
//!
//! `CommandeNouvelle` keeps the seed's fields exactly (`id_commande`, `email`, `total`,
//! `produits`, `timestamp`) so a consumer written for the original still works; the extra
//! fields are additions only. Every event carries `id_evenement`, also sent as the AMQP
//! `message_id`, which consumers use to drop duplicates.

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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

/// Final status of an order, as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StatutFinal {
    Confirmee,
    Annulee,
}

/// `commande.confirmee` / `commande.annulee`: everything the mail worker needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandeTerminee {
    pub id_evenement: Uuid,
    pub id_commande: i64,
    pub reference: Uuid,
    pub email: String,
    pub statut: StatutFinal,
    pub total: Decimal,
    pub lignes: Vec<LigneEvenement>,
    /// For a cancellation: what was out of stock.
    #[serde(default)]
    pub manquants: Vec<Manquant>,
    pub timestamp: DateTime<Utc>,
}
