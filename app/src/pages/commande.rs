//! An order: its lines, total and a status that moves from « en attente » to « confirmée »
//! or « annulée » without reloading. The page is rendered on the server; only the status is
//! an island, which polls the API while the order is pending.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use contrats::http::StatutCommande as Statut;
use uuid::Uuid;

use super::{prix, Chargement, MessageErreur, PageIntrouvable};
use crate::api::{self, Commande};

#[component]
pub fn PageCommande() -> impl IntoView {
    let params = use_params_map();
    // Only a UUID is ever sent on to commandes: anything else is a page that does not exist.
    let reference = move || {
        params
            .read()
            .get("reference")
            .and_then(|r| Uuid::parse_str(&r).ok())
    };
    let commande = Resource::new(reference, |r| async move {
        match r {
            Some(r) => api::commande(r).await.map(Some),
            None => Ok(None),
        }
    });
    view! {
        <Suspense fallback=|| view! { <Chargement/> }>
            {move || Suspend::new(async move {
                match commande.await {
                    Ok(Some(c)) => view! { <Recapitulatif commande=c/> }.into_any(),
                    Ok(None) => view! { <PageIntrouvable/> }.into_any(),
                    Err(e) if e.statut == 404 || e.statut == 400 => view! { <PageIntrouvable/> }.into_any(),
                    Err(e) => view! { <MessageErreur erreur=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The status, asked again every second while the order is pending (browser only).
#[island]
fn StatutCommande(reference: Uuid, statut: Statut) -> impl IntoView {
    let statut = RwSignal::new(statut);
    let injoignable = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let en_vol = RwSignal::new(false);
        let minuterie = set_interval_with_handle(
            move || {
                if !statut.get_untracked().en_cours() || en_vol.get_untracked() {
                    return;
                }
                en_vol.set(true);
                leptos::task::spawn_local(async move {
                    match api::commande(reference).await {
                        Ok(c) => {
                            injoignable.set(false);
                            statut.set(c.statut);
                        }
                        Err(_) => injoignable.set(true),
                    }
                    en_vol.set(false);
                });
            },
            std::time::Duration::from_secs(1),
        );
        if let Ok(m) = minuterie {
            on_cleanup(move || m.clear());
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = reference;
    view! {
        <span
            class=move || format!("statut statut-{}", statut.get().as_str())
            data-statut=move || statut.get().as_str()
            aria-live="polite"
        >
            {move || statut.get().libelle()}
        </span>
        <Show when=move || injoignable.get()>
            <small class="erreur-champ">" (mise à jour impossible pour l'instant, nouvel essai…)"</small>
        </Show>
    }
}

#[component]
fn Recapitulatif(commande: Commande) -> impl IntoView {
    view! {
        <section class="commande">
            <h1>{format!("Commande n° {}", commande.id_commande)}</h1>
            <p>
                "Statut : "
                <StatutCommande reference=commande.reference statut=commande.statut/>
            </p>
            <p class="reference">"Référence : " <code>{commande.reference.to_string()}</code></p>
            <table class="lignes">
                <thead>
                    <tr>
                        <th scope="col">"Article"</th>
                        <th scope="col">"Prix unitaire"</th>
                        <th scope="col">"Quantité"</th>
                        <th scope="col">"Sous-total"</th>
                    </tr>
                </thead>
                <tbody>
                    {commande
                        .lignes
                        .into_iter()
                        .map(|l| {
                            view! {
                                <tr>
                                    <td>{l.nom}</td>
                                    <td>{prix(l.prix_unitaire)}</td>
                                    <td>{l.quantite}</td>
                                    <td>{prix(l.sous_total)}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
            <p class="total">"Total : " <strong>{prix(commande.total)}</strong></p>
            <p>"Un e-mail de confirmation est envoyé à " {commande.email} "."</p>
        </section>
    }
}
