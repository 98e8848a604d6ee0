//! The cart and the checkout, and the cart counter in the header.
//!
//! The cart lives in the browser (localStorage), so these are islands: the server renders
//! them empty. The order POST carries an Idempotency-Key made once per checkout, so a double
//! click (or a retry after a network error) never makes two orders.

use leptos::prelude::*;

use super::prix;
use crate::api::{self, ErreurApi};
use crate::ilots::hydratation;
use crate::panier::{self, AccesPanier, QUANTITE_MAX};

#[component]
pub fn PagePanier() -> impl IntoView {
    view! {
        <section class="panier">
            <h1>"Panier"</h1>
            <ContenuPanier/>
        </section>
    }
}

/// How many articles the cart holds, in the header of every page.
#[island]
pub fn CompteurPanier() -> impl IntoView {
    let panier = panier::utiliser(hydratation());
    view! {
        <span class="compteur" aria-label="articles dans le panier">
            {move || panier.lu.with(|p| p.nombre_d_articles())}
        </span>
    }
}

#[island]
fn ContenuPanier() -> impl IntoView {
    let panier = panier::utiliser(hydratation());
    view! {
        <Show
            when=move || !panier.lu.with(|p| p.est_vide())
            fallback=|| view! { <p class="vide">"Votre panier est vide. " <a href="/">"Voir le catalogue"</a></p> }
        >
            <table class="lignes">
                <thead>
                    <tr>
                        <th scope="col">"Article"</th>
                        <th scope="col">"Prix"</th>
                        <th scope="col">"Quantité"</th>
                        <th scope="col">"Sous-total"</th>
                        <th scope="col"><span class="visuellement-cache">"Retirer"</span></th>
                    </tr>
                </thead>
                <tbody>
                    <For each=move || panier.lu.get().lignes key=|l| (l.produit_id, l.quantite) let:ligne>
                        <LigneDuPanier ligne panier/>
                    </For>
                </tbody>
            </table>
            <p class="total">"Total : " <strong>{move || prix(panier.lu.with(|p| p.total()))}</strong></p>
            <Paiement panier/>
        </Show>
    }
}

#[component]
fn LigneDuPanier(ligne: panier::LignePanier, panier: AccesPanier) -> impl IntoView {
    let id = ligne.produit_id;
    let etiquette = format!("Quantité de {}", ligne.nom);
    view! {
        <tr>
            <td>{ligne.nom.clone()}</td>
            <td>{prix(ligne.prix)}</td>
            <td>
                <input
                    type="number"
                    min="1"
                    max=QUANTITE_MAX
                    aria-label=etiquette
                    prop:value=ligne.quantite.to_string()
                    on:change=move |ev| {
                        let q = event_target_value(&ev).parse::<i32>().unwrap_or(1);
                        panier.changer(|p| p.changer(id, q.max(1)));
                    }
                />
            </td>
            <td>{prix(ligne.sous_total())}</td>
            <td>
                <button type="button" class="retirer" on:click=move |_| panier.changer(|p| p.retirer(id))>
                    "Retirer"
                </button>
            </td>
        </tr>
    }
}

/// A fresh key for one checkout.
fn nouvelle_cle() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[component]
fn Paiement(panier: AccesPanier) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let cle = RwSignal::new(nouvelle_cle());
    let erreur = RwSignal::new(None::<ErreurApi>);
    let commander = Action::new_local(
        move |(email, lignes, cle): &(String, Vec<(i64, i32)>, String)| {
            api::commander(email.clone(), lignes.clone(), cle.clone())
        },
    );
    Effect::new(move |_| {
        if let Some(resultat) = commander.value().get() {
            match resultat {
                Ok(c) => {
                    panier.changer(|p| *p = Default::default());
                    cle.set(nouvelle_cle());
                    // No client-side router in islands mode: the order page comes from the server.
                    let _ = window()
                        .location()
                        .set_href(&format!("/commandes/{}", c.reference));
                }
                Err(e) => erreur.set(Some(e)),
            }
        }
    });
    let envoyer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if commander.pending().get_untracked() {
            return;
        }
        erreur.set(None);
        let lignes = panier.actuel(|p| {
            p.lignes
                .iter()
                .map(|l| (l.produit_id, l.quantite))
                .collect()
        });
        commander.dispatch((email.get_untracked(), lignes, cle.get_untracked()));
    };
    let message_email =
        move || erreur.with(|e| e.as_ref().and_then(|e| e.champs.get("email").cloned()));
    view! {
        <form class="paiement" on:submit=envoyer novalidate>
            <h2>"Commander"</h2>
            <label for="email">"Adresse e-mail"</label>
            <input
                id="email"
                name="email"
                type="email"
                autocomplete="email"
                required
                aria-describedby="email-erreur"
                aria-invalid=move || message_email().is_some().to_string()
                prop:value=move || email.get()
                on:input=move |ev| email.set(event_target_value(&ev))
            />
            <p id="email-erreur" class="erreur-champ" aria-live="polite">{message_email}</p>
            <Show when=move || erreur.with(|e| e.as_ref().is_some_and(|e| !e.champs.contains_key("email")))>
                <p class="erreur" role="alert">{move || erreur.get().map(|e| e.erreur)}</p>
            </Show>
            <button type="submit" disabled=move || commander.pending().get()>
                {move || if commander.pending().get() { "Envoi…" } else { "Valider la commande" }}
            </button>
        </form>
    }
}
