//! The rule: among the children of any module (the crate root included), "uses" must form no
//! cycle.
//!
//! A reference from module P to module T counts at exactly one level: their deepest common
//! ancestor L. If P or T *is* L, it is a module using its own descendants or a descendant
//! using its ancestors (`super::AppState`), which is allowed. Otherwise it is an arc
//! C1 → C2 between the two children of L that contain P and T: "something in C1's subtree
//! uses something in C2's subtree". An arc is reported when it lies on a cycle of those arcs,
//! that is when C2 reaches C1 back, with one shortest such loop to show how.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Where an arc lies on a cycle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cycle {
    /// The module whose children loop.
    pub niveau: Vec<String>,
    /// A shortest loop through the arc, first child repeated at the end: `[a, b, a]`.
    pub boucle: Vec<String>,
}

/// The arc a reference makes: (level, child containing the source, child containing the
/// target), or `None` when one contains the other.
pub fn arc(depuis: &[String], vers: &[String]) -> Option<(Vec<String>, String, String)> {
    let commun = depuis.iter().zip(vers).take_while(|(a, b)| a == b).count();
    (commun < depuis.len() && commun < vers.len()).then(|| {
        (
            depuis[..commun].to_vec(),
            depuis[commun].clone(),
            vers[commun].clone(),
        )
    })
}

/// For each `(from, to)` reference, the cycle its arc lies on, if any.
pub fn en_cycle(references: &[(&[String], &[String])]) -> Vec<Option<Cycle>> {
    let mut graphes: BTreeMap<Vec<String>, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for (depuis, vers) in references {
        if let Some((niveau, a, b)) = arc(depuis, vers) {
            graphes
                .entry(niveau)
                .or_default()
                .entry(a)
                .or_default()
                .insert(b);
        }
    }
    let mut connus: BTreeMap<(Vec<String>, String, String), Option<Cycle>> = BTreeMap::new();
    references
        .iter()
        .map(|(depuis, vers)| {
            let cle = arc(depuis, vers)?;
            connus
                .entry(cle.clone())
                .or_insert_with(|| {
                    let (niveau, a, b) = cle;
                    let retour = plus_court_chemin(&graphes[&niveau], &b, &a)?;
                    let mut boucle = vec![a];
                    boucle.extend(retour);
                    Some(Cycle { niveau, boucle })
                })
                .clone()
        })
        .collect()
}

/// Breadth-first: the nodes from `de` to `a`, both included.
fn plus_court_chemin(
    graphe: &BTreeMap<String, BTreeSet<String>>,
    de: &str,
    a: &str,
) -> Option<Vec<String>> {
    let mut precedent: BTreeMap<&str, &str> = BTreeMap::new();
    let mut file = VecDeque::from([de]);
    let mut vus = BTreeSet::from([de]);
    while let Some(n) = file.pop_front() {
        if n == a {
            let mut chemin = vec![a.to_owned()];
            let mut k = a;
            while let Some(&p) = precedent.get(k) {
                chemin.push(p.to_owned());
                k = p;
            }
            chemin.reverse();
            return Some(chemin);
        }
        for s in graphe.get(n).into_iter().flatten() {
            if vus.insert(s) {
                precedent.insert(s, n);
                file.push_back(s);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(s: &str) -> Vec<String> {
        s.split("::")
            .filter(|x| !x.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// Runs the rule on `("from", "to")` module paths (`""` is the root).
    fn verifier(liens: &[(&str, &str)]) -> Vec<Option<(String, String)>> {
        let chemins: Vec<(Vec<String>, Vec<String>)> =
            liens.iter().map(|(d, v)| (c(d), c(v))).collect();
        let refs: Vec<(&[String], &[String])> = chemins
            .iter()
            .map(|(d, v)| (d.as_slice(), v.as_slice()))
            .collect();
        en_cycle(&refs)
            .into_iter()
            .map(|r| r.map(|cy| (cy.niveau.join("::"), cy.boucle.join(" → "))))
            .collect()
    }

    fn cycle(niveau: &str, boucle: &str) -> Option<(String, String)> {
        Some((niveau.into(), boucle.into()))
    }

    #[test]
    fn un_cycle_entre_freres_est_signale_au_niveau_de_leur_parent() {
        // api::dto uses depot, depot uses api::dto: api ↔ depot under the root.
        assert_eq!(
            verifier(&[
                ("api::dto", "depot"),
                ("depot", "api::dto"),
                ("api", "domaine")
            ]),
            [
                cycle("", "api → depot → api"),
                cycle("", "depot → api → depot"),
                None
            ]
        );
    }

    #[test]
    fn un_cycle_plus_long_et_un_cycle_plus_profond() {
        assert_eq!(
            verifier(&[
                ("a", "b"),
                ("b", "c"),
                ("c", "a"),
                ("x::p", "x::q"),
                ("x::q::r", "x::p")
            ]),
            [
                cycle("", "a → b → c → a"),
                cycle("", "b → c → a → b"),
                cycle("", "c → a → b → c"),
                cycle("x", "p → q → p"),
                cycle("x", "q → p → q"),
            ]
        );
    }

    #[test]
    fn un_graphe_sans_cycle_passe() {
        assert_eq!(
            verifier(&[
                ("a", "b"),
                ("b", "c"),
                ("a", "c"),
                ("a::x", "c::y"),
                ("c::y", "d")
            ]),
            [None, None, None, None, None]
        );
    }

    #[test]
    fn parent_et_enfant_peuvent_s_utiliser_l_un_l_autre() {
        assert_eq!(
            verifier(&[
                ("api", "api::lecture"),
                ("api::lecture", "api"),
                ("", "api::dto"),
                ("api::dto", ""),
                ("a::b::c", "a"),
            ]),
            [None, None, None, None, None]
        );
    }

    #[test]
    fn des_freres_a_des_niveaux_differents_ne_forment_pas_de_cycle() {
        // a::x → b and b → a::x::y would loop; b → c::x and c → … do not concern a.
        assert_eq!(verifier(&[("a::x", "b"), ("b::z", "c")]), [None, None]);
        assert_eq!(
            verifier(&[("a::x", "b"), ("b::z", "a::x::y")]),
            [cycle("", "a → b → a"), cycle("", "b → a → b")]
        );
    }
}
