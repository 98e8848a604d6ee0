//! Rendering a step of an order as a French email: subject, plain text and HTML.
//!
//! One template pair per email (`templates/<nom>.html` and `.txt`, compiled into the binary),
//! each extending `base.html` / `base.txt` and including the order's lines (`lignes.*`):
//! `a_payer`, `paiement_refuse`, `confirmee`, `annulee`, `expiree` (a cancellation whose
//! reason is the payment deadline), `expediee`, `remboursee`. The HTML ones are auto-escaped
//! (a product name, a carrier or a tracking number cannot inject markup); the links are built
//! here from configuration and UUIDs only. Money goes through `contrats::chf`, dates are shown
//! in Swiss time (Europe/Zurich, summer time included: « samedi 28 novembre 2026 à 10:15 »).
//!
//! A step whose event lacks what its email is about (`a_payer` without its deadline,
//! `paiement_refuse` without the declined attempt, `expediee` without the shipment,
//! `remboursee` without the payment) is an error: the event breaks the contract, and an email
//! that leaves out the one thing it is sent for would hide that. A `confirmee` without a
//! payment (published before the lifecycle) and an `annulee` without a reason (likewise: for
//! lack of stock) are the former events, and read as such.

use anyhow::Context;
use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Europe::Zurich;
use contrats::chf::chf;
use contrats::evenements::EtapeCommande;
use contrats::http::{Etape, PaiementCommande, RaisonAnnulation};
use minijinja::{context, Environment, Value};
use serde::Serialize;

/// A rendered email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Courriel {
    pub sujet: String,
    pub texte: String,
    pub html: String,
}

pub struct Gabarits {
    env: Environment<'static>,
    /// Public URL of the storefront, without its final `/`.
    vitrine: String,
}

#[derive(Serialize)]
struct LigneVue {
    nom: String,
    quantite: i32,
    prix_unitaire: String,
    sous_total: String,
}

#[derive(Serialize)]
struct ManquantVue {
    nom: String,
    demande: i32,
    disponible: i32,
}

#[derive(Serialize)]
struct PaiementVue {
    /// « Visa se terminant par 4242 ».
    carte: String,
    paye_le: String,
    rembourse_le: Option<String>,
}

#[derive(Serialize)]
struct ExpeditionVue {
    transporteur: String,
    numero_suivi: String,
    expediee_le: String,
}

/// Every template, by name; each has a `.html` and a `.txt`.
const GABARITS: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("base.txt", include_str!("../templates/base.txt")),
    ("lignes.html", include_str!("../templates/lignes.html")),
    ("lignes.txt", include_str!("../templates/lignes.txt")),
    ("a_payer.html", include_str!("../templates/a_payer.html")),
    ("a_payer.txt", include_str!("../templates/a_payer.txt")),
    (
        "paiement_refuse.html",
        include_str!("../templates/paiement_refuse.html"),
    ),
    (
        "paiement_refuse.txt",
        include_str!("../templates/paiement_refuse.txt"),
    ),
    (
        "confirmee.html",
        include_str!("../templates/confirmee.html"),
    ),
    ("confirmee.txt", include_str!("../templates/confirmee.txt")),
    ("annulee.html", include_str!("../templates/annulee.html")),
    ("annulee.txt", include_str!("../templates/annulee.txt")),
    ("expiree.html", include_str!("../templates/expiree.html")),
    ("expiree.txt", include_str!("../templates/expiree.txt")),
    ("expediee.html", include_str!("../templates/expediee.html")),
    ("expediee.txt", include_str!("../templates/expediee.txt")),
    (
        "remboursee.html",
        include_str!("../templates/remboursee.html"),
    ),
    (
        "remboursee.txt",
        include_str!("../templates/remboursee.txt"),
    ),
];

