//! What travels over HTTP: the order request (loose, then parsed), and the mapping of a
//! stored order to the shared response shape.

use contrats::http::LigneCommande;
use serde::Deserialize;
use socle::pagination::Pagination;
use utoipa::{IntoParams, ToSchema};

use crate::domaine::{
    AdresseLivraison, Client, Commande, DemandeCommande, Email, Envoi, Erreurs, Nom, Quantite,
    LIGNES_MAX,
};

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

/// Where to deliver, in Switzerland. Text fields are trimmed before their length is checked.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdresseEntrante {
    /// Street and number: 1 to 200 characters (trimmed), no control character.
    #[schema(value_type = String, required = true, example = "Rue du Lac 12")]
    pub rue: Option<String>,
    /// Swiss postcode: exactly four digits, 1000 to 9999.
    #[schema(value_type = String, required = true, example = "1003", pattern = "^[1-9][0-9]{3}$")]
    pub npa: Option<String>,
    /// Town: 1 to 100 characters (trimmed), no control character.
    #[schema(value_type = String, required = true, example = "Lausanne")]
    pub localite: Option<String>,
}

/// Body of POST /api/commandes: the seed's shape, plus the customer's name and address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommandeEntrante {
    #[schema(value_type = String, required = true, example = "client@example.com")]
    pub email: Option<String>,
    /// The customer's name: 1 to 100 characters (trimmed), no control character.
    #[schema(value_type = String, required = true, example = "Ada Lovelace")]
    pub nom: Option<String>,
    #[schema(value_type = AdresseEntrante, required = true)]
    pub adresse: Option<AdresseEntrante>,
    #[schema(value_type = Vec<LigneEntrante>, required = true, min_items = 1, max_items = 50)]
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
        let nom = match c.nom {
            None => {
                e.insert("nom".into(), "le nom est requis".into());
                None
            }
            Some(v) => Nom::try_from(v.as_str())
                .map_err(|m| {
                    e.insert("nom".into(), m);
                })
                .ok(),
        };
        let adresse = match c.adresse {
            None => {
                e.insert(
                    "adresse".into(),
                    "l'adresse de livraison est requise (rue, npa, localite)".into(),
                );
                None
            }
            Some(a) => {
                AdresseLivraison::new(a.rue.as_deref(), a.npa.as_deref(), a.localite.as_deref())
                    .map_err(|champs| e.extend(champs))
                    .ok()
            }
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
        match (email, nom, adresse) {
            (Some(email), Some(nom), Some(adresse)) if e.is_empty() => DemandeCommande::new(
                Client {
                    email,
                    nom,
                    adresse,
                },
                lignes,
            ),
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
            echeance_paiement: c.echeance_en_cours(),
            email: c.email,
            nom: c.nom,
            adresse: c.adresse,
            statut: c.statut,
            raison_annulation: c.raison_annulation,
            paiement: c.paiement,
            expedition: c.expedition,
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
            historique: c.historique,
            cree_le: c.cree_le,
            modifie_le: c.modifie_le,
        }
    }
}

/// Body of POST /api/commandes/{reference}/expedition (the shape of
/// `contrats::http::DemandeExpedition`, read loosely so that each bad field is named).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpeditionEntrante {
    /// 1 to 100 characters (trimmed), no control character.
    #[schema(value_type = String, required = true, example = "La Poste")]
    pub transporteur: Option<String>,
    /// 1 to 100 characters (trimmed), no control character.
    #[schema(value_type = String, required = true, example = "99.00.123456.12345678")]
    pub numero_suivi: Option<String>,
}

impl TryFrom<ExpeditionEntrante> for Envoi {
    type Error = Erreurs;
    fn try_from(d: ExpeditionEntrante) -> Result<Self, Erreurs> {
        Envoi::new(d.transporteur.as_deref(), d.numero_suivi.as_deref())
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
