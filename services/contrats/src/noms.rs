//! Broker topology names, shared by every publisher and consumer.
//!
//! The base names are the production ones. A [`Topologie`] may prefix them all, so that tests
//! running side by side on one broker never see each other's messages.

/// Topic exchange carrying every order event (the seed's exchange name).
pub const EXCHANGE_COMMANDES: &str = "commandes";
/// Dead-letter exchange: messages that cannot be processed end up in `<queue>.dlq`.
pub const EXCHANGE_DLX: &str = "commandes.dlx";

/// Routing keys on [`EXCHANGE_COMMANDES`].
pub mod cles {
    /// A new order was accepted (the seed's routing key).
    pub const COMMANDE_NOUVELLE: &str = "commande.nouvelle";
    /// produits reserved every line of an order.
    pub const STOCK_RESERVE: &str = "stock.reserve";
    /// produits could not reserve an order: some lines are short of stock.
    pub const STOCK_REFUSE: &str = "stock.refuse";
    /// The order is confirmed (stock reserved).
    pub const COMMANDE_CONFIRMEE: &str = "commande.confirmee";
    /// The order is cancelled (stock refused).
    pub const COMMANDE_ANNULEE: &str = "commande.annulee";
}

/// A durable queue, what it is bound to, and who consumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct File {
    pub nom: &'static str,
    pub liaisons: &'static [&'static str],
}

/// produits reserves stock for new orders.
pub const STOCK_UPDATE: File = File {
    nom: "stock_update",
    liaisons: &[cles::COMMANDE_NOUVELLE],
};
/// commandes follows stock outcomes to move the order status.
pub const COMMANDES_STATUT: File = File {
    nom: "commandes_statut",
    liaisons: &["stock.*"],
};
/// The mail worker notifies customers of the outcome.
pub const MAIL_NOTIFIER: File = File {
    nom: "mail_notifier",
    liaisons: &[cles::COMMANDE_CONFIRMEE, cles::COMMANDE_ANNULEE],
};

/// Every queue of the shop.
pub const FILES: &[File] = &[STOCK_UPDATE, COMMANDES_STATUT, MAIL_NOTIFIER];

/// The concrete names on one broker: the base names, optionally prefixed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Topologie {
    prefixe: String,
}

impl Topologie {
    /// `prefixe` is empty in production; tests use a unique one.
    pub fn new(prefixe: impl Into<String>) -> Self {
        Topologie {
            prefixe: prefixe.into(),
        }
    }

    pub fn exchange(&self) -> String {
        format!("{}{EXCHANGE_COMMANDES}", self.prefixe)
    }

    pub fn dlx(&self) -> String {
        format!("{}{EXCHANGE_DLX}", self.prefixe)
    }

    pub fn file(&self, f: File) -> String {
        format!("{}{}", self.prefixe, f.nom)
    }

    /// Where messages that failed for good are kept for a person to look at.
    pub fn dlq(&self, f: File) -> String {
        format!("{}{}.dlq", self.prefixe, f.nom)
    }

    /// Where messages wait (per-message TTL) before going back to the queue for a new try.
    pub fn attente(&self, f: File) -> String {
        format!("{}{}.retry", self.prefixe, f.nom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sans_prefixe_les_noms_sont_ceux_du_projet_d_origine() {
        let t = Topologie::default();
        assert_eq!(t.exchange(), "commandes");
        assert_eq!(t.file(STOCK_UPDATE), "stock_update");
        assert_eq!(t.dlq(MAIL_NOTIFIER), "mail_notifier.dlq");
    }

    #[test]
    fn un_prefixe_isole_tous_les_noms() {
        let t = Topologie::new("t1.");
        assert_eq!(t.exchange(), "t1.commandes");
        assert_eq!(t.dlx(), "t1.commandes.dlx");
        assert_eq!(t.attente(COMMANDES_STATUT), "t1.commandes_statut.retry");
    }
}