impl Gabarits {
    pub fn new(vitrine: &str) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        // Keeps the text templates' line structure predictable.
        env.set_trim_blocks(true);
        env.set_lstrip_blocks(true);
        for (nom, source) in GABARITS {
            env.add_template(nom, source)
                .with_context(|| format!("gabarit {nom}"))?;
        }
        Ok(Gabarits {
            env,
            vitrine: vitrine.trim_end_matches('/').to_owned(),
        })
    }

    /// The email of step `etape` (the routing key's) for order `c`.
    pub fn rendre(&self, etape: Etape, c: &EtapeCommande) -> anyhow::Result<Courriel> {
        let n = c.id_commande;
        let (gabarit, sujet) = match etape {
            Etape::APayer => (
                "a_payer",
                format!("Votre commande n° {n} est réservée : à payer"),
            ),
            Etape::PaiementRefuse => (
                "paiement_refuse",
                format!("Paiement refusé pour votre commande n° {n}"),
            ),
            Etape::Confirmee => ("confirmee", format!("Votre commande n° {n} est confirmée")),
            Etape::Annulee if c.raison == Some(RaisonAnnulation::Expiree) => {
                ("expiree", format!("Votre commande n° {n} a expiré"))
            }
            Etape::Annulee => ("annulee", format!("Votre commande n° {n} est annulée")),
            Etape::Expediee => ("expediee", format!("Votre commande n° {n} est expédiée")),
            Etape::Remboursee => (
                "remboursee",
                format!("Votre commande n° {n} est remboursée"),
            ),
            Etape::Recue => anyhow::bail!("l'étape « reçue » n'a pas de courriel"),
        };
        let manque = |champ: &str| {
            anyhow::anyhow!("événement {} sans `{champ}` (commande {n})", etape.as_str())
        };
        match etape {
            Etape::APayer if c.echeance_paiement.is_none() => {
                return Err(manque("echeance_paiement"))
            }
            Etape::PaiementRefuse if c.refus.is_none() => return Err(manque("refus")),
            Etape::Expediee if c.expedition.is_none() => return Err(manque("expedition")),
            Etape::Remboursee if c.paiement.is_none() => return Err(manque("paiement")),
            _ => {}
        }
        let sujet = format!("{sujet} — Boutique 321");

        let lignes: Vec<LigneVue> = c
            .lignes
            .iter()
            .map(|l| LigneVue {
                nom: l.nom.clone(),
                quantite: l.quantite,
                prix_unitaire: chf(l.prix_unitaire),
                sous_total: chf(l.sous_total),
            })
            .collect();
        let manquants: Vec<ManquantVue> = c
            .manquants
            .iter()
            .map(|m| ManquantVue {
                nom: m
                    .nom
                    .clone()
                    .unwrap_or_else(|| format!("produit n° {}", m.produit_id)),
                demande: m.demande,
                disponible: m.disponible,
            })
            .collect();
        let paiement = c.paiement.as_ref().map(|p| PaiementVue {
            carte: carte(p),
            paye_le: date_suisse(p.paye_le),
            rembourse_le: p.rembourse_le.map(date_suisse),
        });
        let expedition = c.expedition.as_ref().map(|e| ExpeditionVue {
            transporteur: e.transporteur.clone(),
            numero_suivi: e.numero_suivi.clone(),
            expediee_le: date_suisse(e.expediee_le),
        });
        let ctx = context! {
            sujet => &sujet,
            nom => c.nom.as_deref().map(str::trim).filter(|n| !n.is_empty()),
            id_commande => n,
            reference => c.reference.to_string(),
            statut => c.statut.libelle(),
            lignes,
            manquants,
            total => chf(c.total),
            echeance => c.echeance_paiement.map(date_suisse),
            paiement,
            motif_refus => c.refus.as_ref().map(|r| r.motif.libelle()),
            // An older commandes cancelled for lack of stock only, and said no reason.
            raison => c.raison.unwrap_or(RaisonAnnulation::Stock).as_str(),
            expedition,
            // Built from configuration and a UUID only: safe to put in an href as is.
            lien => Value::from_safe_string(format!("{}/commandes/{}", self.vitrine, c.reference)),
            boutique => Value::from_safe_string(format!("{}/", self.vitrine)),
        };
        let rendu = |extension: &str| -> anyhow::Result<String> {
            let nom = format!("{gabarit}.{extension}");
            self.env
                .get_template(&nom)?
                .render(&ctx)
                .with_context(|| format!("rendu de {nom}"))
        };
        Ok(Courriel {
            texte: rendu("txt")?,
            html: rendu("html")?,
            sujet,
        })
    }
}

