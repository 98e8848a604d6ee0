//! One product: details, quantity, add to cart (disabled when out of stock).

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::{badge_stock, prix, Chargement, MessageErreur, PageIntrouvable};
use crate::api::{self, Produit};
use crate::panier;

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
    let panier = panier::utiliser();
    let quantite = RwSignal::new(1i32);
    let ajoute = RwSignal::new(false);
    let epuise = produit.quantite_en_stock <= 0;
    let max = produit.quantite_en_stock.clamp(1, panier::QUANTITE_MAX);
    let (classe, texte) = badge_stock(produit.quantite_en_stock);
    let (id, nom, montant) = (produit.id, produit.nom.clone(), produit.prix);
    let ajouter = move |_| {
        panier.update(|p| p.ajouter(id, &nom, montant, quantite.get_untracked()));
        ajoute.set(true);
    };
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
                        "Ajouté au panier. " <A href="/panier">"Voir le panier"</A>
                    </p>
                </Show>
                <A href="/">"← Retour au catalogue"</A>
            </div>
        </article>
    }
}
