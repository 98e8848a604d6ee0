//! An order: its lines, total and a status that moves from « en attente » to « confirmée »
//! or « annulée » without reloading (the browser polls while it is pending).

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{prix, Chargement, MessageErreur, PageIntrouvable};
use crate::api::{self, Commande};

fn libelle(statut: &str) -> &'static str {
    match statut {
        "confirmee" => "confirmée",
        "annulee" => "annulée",
        _ => "en attente",
    }
}

#[component]
pub fn PageCommande() -> impl IntoView {
    let params = use_params_map();
    let reference = move || params.read().get("reference").unwrap_or_default();
    let version = RwSignal::new(0u32);
    let commande = Resource::new(
        move || (reference(), version.get()),
        |(r, _)| api::commande(r),
    );

    // While the order is pending, ask again every second (browser only).
    #[cfg(feature = "hydrate")]
    {
        let minuterie = leptos::prelude::set_interval_with_handle(
            move || {
                let en_attente = commande
                    .get_untracked()
                    .and_then(|r| r.ok())
                    .is_some_and(|c| c.statut == "en_attente");
                if en_attente {
                    version.update(|v| *v += 1);
                }
            },
            std::time::Duration::from_secs(1),
        );
        if let Ok(m) = minuterie {
            on_cleanup(move || m.clear());
        }
    }

    view! {
        <Transition fallback=|| view! { <Chargement/> }>
            {move || Suspend::new(async move {
                match commande.await {
                    Ok(c) => view! { <Recapitulatif commande=c/> }.into_any(),
                    Err(e) if e.statut == 404 || e.statut == 400 => view! { <PageIntrouvable/> }.into_any(),
                    Err(e) => view! { <MessageErreur erreur=e/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Recapitulatif(commande: Commande) -> impl IntoView {
    let classe = format!("statut statut-{}", commande.statut);
    view! {
        <section class="commande">
            <h1>{format!("Commande n° {}", commande.id_commande)}</h1>
            <p>
                "Statut : "
                <span class=classe data-statut=commande.statut.clone() aria-live="polite">
                    {libelle(&commande.statut)}
                </span>
            </p>
            <p class="reference">"Référence : " <code>{commande.reference.clone()}</code></p>
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
