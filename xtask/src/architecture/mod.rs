//! `cargo xtask architecture`: the structure rules, checked on the source files in a second,
//! without compiling or any network.
//!
//! 1. In every crate target (lib, bins, tests…), the children of each module use each other
//!    without cycle (see [`cycles`] for the exact rule); and no module file uses an item
//!    defined in the crate root file (`crate::executer` in a module of `main.rs`), since the
//!    root declares those modules: root and module would depend on each other.
//! 2. Workspace crates depend on each other only as [`dependances`]' table allows.
//!
//! Each violation is printed as `crate: path/file.rs → module (why)`.

mod arbre;
mod cycles;
mod dependances;
mod espace;
mod lexique;

use std::collections::{BTreeMap, BTreeSet};

use arbre::{afficher, Arbre};
use espace::Espace;

use crate::outils::{cargo, racine};

/// One broken rule, with where it is broken.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    pub krate: String,
    /// Relative to the workspace root.
    pub fichier: String,
    /// The module (or crate) used where it should not be.
    pub cible: String,
    pub pourquoi: String,
}

pub struct Rapport {
    violations: Vec<Violation>,
    avertissements: Vec<String>,
    crates: usize,
    cibles: usize,
    modules: usize,
    references: usize,
}

impl Rapport {
    /// Prints each violation and a summary line; returns whether everything is clean.
    pub fn afficher(&self) -> bool {
        for a in &self.avertissements {
            eprintln!("! {a}");
        }
        for v in &self.violations {
            println!("{}: {} → {} ({})", v.krate, v.fichier, v.cible, v.pourquoi);
        }
        if self.violations.is_empty() {
            println!(
                "✓ architecture : {} crates, {} cibles, {} modules, {} références entre modules, \
                 aucun cycle ; dépendances entre crates conformes",
                self.crates, self.cibles, self.modules, self.references
            );
            true
        } else {
            println!(
                "✗ architecture : {} violation(s) ({} crates, {} cibles, {} modules lus)",
                self.violations.len(),
                self.crates,
                self.cibles,
                self.modules
            );
            false
        }
    }
}

/// `cargo xtask architecture`.
pub fn architecture() -> anyhow::Result<()> {
    let rapport = verifier()?;
    anyhow::ensure!(
        rapport.afficher(),
        "architecture : {} violation(s)",
        rapport.violations.len()
    );
    Ok(())
}

/// Checks the whole workspace; prints nothing (see [`Rapport::afficher`]).
pub fn verifier() -> anyhow::Result<Rapport> {
    let espace = Espace::lire(&racine(), &cargo())?;
    let mut rapport = Rapport {
        violations: Vec::new(),
        avertissements: Vec::new(),
        crates: espace.paquets.len(),
        cibles: 0,
        modules: 0,
        references: 0,
    };
    for p in &espace.paquets {
        for cible in &p.cibles {
            let arbre = arbre::lire(cible, &|f| std::fs::read_to_string(f).ok());
            rapport.cibles += 1;
            rapport.modules += arbre.modules.len();
            rapport.references += arbre
                .references
                .iter()
                .filter(|r| r.depuis != r.vers)
                .count();
            rapport.avertissements.extend(
                arbre
                    .avertissements
                    .iter()
                    .map(|a| format!("{} : {}", p.nom, a)),
            );
            rapport
                .violations
                .extend(violations_modules(&p.nom, &arbre, &|f| espace.relatif(f)));
        }
    }
    rapport.violations.extend(dependances::verifier(&espace));
    // A file shared by two targets (a lib and its bin) would report the same thing twice.
    let uniques: BTreeSet<Violation> = rapport.violations.drain(..).collect();
    rapport.violations = uniques.into_iter().collect();
    Ok(rapport)
}

