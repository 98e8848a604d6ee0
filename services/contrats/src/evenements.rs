//! Event payloads on the `commandes` exchange.
//!
//! `CommandeNouvelle` keeps the seed's fields exactly (`id_commande`, `email`, `total`,
//! `produits`, `timestamp`) so a consumer written for the original still works; the extra
//! fields are additions only.

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
