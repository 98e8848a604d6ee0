//! What the forms share: a labelled field showing the API's message for it, the formatting of
//! card and postcode fields as they are typed, and the payment attempts' Idempotency-Keys.
//!
//! The APIs decide what is valid (their 422 messages are shown next to each field); the
//! formatting here only helps typing — digits grouped by four, `MM/AA` — and never refuses
//! anything the API would accept.

use leptos::prelude::*;
use uuid::Uuid;

use crate::api::Carte;

/// Only the ASCII digits of `texte`, at most `max` of them.
pub fn chiffres(texte: &str, max: usize) -> String {
    texte
        .chars()
        .filter(char::is_ascii_digit)
        .take(max)
        .collect()
}

/// A card number as it is typed: up to 19 digits in groups of four (`4242 4242 4242 4242`).
pub fn formater_numero(texte: &str) -> String {
    let chiffres = chiffres(texte, 19);
    let mut propre = String::with_capacity(chiffres.len() + 4);
    for (i, c) in chiffres.chars().enumerate() {
        if i > 0 && i.is_multiple_of(4) {
            propre.push(' ');
        }
        propre.push(c);
    }
    propre
}

/// An expiry date as it is typed: `MM/AA`, the slash put in once the year starts.
pub fn formater_expiration(texte: &str) -> String {
    let chiffres = chiffres(texte, 4);
    if chiffres.len() > 2 {
        format!("{}/{}", &chiffres[..2], &chiffres[2..])
    } else {
        chiffres
    }
}

/// A CVC: 3 or 4 digits.
pub fn formater_cvc(texte: &str) -> String {
    chiffres(texte, 4)
}

/// A Swiss postcode: 4 digits.
pub fn formater_npa(texte: &str) -> String {
    chiffres(texte, 4)
}

/// Any other field: as typed.
pub fn tel_quel(texte: &str) -> String {
    texte.to_owned()
}

/// Where the caret goes in `propre` so that `significatifs` letters or digits stay before it
/// (the separators a formatter adds do not count).
pub fn position_du_curseur(propre: &str, significatifs: usize) -> u32 {
    if significatifs == 0 {
        return 0;
    }
    let mut vus = 0;
    for (i, c) in propre.char_indices() {
        if c.is_ascii_alphanumeric() {
            vus += 1;
            if vus == significatifs {
                return (i + c.len_utf8()) as u32;
            }
        }
    }
    propre.len() as u32
}

/// The Idempotency-Key of each payment attempt. A new attempt (another card, or the same one
/// after paiements decided) gets a fresh key; the same card sent again after an answer that
/// decided nothing (no answer, 5xx) keeps its key, so paiements never charges it twice.
#[derive(Debug, Clone, Default)]
pub struct Tentatives {
    en_suspens: Option<(Carte, String)>,
}

impl Tentatives {
    /// The key to send `carte` with.
    pub fn cle_pour(&mut self, carte: &Carte) -> String {
        match &self.en_suspens {
            Some((c, cle)) if c == carte => cle.clone(),
            _ => {
                let cle = Uuid::new_v4().to_string();
                self.en_suspens = Some((carte.clone(), cle.clone()));
                cle
            }
        }
    }

    /// The answer to the last attempt came: once decided, that attempt is over.
    pub fn repondue(&mut self, definitive: bool) {
        if definitive {
            self.en_suspens = None;
        }
    }
}

/// A labelled input and, next to it, what the API said about it (`{id}-erreur`, announced
/// when it changes). `formater` reshapes what is typed (keeping the caret in place).
#[component]
pub fn Champ(
    /// The input's id (its message is `{id}-erreur`).
    id: &'static str,
    libelle: &'static str,
    valeur: RwSignal<String>,
    /// The API's message for this field, after the last attempt.
    #[prop(into)]
    erreur: Signal<Option<String>>,
    #[prop(default = "text")] genre: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional)] inputmode: Option<&'static str>,
    #[prop(optional)] placeholder: Option<&'static str>,
    #[prop(optional)] maxlength: Option<u32>,
    #[prop(default = tel_quel)] formater: fn(&str) -> String,
) -> impl IntoView {
    let id_erreur = format!("{id}-erreur");
    view! {
        <div class="champ">
            <label for=id>{libelle}</label>
            <input
                id=id
                name=id
                type=genre
                autocomplete=autocomplete
                inputmode=inputmode
                placeholder=placeholder
                maxlength=maxlength
                required
                aria-describedby=id_erreur.clone()
                aria-invalid=move || erreur.with(Option::is_some).to_string()
                prop:value=move || valeur.get()
                on:input=move |ev| {
                    let brut = event_target_value(&ev);
                    let propre = formater(&brut);
                    #[cfg(feature = "hydrate")]
                    if propre != brut {
                        remettre_le_curseur(&ev, &brut, &propre);
                    }
                    valeur.set(propre);
                }
            />
            <p id=id_erreur class="erreur-champ" aria-live="polite">
                {move || erreur.get()}
            </p>
        </div>
    }
}

