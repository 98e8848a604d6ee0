//! The catalogue: search, grid, pagination. The search is a plain GET form, so it works
//! before (and without) the WASM.

use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use super::{badge_stock, prix, Chargement, MessageErreur};
use crate::api::{self, Produit, PAR_PAGE};

#[component]
pub fn Catalogue() -> impl IntoView {
    let requete = use_query_map();
    let q = move || requete.read().get("q").unwrap_or_default();
    let page = move || {
        requete
            .read()
            .get("page")
            .and_then(|p| p.parse::<i64>().ok())
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    };
    let produits = Resource::new(move || (q(), page()), |(q, page)| api::catalogue(q, page));

    view! {
        <section class="catalogue">
            <h1>"Catalogue"</h1>
            <form method="get" action="/" class="recherche" role="search">
                <label for="q">"Rechercher un produit"</label>
                <input id="q" name="q" type="search" prop:value=q placeholder="lampe, tasse…"/>
                <button type="submit">"Rechercher"</button>
            </form>
            <Suspense fallback=|| view! { <Chargement/> }>
                {move || Suspend::new(async move {
                    match produits.await {
                        Err(e) => view! { <MessageErreur erreur=e/> }.into_any(),
                        Ok(p) if p.produits.is_empty() => {
                            view! { <p class="vide">"Aucun produit ne correspond."</p> }.into_any()
                        }
                        Ok(p) => {
                            let pages = (p.total + PAR_PAGE - 1) / PAR_PAGE;
                            view! {
                                <ul class="grille">
                                    {p.produits.into_iter().map(|p| view! { <Carte produit=p/> }).collect_view()}
                                </ul>
                                <Pagination q=q() page=page() pages/>
                            }
                                .into_any()
                        }
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn Carte(produit: Produit) -> impl IntoView {
    let (classe, texte) = badge_stock(produit.quantite_en_stock);
    let lien = format!("/produits/{}", produit.id);
    view! {
        <li class="carte">
            <A href=lien.clone()>
                <img src=produit.image_url.unwrap_or_default() alt="" loading="lazy" width="240" height="180"/>
                <h2>{produit.nom}</h2>
            </A>
            <p class="prix">{prix(produit.prix)}</p>
            <span class=classe>{texte}</span>
        </li>
    }
}

#[component]
fn Pagination(q: String, page: i64, pages: i64) -> impl IntoView {
    let lien = move |n: i64| {
        if q.is_empty() {
            format!("/?page={n}")
        } else {
            format!(
                "/?q={}&page={n}",
                form_urlencoded::byte_serialize(q.as_bytes()).collect::<String>()
            )
        }
    };
    (pages > 1).then(|| {
        view! {
            <nav class="pagination" aria-label="Pages du catalogue">
                {(page > 1).then(|| view! { <A href=lien(page - 1)>"← Précédente"</A> })}
                <span>{format!("Page {page} sur {pages}")}</span>
                {(page < pages).then(|| view! { <A href=lien(page + 1)>"Suivante →"</A> })}
            </nav>
        }
    })
}
