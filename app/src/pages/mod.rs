//! The storefront's pages, one module each, and the pieces they share.

mod catalogue;
mod commande;
mod introuvable;
mod paiement;
mod panier;
mod produit;

pub use catalogue::Catalogue;
pub use commande::PageCommande;
pub use introuvable::PageIntrouvable;
pub use panier::{CompteurPanier, PagePanier};
pub use produit::PageProduit;

use leptos::prelude::*;

use crate::api::ErreurApi;

/// A price as the customer reads it: `CHF 1’234.50`.
pub fn prix(montant: rust_decimal::Decimal) -> String {
    contrats::chf::chf(montant)
}

/// The stock badge: « en stock », « plus que N » (5 or fewer), « épuisé ».
pub fn badge_stock(stock: i32) -> (&'static str, String) {
    match stock {
        s if s <= 0 => ("badge epuise", "épuisé".to_owned()),
        s if s <= 5 => ("badge bientot", format!("plus que {s}")),
        _ => ("badge en-stock", "en stock".to_owned()),
    }
}

/// A failed fetch, said plainly.
#[component]
pub fn MessageErreur(erreur: ErreurApi) -> impl IntoView {
    view! {
        <div class="erreur" role="alert">
            <p>{erreur.erreur}</p>
        </div>
    }
}

/// Shown while a page's data loads.
#[component]
pub fn Chargement() -> impl IntoView {
    view! { <p class="chargement" aria-live="polite">"Chargement…"</p> }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_badge_de_stock_suit_la_quantite() {
        assert_eq!(badge_stock(0).1, "épuisé");
        assert_eq!(badge_stock(3).1, "plus que 3");
        assert_eq!(badge_stock(6).1, "en stock");
    }

    #[test]
    fn un_prix_s_affiche_en_francs_suisses() {
        assert_eq!(prix(rust_decimal::Decimal::new(123450, 2)), "CHF 1’234.50");
    }
}