/// Writes the formatted text into the field and puts the caret back after the same digits.
#[cfg(feature = "hydrate")]
fn remettre_le_curseur(ev: &leptos::ev::Event, brut: &str, propre: &str) {
    use wasm_bindgen::JsCast;
    let Some(champ) = ev
        .target()
        .and_then(|c| c.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let curseur = champ
        .selection_start()
        .ok()
        .flatten()
        .map_or(brut.len(), |c| c as usize);
    let avant = brut
        .chars()
        .take(curseur)
        .filter(char::is_ascii_alphanumeric)
        .count();
    champ.set_value(propre);
    let position = position_du_curseur(propre, avant);
    let _ = champ.set_selection_range(position, position);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn un_numero_de_carte_se_groupe_par_quatre_pendant_la_saisie() {
        assert_eq!(formater_numero("4242"), "4242");
        assert_eq!(formater_numero("42424"), "4242 4");
        assert_eq!(formater_numero("4242 4242 42424242"), "4242 4242 4242 4242");
        assert_eq!(
            formater_numero("4000-0000-0000-0002"),
            "4000 0000 0000 0002"
        );
        assert_eq!(
            formater_numero("12345678901234567890123"),
            "1234 5678 9012 3456 789"
        );
        assert_eq!(formater_numero("abc"), "");
    }

    #[test]
    fn une_date_d_expiration_prend_sa_barre_quand_l_annee_commence() {
        assert_eq!(formater_expiration("1"), "1");
        assert_eq!(formater_expiration("12"), "12");
        assert_eq!(formater_expiration("123"), "12/3");
        assert_eq!(formater_expiration("12/30"), "12/30");
        assert_eq!(formater_expiration("1230999"), "12/30");
        assert_eq!(formater_cvc("12a34 5"), "1234");
        assert_eq!(formater_npa("CH-1003"), "1003");
    }

    #[test]
    fn le_curseur_reste_apres_les_memes_chiffres() {
        // Typing the fifth digit at the end: the caret goes after it, past the new space.
        assert_eq!(position_du_curseur("4242 4", 5), 6);
        // Editing in the middle: after the third digit.
        assert_eq!(position_du_curseur("4242 4242", 3), 3);
        assert_eq!(position_du_curseur("12/3", 3), 4);
        assert_eq!(position_du_curseur("4242", 0), 0);
        assert_eq!(position_du_curseur("4242", 9), 4);
    }

    fn carte(numero: &str) -> Carte {
        Carte {
            numero: numero.into(),
            expiration: "12/30".into(),
            cvc: "123".into(),
        }
    }

    #[test]
    fn chaque_tentative_a_sa_cle_reprise_seulement_pour_renvoyer_la_meme() {
        let mut t = Tentatives::default();
        let premiere = t.cle_pour(&carte("4000 0000 0000 0002"));
        assert_eq!(
            Uuid::parse_str(&premiere).unwrap().get_version_num(),
            4,
            "une clé uuid v4"
        );
        // No answer: the same card again is the same attempt.
        t.repondue(false);
        assert_eq!(t.cle_pour(&carte("4000 0000 0000 0002")), premiere);
        // Declined: the next attempt, even with the same card, is a new one.
        t.repondue(true);
        let deuxieme = t.cle_pour(&carte("4000 0000 0000 0002"));
        assert_ne!(deuxieme, premiere);
        // Another card while the previous attempt is undecided: a new attempt too.
        t.repondue(false);
        let troisieme = t.cle_pour(&carte("4242 4242 4242 4242"));
        assert_ne!(troisieme, deuxieme);
    }
}
