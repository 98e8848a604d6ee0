//! Cached catalogue pages, dropped on every write to the catalogue.
//!
//! The list endpoint is the hot path of the shop; the catalogue changes rarely. Pages are kept
//! as ready-to-send JSON and stamped with a generation number. Any write bumps the
//! generation: this instance's own writes synchronously (so a client reads its own write),
//! other writers' through PostgreSQL's `NOTIFY produits_modifies` (see migration 0002). A page
//! computed before a bump is never stored after it, so a stale page cannot come back.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use sqlx::postgres::PgListener;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::domaine::Filtre;

/// More distinct queries than this and the whole cache is dropped: searches are unbounded.
const ENTREES_MAX: usize = 1024;

/// A page of the catalogue as sent to clients.
#[derive(Clone)]
pub struct Page {
    pub json: Bytes,
    pub total: i64,
}

#[derive(Default)]
pub struct CacheCatalogue {
    generation: AtomicU64,
    pages: Mutex<HashMap<String, (u64, Page)>>,
}

/// The cache key of a list request: two requests with the same key get the same page.
pub fn cle(f: &Filtre) -> String {
    format!(
        "{}|{:?}|{}|{}",
        f.recherche.as_deref().unwrap_or(""),
        f.ids,
        f.pagination.page,
        f.pagination.par_page
    )
}

impl CacheCatalogue {
    /// The generation to stamp a page computed from now on.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    pub fn lire(&self, cle: &str) -> Option<Page> {
        let generation = self.generation();
        let pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        pages
            .get(cle)
            .filter(|(g, _)| *g == generation)
            .map(|(_, p)| p.clone())
    }

    /// Stores `page` unless the catalogue changed since `generation` was read.
    pub fn ecrire(&self, cle: String, generation: u64, page: Page) {
        let mut pages = self.pages.lock().unwrap_or_else(|p| p.into_inner());
        if generation != self.generation() {
            return;
        }
        if pages.len() >= ENTREES_MAX {
            pages.clear();
        }
        pages.insert(cle, (generation, page));
    }

    pub fn invalider(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.pages.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// Listens to `produits_modifies` until `arret`; on a lost connection it invalidates too,
/// since notifications may have been missed while it was down.
pub async fn ecouter_modifications(
    pool: PgPool,
    cache: Arc<CacheCatalogue>,
    arret: CancellationToken,
) {
    loop {
        let mut ecouteur = match PgListener::connect_with(&pool).await {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(erreur = %e, "écoute des modifications impossible, nouvel essai");
                tokio::select! {
                    () = arret.cancelled() => return,
                    () = tokio::time::sleep(Duration::from_secs(1)) => continue,
                }
            }
        };
        if let Err(e) = ecouteur.listen("produits_modifies").await {
            tracing::warn!(erreur = %e, "LISTEN produits_modifies a échoué");
            continue;
        }
        // Anything may have changed before LISTEN took effect.
        cache.invalider();
        loop {
            tokio::select! {
                () = arret.cancelled() => return,
                r = ecouteur.try_recv() => match r {
                    Ok(Some(_)) => cache.invalider(),
                    // Connection lost: sqlx reconnects on the next call; we may have missed some.
                    Ok(None) => cache.invalider(),
                    Err(e) => {
                        tracing::warn!(erreur = %e, "écoute des modifications interrompue");
                        cache.invalider();
                        break;
                    }
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(texte: &'static str) -> Page {
        Page {
            json: Bytes::from_static(texte.as_bytes()),
            total: 1,
        }
    }

    #[test]
    fn une_page_calculee_avant_une_modification_n_est_jamais_servie() {
        let cache = CacheCatalogue::default();
        let g = cache.generation();
        cache.invalider();
        cache.ecrire("p1".into(), g, page("ancien"));
        assert!(cache.lire("p1").is_none());
    }

    #[test]
    fn une_page_fraiche_est_servie_jusqu_a_la_prochaine_modification() {
        let cache = CacheCatalogue::default();
        cache.ecrire("p1".into(), cache.generation(), page("frais"));
        assert_eq!(cache.lire("p1").unwrap().json, Bytes::from_static(b"frais"));
        cache.invalider();
        assert!(cache.lire("p1").is_none());
    }
}
