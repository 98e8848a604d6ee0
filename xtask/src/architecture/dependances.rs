//! Which workspace crate may depend on which: one table, checked against `cargo metadata`.
//!
//! A crate missing from the table is a violation too, so that a new crate comes with its
//! rule. Dev-dependencies only reach tests, so a few are allowed that the code itself may not
//! use (`testaide`, a real `produits` next to `commandes`).

use super::espace::{Espace, Sorte};
use super::Violation;

struct Regle {
    krate: &'static str,
    /// Workspace crates it may depend on (normal and build dependencies); `None`: any.
    depend_de: Option<&'static [&'static str]>,
    /// Workspace crates it may also use in its tests (dev-dependencies).
    en_dev: &'static [&'static str],
    /// Other crates it must not depend on (normal and build dependencies).
    interdits: &'static [&'static str],
}

const SERVICES: &[&str] = &["contrats", "socle"];

const REGLES: &[Regle] = &[
    // The types every service and the browser share: compiled to WASM through `app`, so
    // nothing of a server, a database or a broker.
    Regle {
        krate: "contrats",
        depend_de: Some(&[]),
        en_dev: &[],
        interdits: &["sqlx", "axum", "lapin", "tokio", "reqwest"],
    },
    Regle {
        krate: "socle",
        depend_de: Some(&["contrats"]),
        en_dev: &[],
        interdits: &[],
    },
    Regle {
        krate: "produits",
        depend_de: Some(SERVICES),
        en_dev: &["testaide"],
        interdits: &[],
    },
    // Its tests run a real produits next to it (orders are priced over HTTP).
    Regle {
        krate: "commandes",
        depend_de: Some(SERVICES),
        en_dev: &["testaide", "produits"],
        interdits: &[],
    },
    // Its tests play commandes' part on the broker: no other service needed.
    Regle {
        krate: "paiements",
        depend_de: Some(SERVICES),
        en_dev: &["testaide"],
        interdits: &[],
    },
    Regle {
        krate: "mail-worker",
        depend_de: Some(SERVICES),
        en_dev: &["testaide"],
        interdits: &[],
    },
    Regle {
        krate: "storefront",
        depend_de: Some(&["app", "contrats", "socle"]),
        en_dev: &[],
        interdits: &[],
    },
    // Compiled for the server and for the browser: contracts only.
    Regle {
        krate: "app",
        depend_de: Some(&["contrats"]),
        en_dev: &[],
        interdits: &[],
    },
    Regle {
        krate: "frontend",
        depend_de: Some(&["app"]),
        en_dev: &[],
        interdits: &[],
    },
    Regle {
        krate: "testaide",
        depend_de: Some(&["contrats", "socle", "produits", "commandes", "mail-worker"]),
        en_dev: &[],
        interdits: &[],
    },
    // The end-to-end tests of the whole pipeline.
    Regle {
        krate: "parcours",
        depend_de: None,
        en_dev: &[],
        interdits: &[],
    },
    // Runs everything from the outside: builds and starts the crates, never links them.
    Regle {
        krate: "xtask",
        depend_de: Some(&[]),
        en_dev: &[],
        interdits: &[],
    },
];

