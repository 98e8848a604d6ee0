//! The payment form of an order's page (inside its island): card number grouped by four as it
//! is typed, expiry `MM/AA`, CVC, the API's messages next to each field.
//!
//! Each attempt carries its own Idempotency-Key ([`Tentatives`]): a declined card followed by
//! another one are two attempts, while the same card sent again after no answer is the same
//! attempt, which paiements never charges twice.

use leptos::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::prix;
use crate::api::{self, Carte, DemandePaiement, ErreurApi, StatutPaiement};
use crate::saisie::{formater_cvc, formater_expiration, formater_numero, Champ, Tentatives};

/// The fields whose messages are shown next to them.
const CHAMPS_CARTE: [&str; 3] = ["carte.numero", "carte.expiration", "carte.cvc"];

/// The cards the simulated provider knows, shown to whoever tries the shop.
const CARTES_DE_TEST: [(&str, &str); 3] = [
    ("4242 4242 4242 4242", "acceptée"),
    ("4000 0000 0000 0002", "refusée"),
    ("4000 0000 0000 9995", "fonds insuffisants"),
];

#[component]
pub fn FormulairePaiement(
    reference: Uuid,
    total: Decimal,
    /// The island is hydrated: before that the button does nothing (and must not submit
    /// the card to the page's URL).
    pret: ReadSignal<bool>,
    /// Set once paiements accepted the payment.
    accepte: RwSignal<bool>,
) -> impl IntoView {
    let numero = RwSignal::new(String::new());
    let expiration = RwSignal::new(String::new());
    let cvc = RwSignal::new(String::new());
    let erreur = RwSignal::new(None::<ErreurApi>);
    let tentatives = StoredValue::new(Tentatives::default());
    let en_cours = RwSignal::new(false);
    let envoyer = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if !pret.get_untracked() || en_cours.get_untracked() {
            return;
        }
        let carte = Carte {
            numero: numero.get_untracked(),
            expiration: expiration.get_untracked(),
            cvc: cvc.get_untracked(),
        };
        let Some(cle) = tentatives.try_update_value(|t| t.cle_pour(&carte)) else {
            return;
        };
        erreur.set(None);
        en_cours.set(true);
        leptos::task::spawn_local(async move {
            let resultat = api::payer(DemandePaiement { reference, carte }, cle).await;
            let definitive = resultat
                .as_ref()
                .err()
                .is_none_or(ErreurApi::est_definitive);
            tentatives.update_value(|t| t.repondue(definitive));
            match resultat {
                Ok(p) if p.statut == StatutPaiement::Accepte => accepte.set(true),
                // Declines are 402 answers; a payment that is not accepted is told the same way.
                Ok(p) => erreur.set(Some(ErreurApi {
                    statut: 402,
                    erreur: p
                        .motif_refus
                        .map_or("paiement refusé", |m| m.libelle())
                        .to_owned(),
                    code: String::new(),
                    champs: Default::default(),
                })),
                Err(e) => erreur.set(Some(e)),
            }
            en_cours.set(false);
        });
    };
    let message = move |cle: &'static str| {
        Signal::derive(move || erreur.with(|e| e.as_ref().and_then(|e| e.champ(cle))))
    };
    // A declined card is told next to its number and, with what to do next, above the button;
    // invalid fields only next to themselves.
    let message_general = move || {
        erreur.with(|e| {
            e.as_ref()
                .filter(|e| {
                    e.code != "validation"
                        || !CHAMPS_CARTE.iter().any(|c| e.champs.contains_key(*c))
                })
                .map(|e| e.erreur.clone())
        })
    };
    let montant = prix(total);
    view! {
        <form class="formulaire-paiement" on:submit=envoyer novalidate aria-labelledby="titre-paiement">
            <h2 id="titre-paiement">"Paiement par carte"</h2>
            <Champ id="carte-numero" libelle="Numéro de carte" valeur=numero
                erreur=message("carte.numero") autocomplete="cc-number" inputmode="numeric"
                maxlength=23 placeholder="4242 4242 4242 4242" formater=formater_numero/>
            <div class="expiration-cvc">
                <Champ id="carte-expiration" libelle="Expiration (MM/AA)" valeur=expiration
                    erreur=message("carte.expiration") autocomplete="cc-exp" inputmode="numeric"
                    maxlength=5 placeholder="MM/AA" formater=formater_expiration/>
                <Champ id="carte-cvc" libelle="CVC" valeur=cvc erreur=message("carte.cvc")
                    autocomplete="cc-csc" inputmode="numeric" maxlength=4 placeholder="123"
                    formater=formater_cvc/>
            </div>
            <p class="erreur" role="alert" hidden=move || message_general().is_none()>
                {message_general}
            </p>
            <button type="submit" disabled=move || !pret.get() || en_cours.get()>
                {move || {
                    if en_cours.get() {
                        "Paiement en cours…".to_owned()
                    } else {
                        format!("Payer {montant}")
                    }
                }}
            </button>
            <details class="cartes-de-test">
                <summary>"Cartes de test"</summary>
                <ul>
                    {CARTES_DE_TEST
                        .into_iter()
                        .map(|(numero, effet)| view! { <li><code>{numero}</code> " : " {effet}</li> })
                        .collect_view()}
                </ul>
            </details>
        </form>
    }
}
