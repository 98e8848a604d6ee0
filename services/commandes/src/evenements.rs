//! The events commandes publishes, built from a stored order, and what is announced after a
//! transaction: the outbox rows written in it, then (once committed) the relay woken and the
//! transitions counted.

use chrono::Utc;
use contrats::evenements::{
    CommandeNouvelle, EtapeCommande, LiberationStock, LigneEvenement, ProduitCommande,
};
use contrats::http::{Etape, RaisonAnnulation, StatutCommande};
use contrats::noms::cles;
use serde::Serialize;
use socle::outbox::Reveil;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domaine::Commande;

/// Counter of order steps announced, label `etape` (`recue`, `a_payer`, `paiement_refuse`,
/// `confirmee`, `annulee`, `expediee`, `remboursee`).
pub const TRANSITIONS: &str = "commandes_transitions_total";

/// Describes [`TRANSITIONS`] to the metrics recorder (`/metrics` shows its help line).
pub fn decrire_metriques() {
    socle::metriques::installer();
    metrics::describe_counter!(TRANSITIONS, "Étapes de commande annoncées, par étape");
}

/// Counts `n` steps `etape` (after their transaction committed).
pub fn compter(etape: Etape, n: u64) {
    if n > 0 {
        metrics::counter!(TRANSITIONS, "etape" => etape.as_str()).increment(n);
    }
}

fn lignes_evenement(c: &Commande) -> Vec<LigneEvenement> {
    c.lignes
        .iter()
        .map(|l| LigneEvenement {
            produit_id: l.produit_id,
            nom: l.nom.clone(),
            prix_unitaire: l.prix_unitaire,
            quantite: l.quantite,
            sous_total: l.sous_total,
        })
        .collect()
}

/// `commande.nouvelle` for a just-created order (the seed's fields, plus ours).
pub fn commande_nouvelle(c: &Commande) -> CommandeNouvelle {
    CommandeNouvelle {
        id_evenement: Uuid::new_v4(),
        id_commande: c.id_commande,
        reference: c.reference,
        email: c.email.clone(),
        total: c.total,
        produits: c
            .lignes
            .iter()
            .map(|l| ProduitCommande {
                produit_id: l.produit_id,
                quantite: l.quantite,
            })
            .collect(),
        lignes: lignes_evenement(c),
        timestamp: Utc::now(),
    }
}

/// The step event of `c` as it stands now (after the step): status, reason, deadline while
/// `a_payer`, payment and shipment once there are. `manquants` and `refus` are the caller's.
pub fn etape(c: &Commande) -> EtapeCommande {
    EtapeCommande {
        id_evenement: Uuid::new_v4(),
        id_commande: c.id_commande,
        reference: c.reference,
        email: c.email.clone(),
        statut: c.statut,
        total: c.total,
        lignes: lignes_evenement(c),
        manquants: Vec::new(),
        raison: c.raison_annulation,
        nom: c.nom.clone(),
        echeance_paiement: c.echeance_en_cours(),
        paiement: c.paiement.clone(),
        refus: None,
        expedition: c.expedition.clone(),
        timestamp: Utc::now(),
    }
}

/// A payload on the outbox: serialised as the payload itself.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Charge {
    Etape(Box<EtapeCommande>),
    Liberation(LiberationStock),
}

/// The events of one transaction, in order.
#[derive(Debug, Default)]
pub struct Annonces {
    evenements: Vec<(&'static str, Uuid, Charge)>,
    etapes: Vec<Etape>,
}

impl Annonces {
    /// The step `quoi` of an order (its routing key is the step's).
    pub fn etape(&mut self, quoi: Etape, evenement: EtapeCommande) {
        self.evenements.push((
            quoi.cle(),
            evenement.id_evenement,
            Charge::Etape(Box::new(evenement)),
        ));
        self.etapes.push(quoi);
    }

    /// `stock.libere` for `c`: produits gives back what it reserved for it (once, however
    /// many times this arrives).
    pub fn liberation(&mut self, c: &Commande, raison: RaisonAnnulation) {
        let e = LiberationStock {
            id_evenement: Uuid::new_v4(),
            id_commande: c.id_commande,
            reference: c.reference,
            raison,
            timestamp: Utc::now(),
        };
        self.evenements
            .push((cles::STOCK_LIBERE, e.id_evenement, Charge::Liberation(e)));
    }

    /// A cancellation of `c` (already `annulee`), with `stock.libere` when `avant` was a
    /// status that held stock.
    pub fn annulation(&mut self, c: &Commande, avant: StatutCommande) {
        self.etape(Etape::Annulee, etape(c));
        if Commande::statut_retient_du_stock(avant) {
            if let Some(raison) = c.raison_annulation {
                self.liberation(c, raison);
            }
        }
    }

    pub fn est_vide(&self) -> bool {
        self.evenements.is_empty()
    }

    /// Writes them to the outbox, in the caller's transaction.
    pub async fn ecrire(&self, conn: &mut PgConnection) -> anyhow::Result<()> {
        socle::outbox::ajouter_lot(conn, &self.evenements).await
    }

    /// Once the transaction committed: wakes the relay, counts the steps.
    pub fn apres_validation(self, reveil: &Reveil) {
        if self.est_vide() {
            return;
        }
        reveil.signaler();
        for quoi in &self.etapes {
            compter(*quoi, 1);
        }
    }
}