pub fn verifier(espace: &Espace) -> Vec<Violation> {
    let mut violations = Vec::new();
    for p in &espace.paquets {
        let manifeste = espace.relatif(&p.manifeste);
        let Some(regle) = REGLES.iter().find(|r| r.krate == p.nom) else {
            violations.push(Violation {
                krate: p.nom.clone(),
                fichier: manifeste,
                cible: "?".into(),
                pourquoi: format!(
                    "{} absent de la table des dépendances permises ({})",
                    p.nom,
                    file!()
                ),
            });
            continue;
        };
        let Some(permises) = regle.depend_de else {
            continue;
        };
        for d in &p.dependances {
            let (ok, liste) = match d.sorte {
                Sorte::Dev => (
                    permises.contains(&d.nom.as_str()) || regle.en_dev.contains(&d.nom.as_str()),
                    permises.iter().chain(regle.en_dev).copied().collect(),
                ),
                Sorte::Normale | Sorte::Construction => {
                    (permises.contains(&d.nom.as_str()), permises.to_vec())
                }
            };
            if !ok {
                let genre = match d.sorte {
                    Sorte::Normale => "dépendance",
                    Sorte::Dev => "dev-dependency",
                    Sorte::Construction => "build-dependency",
                };
                violations.push(Violation {
                    krate: p.nom.clone(),
                    fichier: manifeste.clone(),
                    cible: d.nom.clone(),
                    pourquoi: format!(
                        "{genre} non permise ; permises : {}",
                        if liste.is_empty() {
                            "aucun crate du workspace".to_owned()
                        } else {
                            liste.join(", ")
                        }
                    ),
                });
            }
        }
        for (nom, sorte) in &p.toutes {
            if *sorte != Sorte::Dev && regle.interdits.contains(&nom.as_str()) {
                violations.push(Violation {
                    krate: p.nom.clone(),
                    fichier: manifeste.clone(),
                    cible: nom.clone(),
                    pourquoi: format!("interdit à {} : {}", p.nom, regle.interdits.join(", ")),
                });
            }
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::architecture::espace::{Dependance, Paquet};

    fn paquet(nom: &str, deps: &[(&str, Sorte)], autres: &[&str]) -> Paquet {
        Paquet {
            nom: nom.into(),
            manifeste: PathBuf::from(format!("/ws/{nom}/Cargo.toml")),
            cibles: Vec::new(),
            dependances: deps
                .iter()
                .map(|(n, s)| Dependance {
                    nom: (*n).into(),
                    sorte: *s,
                })
                .collect(),
            toutes: deps
                .iter()
                .map(|(n, s)| ((*n).to_owned(), *s))
                .chain(autres.iter().map(|n| ((*n).to_owned(), Sorte::Normale)))
                .collect(),
        }
    }

    fn lignes(paquets: Vec<Paquet>) -> Vec<String> {
        let espace = Espace {
            racine: PathBuf::from("/ws"),
            paquets,
        };
        verifier(&espace)
            .into_iter()
            .map(|v| format!("{}: {} → {} ({})", v.krate, v.fichier, v.cible, v.pourquoi))
            .collect()
    }

    #[test]
    fn le_graphe_d_aujourd_hui_est_permis() {
        use Sorte::{Dev, Normale};
        assert!(lignes(vec![
            paquet("contrats", &[], &["serde", "utoipa"]),
            paquet("socle", &[("contrats", Normale)], &["axum", "sqlx"]),
            paquet(
                "commandes",
                &[
                    ("contrats", Normale),
                    ("socle", Normale),
                    ("testaide", Dev),
                    ("produits", Dev)
                ],
                &[]
            ),
            paquet(
                "paiements",
                &[("contrats", Normale), ("socle", Normale), ("testaide", Dev)],
                &["sha2"]
            ),
            paquet(
                "parcours",
                &[("commandes", Dev), ("produits", Dev), ("paiements", Dev)],
                &[]
            ),
        ])
        .is_empty());
    }

    #[test]
    fn une_dependance_hors_table_est_signalee() {
        use Sorte::{Dev, Normale};
        assert_eq!(
            lignes(vec![
                paquet("contrats", &[], &["tokio"]),
                paquet("app", &[("contrats", Normale), ("socle", Normale)], &[]),
                paquet(
                    "produits",
                    &[("testaide", Normale), ("commandes", Dev)],
                    &[]
                ),
                paquet("nouveau", &[], &[]),
            ]),
            [
                "contrats: contrats/Cargo.toml → tokio (interdit à contrats : sqlx, axum, \
                 lapin, tokio, reqwest)",
                "app: app/Cargo.toml → socle (dépendance non permise ; permises : contrats)",
                "produits: produits/Cargo.toml → testaide (dépendance non permise ; \
                 permises : contrats, socle)",
                "produits: produits/Cargo.toml → commandes (dev-dependency non permise ; \
                 permises : contrats, socle, testaide)",
                &format!(
                    "nouveau: nouveau/Cargo.toml → ? (nouveau absent de la table des \
                     dépendances permises ({}))",
                    file!()
                ),
            ]
        );
    }
}
