//! The cart and the checkout, and the cart counter in the header.
//!
//! The cart lives in the browser (localStorage), so these are islands: the server renders
//! them empty. The checkout asks for an email, a name and a Swiss delivery address, each with
//! the API's message next to it. The order POST carries an Idempotency-Key made once per
//! checkout, so a double click (or a retry after a network error) never makes two orders;
//! the customer then pays on the order's page.

use leptos::prelude::*;

use super::prix;
use crate::api::{self, ErreurApi};
use crate::ilots::hydratation;
use crate::panier::{self, AccesPanier, QUANTITE_MAX};
use crate::saisie::{formater_npa, Champ};

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
            <Caisse panier/>
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

/// The fields of the checkout whose messages are shown next to them; any other message of
/// the API is shown above the button.
const CHAMPS_CAISSE: [&str; 5] = [
    "email",
    "nom",
    "adresse.rue",
    "adresse.npa",
    "adresse.localite",
];

/// Who orders and where to deliver (Switzerland), then « Valider la commande »: the order
/// page, where the customer pays, comes next.
#[component]
fn Caisse(panier: AccesPanier) -> impl IntoView {
    let email = RwSignal::new(String::new());
    let nom = RwSignal::new(String::new());
    let rue = RwSignal::new(String::new());
    let npa = RwSignal::new(String::new());
    let localite = RwSignal::new(String::new());
    let cle = RwSignal::new(nouvelle_cle());
    let erreur = RwSignal::new(None::<ErreurApi>);
    let en_cours = RwSignal::new(false);
    let envoyer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if en_cours.get_untracked() {
            return;
        }
        erreur.set(None);
        let lignes = panier.actuel(|p| {
            p.lignes
                .iter()
                .map(|l| (l.produit_id, l.quantite))
                .collect()
        });
        let client = api::Client {
            email: email.get_untracked(),
            nom: nom.get_untracked(),
            adresse: api::Adresse {
                rue: rue.get_untracked(),
                npa: npa.get_untracked(),
                localite: localite.get_untracked(),
            },
        };
        en_cours.set(true);
        leptos::task::spawn_local(async move {
            match api::commander(client, lignes, cle.get_untracked()).await {
                Ok(c) => {
                    panier.changer(|p| *p = Default::default());
                    cle.set(nouvelle_cle());
                    // No client-side router in islands mode: the order page comes from the
                    // server. The button stays disabled until it has loaded.
                    let _ = window()
                        .location()
                        .set_href(&format!("/commandes/{}", c.reference));
                }
                Err(e) => {
                    erreur.set(Some(e));
                    en_cours.set(false);
                }
            }
        });
    };
    let message = move |cle: &'static str| {
        Signal::derive(move || erreur.with(|e| e.as_ref().and_then(|e| e.champ(cle))))
    };
    let message_general = move || {
        erreur.with(|e| {
            e.as_ref()
                .filter(|e| !CHAMPS_CAISSE.iter().any(|c| e.champs.contains_key(*c)))
                .map(|e| e.erreur.clone())
        })
    };
    view! {
        <form class="caisse" on:submit=envoyer novalidate>
            <h2>"Commander"</h2>
            <Champ id="email" libelle="Adresse e-mail" valeur=email erreur=message("email")
                genre="email" autocomplete="email"/>
            <fieldset>
                <legend>"Livraison en Suisse"</legend>
                <Champ id="nom" libelle="Nom et prénom" valeur=nom erreur=message("nom")
                    autocomplete="name"/>
                <Champ id="rue" libelle="Rue et numéro" valeur=rue erreur=message("adresse.rue")
                    autocomplete="address-line1"/>
                <div class="npa-localite">
                    <Champ id="npa" libelle="NPA" valeur=npa erreur=message("adresse.npa")
                        autocomplete="postal-code" inputmode="numeric" maxlength=4
                        placeholder="1003" formater=formater_npa/>
                    <Champ id="localite" libelle="Localité" valeur=localite
                        erreur=message("adresse.localite") autocomplete="address-level2"/>
                </div>
            </fieldset>
            <p class="erreur" role="alert" hidden=move || message_general().is_none()>
                {message_general}
            </p>
            <button type="submit" disabled=move || en_cours.get()>
                {move || if en_cours.get() { "Envoi…" } else { "Valider la commande" }}
            </button>
        </form>
    }
}