const JOURS: [&str; 7] = [
    "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche",
];
const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// `instant` as a Swiss customer reads it: « samedi 28 novembre 2026 à 10:15 », in
/// Europe/Zurich time (CET or CEST, whichever holds on that day).
pub fn date_suisse(instant: DateTime<Utc>) -> String {
    let local = instant.with_timezone(&Zurich);
    let jour = match local.day() {
        1 => "1er".to_owned(),
        j => j.to_string(),
    };
    format!(
        "{} {jour} {} {} à {:02}:{:02}",
        JOURS[local.weekday().num_days_from_monday() as usize],
        MOIS[local.month0() as usize],
        local.year(),
        local.hour(),
        local.minute()
    )
}

/// « Visa se terminant par 4242 »: a brand as people write it, and the last four digits
/// (never more: the event carries no more).
fn carte(p: &PaiementCommande) -> String {
    let marque = match p.marque.to_lowercase().as_str() {
        "visa" => "Visa".to_owned(),
        "mastercard" => "Mastercard".to_owned(),
        "amex" | "american_express" | "american express" => "American Express".to_owned(),
        _ => {
            let mut lettres = p.marque.chars();
            lettres
                .next()
                .map(|c| c.to_uppercase().chain(lettres).collect())
                .unwrap_or_else(|| "carte".to_owned())
        }
    };
    format!("{marque} se terminant par {}", p.quatre_derniers)
}

#[cfg(test)]
mod tests {
    use super::*;
    use contrats::evenements::{LigneEvenement, Manquant, RefusPaiement};
    use contrats::http::{Expedition, MotifRefus, StatutCommande};
    use rust_decimal::Decimal;
    use uuid::Uuid;

    fn instant(texte: &str) -> DateTime<Utc> {
        texte.parse().unwrap()
    }

    fn paiement() -> PaiementCommande {
        PaiementCommande {
            id_paiement: Uuid::nil(),
            marque: "visa".into(),
            quatre_derniers: "4242".into(),
            paye_le: instant("2026-11-28T09:20:00Z"),
            rembourse_le: None,
        }
    }

    fn commande(statut: StatutCommande) -> EtapeCommande {
        EtapeCommande {
            id_evenement: Uuid::nil(),
            id_commande: 12,
            reference: Uuid::nil(),
            email: "client@example.com".into(),
            statut,
            total: Decimal::new(123450, 2),
            lignes: vec![LigneEvenement {
                produit_id: 1,
                nom: "Lampe <b>LED</b>".into(),
                prix_unitaire: Decimal::new(61725, 2),
                quantite: 2,
                sous_total: Decimal::new(123450, 2),
            }],
            manquants: vec![],
            raison: None,
            nom: Some("Ada <Lovelace>".into()),
            echeance_paiement: None,
            paiement: None,
            refus: None,
            expedition: None,
            timestamp: instant("2026-11-28T09:00:00Z"),
        }
    }

    fn gabarits() -> Gabarits {
        Gabarits::new("http://localhost:8000/").unwrap()
    }

    const LIEN: &str = "http://localhost:8000/commandes/00000000-0000-0000-0000-000000000000";

    /// Both bodies contain `attendu`.
    fn dans_les_deux(c: &Courriel, attendu: &str) {
        assert!(
            c.texte.contains(attendu),
            "texte sans {attendu:?} :\n{}",
            c.texte
        );
        assert!(
            c.html.contains(attendu),
            "HTML sans {attendu:?} :\n{}",
            c.html
        );
    }

