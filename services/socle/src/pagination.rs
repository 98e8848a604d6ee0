//! Page/par_page rules shared by every paginated list.

use std::collections::BTreeMap;

pub const PAR_PAGE_DEFAUT: i64 = 20;
pub const PAR_PAGE_MAX: i64 = 100;
const PAGE_MAX: i64 = 1_000_000;

/// A validated page request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pagination {
    pub page: i64,
    pub par_page: i64,
}

impl Pagination {
    /// Reads `page` (default 1) and `par_page` (default 20, at most 100); each value out
    /// of bounds is recorded in `erreurs` under its parameter name.
    pub fn lire(
        page: Option<i64>,
        par_page: Option<i64>,
        erreurs: &mut BTreeMap<String, String>,
    ) -> Option<Self> {
        let page = page.unwrap_or(1);
        let par_page = par_page.unwrap_or(PAR_PAGE_DEFAUT);
        let mut ok = true;
        if !(1..=PAGE_MAX).contains(&page) {
            erreurs.insert(
                "page".into(),
                "la page doit être entre 1 et 1 000 000".into(),
            );
            ok = false;
        }
        if !(1..=PAR_PAGE_MAX).contains(&par_page) {
            erreurs.insert(
                "par_page".into(),
                format!("par_page doit être entre 1 et {PAR_PAGE_MAX}"),
            );
            ok = false;
        }
        ok.then_some(Pagination { page, par_page })
    }

    pub fn decalage(self) -> i64 {
        (self.page - 1) * self.par_page
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn les_valeurs_par_defaut_donnent_la_premiere_page_de_20() {
        let mut e = BTreeMap::new();
        let p = Pagination::lire(None, None, &mut e).unwrap();
        assert_eq!((p.page, p.par_page, p.decalage()), (1, 20, 0));
    }

    #[test]
    fn chaque_parametre_hors_limites_est_nomme() {
        let mut e = BTreeMap::new();
        assert!(Pagination::lire(Some(0), Some(101), &mut e).is_none());
        assert!(e.contains_key("page") && e.contains_key("par_page"));
    }
}
