//! What the customer and the shop do to an order once placed: cancel it, ship it.
//!
//! Each is one transaction: the order's row is locked (`FOR UPDATE`, so a concurrent
//! cancellation, shipment, payment or expiry waits, then sees the new status), its status
//! checked, one guarded UPDATE with its history entry, the events written to the outbox,
//! commit. Two requests racing on one order: the first moves it, the second gets a 409.

use anyhow::Context;
use axum::extract::{FromRequestParts, State};
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use socle::http::{Admin, Json, Path};
use uuid::Uuid;

use contrats::http::{Commande, Etape, StatutCommande};

use super::dto::ExpeditionEntrante;
use super::AppState;
use crate::depot::{self, transitions, Historique};
use crate::domaine::{self, Demandeur, Envoi};
use crate::erreur::{Action, ErreurApi};
use crate::evenements::{self, Annonces};

/// Who asks: without `Authorization`, whoever holds the reference (the customer); with it,
/// the shop, if the admin token is right (a wrong one is a 401, never a customer request).
pub struct QuiDemande(pub Demandeur);

impl FromRequestParts<AppState> for QuiDemande {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        if !parts.headers.contains_key(http::header::AUTHORIZATION) {
            return Ok(QuiDemande(Demandeur::Client));
        }
        Admin::from_request_parts(parts, state)
            .await
            .map(|_| QuiDemande(Demandeur::Boutique))
            .map_err(IntoResponse::into_response)
    }
}

/// Cancel an order. Without `Authorization` this is the customer (the reference is the
/// capability): allowed while `a_payer` or `confirmee`, reason `client`. With the admin
/// token this is the shop: allowed while `en_attente`, `a_payer` or `confirmee`, reason
/// `boutique`. The stock it held is given back (`stock.libere`); a paid order is refunded by
/// paiements (`commande.annulee` carries the payment).
#[utoipa::path(
    post, path = "/{reference}/annulation", tag = "commandes",
    params(("reference" = Uuid, Path, description = "Référence de la commande")),
    security((), ("admin" = [])),
    responses(
        (status = 200, description = "Commande annulée (`statut` annulee, `raison_annulation` client ou boutique)", body = Commande),
        (status = 401, description = "En-tête Authorization présent mais jeton invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Commande inconnue", body = socle::http::CorpsErreur),
        (status = 409, description = "Statut qui ne permet pas l'annulation (`transition_impossible`, le message dit le statut actuel) : le client annule une commande à payer ou confirmée, la boutique aussi une commande en attente ; jamais une commande expédiée ou déjà annulée", body = socle::http::CorpsErreur),
    )
)]
pub async fn annuler(
    State(s): State<AppState>,
    QuiDemande(demandeur): QuiDemande,
    Path(reference): Path<Uuid>,
) -> Result<Json<Commande>, ErreurApi> {
    let mut tx = s.db.begin().await.context("transaction d'annulation")?;
    let (id, avant) = transitions::verrouiller_par_reference(&mut tx, reference)
        .await?
        .ok_or_else(|| ErreurApi::Introuvable(reference.to_string()))?;
    let impossible = ErreurApi::TransitionImpossible {
        action: Action::Annuler,
        statut: avant,
    };
    if !demandeur.peut_annuler(avant) {
        return Err(impossible);
    }
    if !transitions::annuler(&mut tx, id, avant, demandeur.raison()).await? {
        return Err(impossible);
    }
    let commande = charger_une(&mut tx, id).await?;
    let mut annonces = Annonces::default();
    annonces.annulation(&commande, avant);
    annonces.ecrire(&mut tx).await?;
    tx.commit().await.context("validation de l'annulation")?;
    annonces.apres_validation(&s.reveil);
    tracing::info!(id_commande = id, %reference, ?demandeur, %avant, "commande annulée");
    Ok(Json(commande.into()))
}

/// Ship a paid order (admin): `confirmee` → `expediee`, with its carrier and tracking
/// number; the customer is told (`commande.expediee`).
#[utoipa::path(
    post, path = "/{reference}/expedition", tag = "commandes",
    params(("reference" = Uuid, Path, description = "Référence de la commande")),
    request_body = ExpeditionEntrante,
    security(("admin" = [])),
    responses(
        (status = 200, description = "Commande expédiée (`expedition` renseignée)", body = Commande),
        (status = 401, description = "Jeton manquant ou invalide", body = socle::http::CorpsErreur),
        (status = 404, description = "Commande inconnue", body = socle::http::CorpsErreur),
        (status = 409, description = "La commande n'est pas confirmée (`transition_impossible`, le message dit le statut actuel)", body = socle::http::CorpsErreur),
        (status = 422, description = "Transporteur ou numéro de suivi invalide (champ nommé)", body = socle::http::CorpsErreur),
    )
)]
pub async fn expedier(
    State(s): State<AppState>,
    _admin: Admin,
    Path(reference): Path<Uuid>,
    Json(dto): Json<ExpeditionEntrante>,
) -> Result<Json<Commande>, ErreurApi> {
    let envoi = Envoi::try_from(dto)?;
    let mut tx = s.db.begin().await.context("transaction d'expédition")?;
    let (id, avant) = transitions::verrouiller_par_reference(&mut tx, reference)
        .await?
        .ok_or_else(|| ErreurApi::Introuvable(reference.to_string()))?;
    let impossible = ErreurApi::TransitionImpossible {
        action: Action::Expedier,
        statut: avant,
    };
    if avant != StatutCommande::Confirmee || !transitions::expedier(&mut tx, id, &envoi).await? {
        return Err(impossible);
    }
    let commande = charger_une(&mut tx, id).await?;
    let mut annonces = Annonces::default();
    annonces.etape(Etape::Expediee, evenements::etape(&commande));
    annonces.ecrire(&mut tx).await?;
    tx.commit().await.context("validation de l'expédition")?;
    annonces.apres_validation(&s.reveil);
    tracing::info!(id_commande = id, %reference, "commande expédiée");
    Ok(Json(commande.into()))
}

async fn charger_une(
    conn: &mut sqlx::PgConnection,
    id: i64,
) -> Result<domaine::Commande, ErreurApi> {
    Ok(depot::charger(conn, &[id], Historique::Avec)
        .await?
        .pop()
        .context("commande verrouillée introuvable")?)
}
