//! An order's page, the customer's place for it: lines, total, delivery address, and — in one
//! island, [`SuiviCommande`] — the live status, the history, the time left to pay, the payment
//! form, cancellation, the refund and the shipment.
//!
//! The page is rendered on the server with the order as it is; the island then reads it again
//! every second or two until nothing will change it any more (see [`periode_de_suivi`]), so
//! « à payer », « confirmée », « annulée », « remboursée » appear without reloading.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

use contrats::http::{Adresse, EntreeHistorique, Etape, RaisonAnnulation, StatutCommande};

use super::paiement::FormulairePaiement;
use super::{prix, Chargement, MessageErreur, PageIntrouvable};
use crate::api::{self, Commande};
use crate::ilots::hydratation;
use crate::temps::{date_courte, date_heure, duree_iso, iso, temps_restant};

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

/// How the customer reads the status: an order cancelled for lack of payment reads
/// « expirée », any other cancelled one « annulée ».
pub fn libelle_du_statut(c: &Commande) -> &'static str {
    match (c.statut, c.raison_annulation) {
        (StatutCommande::Annulee, Some(RaisonAnnulation::Expiree)) => "expirée",
        (statut, _) => statut.libelle(),
    }
}

/// Whether the shop still owes a refund: a paid order cancelled, not refunded yet.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
fn remboursement_attendu(c: &Commande) -> bool {
    c.statut == StatutCommande::Annulee
        && c.paiement
            .as_ref()
            .is_some_and(|p| p.rembourse_le.is_none())
}

/// Seconds between two readings of the order; `None` once nothing will change it any more
/// (shipped, or cancelled and refunded if it was paid). Every second while the shop's
/// machinery is about to move it (stock being reserved, a payment just accepted, a deadline
/// just passed, a refund under way), every two seconds otherwise.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn periode_de_suivi(
    c: &Commande,
    paiement_accepte: bool,
    maintenant: DateTime<Utc>,
) -> Option<u32> {
    let rembourser = remboursement_attendu(c);
    if c.statut.est_final() && !rembourser {
        return None;
    }
    let a_payer = c.statut == StatutCommande::APayer;
    let echeance_passee = a_payer && c.echeance_paiement.is_some_and(|e| e <= maintenant);
    let imminent = c.statut.en_cours() || (a_payer && paiement_accepte) || echeance_passee;
    Some(if imminent || rembourser { 1 } else { 2 })
}

/// A history entry as the customer reads it; a cancellation says why.
fn libelle_de_l_etape(e: &EntreeHistorique) -> String {
    match (e.etape, e.raison) {
        (Etape::Annulee, Some(RaisonAnnulation::Expiree)) => {
            format!("commande expirée ({})", RaisonAnnulation::Expiree.libelle())
        }
        (Etape::Annulee, Some(r)) => format!("{} ({})", e.etape.libelle(), r.libelle()),
        (etape, _) => etape.libelle().to_owned(),
    }
}

