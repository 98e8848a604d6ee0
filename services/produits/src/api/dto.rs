//! What travels over HTTP: request bodies (loose, then parsed into the domain), and the
//! mapping of a stored product to the shared response shape.

use axum::extract::FromRequestParts;
use http::request::Parts;
use http::{header, HeaderValue};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer};
use utoipa::{IntoParams, ToSchema};

use socle::pagination::Pagination;

use crate::domaine::{
    champ, requis, Ajustement, Erreurs, Filtre, ModificationProduit, NouveauProduit, Precondition,
    Produit,
};
use crate::erreur::ErreurApi;

/// The stored product, as the API shows it (the shape is shared: `contrats::http::Produit`).
impl From<Produit> for contrats::http::Produit {
    fn from(p: Produit) -> Self {
        contrats::http::Produit {
            id: p.id,
            nom: p.nom,
            description: p.description,
            prix: p.prix,
            quantite_en_stock: p.quantite_en_stock,
            image_url: p.image_url,
            cree_le: p.cree_le,
            modifie_le: p.modifie_le,
        }
    }
}

/// The strong ETag of a product: its version, quoted (`"3"`).
pub fn etag(p: &Produit) -> (header::HeaderName, HeaderValue) {
    let valeur = HeaderValue::from_str(&format!("\"{}\"", p.version))
        .expect("des chiffres entre guillemets forment un en-tête valide");
    (header::ETAG, valeur)
}

/// The `If-Match` of a request, parsed: `None` when absent.
pub struct SiVersion(pub Option<Precondition>);

impl<S: Send + Sync> FromRequestParts<S> for SiVersion {
    type Rejection = ErreurApi;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ErreurApi> {
        let invalide = || ErreurApi::EnTeteInvalide {
            en_tete: "If-Match",
        };
        // Several If-Match lines make one list (RFC 9110, 5.3).
        let valeurs = parts
            .headers
            .get_all(header::IF_MATCH)
            .iter()
            .map(|v| v.to_str().map_err(|_| invalide()))
            .collect::<Result<Vec<_>, _>>()?;
        if valeurs.is_empty() {
            return Ok(SiVersion(None));
        }
        Precondition::try_from(valeurs.join(", ").as_str())
            .map(|p| SiVersion(Some(p)))
            .map_err(|()| invalide())
    }
}

/// `If-Match: "3"`, `"3", "4"` or `*`. If-Match compares strongly: a weak tag (`W/"3"`) never
/// matches, nor does a tag this service never issued (`"abc"`, `"03"`); both are kept out of
/// the list, so a request naming only those fails with 412, as the RFC says. Only what is not
/// a list of quoted tags is refused (400).
impl TryFrom<&str> for Precondition {
    type Error = ();
    fn try_from(v: &str) -> Result<Self, ()> {
        if v.trim() == "*" {
            return Ok(Precondition::Existe);
        }
        let blanc = [' ', '\t'];
        let mut versions = Vec::new();
        let mut tags = 0;
        let mut reste = v;
        loop {
            // Empty list elements (`"1", , "2"`) are allowed by the list syntax.
            reste = reste.trim_start_matches([' ', '\t', ',']);
            if reste.is_empty() {
                break;
            }
            let (faible, r) = match reste.strip_prefix("W/") {
                Some(r) => (true, r),
                None => (false, reste),
            };
            let r = r.strip_prefix('"').ok_or(())?;
            let fin = r.find('"').ok_or(())?;
            let tag = &r[..fin];
            if !tag.chars().all(|c| c.is_ascii_graphic()) {
                return Err(());
            }
            tags += 1;
            if let Some(n) = tag.parse::<i64>().ok().filter(|n| n.to_string() == tag) {
                if !faible {
                    versions.push(n);
                }
            }
            reste = r[fin + 1..].trim_start_matches(blanc);
            if !(reste.is_empty() || reste.starts_with(',')) {
                return Err(());
            }
        }
        if tags == 0 {
            return Err(());
        }
        Ok(Precondition::Versions(versions))
    }
}

/// Body of `POST /api/produits/{id}/stock`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AjustementEntrant {
    /// Units to add (positive) or take away (negative); not zero.
    #[schema(example = -3)]
    pub delta: Option<i64>,
    /// Why, 1 to 200 characters (kept in the stock journal).
    #[schema(example = "casse constatée à l'inventaire")]
    pub raison: Option<String>,
}

impl TryFrom<AjustementEntrant> for Ajustement {
    type Error = Erreurs;
    fn try_from(d: AjustementEntrant) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        let delta = requis(&mut e, "delta", d.delta);
        let raison = requis(&mut e, "raison", d.raison);
        match (delta, raison) {
            (Some(delta), Some(raison)) if e.is_empty() => Ok(Ajustement { delta, raison }),
            _ => Err(e),
        }
    }
}

/// Body of POST and PUT. `nom`, `prix` and `quantite_en_stock` are required.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProduitEntrant {
    #[schema(example = "Lampe de bureau")]
    pub nom: Option<String>,
    #[serde(default)]
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(value_type = f64, example = 49.90, exclusive_minimum = 0, exclusive_maximum = 1000000)]
    pub prix: Option<Decimal>,
    #[schema(example = 10, minimum = 0, maximum = 2147483647)]
    pub quantite_en_stock: Option<i64>,
    #[serde(default)]
    pub image_url: Option<String>,
}

