//! Talking to the APIs: one helper with a server body and a browser body.
//!
//! On the server the storefront calls produits and commandes directly (internal URLs from
//! [`ApiInterne`] in the context); in the browser it calls the same paths on its own origin,
//! which the gateway routes to the services. The bodies' shapes are the services' own, from
//! `contrats::http`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use contrats::http::{Commande, CorpsErreur, LigneCommande, Produit, StatutCommande};

/// A page of the catalogue and the total count (`X-Total-Count`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageProduits {
    pub produits: Vec<Produit>,
    pub total: i64,
}

/// What went wrong, as the APIs say it (`{"erreur", "code", "champs"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErreurApi {
    pub statut: u16,
    pub erreur: String,
    #[serde(default)]
    pub champs: BTreeMap<String, String>,
}

impl ErreurApi {
    fn reseau(detail: impl std::fmt::Display) -> Self {
        ErreurApi {
            statut: 0,
            erreur: format!("service injoignable ({detail})"),
            champs: BTreeMap::new(),
        }
    }
}

fn erreur_depuis(statut: u16, corps: &str) -> ErreurApi {
    match serde_json::from_str::<CorpsErreur>(corps) {
        Ok(c) => ErreurApi {
            statut,
            erreur: c.erreur,
            champs: c.champs,
        },
        Err(_) => ErreurApi {
            statut,
            erreur: format!("réponse inattendue ({statut})"),
            champs: BTreeMap::new(),
        },
    }
}

/// Internal base URLs for server-side calls, provided as context by the storefront server.
#[derive(Debug, Clone)]
pub struct ApiInterne {
    pub produits: String,
    pub commandes: String,
}

/// A response: status, body and the total-count header when present.
struct Reponse {
    statut: u16,
    corps: String,
    total: Option<i64>,
}

#[cfg(feature = "ssr")]
async fn envoyer(
    methode: &str,
    chemin: &str,
    corps: Option<String>,
    cle: Option<String>,
) -> Result<Reponse, ErreurApi> {
    let interne = leptos::prelude::use_context::<ApiInterne>()
        .ok_or_else(|| ErreurApi::reseau("configuration absente"))?;
    let base = if chemin.starts_with("/api/commandes") {
        &interne.commandes
    } else {
        &interne.produits
    };
    // One client for the whole process: it keeps connections to the services alive.
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    let client = CLIENT.get_or_init(reqwest::Client::new);
    let url = format!("{base}{chemin}");
    let mut requete = match methode {
        "POST" => client.post(url),
        _ => client.get(url),
    };
    if let Some(c) = corps {
        requete = requete.header("content-type", "application/json").body(c);
    }
    if let Some(k) = cle {
        requete = requete.header("idempotency-key", k);
    }
    let r = requete
        .timeout(std::time::Duration::from_secs(5))
        .send()
        .await
        .map_err(ErreurApi::reseau)?;
    let statut = r.status().as_u16();
    let total = r
        .headers()
        .get("x-total-count")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let corps = r.text().await.map_err(ErreurApi::reseau)?;
    Ok(Reponse {
        statut,
        corps,
        total,
    })
}

#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
async fn envoyer(
    methode: &str,
    chemin: &str,
    corps: Option<String>,
    cle: Option<String>,
) -> Result<Reponse, ErreurApi> {
    use gloo_net::http::Request;
    // gloo-net futures are !Send; resources need Send futures (they also run on the server).
    send_wrapper::SendWrapper::new(async move {
        let mut requete = match methode {
            "POST" => Request::post(chemin),
            _ => Request::get(chemin),
        };
        if let Some(k) = cle {
            requete = requete.header("idempotency-key", &k);
        }
        let reponse = match corps {
            Some(c) => {
                requete
                    .header("content-type", "application/json")
                    .body(c)
                    .map_err(ErreurApi::reseau)?
                    .send()
                    .await
            }
            None => requete.send().await,
        }
        .map_err(ErreurApi::reseau)?;
        let statut = reponse.status();
        let total = reponse
            .headers()
            .get("x-total-count")
            .and_then(|v| v.parse().ok());
        let corps = reponse.text().await.map_err(ErreurApi::reseau)?;
        Ok(Reponse {
            statut,
            corps,
            total,
        })
    })
    .await
}

#[cfg(not(any(feature = "ssr", feature = "hydrate")))]
async fn envoyer(
    _methode: &str,
    _chemin: &str,
    _corps: Option<String>,
    _cle: Option<String>,
) -> Result<Reponse, ErreurApi> {
    Err(ErreurApi::reseau("ni serveur ni navigateur"))
}

fn lire<T: DeserializeOwned>(r: &Reponse) -> Result<T, ErreurApi> {
    if (200..300).contains(&r.statut) {
        serde_json::from_str(&r.corps)
            .map_err(|e| ErreurApi::reseau(format!("réponse illisible : {e}")))
    } else {
        Err(erreur_depuis(r.statut, &r.corps))
    }
}

/// Products per catalogue page.
pub const PAR_PAGE: i64 = 12;

pub async fn catalogue(q: String, page: i64) -> Result<PageProduits, ErreurApi> {
    let mut chemin = format!("/api/produits?page={page}&par_page={PAR_PAGE}");
    if !q.trim().is_empty() {
        chemin.push_str("&q=");
        chemin.push_str(&encoder(q.trim()));
    }
    let r = envoyer("GET", &chemin, None, None).await?;
    let produits = lire(&r)?;
    Ok(PageProduits {
        produits,
        total: r.total.unwrap_or(0),
    })
}

pub async fn produit(id: i64) -> Result<Produit, ErreurApi> {
    lire(&envoyer("GET", &format!("/api/produits/{id}"), None, None).await?)
}

pub async fn commande(reference: Uuid) -> Result<Commande, ErreurApi> {
    lire(&envoyer("GET", &format!("/api/commandes/{reference}"), None, None).await?)
}

/// Places an order; `cle` is the checkout's Idempotency-Key.
pub async fn commander(
    email: String,
    lignes: Vec<(i64, i32)>,
    cle: String,
) -> Result<Commande, ErreurApi> {
    let corps = serde_json::json!({
        "email": email,
        "produits": lignes
            .iter()
            .map(|(id, q)| serde_json::json!({"produit_id": id, "quantite": q}))
            .collect::<Vec<_>>(),
    });
    lire(&envoyer("POST", "/api/commandes", Some(corps.to_string()), Some(cle)).await?)
}

/// Percent-encodes a query value.
fn encoder(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn une_recherche_est_encodee_pour_l_url() {
        assert_eq!(encoder("tasse émaillée&x"), "tasse+%C3%A9maill%C3%A9e%26x");
    }

    #[test]
    fn une_erreur_de_l_api_garde_son_message_et_ses_champs() {
        let e = erreur_depuis(
            422,
            r#"{"erreur":"commande invalide","code":"validation","champs":{"email":"adresse invalide"}}"#,
        );
        assert_eq!(e.statut, 422);
        assert_eq!(e.champs["email"], "adresse invalide");
        assert_eq!(
            erreur_depuis(502, "<html>").erreur,
            "réponse inattendue (502)"
        );
    }
}