    /// Every step's email, for the checks every one of them must pass.
    fn chaque_courriel() -> Vec<(&'static str, Courriel)> {
        let g = gabarits();
        let mut a_payer = commande(StatutCommande::APayer);
        a_payer.echeance_paiement = Some(instant("2026-11-28T09:15:00Z"));
        let mut refuse = a_payer.clone();
        refuse.refus = Some(RefusPaiement {
            id_paiement: Uuid::new_v4(),
            motif: MotifRefus::FondsInsuffisants,
        });
        let mut confirmee = commande(StatutCommande::Confirmee);
        confirmee.paiement = Some(paiement());
        let mut annulee = confirmee.clone();
        annulee.statut = StatutCommande::Annulee;
        annulee.raison = Some(RaisonAnnulation::Client);
        let mut expiree = a_payer.clone();
        expiree.statut = StatutCommande::Annulee;
        expiree.raison = Some(RaisonAnnulation::Expiree);
        let mut expediee = confirmee.clone();
        expediee.statut = StatutCommande::Expediee;
        expediee.expedition = Some(Expedition {
            transporteur: "La <Poste>".into(),
            numero_suivi: "99.00.123456.12345678".into(),
            expediee_le: instant("2026-11-30T14:00:00Z"),
        });
        let mut remboursee = annulee.clone();
        remboursee.paiement.as_mut().unwrap().rembourse_le = Some(instant("2026-12-01T08:00:00Z"));
        vec![
            ("a_payer", g.rendre(Etape::APayer, &a_payer).unwrap()),
            (
                "paiement_refuse",
                g.rendre(Etape::PaiementRefuse, &refuse).unwrap(),
            ),
            ("confirmee", g.rendre(Etape::Confirmee, &confirmee).unwrap()),
            ("annulee", g.rendre(Etape::Annulee, &annulee).unwrap()),
            ("expiree", g.rendre(Etape::Annulee, &expiree).unwrap()),
            ("expediee", g.rendre(Etape::Expediee, &expediee).unwrap()),
            (
                "remboursee",
                g.rendre(Etape::Remboursee, &remboursee).unwrap(),
            ),
        ]
    }

    #[test]
    fn chaque_etape_a_son_sujet_le_total_en_chf_et_le_lien_de_la_commande() {
        let courriels = chaque_courriel();
        let mut sujets: Vec<&str> = courriels.iter().map(|(_, c)| c.sujet.as_str()).collect();
        for (nom, c) in &courriels {
            assert!(c.sujet.contains("n° 12"), "{nom} : {}", c.sujet);
            assert!(c.sujet.ends_with("— Boutique 321"), "{nom} : {}", c.sujet);
            dans_les_deux(c, "CHF 1’234.50");
            dans_les_deux(c, LIEN);
            dans_les_deux(c, "Bonjour Ada");
        }
        sujets.sort();
        sujets.dedup();
        assert_eq!(
            sujets.len(),
            courriels.len(),
            "sujets distincts : {sujets:?}"
        );
    }

    #[test]
    fn le_html_echappe_tout_ce_qui_vient_de_l_evenement() {
        for (nom, c) in chaque_courriel() {
            for brut in ["<b>LED", "<Lovelace>", "<Poste>"] {
                assert!(!c.html.contains(brut), "{nom} : {brut} non échappé");
            }
            assert!(
                c.html.contains("Lampe &lt;b&gt;LED&lt;&#x2f;b&gt;"),
                "{nom}"
            );
            assert!(c.html.contains("Ada &lt;Lovelace&gt;"), "{nom}");
            // The text part is not HTML: shown as typed.
            assert!(c.texte.contains("Lampe <b>LED</b>"), "{nom}");
        }
    }

    #[test]
    fn a_payer_donne_le_lien_de_paiement_et_l_echeance_en_heure_suisse() {
        let courriels = chaque_courriel();
        let c = &courriels[0].1;
        assert_eq!(
            c.sujet,
            "Votre commande n° 12 est réservée : à payer — Boutique 321"
        );
        dans_les_deux(c, "samedi 28 novembre 2026 à 10:15");
        assert!(
            c.texte
                .contains("2 × Lampe <b>LED</b> à CHF 617.25 = CHF 1’234.50"),
            "{}",
            c.texte
        );
        assert!(
            c.texte.contains(&format!("Payer ma commande : {LIEN}")),
            "{}",
            c.texte
        );
        assert!(c.html.contains(&format!("href=\"{LIEN}\"")));
    }

