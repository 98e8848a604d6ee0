//! The payment deadline: orders still `a_payer` past their `echeance_paiement` are cancelled
//! (raison `expiree`) and their stock given back.
//!
//! Every `INTERVALLE_EXPIRATION_MS` a transaction claims up to `lot` due orders with
//! `FOR UPDATE SKIP LOCKED` (replicas scan side by side, each order is taken by one; a row a
//! payment holds is skipped, and once paid it is no longer due), cancels them with their
//! history entry, and writes `commande.annulee` and `stock.libere` for each to the outbox,
//! all committed together. A full batch is followed at once by another.

use std::time::Duration;

use anyhow::Context;
use contrats::http::StatutCommande;
use socle::outbox::Reveil;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::depot::{self, transitions, Historique};
use crate::evenements::Annonces;

/// The scan's settings.
#[derive(Debug, Clone, Copy)]
pub struct OptionsExpiration {
    /// Pause between two scans that found less than a full batch.
    pub intervalle: Duration,
    /// Orders claimed per transaction.
    pub lot: i64,
}

/// Scans until `arret` (a scan in progress finishes and commits first).
pub async fn surveiller(
    db: PgPool,
    reveil: Reveil,
    options: OptionsExpiration,
    arret: CancellationToken,
) {
    tracing::info!(intervalle = ?options.intervalle, lot = options.lot, "surveillance des échéances de paiement démarrée");
    loop {
        let pleine = match expirer_echues(&db, &reveil, options.lot).await {
            Ok(n) => n as i64 >= options.lot,
            Err(e) => {
                tracing::warn!(erreur = %format!("{e:#}"), "expiration des commandes échues impossible, nouvel essai au prochain passage");
                false
            }
        };
        if arret.is_cancelled() {
            break;
        }
        if !pleine {
            tokio::select! {
                () = arret.cancelled() => break,
                () = tokio::time::sleep(options.intervalle) => {}
            }
        }
    }
    tracing::info!("surveillance des échéances de paiement arrêtée");
}

/// One pass: cancels up to `lot` due orders and announces them; how many.
pub async fn expirer_echues(db: &PgPool, reveil: &Reveil, lot: i64) -> anyhow::Result<usize> {
    let mut tx = db.begin().await.context("transaction d'expiration")?;
    let ids = transitions::expirer(&mut tx, lot).await?;
    if ids.is_empty() {
        tx.rollback().await.ok();
        return Ok(0);
    }
    let mut annonces = Annonces::default();
    for c in depot::charger(&mut tx, &ids, Historique::Sans).await? {
        annonces.annulation(&c, StatutCommande::APayer);
    }
    annonces.ecrire(&mut tx).await?;
    tx.commit().await.context("validation de l'expiration")?;
    tracing::info!(
        commandes = ids.len(),
        "délai de paiement dépassé : commandes annulées, stock rendu"
    );
    annonces.apres_validation(reveil);
    Ok(ids.len())
}
