//! One product: details, quantity, add to cart (disabled when out of stock).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::{badge_stock, prix, Chargement, MessageErreur, PageIntrouvable};
use crate::api::{self, Produit};
use crate::ilots::hydratation;
use crate::panier;
use rust_decimal::Decimal;

#[component]
pub fn PageProduit() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").and_then(|i| i.parse::<i64>().ok());
    let produit = Resource::new(id, |id| async move {
        match id {
            Some(id) => api::produit(id).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Suspense fallback=|| view! { <Chargement/> }>
            {move || Suspend::new(async move {
                match produit.await {
                    Ok(Some(p)) => view! { <Fiche produit=p/> }.into_any(),
                    Ok(None) => view! { <PageIntrouvable/> }.into_any(),
                    Err(e) if e.statut == 404 => view! { <PageIntrouvable/> }.into_any(),
                    Err(e) => view! { <MessageErreur erreur=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Fiche(produit: Produit) -> impl IntoView {
    let (classe, texte) = badge_stock(produit.quantite_en_stock);
    view! {
        <article class="fiche">
            <img src=produit.image_url.unwrap_or_default() alt="" width="480" height="360"/>
            <div>
                <h1>{produit.nom.clone()}</h1>
                <p class="prix">{prix(produit.prix)}</p>
                <span class=classe>{texte}</span>
                <p class="stock" data-stock=produit.quantite_en_stock>
                    {format!("{} en stock", produit.quantite_en_stock)}
                </p>
                <p class="description">{produit.description}</p>
                <AjoutPanier
                    id=produit.id
                    nom=produit.nom
                    prix=produit.prix
                    stock=produit.quantite_en_stock
                />
                <A href="/">"← Retour au catalogue"</A>
            </div>
        </article>
    }
}

/// Quantity and « Ajouter au panier » (disabled when out of stock).
#[island]
fn AjoutPanier(id: i64, nom: String, prix: Decimal, stock: i32) -> impl IntoView {
    let panier = panier::utiliser(hydratation());
    // No suffixed literal (`1i32`) in an island: the island's exported name hashes its tokens,
    // and the server's and the WASM's compilers (rustup's, Debian's) spell those differently.
    let quantite: RwSignal<i32> = RwSignal::new(1);
    let ajoute = RwSignal::new(false);
    let epuise = stock <= 0;
    let max = stock.clamp(1, panier::QUANTITE_MAX);
    let ajouter = move |_| {
        panier.changer(|p| p.ajouter(id, &nom, prix, quantite.get_untracked()));
        ajoute.set(true);
    };
    view! {
        <div class="ajout">
            <label for="quantite">"Quantité"</label>
            <input
                id="quantite"
                type="number"
                min="1"
                max=max
                prop:value=move || quantite.get().to_string()
                on:input=move |ev| {
                    let v = event_target_value(&ev).parse::<i32>().unwrap_or(1);
                    quantite.set(v.clamp(1, max));
                }
                disabled=epuise
            />
            <button type="button" on:click=ajouter disabled=epuise>
                {if epuise { "Épuisé" } else { "Ajouter au panier" }}
            </button>
        </div>
        <Show when=move || ajoute.get()>
            <p class="confirmation" role="status">
                "Ajouté au panier. " <a href="/panier">"Voir le panier"</a>
            </p>
        </Show>
    }
}