    #[test]
    fn un_refus_de_paiement_dit_pourquoi_et_invite_a_reessayer() {
        let courriels = chaque_courriel();
        let c = &courriels[1].1;
        dans_les_deux(c, "fonds insuffisants sur la carte");
        dans_les_deux(c, "samedi 28 novembre 2026 à 10:15");
        assert!(
            c.texte.contains(&format!("Réessayer le paiement : {LIEN}")),
            "{}",
            c.texte
        );
        assert!(
            c.texte.contains("Aucun montant n’a été débité"),
            "{}",
            c.texte
        );
    }

    #[test]
    fn une_confirmation_nomme_la_carte_et_ses_quatre_derniers_chiffres() {
        let courriels = chaque_courriel();
        let c = &courriels[2].1;
        dans_les_deux(c, "Visa se terminant par 4242");
        dans_les_deux(c, "CHF 617.25");
        assert!(!c.texte.contains("désolés"));
    }

    #[test]
    fn une_annulation_payee_annonce_le_remboursement() {
        let courriels = chaque_courriel();
        let c = &courriels[3].1;
        dans_les_deux(c, "annulée à votre demande");
        dans_les_deux(
            c,
            "vous êtes remboursé de CHF 1’234.50 sur votre carte Visa se terminant par 4242",
        );
        assert!(!c.texte.contains("Rien ne vous a été facturé"));
    }

    #[test]
    fn une_commande_expiree_a_ses_propres_mots() {
        let courriels = chaque_courriel();
        let c = &courriels[4].1;
        assert_eq!(c.sujet, "Votre commande n° 12 a expiré — Boutique 321");
        dans_les_deux(c, "commande expirée");
        dans_les_deux(c, "samedi 28 novembre 2026 à 10:15");
        dans_les_deux(c, "remis en vente");
        dans_les_deux(c, "Rien ne vous a été facturé");
        dans_les_deux(c, "http://localhost:8000/");
        assert!(!c.texte.contains("désolés : votre commande est annulée"));
    }

    #[test]
    fn une_expedition_donne_le_transporteur_et_le_numero_de_suivi() {
        let courriels = chaque_courriel();
        let c = &courriels[5].1;
        assert!(c.texte.contains("Transporteur : La <Poste>"), "{}", c.texte);
        dans_les_deux(c, "99.00.123456.12345678");
        dans_les_deux(c, "lundi 30 novembre 2026 à 15:00");
    }

    #[test]
    fn un_remboursement_donne_le_montant_la_carte_et_la_date() {
        let courriels = chaque_courriel();
        let c = &courriels[6].1;
        dans_les_deux(c, "CHF 1’234.50");
        dans_les_deux(c, "Visa se terminant par 4242");
        dans_les_deux(c, "mardi 1er décembre 2026 à 09:00");
    }

    #[test]
    fn une_annulation_pour_le_stock_ou_sans_raison_nomme_ce_qui_manque() {
        let g = gabarits();
        let mut c = commande(StatutCommande::Annulee);
        c.manquants = vec![Manquant {
            produit_id: 1,
            nom: Some("Lampe <b>LED</b>".into()),
            demande: 2,
            disponible: 1,
        }];
        for raison in [None, Some(RaisonAnnulation::Stock)] {
            c.raison = raison;
            let r = g.rendre(Etape::Annulee, &c).unwrap();
            assert_eq!(r.sujet, "Votre commande n° 12 est annulée — Boutique 321");
            assert!(r.texte.contains("désolés"), "{}", r.texte);
            assert!(
                r.texte
                    .contains("Lampe <b>LED</b> : 2 demandé(s), 1 disponible(s)"),
                "{}",
                r.texte
            );
            dans_les_deux(&r, "Rien ne vous a été facturé");
        }
    }

