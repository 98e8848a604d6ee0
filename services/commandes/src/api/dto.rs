//! What travels over HTTP: the order request (loose, then parsed), and the mapping of a
//! stored order to the shared response shape.

use contrats::http::LigneCommande;
use serde::Deserialize;
use socle::pagination::Pagination;
use utoipa::{IntoParams, ToSchema};

use crate::domaine::{Commande, DemandeCommande, Email, Erreurs, Quantite, LIGNES_MAX};

/// One product and quantity asked for.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LigneEntrante {
    #[schema(example = 1, minimum = 1)]
    pub produit_id: Option<i64>,
    #[schema(example = 2, minimum = 1, maximum = 1000)]
    pub quantite: Option<i64>,
}

impl LigneEntrante {
    /// The line as (product id, quantity), or its errors recorded under `produits[i]`.
    fn lire(self, i: usize, e: &mut Erreurs) -> Option<(i64, i64)> {
        let id = match self.produit_id {
            Some(id) if id > 0 => Some(id),
            Some(id) => {
                e.insert(
                    format!("produits[{i}].produit_id"),
                    format!("le produit {id} n'existe pas"),
                );
                None
            }
            None => {
                e.insert(
                    format!("produits[{i}].produit_id"),
                    "l'identifiant du produit est requis".into(),
                );
                None
            }
        };
        let quantite = match self.quantite {
            Some(q) => Quantite::try_from(q)
                .map_err(|m| {
                    e.insert(format!("produits[{i}].quantite"), m);
                })
                .ok()
                .map(|_| q),
            None => {
                e.insert(
                    format!("produits[{i}].quantite"),
                    "la quantité est requise".into(),
                );
                None
            }
        };
        Some((id?, quantite?))
    }
}

/// Body of POST /api/commandes (the seed's shape).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandeEntrante {
    #[schema(example = "client@example.com")]
    pub email: Option<String>,
    #[schema(min_items = 1, max_items = 50)]
    pub produits: Option<Vec<LigneEntrante>>,
}

impl TryFrom<CommandeEntrante> for DemandeCommande {
    type Error = Erreurs;
    fn try_from(c: CommandeEntrante) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        let email = match c.email {
            None => {
                e.insert("email".into(), "l'adresse e-mail est requise".into());
                None
            }
            Some(v) => Email::try_from(v)
                .map_err(|m| {
                    e.insert("email".into(), m);
                })
                .ok(),
        };
        let mut lignes = Vec::new();
        match c.produits {
            None => {
                e.insert(
                    "produits".into(),
                    "la liste des produits est requise".into(),
                );
            }
            Some(l) if l.is_empty() => {
                e.insert(
                    "produits".into(),
                    "la commande doit contenir au moins un produit".into(),
                );
            }
            Some(l) if l.len() > LIGNES_MAX => {
                e.insert(
                    "produits".into(),
                    format!(
                        "au plus {LIGNES_MAX} lignes par commande (reçu {})",
                        l.len()
                    ),
                );
            }
            Some(l) => {
                lignes = l
                    .into_iter()
                    .enumerate()
                    .filter_map(|(i, ligne)| ligne.lire(i, &mut e))
                    .collect();
            }
        }
        match email {
            Some(email) if e.is_empty() => DemandeCommande::new(email, lignes),
            _ => Err(e),
        }
    }
}

/// The stored order, as the API shows it (the shape is shared: `contrats::http::Commande`).
impl From<Commande> for contrats::http::Commande {
    fn from(c: Commande) -> Self {
        contrats::http::Commande {
            id_commande: c.id_commande,
            reference: c.reference,
            email: c.email,
            statut: c.statut,
            total: c.total,
            lignes: c
                .lignes
                .into_iter()
                .map(|l| LigneCommande {
                    produit_id: l.produit_id,
                    nom: l.nom,
                    prix_unitaire: l.prix_unitaire,
                    quantite: l.quantite,
                    sous_total: l.sous_total,
                })
                .collect(),
            cree_le: c.cree_le,
            modifie_le: c.modifie_le,
        }
    }
}

/// Query string of the admin list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParamsListe {
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Orders per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub par_page: Option<i64>,
}

impl TryFrom<ParamsListe> for Pagination {
    type Error = Erreurs;
    fn try_from(p: ParamsListe) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        Pagination::lire(p.page, p.par_page, &mut e).ok_or(e)
    }
}