impl TryFrom<ProduitEntrant> for NouveauProduit {
    type Error = Erreurs;
    fn try_from(d: ProduitEntrant) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        let nom = requis(&mut e, "nom", d.nom);
        let description = champ(&mut e, "description", d.description.unwrap_or_default());
        let prix = requis(&mut e, "prix", d.prix);
        let stock = requis(&mut e, "quantite_en_stock", d.quantite_en_stock);
        let image_url = match d.image_url {
            Some(u) => champ(&mut e, "image_url", u).map(Some),
            None => Some(None),
        };
        match (nom, description, prix, stock, image_url) {
            (
                Some(nom),
                Some(description),
                Some(prix),
                Some(quantite_en_stock),
                Some(image_url),
            ) if e.is_empty() => Ok(NouveauProduit {
                nom,
                description,
                prix,
                quantite_en_stock,
                image_url,
            }),
            _ => Err(e),
        }
    }
}

/// Body of PATCH: only the fields sent change. `"image_url": null` removes the image;
/// `0` stock and an empty description are real values.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProduitPatch {
    pub nom: Option<String>,
    #[schema(max_length = 5000)]
    pub description: Option<String>,
    #[schema(value_type = Option<f64>, exclusive_minimum = 0, exclusive_maximum = 1000000)]
    pub prix: Option<Decimal>,
    #[schema(minimum = 0, maximum = 2147483647)]
    pub quantite_en_stock: Option<i64>,
    #[serde(default, deserialize_with = "present_meme_nul")]
    #[schema(value_type = Option<String>)]
    pub image_url: Option<Option<String>>,
}

/// Tells a field sent as `null` (`Some(None)`) from one not sent (`None`, via `default`).
fn present_meme_nul<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

impl TryFrom<ProduitPatch> for ModificationProduit {
    type Error = Erreurs;
    fn try_from(d: ProduitPatch) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        let m = ModificationProduit {
            nom: d.nom.and_then(|v| champ(&mut e, "nom", v)),
            description: d.description.and_then(|v| champ(&mut e, "description", v)),
            prix: d.prix.and_then(|v| champ(&mut e, "prix", v)),
            quantite_en_stock: d
                .quantite_en_stock
                .and_then(|v| champ(&mut e, "quantite_en_stock", v)),
            image_url: d
                .image_url
                .map(|o| o.and_then(|v| champ(&mut e, "image_url", v))),
        };
        if e.is_empty() {
            Ok(m)
        } else {
            Err(e)
        }
    }
}

/// Query string of the list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParamsListe {
    /// Searched in name and description, case-insensitive.
    pub q: Option<String>,
    /// Page number, from 1.
    #[param(minimum = 1)]
    pub page: Option<i64>,
    /// Products per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub par_page: Option<i64>,
    /// Comma-separated ids, e.g. `1,4,7` (at most 100).
    pub ids: Option<String>,
}

impl TryFrom<ParamsListe> for Filtre {
    type Error = Erreurs;
    fn try_from(p: ParamsListe) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        let pagination = Pagination::lire(p.page, p.par_page, &mut e);
        let recherche = p.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
        if recherche.as_ref().is_some_and(|q| q.chars().count() > 200) {
            e.insert("q".into(), "la recherche dépasse 200 caractères".into());
        }
        let ids = match p.ids.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s) => {
                let ids: Result<Vec<i64>, _> = s.split(',').map(|x| x.trim().parse()).collect();
                match ids {
                    Ok(ids) if ids.len() <= 100 => Some(ids),
                    Ok(_) => {
                        e.insert("ids".into(), "au plus 100 identifiants".into());
                        None
                    }
                    Err(_) => {
                        e.insert(
                            "ids".into(),
                            "liste d'entiers séparés par des virgules attendue".into(),
                        );
                        None
                    }
                }
            }
        };
        match pagination {
            Some(pagination) if e.is_empty() => Ok(Filtre {
                recherche,
                ids,
                pagination,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lire(v: &str) -> Result<Precondition, ()> {
        Precondition::try_from(v)
    }

    #[test]
    fn if_match_lit_une_liste_d_etags_forts_ou_l_etoile() {
        assert_eq!(lire("*"), Ok(Precondition::Existe));
        assert_eq!(lire("\"3\""), Ok(Precondition::Versions(vec![3])));
        assert_eq!(
            lire(" \"3\" ,\t\"12\", ,"),
            Ok(Precondition::Versions(vec![3, 12]))
        );
    }

    #[test]
    fn if_match_garde_hors_de_la_liste_ce_qui_ne_peut_pas_correspondre() {
        // Weak tags never match under If-Match's strong comparison; other tags are not ours.
        for v in ["W/\"3\"", "\"abc\"", "\"03\"", "\"+3\"", "\"a,b\""] {
            assert_eq!(lire(v), Ok(Precondition::Versions(vec![])), "{v}");
        }
        assert_eq!(lire("W/\"3\", \"4\""), Ok(Precondition::Versions(vec![4])));
    }

    #[test]
    fn if_match_sans_guillemets_ou_mal_separe_est_illisible() {
        for v in [
            "",
            " ",
            "3",
            "\"3",
            "\"3\" \"4\"",
            "\"3\"x",
            "*, \"3\"",
            "\"a b\"",
        ] {
            assert_eq!(lire(v), Err(()), "{v:?}");
        }
    }
}
