//! Rendering an order outcome as a French email: subject, plain text and HTML.
//!
//! Templates live in `templates/` and are compiled into the binary; the HTML one is
//! auto-escaped (a product name cannot inject markup).

use contrats::chf::chf;
use contrats::evenements::{CommandeTerminee, StatutFinal};
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
    /// Public URL of the storefront, for the link to the order page.
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

impl Gabarits {
    pub fn new(vitrine: &str) -> anyhow::Result<Self> {
        let mut env = Environment::new();
        env.add_template("commande.html", include_str!("../templates/commande.html"))?;
        env.add_template("commande.txt", include_str!("../templates/commande.txt"))?;
        Ok(Gabarits {
            env,
            vitrine: vitrine.trim_end_matches('/').to_owned(),
        })
    }

    pub fn rendre(&self, c: &CommandeTerminee) -> anyhow::Result<Courriel> {
        let confirmee = c.statut == StatutFinal::Confirmee;
        let sujet = if confirmee {
            format!(
                "Votre commande n° {} est confirmée — Boutique 321",
                c.id_commande
            )
        } else {
            format!(
                "Votre commande n° {} est annulée — Boutique 321",
                c.id_commande
            )
        };
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
        let ctx = context! {
            sujet => &sujet,
            confirmee,
            statut => if confirmee { "confirmée" } else { "annulée" },
            id_commande => c.id_commande,
            reference => c.reference.to_string(),
            lignes,
            manquants,
            total => chf(c.total),
            // Built from configuration and a UUID only: safe to put in an href as is.
            lien => Value::from_safe_string(format!("{}/commandes/{}", self.vitrine, c.reference)),
        };
        Ok(Courriel {
            texte: self.env.get_template("commande.txt")?.render(&ctx)?,
            html: self.env.get_template("commande.html")?.render(&ctx)?,
            sujet,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use contrats::evenements::{LigneEvenement, Manquant};
    use rust_decimal::Decimal;

    fn commande(statut: StatutFinal) -> CommandeTerminee {
        CommandeTerminee {
            id_evenement: uuid::Uuid::nil(),
            id_commande: 12,
            reference: uuid::Uuid::nil(),
            email: "client@example.com".into(),
            statut,
            total: Decimal::new(12950, 2),
            lignes: vec![LigneEvenement {
                produit_id: 1,
                nom: "Lampe <b>LED</b>".into(),
                prix_unitaire: Decimal::new(6475, 2),
                quantite: 2,
                sous_total: Decimal::new(12950, 2),
            }],
            manquants: vec![Manquant {
                produit_id: 1,
                nom: Some("Lampe <b>LED</b>".into()),
                demande: 2,
                disponible: 1,
            }],
            timestamp: chrono::Utc::now(),
        }
    }

    #[test]
    fn une_confirmation_donne_les_lignes_le_total_en_chf_et_le_lien() {
        let g = Gabarits::new("http://localhost:8000/").unwrap();
        let c = g.rendre(&commande(StatutFinal::Confirmee)).unwrap();
        assert!(c.sujet.contains("n° 12 est confirmée"));
        for corps in [&c.texte, &c.html] {
            assert!(corps.contains("CHF 64.75"), "{corps}");
            assert!(corps.contains("CHF 129.50"), "{corps}");
            assert!(corps
                .contains("http://localhost:8000/commandes/00000000-0000-0000-0000-000000000000"));
        }
        assert!(!c.texte.contains("désolés"));
    }

    #[test]
    fn une_annulation_s_excuse_et_nomme_ce_qui_manque() {
        let g = Gabarits::new("http://localhost:8000").unwrap();
        let c = g.rendre(&commande(StatutFinal::Annulee)).unwrap();
        assert!(c.sujet.contains("annulée"));
        assert!(c.texte.contains("désolés"));
        assert!(c
            .texte
            .contains("Lampe <b>LED</b> : 2 demandé(s), 1 disponible(s)"));
    }

    #[test]
    fn le_html_echappe_les_noms_de_produits() {
        let g = Gabarits::new("http://localhost:8000").unwrap();
        let c = g.rendre(&commande(StatutFinal::Annulee)).unwrap();
        assert!(
            c.html.contains("Lampe &lt;b&gt;LED&lt;&#x2f;b&gt;")
                || c.html.contains("Lampe &lt;b&gt;LED&lt;/b&gt;"),
            "{}",
            c.html
        );
        assert!(!c.html.contains("<b>LED"));
    }
}
