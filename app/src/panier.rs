//! The cart: pure arithmetic on lines, shared as a signal, kept in localStorage.
//!
//! The server renders an empty cart; in the browser each island shows the saved cart once
//! it is hydrated (so its first render matches the server's), and every change is saved.

use leptos::prelude::*;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Quantity bounds the orders API accepts for one line.
pub const QUANTITE_MAX: i32 = 1000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LignePanier {
    pub produit_id: i64,
    pub nom: String,
    pub prix: Decimal,
    pub quantite: i32,
}

impl LignePanier {
    pub fn sous_total(&self) -> Decimal {
        self.prix * Decimal::from(self.quantite)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Panier {
    pub lignes: Vec<LignePanier>,
}

impl Panier {
    /// Adds `quantite` of a product (merging with its line), capped at [`QUANTITE_MAX`].
    pub fn ajouter(&mut self, produit_id: i64, nom: &str, prix: Decimal, quantite: i32) {
        if quantite < 1 {
            return;
        }
        match self.lignes.iter_mut().find(|l| l.produit_id == produit_id) {
            Some(l) => {
                l.quantite = (l.quantite + quantite).min(QUANTITE_MAX);
                l.prix = prix;
            }
            None => self.lignes.push(LignePanier {
                produit_id,
                nom: nom.to_owned(),
                prix,
                quantite: quantite.min(QUANTITE_MAX),
            }),
        }
    }

    /// Sets a line's quantity; 0 or less removes it.
    pub fn changer(&mut self, produit_id: i64, quantite: i32) {
        if quantite < 1 {
            self.retirer(produit_id);
        } else if let Some(l) = self.lignes.iter_mut().find(|l| l.produit_id == produit_id) {
            l.quantite = quantite.min(QUANTITE_MAX);
        }
    }

    pub fn retirer(&mut self, produit_id: i64) {
        self.lignes.retain(|l| l.produit_id != produit_id);
    }

    /// The running total shown to the customer; the order's real total comes from the API.
    pub fn total(&self) -> Decimal {
        self.lignes.iter().map(LignePanier::sous_total).sum()
    }

    pub fn nombre_d_articles(&self) -> i32 {
        self.lignes.iter().map(|l| l.quantite).sum()
    }

    pub fn est_vide(&self) -> bool {
        self.lignes.is_empty()
    }
}

#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
const CLE_STOCKAGE: &str = "boutique321.panier";

/// The cart as one island sees it: `lu` is empty until the island is hydrated (so its first
/// render matches the server's); [`AccesPanier::changer`] changes the cart of the whole page
/// and saves it.
#[derive(Clone, Copy)]
pub struct AccesPanier {
    pub lu: Signal<Panier>,
    partage: RwSignal<Panier>,
}

impl AccesPanier {
    pub fn changer(&self, f: impl FnOnce(&mut Panier)) {
        self.partage.update(f);
        #[cfg(feature = "hydrate")]
        self.partage.with_untracked(|p| {
            if let (Some(s), Ok(t)) = (stockage(), serde_json::to_string(p)) {
                let _ = s.set_item(CLE_STOCKAGE, &t);
            }
        });
    }

    /// The cart as it is now, whether or not this island is hydrated.
    pub fn actuel<T>(&self, f: impl FnOnce(&Panier) -> T) -> T {
        self.partage.with_untracked(f)
    }
}

/// The page's cart: in the browser one signal shared by every island, loaded from
/// localStorage; on the server an empty cart.
pub fn utiliser(pret: ReadSignal<bool>) -> AccesPanier {
    let partage = RwSignal::from(partage());
    AccesPanier {
        lu: Signal::derive(move || {
            if pret.get() {
                partage.get()
            } else {
                Panier::default()
            }
        }),
        partage,
    }
}

#[cfg(not(feature = "hydrate"))]
fn partage() -> ArcRwSignal<Panier> {
    ArcRwSignal::new(Panier::default())
}

#[cfg(feature = "hydrate")]
fn partage() -> ArcRwSignal<Panier> {
    thread_local! {
        // Reference-counted, not owned by an island: one cart for the page's lifetime.
        static PANIER: ArcRwSignal<Panier> = ArcRwSignal::new(
            stockage()
                .and_then(|s| s.get_item(CLE_STOCKAGE).ok().flatten())
                .and_then(|t| serde_json::from_str::<Panier>(&t).ok())
                .unwrap_or_default(),
        );
    }
    PANIER.with(Clone::clone)
}

#[cfg(feature = "hydrate")]
fn stockage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn ajouter_deux_fois_le_meme_produit_fusionne_la_ligne() {
        let mut p = Panier::default();
        p.ajouter(1, "Lampe", d("49.90"), 1);
        p.ajouter(1, "Lampe", d("49.90"), 2);
        p.ajouter(2, "Tasse", d("18.50"), 1);
        assert_eq!(p.lignes.len(), 2);
        assert_eq!(p.lignes[0].quantite, 3);
        assert_eq!(p.nombre_d_articles(), 4);
    }

    #[test]
    fn le_total_est_exact_en_decimal() {
        let mut p = Panier::default();
        p.ajouter(1, "A", d("0.10"), 1);
        p.ajouter(2, "B", d("0.20"), 1);
        assert_eq!(p.total(), d("0.30"));
        p.ajouter(3, "C", d("49.90"), 3);
        assert_eq!(p.total(), d("150.00"));
    }

    #[test]
    fn changer_une_quantite_a_zero_retire_la_ligne() {
        let mut p = Panier::default();
        p.ajouter(1, "A", d("1.00"), 2);
        p.changer(1, 5);
        assert_eq!(p.lignes[0].quantite, 5);
        p.changer(1, 0);
        assert!(p.est_vide());
    }

    #[test]
    fn une_quantite_est_plafonnee_a_1000() {
        let mut p = Panier::default();
        p.ajouter(1, "A", d("1.00"), 999);
        p.ajouter(1, "A", d("1.00"), 5);
        assert_eq!(p.lignes[0].quantite, QUANTITE_MAX);
    }
}