    #[test]
    fn une_annulation_par_la_boutique_sans_paiement_ne_parle_pas_de_remboursement() {
        let mut c = commande(StatutCommande::Annulee);
        c.raison = Some(RaisonAnnulation::Boutique);
        let r = gabarits().rendre(Etape::Annulee, &c).unwrap();
        dans_les_deux(&r, "annulée par la boutique");
        dans_les_deux(&r, "Rien ne vous a été facturé");
        assert!(!r.texte.contains("remboursé"), "{}", r.texte);
    }

    #[test]
    fn une_confirmation_d_avant_le_cycle_de_vie_se_rend_encore() {
        let r = gabarits()
            .rendre(Etape::Confirmee, &commande(StatutCommande::Confirmee))
            .unwrap();
        assert_eq!(r.sujet, "Votre commande n° 12 est confirmée — Boutique 321");
        dans_les_deux(&r, "tous les articles sont réservés pour vous");
        assert!(!r.texte.contains("se terminant par"));
    }

    #[test]
    fn une_etape_sans_ce_dont_parle_son_courriel_est_refusee() {
        let g = gabarits();
        for (etape, champ) in [
            (Etape::APayer, "echeance_paiement"),
            (Etape::PaiementRefuse, "refus"),
            (Etape::Expediee, "expedition"),
            (Etape::Remboursee, "paiement"),
        ] {
            let e = g
                .rendre(etape, &commande(StatutCommande::APayer))
                .unwrap_err()
                .to_string();
            assert!(e.contains(champ), "{etape:?} : {e}");
        }
        assert!(g
            .rendre(Etape::Recue, &commande(StatutCommande::EnAttente))
            .is_err());
    }

    #[test]
    fn l_echeance_est_en_heure_suisse_de_part_et_d_autre_du_changement_d_heure() {
        // Summer time starts on Sunday 29 March 2026 at 02:00 (UTC+1 → UTC+2) and ends on
        // Sunday 25 October 2026 at 03:00 (UTC+2 → UTC+1).
        for (utc, suisse) in [
            ("2026-03-28T09:15:00Z", "samedi 28 mars 2026 à 10:15"),
            ("2026-03-29T00:59:00Z", "dimanche 29 mars 2026 à 01:59"),
            ("2026-03-29T01:00:00Z", "dimanche 29 mars 2026 à 03:00"),
            ("2026-03-30T09:15:00Z", "lundi 30 mars 2026 à 11:15"),
            ("2026-10-24T22:30:00Z", "dimanche 25 octobre 2026 à 00:30"),
            ("2026-10-25T00:30:00Z", "dimanche 25 octobre 2026 à 02:30"),
            ("2026-10-25T01:30:00Z", "dimanche 25 octobre 2026 à 02:30"),
            ("2026-11-28T09:15:00Z", "samedi 28 novembre 2026 à 10:15"),
            ("2026-07-31T23:05:00Z", "samedi 1er août 2026 à 01:05"),
        ] {
            assert_eq!(date_suisse(instant(utc)), suisse, "{utc}");
        }
        // And in the email itself.
        let mut c = commande(StatutCommande::APayer);
        c.echeance_paiement = Some(instant("2026-03-30T09:15:00Z"));
        let r = gabarits().rendre(Etape::APayer, &c).unwrap();
        dans_les_deux(&r, "lundi 30 mars 2026 à 11:15");
    }

    #[test]
    fn les_marques_de_carte_s_ecrivent_comme_on_les_lit() {
        let mut p = paiement();
        for (marque, lue) in [
            ("visa", "Visa"),
            ("MASTERCARD", "Mastercard"),
            ("amex", "American Express"),
            ("twint", "Twint"),
            ("", "carte"),
        ] {
            p.marque = marque.into();
            assert_eq!(carte(&p), format!("{lue} se terminant par 4242"));
        }
    }
}
