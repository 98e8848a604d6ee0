//! The HTTP client to produits: prices and names come from there, never from the customer.

use std::collections::HashMap;
use std::time::Duration;

use contrats::http::Produit;

use crate::domaine::ProduitCatalogue;

#[derive(Debug, thiserror::Error)]
pub enum ErreurCatalogue {
    /// Unreachable, too slow, or answering with a server error.
    #[error("le service produits est indisponible : {0}")]
    Indisponible(String),
}

#[derive(Clone)]
pub struct ClientProduits {
    http: reqwest::Client,
    base: String,
}

impl ClientProduits {
    pub fn new(base: &str, delai: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(delai)
            .connect_timeout(delai)
            .build()?;
        Ok(ClientProduits {
            http,
            base: base.trim_end_matches('/').to_owned(),
        })
    }

    /// The listed products that exist, in one request (`ids` holds at most 50 ids).
    pub async fn produits(
        &self,
        ids: &[i64],
    ) -> Result<HashMap<i64, ProduitCatalogue>, ErreurCatalogue> {
        let liste = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let mut requete = self
            .http
            .get(format!("{}/api/produits", self.base))
            .query(&[("ids", liste.as_str()), ("par_page", "100")]);
        // produits continues this request's trace (W3C trace context).
        if let Some(tp) = socle::telemetrie::traceparent_courant() {
            requete = requete.header(socle::telemetrie::TRACEPARENT, tp);
        }
        let reponse = requete
            .send()
            .await
            .map_err(|e| ErreurCatalogue::Indisponible(e.to_string()))?;
        if !reponse.status().is_success() {
            return Err(ErreurCatalogue::Indisponible(format!(
                "réponse {}",
                reponse.status()
            )));
        }
        let recus: Vec<Produit> = reponse
            .json()
            .await
            .map_err(|e| ErreurCatalogue::Indisponible(format!("réponse illisible : {e}")))?;
        Ok(recus
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    ProduitCatalogue {
                        id: p.id,
                        nom: p.nom,
                        prix: p.prix,
                    },
                )
            })
            .collect())
    }
}
