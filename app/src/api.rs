//! Talking to the APIs: one helper with a server body and a browser body.
//!
//! On the server the storefront calls produits and commandes directly (internal URLs from
//! [`ApiInterne`] in the context); in the browser it calls the same paths on its own origin,
//! which the gateway routes to the services (paiements too: only the browser pays). The
//! bodies' shapes are the services' own, from `contrats::http`.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

pub use contrats::http::{
    Adresse, Carte, Commande, CorpsErreur, DemandePaiement, LigneCommande, MotifRefus, Produit,
    StatutCommande, StatutPaiement,
};

/// A page of the catalogue and the total count (`X-Total-Count`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageProduits {
    pub produits: Vec<Produit>,
    pub total: i64,
}

/// What went wrong, as the APIs say it (`{"erreur", "code", "champs"}`); `statut` 0 when
/// no answer came at all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErreurApi {
    pub statut: u16,
    pub erreur: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub champs: BTreeMap<String, String>,
}

impl ErreurApi {
    fn reseau(detail: impl std::fmt::Display) -> Self {
        ErreurApi {
            statut: 0,
            erreur: format!("service injoignable ({detail})"),
            code: String::new(),
            champs: BTreeMap::new(),
        }
    }

    /// The message for field `cle` (`email`, `adresse.npa`, `carte.numero`…), if any.
    pub fn champ(&self, cle: &str) -> Option<String> {
        self.champs.get(cle).cloned()
    }

    /// Whether the service decided: the same request sent again would get the same answer.
    /// No answer, a 5xx (a provider that timed out may still have charged), a 429 or a
    /// payment not open yet are not decisions: the same attempt may be sent again, with the
    /// same Idempotency-Key.
    pub fn est_definitive(&self) -> bool {
        !(self.statut == 0
            || self.statut >= 500
            || self.statut == 429
            || self.code == CODE_PAIEMENT_PAS_OUVERT)
    }
}

/// paiements' 409 while it has not yet learned that the order may be paid (Retry-After: 1).
pub const CODE_PAIEMENT_PAS_OUVERT: &str = "paiement_pas_ouvert";

fn erreur_depuis(statut: u16, corps: &str) -> ErreurApi {
    match serde_json::from_str::<CorpsErreur>(corps) {
        Ok(c) => ErreurApi {
            statut,
            erreur: c.erreur,
            code: c.code,
            champs: c.champs,
        },
        Err(_) => ErreurApi {
            statut,
            erreur: format!("réponse inattendue ({statut})"),
            code: String::new(),
            champs: BTreeMap::new(),
        },
    }
}

