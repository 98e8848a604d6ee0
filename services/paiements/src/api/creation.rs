//! Paying an order: `POST /api/paiements`.
//!
//! In one transaction: lock the order's row (a second payment of the same order waits), replay
//! the answer already given under this Idempotency-Key if any, check the order is payable, ask
//! the provider (bounded wait), then write the attempt and its event (outbox). A provider that
//! does not answer in time rolls everything back: nothing captured, nothing emitted.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use contrats::http::{CorpsErreur, MotifRefus, StatutPaiement};
use http::{header, HeaderMap, HeaderValue, StatusCode};
use socle::http::Json;
use uuid::Uuid;

use super::dto::DemandePaiementEntrante;
use super::{AppState, BASE};
use crate::depot::{self, Refus};
use crate::domaine::{Blocage, CleIdempotence, CommandeDue, Erreurs, Paiement};
use crate::erreur::{ErreurApi, IDEMPOTENCY_KEY};
use crate::fournisseur::Reponse;
use crate::saga;

/// Pay an order by card. The amount is what the order owes (from commandes), never the
/// client's; a retry with the same `Idempotency-Key` gets the first answer back.
#[utoipa::path(
    post, path = "", tag = "paiements",
    request_body = DemandePaiementEntrante,
    params(("Idempotency-Key" = String, Header,
            description = "Clé choisie par le client (1 à 200 caractères ASCII visibles), la même pour chaque nouvel essai du même paiement : la réponse du premier est rejouée",
            pattern = "^[!-~]{1,200}$")),
    responses(
        (status = 201, description = "Paiement accepté : le montant dû est débité (ou réponse rejouée)", body = contrats::http::Paiement,
         headers(("Location" = String, description = "Adresse du paiement"),
                 ("Idempotent-Replayed" = bool, description = "Présent quand la réponse rejoue un paiement existant"))),
        (status = 400, description = "Idempotency-Key absente ou invalide (`cle_idempotence_requise`, `en_tete_invalide`), ou JSON malformé", body = socle::http::CorpsErreur),
        (status = 402, description = "Carte refusée (`carte_refusee`, `fonds_insuffisants`, champ `carte.numero`) : la tentative est enregistrée, rien n'est débité, la commande peut être payée avec une autre carte", body = socle::http::CorpsErreur,
         headers(("Location" = String, description = "Adresse de la tentative refusée"),
                 ("Idempotent-Replayed" = bool, description = "Présent quand la réponse rejoue une tentative existante"))),
        (status = 409, description = "Commande pas encore payable (`paiement_pas_ouvert`, avec `Retry-After`), annulée (`commande_annulee`) ou déjà payée (`deja_payee`)", body = socle::http::CorpsErreur,
         headers(("Retry-After" = i64, description = "Pour `paiement_pas_ouvert` : secondes avant de réessayer"))),
        (status = 413, description = "Corps trop grand", body = socle::http::CorpsErreur),
        (status = 422, description = "Demande invalide (champ nommé : `reference`, `carte.numero`, `carte.expiration`, `carte.cvc`) ou clé réutilisée pour une autre demande (`idempotence_conflit`)", body = socle::http::CorpsErreur),
        (status = 504, description = "Le fournisseur n'a pas répondu à temps (`fournisseur_indisponible`) : rien n'est débité ; ou délai de la requête dépassé", body = socle::http::CorpsErreur),
    )
)]
pub async fn payer(
    State(s): State<AppState>,
    entetes: HeaderMap,
    Json(dto): Json<DemandePaiementEntrante>,
) -> Result<Response, ErreurApi> {
    let cle = cle_idempotence(&entetes)?;
    let demande = dto.lire(Utc::now().date_naive())?;
    let empreinte = demande.empreinte();

    let mut tx = s.db.begin().await?;
    // First the key, then the order: a retry under the same key (whatever order it names)
    // waits for the first to end, then finds its answer under the key; two payments of one
    // order under different keys are kept apart by the order's lock.
    depot::verrouiller_cle(&mut tx, cle.as_str()).await?;
    let commande = depot::verrouiller_commande(&mut tx, demande.reference).await?;
    if let Some(reponse) = rejouer(&mut tx, &cle, &empreinte).await? {
        return Ok(reponse);
    }
    let commande = CommandeDue::payable(commande.as_ref()).map_err(ErreurApi::NonPayable)?;

    let issue = s
        .fournisseur
        .capturer(&demande.carte, commande.montant, commande.reference)
        .await
        .map_err(|_| {
            tracing::warn!(reference = %commande.reference, delai = ?s.fournisseur.delai_max, "le fournisseur n'a pas répondu à temps : rien n'est débité");
            ErreurApi::FournisseurIndisponible
        })?;
    let (statut, motif_refus) = match issue {
        Reponse::Acceptee => (StatutPaiement::Accepte, None),
        Reponse::Refusee(m) => (StatutPaiement::Refuse, Some(m)),
    };
    let carte = &demande.carte.numero;
    let provisoire = Paiement {
        id_paiement: Uuid::new_v4(),
        id_commande: commande.id_commande,
        reference: commande.reference,
        statut,
        montant: commande.montant,
        marque: carte.marque().as_str().to_owned(),
        quatre_derniers: carte.quatre_derniers().to_owned(),
        motif_refus,
        cree_le: Utc::now(),
        rembourse_le: None,
    };
    let paiement = match depot::enregistrer(&mut tx, provisoire, &cle, &empreinte).await {
        Ok(p) => p,
        Err(Refus::DejaPayee) => return Err(ErreurApi::NonPayable(Blocage::DejaPayee)),
        Err(Refus::CleDejaPrise) => {
            // Cannot happen while the key is locked above; kept as the database's last word
            // (the key is UNIQUE): answer as a retry.
            drop(tx);
            let mut conn = s.db.acquire().await?;
            return rejouer(&mut conn, &cle, &empreinte)
                .await?
                .ok_or_else(|| anyhow::anyhow!("paiement concurrent disparu").into());
        }
        Err(Refus::Autre(e)) => return Err(e.into()),
    };
    let evenement = saga::resultat(&paiement);
    socle::outbox::ajouter_lot(&mut tx, &[evenement]).await?;
    tx.commit().await?;
    s.reveil.signaler();
    saga::compter(paiement.statut, 1);
    tracing::info!(
        id_paiement = %paiement.id_paiement,
        reference = %paiement.reference,
        statut = ?paiement.statut,
        marque = %paiement.marque,
        quatre_derniers = %paiement.quatre_derniers,
        "tentative de paiement enregistrée"
    );
    Ok(reponse(paiement, false))
}