#[component]
fn Recapitulatif(commande: Commande) -> impl IntoView {
    // The island's clock starts at the server's: its first render in the browser is then the
    // server's HTML, whatever the browser's clock says.
    let rendu_le = Utc::now();
    let lignes = commande.lignes.clone();
    let livraison = commande
        .adresse
        .clone()
        .map(|a| view! { <Livraison nom=commande.nom.clone().unwrap_or_default() adresse=a/> });
    view! {
        <section class="commande">
            <h1>{format!("Commande n° {}", commande.id_commande)}</h1>
            <p class="reference">"Référence : " <code>{commande.reference.to_string()}</code></p>
            <SuiviCommande commande=commande.clone() rendu_le/>
            <h2>"Articles"</h2>
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
                    {lignes
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
            {livraison}
            <p>"Chaque étape vous est annoncée par e-mail à " {commande.email} "."</p>
        </section>
    }
}

/// Where the order goes (orders made before addresses were asked have none).
#[component]
fn Livraison(nom: String, adresse: Adresse) -> impl IntoView {
    view! {
        <section class="livraison">
            <h2>"Livraison"</h2>
            <address>
                {nom} <br/> {adresse.rue} <br/> {format!("{} {}", adresse.npa, adresse.localite)}
            </address>
        </section>
    }
}

/// The payment as the order shows it, once paid.
fn texte_paiement(c: &Commande) -> Option<String> {
    c.paiement.as_ref().map(|p| {
        format!(
            "Payée le {} par carte {} se terminant par {}.",
            date_courte(p.paye_le),
            p.marque,
            p.quatre_derniers
        )
    })
}

/// The refund, once the shop has refunded a cancelled order's payment.
fn texte_remboursement(c: &Commande) -> Option<String> {
    let p = c.paiement.as_ref()?;
    p.rembourse_le.map(|r| {
        format!(
            "Commande remboursée le {} sur la carte {} se terminant par {}.",
            date_courte(r),
            p.marque,
            p.quatre_derniers
        )
    })
}

/// The shipment (carrier, tracking number), once shipped.
fn texte_expedition(c: &Commande) -> Option<String> {
    c.expedition.as_ref().map(|e| {
        format!(
            "Expédiée le {} par {}, numéro de suivi : ",
            date_courte(e.expediee_le),
            e.transporteur
        )
    })
}

/// The live part of the order's page. `rendu_le` is the server's clock when it rendered it.
///
/// Parts that come and go are shown and hidden (`hidden`) rather than added and removed:
/// the page keeps one shape, which keeps the island's WASM small.
#[island]
fn SuiviCommande(commande: Commande, rendu_le: DateTime<Utc>) -> impl IntoView {
    let pret = hydratation();
    let reference = commande.reference;
    let total = commande.total;
    let commande = RwSignal::new(commande);
    let maintenant = RwSignal::new(rendu_le);
    let paiement_accepte = RwSignal::new(false);
    let injoignable = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    suivre(
        reference,
        commande,
        maintenant,
        paiement_accepte,
        injoignable,
    );

    let statut = Memo::new(move |_| commande.with(|c| c.statut));
    let echeance = Memo::new(move |_| {
        commande.with(|c| {
            c.echeance_paiement
                .filter(|_| c.statut == StatutCommande::APayer)
        })
    });
    let restant = move || {
        echeance
            .get()
            .and_then(|e| temps_restant(e, maintenant.get()))
    };
    let payable = move || {
        statut.get() == StatutCommande::APayer
            && echeance.get().is_none_or(|e| e > maintenant.get())
    };
    let texte = move |f: fn(&Commande) -> Option<String>| move || commande.with(f);
    view! {
        <div class="suivi">
            <p class="ligne-statut" aria-live="polite" aria-atomic="true">
                "Statut : "
                <span
                    class=move || format!("statut statut-{}", statut.get().as_str())
                    data-statut=move || statut.get().as_str()
                    data-raison=move || commande.with(|c| c.raison_annulation.map(|r| r.as_str()))
                >
                    {move || commande.with(libelle_du_statut)}
                </span>
            </p>
            <p class="erreur-champ" hidden=move || !injoignable.get()>
                "Mise à jour impossible pour l'instant, nouvel essai…"
            </p>
            <p class="raison" hidden=move || statut.get() != StatutCommande::Annulee>
                "Raison : "
                {move || commande.with(|c| c.raison_annulation.map_or("", |r| r.libelle()))}
            </p>
            <p class="echeance" hidden=move || echeance.get().is_none()>
                <span hidden=move || restant().is_none()>
                    "Temps restant pour payer : "
                    <time datetime=move || echeance.get().map(|e| duree_iso(e, maintenant.get()))>
                        {move || restant().unwrap_or_default()}
                    </time>
                    {move || echeance.get().map(|e| format!(" (jusqu'au {})", date_courte(e)))}
                </span>
                <span hidden=move || restant().is_some()>
                    "Délai de paiement dépassé : la commande va être annulée."
                </span>
            </p>
            <div hidden=move || !payable() || paiement_accepte.get()>
                <FormulairePaiement reference total pret accepte=paiement_accepte/>
            </div>
            <p
                class="confirmation"
                role="status"
                hidden=move || statut.get() != StatutCommande::APayer || !paiement_accepte.get()
            >
                "Paiement accepté : confirmation de la commande en cours…"
            </p>
            <p class="paiement-recu" hidden=move || commande.with(|c| c.paiement.is_none())>
                {texte(texte_paiement)}
            </p>
            <p class="remboursement" role="status" hidden=move || commande.with(|c| texte_remboursement(c).is_none())>
                {texte(texte_remboursement)}
            </p>
            <p class="expedition" hidden=move || commande.with(|c| c.expedition.is_none())>
                {texte(texte_expedition)}
                <code class="numero-suivi">
                    {move || commande.with(|c| c.expedition.as_ref().map(|e| e.numero_suivi.clone()))}
                </code>
            </p>
            <Annulation reference commande pret/>
            <h2>"Historique"</h2>
            <ol class="historique">
                {move || {
                    commande
                        .with(|c| c.historique.clone())
                        .into_iter()
                        .map(|e| {
                            view! {
                                <li data-etape=e.etape.as_str()>
                                    <time datetime=iso(e.le)>{date_heure(e.le)}</time>
                                    " "
                                    <span>{libelle_de_l_etape(&e)}</span>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ol>
        </div>
    }
}

/// Reads the order again while it may change, and keeps the clock of the countdown going.
#[cfg(feature = "hydrate")]
fn suivre(
    reference: Uuid,
    commande: RwSignal<Commande>,
    maintenant: RwSignal<DateTime<Utc>>,
    paiement_accepte: RwSignal<bool>,
    injoignable: RwSignal<bool>,
) {
    // After hydration (an effect), so that the first render is the server's.
    Effect::new(move |_| maintenant.set(Utc::now()));
    let secondes = StoredValue::new(0u32);
    let en_vol = StoredValue::new(false);
    let tic = move || {
        let a_present = Utc::now();
        maintenant.set(a_present);
        let periode = commande
            .with_untracked(|c| periode_de_suivi(c, paiement_accepte.get_untracked(), a_present));
        let Some(periode) = periode else { return };
        let n = secondes.get_value() + 1;
        secondes.set_value(n);
        // A hidden tab does not need the news; it gets them when shown again.
        if !n.is_multiple_of(periode) || en_vol.get_value() || document().hidden() {
            return;
        }
        en_vol.set_value(true);
        leptos::task::spawn_local(async move {
            match api::commande(reference).await {
                Ok(c) => {
                    injoignable.set(false);
                    // An answer older than what is shown (a cancellation answered meanwhile)
                    // is not news; an identical one changes nothing on the page.
                    let nouvelle =
                        commande.with_untracked(|a| c.modifie_le >= a.modifie_le && c != *a);
                    if nouvelle {
                        commande.set(c);
                    }
                }
                Err(_) => injoignable.set(true),
            }
            en_vol.set_value(false);
        });
    };
    if let Ok(minuterie) = set_interval_with_handle(tic, std::time::Duration::from_secs(1)) {
        on_cleanup(move || minuterie.clear());
    }
}

/// « Annuler la commande » while the customer may, then a confirmation step.
#[component]
fn Annulation(
    reference: Uuid,
    commande: RwSignal<Commande>,
    pret: ReadSignal<bool>,
) -> impl IntoView {
    let confirmer = RwSignal::new(false);
    let erreur = RwSignal::new(None::<String>);
    let en_cours = RwSignal::new(false);
    let annuler = move |_| {
        if en_cours.get_untracked() {
            return;
        }
        en_cours.set(true);
        leptos::task::spawn_local(async move {
            match api::annuler(reference).await {
                Ok(c) => {
                    confirmer.set(false);
                    commande.set(c);
                }
                Err(e) => erreur.set(Some(e.erreur)),
            }
            en_cours.set(false);
        });
    };
    let annulable = move || commande.with(|c| c.statut.annulable_par_le_client());
    let payee = move || commande.with(|c| c.paiement.is_some());
    view! {
        <div class="annulation" hidden=move || !annulable()>
            <button
                type="button"
                class="secondaire"
                id="annuler"
                hidden=move || confirmer.get()
                disabled=move || !pret.get()
                on:click=move |_| {
                    erreur.set(None);
                    confirmer.set(true);
                    focaliser("confirmer-annulation");
                }
            >
                "Annuler la commande"
            </button>
            <div
                class="confirmation-annulation"
                role="group"
                aria-labelledby="question-annulation"
                hidden=move || !confirmer.get()
            >
                <p id="question-annulation">
                    {move || {
                        if payee() {
                            "Annuler cette commande ? Son paiement vous sera remboursé."
                        } else {
                            "Annuler cette commande ?"
                        }
                    }}
                </p>
                <button
                    type="button"
                    class="danger"
                    id="confirmer-annulation"
                    disabled=move || en_cours.get()
                    on:click=annuler
                >
                    "Oui, annuler la commande"
                </button>
                <button
                    type="button"
                    class="secondaire"
                    on:click=move |_| {
                        confirmer.set(false);
                        focaliser("annuler");
                    }
                >
                    "Non, la garder"
                </button>
            </div>
            <p class="erreur" role="alert" hidden=move || erreur.with(Option::is_none)>
                {move || erreur.get()}
            </p>
        </div>
    }
}

/// Moves the focus to the button `id` once it is shown, so that a keyboard user is not left
/// on a button that was just hidden.
fn focaliser(id: &'static str) {
    #[cfg(feature = "hydrate")]
    request_animation_frame(move || {
        use wasm_bindgen::JsCast;
        if let Some(b) = document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = b.focus();
        }
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

#[cfg(test)]
mod tests {
    use super::*;
    use contrats::http::PaiementCommande;
    use rust_decimal::Decimal;

    fn date(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn commande(statut: StatutCommande) -> Commande {
        Commande {
            id_commande: 1,
            reference: Uuid::new_v4(),
            email: "ada@example.com".into(),
            nom: None,
            adresse: None,
            statut,
            raison_annulation: None,
            echeance_paiement: Some(date("2026-11-28T08:15:00Z")),
            paiement: None,
            expedition: None,
            total: Decimal::new(3980, 2),
            lignes: vec![],
            historique: vec![],
            cree_le: date("2026-11-28T08:00:00Z"),
            modifie_le: date("2026-11-28T08:00:00Z"),
        }
    }

    fn payee(rembourse: bool) -> PaiementCommande {
        PaiementCommande {
            id_paiement: Uuid::new_v4(),
            marque: "visa".into(),
            quatre_derniers: "4242".into(),
            paye_le: date("2026-11-28T08:05:00Z"),
            rembourse_le: rembourse.then(|| date("2026-11-28T08:06:00Z")),
        }
    }

    #[test]
    fn une_commande_expiree_se_lit_expiree_les_autres_annulees_se_lisent_annulees() {
        let mut c = commande(StatutCommande::Annulee);
        c.raison_annulation = Some(RaisonAnnulation::Expiree);
        assert_eq!(libelle_du_statut(&c), "expirée");
        c.raison_annulation = Some(RaisonAnnulation::Client);
        assert_eq!(libelle_du_statut(&c), "annulée");
        assert_eq!(
            libelle_du_statut(&commande(StatutCommande::APayer)),
            "à payer"
        );
        assert_eq!(
            libelle_du_statut(&commande(StatutCommande::Confirmee)),
            "confirmée"
        );
        assert_eq!(
            libelle_du_statut(&commande(StatutCommande::Expediee)),
            "expédiée"
        );
    }

    #[test]
    fn le_suivi_s_arrete_une_fois_la_commande_finale_et_remboursee() {
        let avant = date("2026-11-28T08:10:00Z");
        assert_eq!(
            periode_de_suivi(&commande(StatutCommande::EnAttente), false, avant),
            Some(1)
        );
        assert_eq!(
            periode_de_suivi(&commande(StatutCommande::APayer), false, avant),
            Some(2)
        );
        assert_eq!(
            periode_de_suivi(&commande(StatutCommande::APayer), true, avant),
            Some(1)
        );
        assert_eq!(
            periode_de_suivi(&commande(StatutCommande::Confirmee), false, avant),
            Some(2)
        );
        assert_eq!(
            periode_de_suivi(&commande(StatutCommande::Expediee), false, avant),
            None
        );
        assert_eq!(
            periode_de_suivi(&commande(StatutCommande::Annulee), false, avant),
            None
        );
        // The deadline passed: the expiry is near, read it every second.
        let apres = date("2026-11-28T08:15:01Z");
        assert_eq!(
            periode_de_suivi(&commande(StatutCommande::APayer), false, apres),
            Some(1)
        );
        // Cancelled after payment: still read until the refund shows.
        let mut c = commande(StatutCommande::Annulee);
        c.paiement = Some(payee(false));
        assert_eq!(periode_de_suivi(&c, false, avant), Some(1));
        c.paiement = Some(payee(true));
        assert_eq!(periode_de_suivi(&c, false, avant), None);
    }

    #[test]
    fn l_historique_dit_pourquoi_une_commande_a_ete_annulee() {
        let entree = |etape, raison| EntreeHistorique {
            etape,
            statut: StatutCommande::Annulee,
            raison,
            le: date("2026-11-28T08:00:00Z"),
        };
        assert_eq!(
            libelle_de_l_etape(&entree(Etape::Annulee, Some(RaisonAnnulation::Stock))),
            "commande annulée (stock insuffisant)"
        );
        assert_eq!(
            libelle_de_l_etape(&entree(Etape::Annulee, Some(RaisonAnnulation::Expiree))),
            "commande expirée (délai de paiement dépassé)"
        );
        assert_eq!(
            libelle_de_l_etape(&entree(Etape::Remboursee, None)),
            "paiement remboursé"
        );
    }

    /// The island as the server renders it (rendering to HTML needs the `ssr` feature, which
    /// `cargo test -p app -p storefront` and the workspace's tests turn on).
    #[cfg(feature = "ssr")]
    mod rendu {
        use super::*;

        /// The order's island as the server renders it.
        fn rendu(c: Commande, rendu_le: DateTime<Utc>) -> String {
            let owner = Owner::new();
            owner.with(|| view! { <SuiviCommande commande=c rendu_le/> }.to_html())
        }

        #[test]
        fn une_commande_a_payer_montre_le_temps_restant_le_formulaire_et_l_annulation() {
            let mut c = commande(StatutCommande::APayer);
            c.historique = vec![EntreeHistorique {
                etape: Etape::APayer,
                statut: StatutCommande::APayer,
                raison: None,
                le: date("2026-11-28T08:00:01Z"),
            }];
            let html = rendu(c, date("2026-11-28T08:00:28Z"));
            assert!(html.contains(r#"data-statut="a_payer""#), "{html}");
            assert!(html.contains("à payer"));
            assert!(html.contains("14:32"), "temps restant : {html}");
            assert!(html.contains(r#"<label for="carte-numero">Numéro de carte</label>"#));
            assert!(html.contains(r#"autocomplete="cc-number""#));
            assert!(html.contains("Annuler la commande"));
            assert!(html.contains("stock réservé, en attente de paiement"));
            assert!(
                html.contains("28.11.2026 09:00:01"),
                "heure suisse : {html}"
            );
            // The buttons do nothing before the WASM: the card never leaves in a plain form.
            assert!(html.contains("disabled"), "{html}");
        }

        #[test]
        fn une_commande_expiree_se_lit_expiree_et_cache_paiement_et_annulation() {
            let mut c = commande(StatutCommande::Annulee);
            c.raison_annulation = Some(RaisonAnnulation::Expiree);
            let html = rendu(c, date("2026-11-28T08:20:00Z"));
            assert!(html.contains(r#"data-raison="expiree""#), "{html}");
            assert!(html.contains(">expirée<"), "{html}");
            assert!(html.contains("délai de paiement dépassé"));
            // Form and cancel button are there, hidden: the page keeps one shape.
            assert!(html.contains(r#"<div hidden><form"#), "{html}");
            assert!(
                html.contains(r#"<div hidden class="annulation">"#),
                "{html}"
            );
        }

        #[test]
        fn une_commande_annulee_apres_paiement_dit_qu_elle_est_remboursee() {
            let mut c = commande(StatutCommande::Annulee);
            c.raison_annulation = Some(RaisonAnnulation::Client);
            c.paiement = Some(payee(true));
            let html = rendu(c, date("2026-11-28T08:20:00Z"));
            assert!(html.contains(">annulée<"), "{html}");
            assert!(html.contains("annulée à votre demande"));
            assert!(
                html.contains("Commande remboursée le 28.11.2026 à 09:06 sur la carte visa se terminant par 4242."),
                "{html}"
            );
        }

        #[test]
        fn une_commande_expediee_donne_son_transporteur_et_son_numero_de_suivi() {
            let mut c = commande(StatutCommande::Expediee);
            c.paiement = Some(payee(false));
            c.expedition = Some(contrats::http::Expedition {
                transporteur: "La Poste".into(),
                numero_suivi: "99.00.123456.12345678".into(),
                expediee_le: date("2026-11-29T10:00:00Z"),
            });
            let html = rendu(c, date("2026-11-29T11:00:00Z"));
            assert!(html.contains(">expédiée<"), "{html}");
            assert!(
                html.contains("Expédiée le 29.11.2026 à 11:00 par La Poste"),
                "{html}"
            );
            assert!(html.contains("99.00.123456.12345678"));
        }
    }
}
