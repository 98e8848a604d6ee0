//! Cached catalogue pages, dropped when what they show changes.
//!
//! The list endpoint is the hot path of the shop. Pages are kept as ready-to-send JSON with
//! the ids of the products they show. A change to one product's row (its stock, its price)
//! drops only the pages showing it; a change to which products a page shows (a product added
//! or removed, a name or description changed: searches) drops them all.
//!
//! Who drops what, and when:
//! - this instance's admin writes, at once (a client reads its own write);
//! - every other write — another instance's, the stock consumer's (this instance's too), psql
//!   — at the next poll of [`suivre_modifications`], every [`SONDAGE`]: one query asks
//!   PostgreSQL which rows were committed since the previous poll. So a write shows in every
//!   instance's lists within one interval (plus the query), and any number of stock
//!   reservations in that interval costs one invalidation, not one per commit.
//!
//! A page computed before a change is never stored after it: every invalidation takes a new
//! generation, and a page is stored only if nothing it shows was invalidated since the
//! generation read before its query.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use bytes::Bytes;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::depot;
use crate::domaine::Filtre;

/// More distinct queries than this and the whole cache is dropped: searches are unbounded.
const ENTREES_MAX: usize = 1024;
/// More products changed since the last full invalidation than this, and the next change
/// is a full one (keeps the per-product record bounded).
const PRODUITS_SUIVIS_MAX: usize = 100_000;
/// How often each instance asks PostgreSQL what changed: the longest a write made elsewhere
/// (or by the stock consumer) stays invisible in this instance's lists, give or take a query.
pub const SONDAGE: Duration = Duration::from_millis(250);

/// A page of the catalogue as sent to clients.
#[derive(Clone)]
pub struct Page {
    pub json: Bytes,
    pub total: i64,
    /// The products shown (a change to another product does not touch this page). Shared:
    /// a hit clones the page, and must not allocate.
    pub ids: Arc<[i64]>,
}

#[derive(Default)]
pub struct CacheCatalogue {
    etat: Mutex<Etat>,
}

#[derive(Default)]
struct Etat {
    /// Incremented by every invalidation.
    generation: u64,
    /// Generation of the last invalidation of everything.
    tout: u64,
    /// Generation of the last invalidation of each product invalidated since `tout`.
    produits: HashMap<i64, u64>,
    pages: HashMap<String, Page>,
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
    fn etat(&self) -> MutexGuard<'_, Etat> {
        self.etat.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The generation to give [`Self::ecrire`] for a page computed from now on.
    pub fn generation(&self) -> u64 {
        self.etat().generation
    }

    pub fn lire(&self, cle: &str) -> Option<Page> {
        self.etat().pages.get(cle).cloned()
    }

    /// Stores `page` unless something it shows was invalidated since `generation` was read.
    pub fn ecrire(&self, cle: String, generation: u64, page: Page) {
        let mut e = self.etat();
        let perimee = e.tout > generation
            || page
                .ids
                .iter()
                .any(|id| e.produits.get(id).is_some_and(|g| *g > generation));
        if perimee {
            return;
        }
        if e.pages.len() >= ENTREES_MAX {
            e.pages.clear();
        }
        e.pages.insert(cle, page);
    }

    /// Drops every page.
    pub fn invalider(&self) {
        let mut e = self.etat();
        e.generation += 1;
        e.tout = e.generation;
        e.produits.clear();
        e.pages.clear();
    }

    /// Drops the pages showing one of `ids` (rows changed, not which rows a page shows).
    pub fn invalider_produits(&self, ids: &[i64]) {
        if ids.is_empty() {
            return;
        }
        let mut e = self.etat();
        if e.produits.len() + ids.len() > PRODUITS_SUIVIS_MAX {
            drop(e);
            return self.invalider();
        }
        e.generation += 1;
        let g = e.generation;
        for id in ids {
            e.produits.insert(*id, g);
        }
        e.pages
            .retain(|_, p| !p.ids.iter().any(|id| ids.contains(id)));
    }
}

/// Until `arret`, asks PostgreSQL every [`SONDAGE`] what was committed since the previous
/// poll and drops what it changed. A failed poll drops everything (the database may be
/// unreachable while others write: a page could otherwise outlive the bound); the next one
/// still starts from the last snapshot read, so nothing committed in between is missed.
pub async fn suivre_modifications(
    db: PgPool,
    cache: Arc<CacheCatalogue>,
    arret: CancellationToken,
) {
    let mut depuis: Option<String> = None;
    loop {
        match depot::modifications_depuis(&db, depuis.as_deref()).await {
            Ok(m) => {
                if depuis.is_none() || m.structure {
                    // The first poll has nothing to compare with.
                    cache.invalider();
                } else {
                    cache.invalider_produits(&m.produits);
                }
                depuis = Some(m.instantane);
            }
            Err(e) => {
                tracing::warn!(erreur = %format!("{e:#}"), "modifications du catalogue illisibles");
                cache.invalider();
            }
        }
        tokio::select! {
            () = arret.cancelled() => return,
            () = tokio::time::sleep(SONDAGE) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(texte: &'static str, ids: &[i64]) -> Page {
        Page {
            json: Bytes::from_static(texte.as_bytes()),
            total: 1,
            ids: ids.into(),
        }
    }

    #[test]
    fn une_page_calculee_avant_une_modification_n_est_jamais_servie() {
        let cache = CacheCatalogue::default();
        let g = cache.generation();
        cache.invalider();
        cache.ecrire("p1".into(), g, page("ancien", &[1]));
        assert!(cache.lire("p1").is_none());
    }

    #[test]
    fn une_page_fraiche_est_servie_jusqu_a_la_prochaine_modification() {
        let cache = CacheCatalogue::default();
        cache.ecrire("p1".into(), cache.generation(), page("frais", &[1]));
        assert_eq!(cache.lire("p1").unwrap().json, Bytes::from_static(b"frais"));
        cache.invalider();
        assert!(cache.lire("p1").is_none());
    }

    #[test]
    fn un_produit_modifie_ne_fait_tomber_que_les_pages_qui_le_montrent() {
        let cache = CacheCatalogue::default();
        let g = cache.generation();
        cache.ecrire("avec".into(), g, page("1 et 2", &[1, 2]));
        cache.ecrire("sans".into(), g, page("3", &[3]));
        cache.ecrire("vide".into(), g, page("[]", &[]));
        cache.invalider_produits(&[2]);
        assert!(cache.lire("avec").is_none());
        assert!(cache.lire("sans").is_some());
        assert!(cache.lire("vide").is_some());
    }

    #[test]
    fn une_page_calculee_avant_la_modification_d_un_de_ses_produits_n_est_jamais_servie() {
        let cache = CacheCatalogue::default();
        let g = cache.generation();
        cache.invalider_produits(&[2]);
        cache.ecrire("avec".into(), g, page("ancien", &[1, 2]));
        cache.ecrire("sans".into(), g, page("3", &[3]));
        assert!(cache.lire("avec").is_none());
        assert!(cache.lire("sans").is_some(), "le produit 3 n'a pas changé");
        // Computed after the change: stored.
        cache.ecrire("avec".into(), cache.generation(), page("frais", &[1, 2]));
        assert!(cache.lire("avec").is_some());
    }
}
