//! Placing an order: parse, price from produits, store once (idempotently).

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use socle::http::Json;

use chrono::Utc;
use uuid::Uuid;

use contrats::http::{Etape, StatutCommande};

use super::dto::CommandeEntrante;
use super::{AppState, BASE};
use crate::catalogue::ErreurCatalogue;
use crate::domaine::{chiffrer, total, CleIdempotence, Commande, DemandeCommande, Erreurs, Ligne};
use crate::erreur::ErreurApi;
use crate::{depot, evenements};
use contrats::noms::cles;

pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Place an order. Prices and names come from the catalogue; a retry with the same
/// `Idempotency-Key` returns the first order instead of creating a second one (the key
/// covers the email, name, address and lines: the same key with any of them different is a
/// 422). The order starts `en_attente`, its history holds `recue`.
#[utoipa::path(
    post, path = "", tag = "commandes",
    request_body = CommandeEntrante,
    params(("Idempotency-Key" = Option<String>, Header,
            description = "Clé choisie par le client (1 à 200 caractères) : un POST répété avec la même clé rend la première commande")),
    responses(
        (status = 201, description = "Commande enregistrée (ou rejouée)", body = contrats::http::Commande,
         headers(("Location" = String, description = "Adresse de la commande"),
                 ("Idempotent-Replayed" = bool, description = "Présent quand la réponse rejoue une commande existante"))),
        (status = 400, description = "JSON malformé", body = socle::http::CorpsErreur),
        (status = 413, description = "Corps trop grand", body = socle::http::CorpsErreur),
        (status = 422, description = "Commande invalide, chaque champ fautif nommé (`email`, `nom`, `adresse`, `adresse.rue`, `adresse.npa`, `adresse.localite`, `produits[i].…`), ou clé réutilisée", body = socle::http::CorpsErreur),
        (status = 503, description = "Catalogue indisponible : rien n'est enregistré", body = socle::http::CorpsErreur),
    )
)]
pub async fn creer(
    State(s): State<AppState>,
    entetes: HeaderMap,
    Json(dto): Json<CommandeEntrante>,
) -> Result<Response, ErreurApi> {
    let cle = cle_idempotence(&entetes)?;
    let demande = DemandeCommande::try_from(dto)?;

    if let Some(cle) = &cle {
        if let Some(reponse) = rejouer(&s, cle, &demande).await? {
            return Ok(reponse);
        }
    }

    let catalogue = s
        .produits
        .produits(&demande.ids())
        .await
        .map_err(|ErreurCatalogue::Indisponible(d)| ErreurApi::ProduitsIndisponible(d))?;
    let lignes = chiffrer(&demande, &catalogue).map_err(|inconnus| {
        let champs: Erreurs = inconnus
            .iter()
            .map(|id| {
                (
                    format!("produits.{id}.produit_id"),
                    format!("le produit {id} n'existe pas"),
                )
            })
            .collect();
        ErreurApi::from(champs)
    })?;
    let total = total(&lignes);

    // The order, its lines and its event: all written, or none.
    let client = &demande.client;
    let provisoire = Commande {
        id_commande: 0,
        reference: Uuid::new_v4(),
        email: client.email.as_str().to_owned(),
        nom: Some(client.nom.as_str().to_owned()),
        adresse: Some(client.adresse.adresse()),
        statut: StatutCommande::EnAttente,
        raison_annulation: None,
        echeance_paiement: None,
        paiement: None,
        expedition: None,
        total,
        lignes: lignes.iter().map(Ligne::from).collect(),
        historique: Vec::new(),
        cree_le: Utc::now(),
        modifie_le: Utc::now(),
    };
    // id_commande is 0 here; depot::creer puts the real one in (see there).
    let evenement = evenements::commande_nouvelle(&provisoire);
    let charge = serde_json::to_string(&evenement)
        .map_err(|e| anyhow::anyhow!("sérialisation d'un événement : {e}"))?;
    let Some(commande) = depot::creer(
        &s.db,
        provisoire,
        cle.as_ref(),
        &demande.empreinte(),
        (cles::COMMANDE_NOUVELLE, evenement.id_evenement, charge),
    )
    .await?
    else {
        // Same key, concurrent request: it won; answer with its order.
        let cle = cle.expect("a conflict needs a key");
        return rejouer(&s, &cle, &demande)
            .await?
            .ok_or_else(|| anyhow::anyhow!("commande concurrente disparue").into());
    };
    s.reveil.signaler();
    evenements::compter(Etape::Recue, 1);
    tracing::info!(id_commande = commande.id_commande, reference = %commande.reference, "commande enregistrée");
    Ok(reponse_creee(commande, false))
}

/// The order already created under `cle`, or a 422 if the key was used for another order.
async fn rejouer(
    s: &AppState,
    cle: &CleIdempotence,
    demande: &DemandeCommande,
) -> Result<Option<Response>, ErreurApi> {
    let Some(existante) = depot::par_cle(&s.db, cle).await? else {
        return Ok(None);
    };
    if existante.empreinte != demande.empreinte() {
        return Err(ErreurApi::ConflitIdempotence);
    }
    let commande = depot::par_reference(&s.db, existante.reference)
        .await?
        .ok_or_else(|| anyhow::anyhow!("commande rejouée introuvable"))?;
    Ok(Some(reponse_creee(commande, true)))
}

fn cle_idempotence(entetes: &HeaderMap) -> Result<Option<CleIdempotence>, ErreurApi> {
    let Some(valeur) = entetes.get(IDEMPOTENCY_KEY) else {
        return Ok(None);
    };
    let texte = valeur.to_str().unwrap_or("\u{0}");
    CleIdempotence::try_from(texte)
        .map(Some)
        .map_err(|m| Erreurs::from([("Idempotency-Key".to_owned(), m)]).into())
}

fn reponse_creee(commande: Commande, rejouee: bool) -> Response {
    let location = format!("{BASE}/{}", commande.reference);
    let mut r = (
        StatusCode::CREATED,
        [(header::LOCATION, location)],
        Json(contrats::http::Commande::from(commande)),
    )
        .into_response();
    if rejouee {
        r.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}