/// The answer already given under `cle`, or a 422 if the key was used for another request.
async fn rejouer(
    conn: &mut sqlx::PgConnection,
    cle: &CleIdempotence,
    empreinte: &str,
) -> Result<Option<Response>, ErreurApi> {
    let Some((empreinte_connue, paiement)) = depot::par_cle(conn, cle).await? else {
        return Ok(None);
    };
    if empreinte_connue != empreinte {
        return Err(ErreurApi::ConflitIdempotence);
    }
    Ok(Some(reponse(paiement, true)))
}

fn cle_idempotence(entetes: &HeaderMap) -> Result<CleIdempotence, ErreurApi> {
    let valeur = entetes
        .get(IDEMPOTENCY_KEY)
        .ok_or(ErreurApi::CleManquante)?;
    let texte = valeur.to_str().unwrap_or("\u{0}");
    CleIdempotence::try_from(texte).map_err(ErreurApi::CleInvalide)
}

/// 201 with the payment when captured (refunded since, for a replay); 402 when declined.
fn reponse(paiement: Paiement, rejouee: bool) -> Response {
    let location = format!("{BASE}/{}", paiement.id_paiement);
    let mut r = match paiement.motif_refus {
        Some(motif) if paiement.statut == StatutPaiement::Refuse => {
            (StatusCode::PAYMENT_REQUIRED, axum::Json(corps_refus(motif))).into_response()
        }
        _ => (
            StatusCode::CREATED,
            axum::Json(contrats::http::Paiement::from(paiement)),
        )
            .into_response(),
    };
    if let Ok(v) = HeaderValue::from_str(&location) {
        r.headers_mut().insert(header::LOCATION, v);
    }
    if rejouee {
        r.headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    r
}

fn corps_refus(motif: MotifRefus) -> CorpsErreur {
    CorpsErreur::new(
        motif.as_str(),
        format!(
            "paiement refusé : {} ; rien n'a été débité, essayez une autre carte",
            motif.libelle()
        ),
    )
    .avec_champs(Erreurs::from([(
        "carte.numero".to_owned(),
        motif.libelle().to_owned(),
    )]))
}
