//! Broker topology names, shared by every publisher and consumer.

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

/// Durable queues, one per consuming service.
pub mod files {
    /// produits reserves stock for new orders.
    pub const STOCK_UPDATE: &str = "stock_update";
    /// commandes follows stock outcomes to move the order status.
    pub const COMMANDES_STATUT: &str = "commandes_statut";
    /// The mail worker notifies customers of the outcome.
    pub const MAIL_NOTIFIER: &str = "mail_notifier";
}

/// Name of the dead-letter queue paired with `queue`.
pub fn dead_letter(queue: &str) -> String {
    format!("{queue}.dlq")
}
