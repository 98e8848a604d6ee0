//! Broker topology names, shared by every publisher and consumer.
//!
//! The base names are the production ones. A [`Topologie`] may prefix them all, so that tests
//! running side by side on one broker never see each other's messages.

/// Topic exchange carrying every order event (the seed's exchange name).
pub const EXCHANGE_COMMANDES: &str = "commandes";
/// Dead-letter exchange: messages that cannot be processed end up in `<queue>.dlq`.
pub const EXCHANGE_DLX: &str = "commandes.dlx";

/// Routing keys on [`EXCHANGE_COMMANDES`].
///
/// The lifecycle of an order, and who publishes what:
/// ```text
/// commandes  commande.nouvelle ─▶ produits  stock.reserve | stock.refuse ─▶ commandes
/// commandes  commande.a_payer ─▶ paiements (what is due) + mail worker
/// paiements  paiement.accepte | paiement.refuse | paiement.rembourse ─▶ commandes
/// commandes  stock.libere ─▶ produits (an order that held stock is cancelled)
/// commandes  commande.{paiement_refuse,confirmee,annulee,expediee,remboursee} ─▶ mail worker
/// commandes  commande.annulee ─▶ paiements (refund what was captured)
/// ```
pub mod cles {
    /// A new order was accepted (the seed's routing key).
    pub const COMMANDE_NOUVELLE: &str = "commande.nouvelle";
    /// produits reserved every line of an order.
    pub const STOCK_RESERVE: &str = "stock.reserve";
    /// produits could not reserve an order: some lines are short of stock.
    pub const STOCK_REFUSE: &str = "stock.refuse";
    /// An order that held stock was cancelled: produits gives its reservation back (once).
    pub const STOCK_LIBERE: &str = "stock.libere";
    /// Stock reserved: the order waits for its payment until its deadline.
    pub const COMMANDE_A_PAYER: &str = "commande.a_payer";
    /// A payment attempt was declined; the order still waits for payment.
    pub const COMMANDE_PAIEMENT_REFUSE: &str = "commande.paiement_refuse";
    /// The order is paid (before the lifecycle: « stock reserved »).
    pub const COMMANDE_CONFIRMEE: &str = "commande.confirmee";
    /// The order is cancelled; the payload says why (`raison`).
    pub const COMMANDE_ANNULEE: &str = "commande.annulee";
    /// The shop shipped the order (carrier and tracking number in the payload).
    pub const COMMANDE_EXPEDIEE: &str = "commande.expediee";
    /// The payment of a cancelled order was refunded.
    pub const COMMANDE_REMBOURSEE: &str = "commande.remboursee";
    /// paiements captured the amount due for an order.
    pub const PAIEMENT_ACCEPTE: &str = "paiement.accepte";
    /// paiements' provider declined a card (nothing captured).
    pub const PAIEMENT_REFUSE: &str = "paiement.refuse";
    /// paiements refunded a captured payment.
    pub const PAIEMENT_REMBOURSE: &str = "paiement.rembourse";
}

/// A durable queue, what it is bound to, and who consumes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct File {
    pub nom: &'static str,
    pub liaisons: &'static [&'static str],
    /// Bindings of earlier versions, removed when the topology is declared (a binding
    /// outlives the code that made it).
    pub anciennes_liaisons: &'static [&'static str],
}

/// produits reserves stock for new orders.
pub const STOCK_UPDATE: File = File {
    nom: "stock_update",
    liaisons: &[cles::COMMANDE_NOUVELLE],
    anciennes_liaisons: &[],
};
/// produits gives back the stock of cancelled orders.
pub const STOCK_LIBERATION: File = File {
    nom: "stock_liberation",
    liaisons: &[cles::STOCK_LIBERE],
    anciennes_liaisons: &[],
};
/// commandes follows stock and payment outcomes to move the order status.
pub const COMMANDES_STATUT: File = File {
    nom: "commandes_statut",
    liaisons: &[
        cles::STOCK_RESERVE,
        cles::STOCK_REFUSE,
        cles::PAIEMENT_ACCEPTE,
        cles::PAIEMENT_REFUSE,
        cles::PAIEMENT_REMBOURSE,
    ],
    // `stock.*` would now also catch `stock.libere`, which is produits' business.
    anciennes_liaisons: &["stock.*"],
};
/// paiements learns what each order owes, and refunds cancelled orders it was paid for.
pub const PAIEMENTS_COMMANDES: File = File {
    nom: "paiements_commandes",
    liaisons: &[cles::COMMANDE_A_PAYER, cles::COMMANDE_ANNULEE],
    anciennes_liaisons: &[],
};
/// The mail worker tells customers each step of their order.
pub const MAIL_NOTIFIER: File = File {
    nom: "mail_notifier",
    liaisons: &[
        cles::COMMANDE_A_PAYER,
        cles::COMMANDE_PAIEMENT_REFUSE,
        cles::COMMANDE_CONFIRMEE,
        cles::COMMANDE_ANNULEE,
        cles::COMMANDE_EXPEDIEE,
        cles::COMMANDE_REMBOURSEE,
    ],
    anciennes_liaisons: &[],
};

/// Every queue of the shop.
pub const FILES: &[File] = &[
    STOCK_UPDATE,
    STOCK_LIBERATION,
    COMMANDES_STATUT,
    PAIEMENTS_COMMANDES,
    MAIL_NOTIFIER,
];

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

    /// A topic binding matches keys with the same number of words, `*` standing for any one
    /// word, `#` for any number of them.
    fn correspond(motif: &str, cle: &str) -> bool {
        fn suite(m: &[&str], c: &[&str]) -> bool {
            match (m.first(), c.first()) {
                (None, None) => true,
                (Some(&"#"), _) => suite(&m[1..], c) || (!c.is_empty() && suite(m, &c[1..])),
                (Some(a), Some(b)) => (*a == "*" || a == b) && suite(&m[1..], &c[1..]),
                _ => false,
            }
        }
        let m: Vec<&str> = motif.split('.').collect();
        let c: Vec<&str> = cle.split('.').collect();
        suite(&m, &c)
    }

    #[test]
    fn chaque_cle_publiee_atteint_au_moins_une_file() {
        let cles = [
            cles::COMMANDE_NOUVELLE,
            cles::STOCK_RESERVE,
            cles::STOCK_REFUSE,
            cles::STOCK_LIBERE,
            cles::COMMANDE_A_PAYER,
            cles::COMMANDE_PAIEMENT_REFUSE,
            cles::COMMANDE_CONFIRMEE,
            cles::COMMANDE_ANNULEE,
            cles::COMMANDE_EXPEDIEE,
            cles::COMMANDE_REMBOURSEE,
            cles::PAIEMENT_ACCEPTE,
            cles::PAIEMENT_REFUSE,
            cles::PAIEMENT_REMBOURSE,
        ];
        for cle in cles {
            assert!(
                FILES
                    .iter()
                    .any(|f| f.liaisons.iter().any(|l| correspond(l, cle))),
                "{cle} n'atteint aucune file"
            );
        }
    }

    #[test]
    fn la_liberation_du_stock_n_arrive_qu_a_produits() {
        let files: Vec<&str> = FILES
            .iter()
            .filter(|f| f.liaisons.iter().any(|l| correspond(l, cles::STOCK_LIBERE)))
            .map(|f| f.nom)
            .collect();
        assert_eq!(files, ["stock_liberation"]);
        // The binding commandes_statut had before would deliver it there too.
        assert!(correspond(
            COMMANDES_STATUT.anciennes_liaisons[0],
            cles::STOCK_LIBERE
        ));
    }
}