/// Internal base URLs for server-side calls, provided as context by the storefront server.
#[derive(Debug, Clone)]
pub struct ApiInterne {
    pub produits: String,
    pub commandes: String,
    /// The W3C `traceparent` of the page's request, passed on to the APIs so a page's calls
    /// belong to its trace (set per request by the storefront server).
    pub traceparent: Option<String>,
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
    // Pages read products and orders; paying and cancelling happen in the browser only.
    let base = if chemin.starts_with("/api/commandes") {
        &interne.commandes
    } else if chemin.starts_with("/api/produits") {
        &interne.produits
    } else {
        return Err(ErreurApi::reseau(format!(
            "pas d'appel serveur vers {chemin}"
        )));
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
    if let Some(tp) = &interne.traceparent {
        requete = requete.header("traceparent", tp);
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

/// Who orders and where to deliver, as typed at the checkout (commandes checks each field).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub email: String,
    pub nom: String,
    pub adresse: Adresse,
}

/// Places an order; `cle` is the checkout's Idempotency-Key.
pub async fn commander(
    client: Client,
    lignes: Vec<(i64, i32)>,
    cle: String,
) -> Result<Commande, ErreurApi> {
    let corps = corps_commande(&client, &lignes);
    lire(&envoyer("POST", "/api/commandes", Some(corps.to_string()), Some(cle)).await?)
}

fn corps_commande(client: &Client, lignes: &[(i64, i32)]) -> serde_json::Value {
    serde_json::json!({
        "email": client.email,
        "nom": client.nom,
        "adresse": client.adresse,
        "produits": lignes
            .iter()
            .map(|(id, q)| serde_json::json!({"produit_id": id, "quantite": q}))
            .collect::<Vec<_>>(),
    })
}

/// The customer cancels an order (`200` with the order, `409 transition_impossible`).
pub async fn annuler(reference: Uuid) -> Result<Commande, ErreurApi> {
    let chemin = format!("/api/commandes/{reference}/annulation");
    lire(&envoyer("POST", &chemin, None, None).await?)
}

/// How many times one payment attempt is sent while paiements answers
/// `paiement_pas_ouvert` (it learns from an event that the order may be paid, a moment
/// after the order page shows « à payer »).
pub const ESSAIS_PAIEMENT: u32 = 5;

/// What the order page reads of paiements' answer (a `contrats::http::Paiement`): reading
/// only these two fields keeps the rest of its parser out of the WASM bundle.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaiementRecu {
    pub statut: StatutPaiement,
    #[serde(default)]
    pub motif_refus: Option<MotifRefus>,
}

/// Pays an order: one attempt, under the Idempotency-Key `cle`. While paiements has not yet
/// opened the order's payment, the same request (same key) is sent again after a second,
/// up to [`ESSAIS_PAIEMENT`] times.
pub async fn payer(demande: DemandePaiement, cle: String) -> Result<PaiementRecu, ErreurApi> {
    let corps = serde_json::to_string(&demande)
        .map_err(|e| ErreurApi::reseau(format!("demande illisible : {e}")))?;
    let mut essai = 1;
    loop {
        let r = lire(
            &envoyer(
                "POST",
                "/api/paiements",
                Some(corps.clone()),
                Some(cle.clone()),
            )
            .await?,
        );
        match r {
            Err(e) if e.code == CODE_PAIEMENT_PAS_OUVERT && essai < ESSAIS_PAIEMENT => {
                essai += 1;
                pause(std::time::Duration::from_secs(1)).await;
            }
            r => return r,
        }
    }
}

/// Waits without blocking the browser's thread.
#[cfg(feature = "hydrate")]
async fn pause(duree: std::time::Duration) {
    let (fin, attente) = futures::channel::oneshot::channel::<()>();
    leptos::prelude::set_timeout(
        move || {
            let _ = fin.send(());
        },
        duree,
    );
    let _ = attente.await;
}

/// Nothing pays from the server: no need to wait there.
#[cfg(not(feature = "hydrate"))]
async fn pause(_duree: std::time::Duration) {}

/// Percent-encodes a query value.
fn encoder(v: &str) -> String {
    form_urlencoded::byte_serialize(v.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_corps_d_une_commande_porte_le_nom_et_l_adresse() {
        let client = Client {
            email: "ada@example.com".into(),
            nom: "Ada Lovelace".into(),
            adresse: Adresse {
                rue: "Rue du Lac 12".into(),
                npa: "1003".into(),
                localite: "Lausanne".into(),
            },
        };
        let corps = corps_commande(&client, &[(2, 3)]);
        assert_eq!(corps["nom"], "Ada Lovelace");
        assert_eq!(corps["adresse"]["npa"], "1003");
        assert_eq!(corps["adresse"]["localite"], "Lausanne");
        assert_eq!(corps["produits"][0]["produit_id"], 2);
        assert_eq!(corps["produits"][0]["quantite"], 3);
    }

    #[test]
    fn seules_les_decisions_du_service_terminent_une_tentative_de_paiement() {
        let erreur = |statut, code: &str| ErreurApi {
            code: code.into(),
            ..erreur_depuis(statut, "")
        };
        assert!(erreur(402, "carte_refusee").est_definitive());
        assert!(erreur(422, "validation").est_definitive());
        assert!(erreur(409, "deja_payee").est_definitive());
        assert!(!erreur(409, CODE_PAIEMENT_PAS_OUVERT).est_definitive());
        assert!(!erreur(504, "fournisseur_indisponible").est_definitive());
        assert!(!ErreurApi::reseau("coupé").est_definitive());
    }

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
        assert_eq!(e.code, "validation");
        assert_eq!(e.champ("email").as_deref(), Some("adresse invalide"));
        assert_eq!(
            erreur_depuis(502, "<html>").erreur,
            "réponse inattendue (502)"
        );
    }
}