/// The module rules on one target's tree, one violation per file and module used.
fn violations_modules(
    krate: &str,
    arbre: &Arbre,
    relatif: &dyn Fn(&std::path::Path) -> String,
) -> Vec<Violation> {
    let racine = arbre
        .racine
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    // (file, module used, why) → (items named, first line).
    let mut groupes: BTreeMap<(String, String, String), (BTreeSet<String>, usize)> =
        BTreeMap::new();
    let mut noter =
        |fichier: String, cible: String, pourquoi: String, item: &Option<String>, ligne| {
            let g = groupes
                .entry((fichier, cible, pourquoi))
                .or_insert_with(|| (BTreeSet::new(), ligne));
            g.0.extend(item.clone());
            g.1 = g.1.min(ligne);
        };

    let paires: Vec<(&[String], &[String])> = arbre
        .references
        .iter()
        .map(|r| (r.depuis.as_slice(), r.vers.as_slice()))
        .collect();
    for (r, cycle) in arbre.references.iter().zip(cycles::en_cycle(&paires)) {
        if let Some(c) = cycle {
            noter(
                relatif(&r.fichier),
                afficher(&r.vers),
                format!(
                    "cycle {} entre les enfants de {}",
                    c.boucle.join(" → "),
                    afficher(&c.niveau)
                ),
                &r.item,
                r.ligne,
            );
        }
        let depuis_un_autre_fichier = r.fichier != arbre.racine;
        let item_de_la_racine =
            r.defini || (r.item.as_deref() == Some("*") && arbre.definit_des_items(&[]));
        if r.vers.is_empty() && depuis_un_autre_fichier && item_de_la_racine {
            noter(
                relatif(&r.fichier),
                afficher(&r.vers),
                format!(
                    "items de {racine} : le fichier racine déclare ce module, qui dépend de lui"
                ),
                &r.item,
                r.ligne,
            );
        }
    }
    groupes
        .into_iter()
        .map(|((fichier, cible, pourquoi), (items, ligne))| Violation {
            krate: krate.to_owned(),
            fichier,
            cible,
            pourquoi: if items.is_empty() {
                format!("{pourquoi} ; ligne {ligne}")
            } else {
                format!(
                    "{pourquoi} ; {}, ligne {ligne}",
                    items.into_iter().collect::<Vec<_>>().join(", ")
                )
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::arbre::essais::arbre;
    use super::*;

    fn lignes(fichiers: &[(&str, &str)]) -> Vec<String> {
        violations_modules("k", &arbre(fichiers), &|f| f.display().to_string())
            .into_iter()
            .map(|v| format!("{} → {} ({})", v.fichier, v.cible, v.pourquoi))
            .collect()
    }

    #[test]
    fn un_cycle_entre_fichiers_est_signale_des_deux_cotes() {
        assert_eq!(
            lignes(&[
                ("src/lib.rs", "pub mod api; pub mod depot; pub mod domaine;"),
                ("src/api/mod.rs", "pub mod dto;"),
                (
                    "src/api/dto.rs",
                    "use crate::depot::Filtre; pub struct Produit;"
                ),
                (
                    "src/depot.rs",
                    "use crate::domaine::Regle;\nuse crate::api::dto::Produit; pub struct Filtre;"
                ),
                ("src/domaine.rs", "pub struct Regle;"),
            ]),
            [
                "src/api/dto.rs → depot (cycle api → depot → api entre les enfants de crate ; \
                 Filtre, ligne 1)",
                "src/depot.rs → api::dto (cycle depot → api → depot entre les enfants de crate ; \
                 Produit, ligne 2)",
            ]
        );
    }

    #[test]
    fn un_arbre_sans_cycle_ni_item_racine_passe() {
        assert_eq!(
            lignes(&[
                (
                    "src/main.rs",
                    "mod a; mod b; use b::f; pub use a::Config; fn main() { a::g(); f() }"
                ),
                (
                    "src/a.rs",
                    "mod x; pub struct Config; pub fn g() { x::h() }"
                ),
                ("src/a/x.rs", "pub fn h() { super::super::b::f() }"),
                (
                    "src/b.rs",
                    "pub fn f() {}\n#[cfg(test)] mod tests { use super::*; }"
                ),
            ]),
            Vec::<String>::new()
        );
    }

    #[test]
    fn un_module_qui_utilise_un_item_du_fichier_racine_est_signale() {
        assert_eq!(
            lignes(&[
                (
                    "src/main.rs",
                    "mod a; mod b; pub use b::Reexporte; pub fn racine() {}"
                ),
                (
                    "src/a.rs",
                    "use crate::Reexporte;\nfn f() { crate::racine(); }"
                ),
                ("src/b.rs", "pub struct Reexporte;"),
            ]),
            [
                "src/a.rs → crate (items de main.rs : le fichier racine déclare ce module, \
              qui dépend de lui ; racine, ligne 2)"
            ]
        );
    }
}
