//! One crate target's module tree, read from its files the way rustc finds them (`mod x;` →
//! `x.rs` or `x/mod.rs`, next to a `lib.rs`/`main.rs`/`mod.rs`, or in `foo/` for `foo.rs`;
//! `#[path]` honoured; inline `mod x { … }` blocks are modules too), and every reference one
//! module makes to another: `use` trees, nested groups included, and `crate::`, `super::`,
//! `self::` paths anywhere else (expressions, types, macro arguments).
//!
//! Paths are resolved through the tree, through imports (`pub use` re-exports included) and
//! through glob imports of the crate's own modules, so `crate::Config` re-exported from
//! `config` counts as a reference to `config`. Paths into other crates are not references.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::path::{Path, PathBuf};

use super::lexique::{decouper, Jeton, Sorte};

/// A module's path from the crate root (empty for the root).
pub type Chemin = Vec<String>;

#[derive(Debug, Default)]
pub struct Module {
    /// The file that defines it (for an inline module, the file holding the block).
    pub fichier: PathBuf,
    enfants: BTreeSet<String>,
    /// Names of the items its own code defines (fn, struct, const, macro_rules…).
    items: BTreeSet<String>,
    /// Names its `use` declarations bring in, with the path as written.
    imports: BTreeMap<String, Vec<String>>,
    /// Its glob imports (`use a::*`), as written.
    globs: Vec<Vec<String>>,
}

/// One module naming an item (or a module) of another.
#[derive(Debug, Clone)]
pub struct Reference {
    pub fichier: PathBuf,
    pub ligne: usize,
    /// The referring module (an inline `mod tests` included).
    pub depuis: Chemin,
    /// The module the named item lives in (or the module named).
    pub vers: Chemin,
    /// The item named, when the path goes past modules; `*` for a glob import.
    pub item: Option<String>,
    /// Whether that item is defined by `vers`'s own code (not a module nor an import).
    pub defini: bool,
}

#[derive(Debug)]
pub struct Arbre {
    pub racine: PathBuf,
    pub modules: BTreeMap<Chemin, Module>,
    pub references: Vec<Reference>,
    /// `mod x;` whose file is missing, and the like: not violations, but gaps in the reading.
    pub avertissements: Vec<String>,
}

/// A path as written, before resolution.
struct Brute {
    fichier: PathBuf,
    ligne: usize,
    contexte: Chemin,
    segments: Vec<String>,
    glob: bool,
}

/// What a `use` tree brings in: a path, and the name it is bound to (`None` for a glob or
/// `as _`).
struct Feuille {
    segments: Vec<String>,
    nom: Option<String>,
    glob: bool,
    ligne: usize,
}

/// Keywords that follow `const`/`static`/… without being the item's name.
const PAS_UN_NOM: &[&str] = &["fn", "unsafe", "async", "extern", "mut", "_"];

/// Reads the tree rooted at `racine` (a `lib.rs`, `main.rs`, `tests/x.rs`…), reading files
/// through `lire_fichier` (the disk, or a map in tests).
pub fn lire(racine: &Path, lire_fichier: &dyn Fn(&Path) -> Option<String>) -> Arbre {
    let mut arbre = Arbre {
        racine: racine.to_path_buf(),
        modules: BTreeMap::new(),
        references: Vec::new(),
        avertissements: Vec::new(),
    };
    let mut brutes = Vec::new();
    let Some(source) = lire_fichier(racine) else {
        arbre
            .avertissements
            .push(format!("{} illisible", racine.display()));
        return arbre;
    };
    let dossier_racine = racine.parent().unwrap_or(Path::new("")).to_path_buf();
    let mut a_lire = VecDeque::from([ALire {
        chemin: Chemin::new(),
        fichier: racine.to_path_buf(),
        dossier: dossier_racine,
        source,
    }]);
    while let Some(ALire {
        chemin,
        fichier,
        dossier,
        source,
    }) = a_lire.pop_front()
    {
        arbre.modules.entry(chemin.clone()).or_default().fichier = fichier.clone();
        let jetons = decouper(&source);
        let mut lecteur = Lecteur {
            arbre: &mut arbre,
            brutes: &mut brutes,
            a_lire: &mut a_lire,
            lire_fichier,
            fichier: &fichier,
            jetons: &jetons,
            pile: vec![Some((chemin, dossier))],
            chemin_attribut: None,
        };
        lecteur.lire_tout();
    }
    for b in brutes {
        let Some(cible) = arbre.resoudre(&b.contexte, &b.segments, 0) else {
            continue;
        };
        arbre.references.push(Reference {
            fichier: b.fichier,
            ligne: b.ligne,
            depuis: b.contexte,
            vers: cible.module,
            item: if b.glob && cible.item.is_none() {
                Some("*".into())
            } else {
                cible.item
            },
            defini: cible.defini,
        });
    }
    arbre
}

/// A module file found and read, waiting for its turn.
struct ALire {
    chemin: Chemin,
    fichier: PathBuf,
    /// Where its own `mod x;` files are.
    dossier: PathBuf,
    source: String,
}

/// Walks one file's tokens.
struct Lecteur<'a> {
    arbre: &'a mut Arbre,
    brutes: &'a mut Vec<Brute>,
    a_lire: &'a mut VecDeque<ALire>,
    lire_fichier: &'a dyn Fn(&Path) -> Option<String>,
    fichier: &'a Path,
    jetons: &'a [Jeton],
    /// Open braces: `Some((module, folder of its `mod x;` files))` for a module's own
    /// braces (the file's module at the bottom), `None` for any other block.
    pile: Vec<Option<(Chemin, PathBuf)>>,
    /// A `#[path = "…"]` waiting for its `mod`.
    chemin_attribut: Option<String>,
}

impl Lecteur<'_> {
    /// The innermost module and the folder of its child files.
    fn contexte(&self) -> (Chemin, PathBuf) {
        self.pile
            .iter()
            .rev()
            .find_map(Clone::clone)
            .expect("the file's own module is at the bottom")
    }

    /// Whether we are directly in a module's body (not in a fn, impl or other block).
    fn au_niveau_module(&self) -> bool {
        matches!(self.pile.last(), Some(Some(_)))
    }

    fn jeton(&self, i: usize) -> Option<&Jeton> {
        self.jetons.get(i)
    }

    fn ident(&self, i: usize) -> Option<&str> {
        self.jeton(i).and_then(Jeton::ident)
    }

    fn lire_tout(&mut self) {
        let mut i = 0;
        while let Some(j) = self.jeton(i) {
            let ligne = j.ligne;
            match &j.sorte {
                Sorte::Ponct('{') => {
                    self.pile.push(None);
                    self.chemin_attribut = None;
                    i += 1;
                }
                Sorte::Ponct('}') => {
                    // Never pop the file's own module, even on unbalanced input.
                    if self.pile.len() > 1 {
                        self.pile.pop();
                    }
                    self.chemin_attribut = None;
                    i += 1;
                }
                Sorte::Ponct(';') => {
                    self.chemin_attribut = None;
                    i += 1;
                }
                Sorte::Ponct('#') => {
                    // `#[path = "…"]`: tokens `# [ path = "…" ]`.
                    if self.jeton(i + 1).is_some_and(|j| j.est_ponct('['))
                        && self.ident(i + 2) == Some("path")
                        && self.jeton(i + 3).is_some_and(|j| j.est_ponct('='))
                    {
                        if let Some(Sorte::Chaine(c)) = self.jeton(i + 4).map(|j| &j.sorte) {
                            self.chemin_attribut = Some(c.clone());
                        }
                    }
                    i += 1;
                }
                Sorte::Ident(mot) => match mot.as_str() {
                    "use" => i = self.lire_use(i + 1),
                    "mod" if self.au_niveau_module() => i = self.lire_mod(i),
                    "fn" | "struct" | "enum" | "trait" | "type" | "union" | "static" | "const"
                        if self.au_niveau_module() =>
                    {
                        let mut k = i + 1;
                        if self.ident(k) == Some("mut") {
                            k += 1;
                        }
                        let nom = self.ident(k).filter(|n| !PAS_UN_NOM.contains(n));
                        // `union` is a keyword only before a name and a brace or generics.
                        let est_item = mot != "union"
                            || self
                                .jeton(k + 1)
                                .is_some_and(|j| j.est_ponct('{') || j.est_ponct('<'));
                        if let (Some(nom), true) = (nom, est_item) {
                            let nom = nom.to_owned();
                            self.module_courant().items.insert(nom);
                        }
                        i += 1;
                    }
                    "macro_rules"
                        if self.au_niveau_module()
                            && self.jeton(i + 1).is_some_and(|j| j.est_ponct('!')) =>
                    {
                        if let Some(nom) = self.ident(i + 2).map(str::to_owned) {
                            self.module_courant().items.insert(nom);
                        }
                        i += 1;
                    }
                    "crate" | "super" | "self"
                        if self.jeton(i + 1).is_some_and(|j| j.sorte == Sorte::Chemin)
                            && !self.apres_pub_in(i) =>
                    {
                        let mut segments = vec![mot.clone()];
                        let mut k = i + 1;
                        while self.jeton(k).is_some_and(|j| j.sorte == Sorte::Chemin) {
                            let Some(s) = self.ident(k + 1) else { break };
                            segments.push(s.to_owned());
                            k += 2;
                        }
                        self.noter(segments, false, ligne);
                        i = k;
                    }
                    _ => i += 1,
                },
                _ => i += 1,
            }
        }
    }

    fn module_courant(&mut self) -> &mut Module {
        let (chemin, _) = self.contexte();
        self.arbre.modules.entry(chemin).or_default()
    }

    /// `pub(in crate::a)` names a module for visibility, not a use of it.
    fn apres_pub_in(&self, i: usize) -> bool {
        i >= 3
            && self.ident(i - 1) == Some("in")
            && self.jeton(i - 2).is_some_and(|j| j.est_ponct('('))
            && self.ident(i - 3) == Some("pub")
    }

    fn noter(&mut self, segments: Vec<String>, glob: bool, ligne: usize) {
        let (contexte, _) = self.contexte();
        self.brutes.push(Brute {
            fichier: self.fichier.to_path_buf(),
            ligne,
            contexte,
            segments,
            glob,
        });
    }

    /// `mod x;` (a file to read) or `mod x { … }` (an inline module); `i` is on `mod`.
    fn lire_mod(&mut self, i: usize) -> usize {
        let Some(nom) = self.ident(i + 1).map(str::to_owned) else {
            return i + 1;
        };
        let (chemin, dossier) = self.contexte();
        let mut enfant = chemin.clone();
        enfant.push(nom.clone());
        self.module_courant().enfants.insert(nom.clone());
        let attribut = self.chemin_attribut.take();
        match self.jeton(i + 2).map(|j| &j.sorte) {
            Some(Sorte::Ponct(';')) => {
                let candidats = match &attribut {
                    // Relative to the declaring file's folder (to the inline module's
                    // folder inside a `mod x { … }` block).
                    Some(p) if self.pile.len() == 1 => {
                        vec![self.fichier.parent().unwrap_or(Path::new("")).join(p)]
                    }
                    Some(p) => vec![dossier.join(p)],
                    None => vec![
                        dossier.join(format!("{nom}.rs")),
                        dossier.join(&nom).join("mod.rs"),
                    ],
                };
                let trouve = candidats
                    .iter()
                    .find_map(|f| Some((f, (self.lire_fichier)(f)?)));
                match trouve {
                    Some((f, source)) => {
                        let dossier_enfant = if f.file_name().is_some_and(|n| n == "mod.rs") {
                            f.parent().unwrap_or(Path::new("")).to_path_buf()
                        } else {
                            f.with_extension("")
                        };
                        self.a_lire.push_back(ALire {
                            chemin: enfant,
                            fichier: f.clone(),
                            dossier: dossier_enfant,
                            source,
                        });
                    }
                    None => self.arbre.avertissements.push(format!(
                        "{} : mod {nom}; sans fichier ({})",
                        self.fichier.display(),
                        candidats[0].display()
                    )),
                }
                i + 3
            }
            Some(Sorte::Ponct('{')) => {
                let fichier = self.fichier.to_path_buf();
                self.arbre
                    .modules
                    .entry(enfant.clone())
                    .or_default()
                    .fichier = fichier;
                self.pile.push(Some((enfant, dossier.join(&nom))));
                i + 3
            }
            _ => i + 2,
        }
    }

    /// A `use` declaration from just after `use` to its `;`; returns the index after it.
    fn lire_use(&mut self, i: usize) -> usize {
        let mut feuilles = Vec::new();
        let fin = self.arbre_use(i, Vec::new(), &mut feuilles);
        let fin = (fin..self.jetons.len())
            .find(|&k| self.jetons[k].est_ponct(';'))
            .map_or(self.jetons.len(), |k| k + 1);
        let niveau_module = self.au_niveau_module();
        for f in feuilles {
            if f.segments.is_empty() {
                continue;
            }
            if niveau_module {
                let m = self.module_courant();
                match (&f.nom, f.glob) {
                    (_, true) => m.globs.push(f.segments.clone()),
                    (Some(nom), false) => {
                        m.imports.insert(nom.clone(), f.segments.clone());
                    }
                    (None, false) => {}
                }
            }
            self.noter(f.segments, f.glob, f.ligne);
        }
        fin
    }

    /// One use tree: `a::b`, `a::b as c`, `a::*`, `a::{tree, …}`, `{tree, …}`, `::a::b`.
    fn arbre_use(
        &self,
        mut i: usize,
        mut segments: Vec<String>,
        sortie: &mut Vec<Feuille>,
    ) -> usize {
        if self.jeton(i).is_some_and(|j| j.sorte == Sorte::Chemin) {
            // `::std::…`: another crate, always.
            segments.push("::".into());
            i += 1;
        }
        loop {
            let Some(j) = self.jeton(i) else { return i };
            let ligne = j.ligne;
            match &j.sorte {
                Sorte::Ponct('$') if self.ident(i + 1) == Some("crate") => {
                    segments.push("$crate".into());
                    i += 2;
                }
                Sorte::Ident(s) => {
                    segments.push(s.clone());
                    i += 1;
                }
                Sorte::Ponct('*') => {
                    sortie.push(Feuille {
                        segments,
                        nom: None,
                        glob: true,
                        ligne,
                    });
                    return i + 1;
                }
                Sorte::Ponct('{') => {
                    i += 1;
                    while let Some(j) = self.jeton(i) {
                        if j.est_ponct('}') {
                            return i + 1;
                        }
                        if j.est_ponct(',') {
                            i += 1;
                            continue;
                        }
                        let avant = i;
                        i = self.arbre_use(i, segments.clone(), sortie);
                        if i == avant || self.jeton(i).is_some_and(|j| j.est_ponct(';')) {
                            return i;
                        }
                    }
                    return i;
                }
                _ => return i,
            }
            if self.jeton(i).is_some_and(|j| j.sorte == Sorte::Chemin) {
                i += 1;
                continue;
            }
            // The end of a path: `as name`, then `,`, `}` or `;`.
            let mut alias = None;
            if self.ident(i) == Some("as") {
                alias = Some(self.ident(i + 1).filter(|n| *n != "_").map(str::to_owned));
                i += 2;
            }
            // `a::{self}` imports `a` itself.
            if segments.last().is_some_and(|s| s == "self") {
                segments.pop();
            }
            let nom = alias.unwrap_or_else(|| segments.last().cloned());
            sortie.push(Feuille {
                segments,
                nom,
                glob: false,
                ligne,
            });
            return i;
        }
    }
}

/// Where a path leads.
struct Cible {
    module: Chemin,
    item: Option<String>,
    defini: bool,
}

impl Arbre {
    /// Whether module `chemin`'s own code defines items (beyond `mod` and `use`).
    pub fn definit_des_items(&self, chemin: &[String]) -> bool {
        self.modules
            .get(chemin)
            .is_some_and(|m| !m.items.is_empty())
    }

    /// Resolves a path written in module `contexte`; `None` for another crate's item.
    fn resoudre(&self, contexte: &Chemin, segments: &[String], profondeur: u8) -> Option<Cible> {
        // Re-exports can point at each other; rustc rejects real loops, so this is a guard.
        if profondeur > 16 {
            return None;
        }
        let premier = segments.first()?;
        match premier.as_str() {
            "crate" | "$crate" => self.descendre(Chemin::new(), &segments[1..], profondeur),
            "self" => self.descendre(contexte.clone(), &segments[1..], profondeur),
            "super" => {
                let mut module = contexte.clone();
                let mut k = 0;
                while segments.get(k).is_some_and(|s| s == "super") {
                    module.pop()?;
                    k += 1;
                }
                self.descendre(module, &segments[k..], profondeur)
            }
            "::" => None,
            nom => {
                let m = self.modules.get(contexte)?;
                if m.enfants.contains(nom) {
                    self.descendre(contexte.clone(), segments, profondeur)
                } else if let Some(chemin) = m.imports.get(nom) {
                    // `use a::b::{self}` then `b::c`: a path through an imported module.
                    if chemin.as_slice() == segments {
                        return None;
                    }
                    let cible = self.resoudre(contexte, chemin, profondeur + 1)?;
                    match cible.item {
                        None => self.descendre(cible.module, &segments[1..], profondeur + 1),
                        Some(_) => Some(cible),
                    }
                } else {
                    None
                }
            }
        }
    }

    /// Follows `reste` down from module `module`.
    fn descendre(&self, mut module: Chemin, reste: &[String], profondeur: u8) -> Option<Cible> {
        for (k, nom) in reste.iter().enumerate() {
            let m = self.modules.get(&module)?;
            if nom == "self" {
                continue;
            }
            if nom == "super" {
                module.pop()?;
                continue;
            }
            if m.enfants.contains(nom) {
                module.push(nom.clone());
                continue;
            }
            if m.items.contains(nom) {
                return Some(Cible {
                    module,
                    item: Some(nom.clone()),
                    defini: true,
                });
            }
            if let Some(chemin) = m.imports.get(nom) {
                let cible = self.resoudre(&module, chemin, profondeur + 1)?;
                match cible.item {
                    None => {
                        module = cible.module;
                        continue;
                    }
                    Some(_) => return Some(cible),
                }
            }
            for glob in &m.globs {
                let Some(g) = self.resoudre(&module, glob, profondeur + 1) else {
                    continue;
                };
                let Some(source) = self.modules.get(&g.module) else {
                    continue;
                };
                if g.item.is_none()
                    && g.module != module
                    && (source.enfants.contains(nom)
                        || source.items.contains(nom)
                        || source.imports.contains_key(nom))
                {
                    return self.descendre(g.module, &reste[k..], profondeur + 1);
                }
            }
            // Unknown here: most likely from a glob import of another crate. Still this
            // module's name space, so it counts as a use of this module, never of a root item.
            return Some(Cible {
                module,
                item: Some(nom.clone()),
                defini: false,
            });
        }
        Some(Cible {
            module,
            item: None,
            defini: false,
        })
    }
}

/// Module path for messages: `api::dto`, or `crate` for the root.
pub fn afficher(chemin: &[String]) -> String {
    if chemin.is_empty() {
        "crate".into()
    } else {
        chemin.join("::")
    }
}

#[cfg(test)]
pub mod essais {
    //! Reads a crate made of in-memory files.

    use super::*;

    /// The tree of a crate whose files are `(path, source)`, the first being its root.
    pub fn arbre(fichiers: &[(&str, &str)]) -> Arbre {
        let carte: BTreeMap<PathBuf, String> = fichiers
            .iter()
            .map(|(p, s)| (PathBuf::from(p), (*s).to_owned()))
            .collect();
        lire(Path::new(fichiers[0].0), &|p| carte.get(p).cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::essais::arbre;
    use super::*;

    /// `(from, to, item)` of each reference, as strings.
    fn liens(a: &Arbre) -> Vec<(String, String, String)> {
        a.references
            .iter()
            .map(|r| {
                (
                    afficher(&r.depuis),
                    afficher(&r.vers),
                    r.item.clone().unwrap_or_default(),
                )
            })
            .collect()
    }

    fn lien(d: &str, v: &str, i: &str) -> (String, String, String) {
        (d.into(), v.into(), i.into())
    }

    #[test]
    fn fichiers_dossiers_et_modules_en_ligne_forment_l_arbre() {
        let a = arbre(&[
            (
                "src/lib.rs",
                "mod api; mod depot;\n#[path = \"autre.rs\"] mod bizarre;",
            ),
            ("src/api/mod.rs", "mod dto; mod lecture { fn f() {} }"),
            ("src/api/dto.rs", "pub struct Dto;"),
            ("src/depot.rs", "mod sql;"),
            ("src/depot/sql.rs", ""),
            ("src/autre.rs", ""),
        ]);
        let chemins: Vec<String> = a.modules.keys().map(|c| afficher(c)).collect();
        assert_eq!(
            chemins,
            [
                "crate",
                "api",
                "api::dto",
                "api::lecture",
                "bizarre",
                "depot",
                "depot::sql"
            ]
        );
        assert!(a.avertissements.is_empty(), "{:?}", a.avertissements);
        assert_eq!(
            a.modules[&vec!["api".to_owned(), "lecture".to_owned()]].fichier,
            PathBuf::from("src/api/mod.rs")
        );
    }

    #[test]
    fn use_groupes_imbriques_super_self_et_chemins_dans_le_code() {
        let a = arbre(&[
            ("src/lib.rs", "mod a; mod b; mod c;"),
            (
                "src/a.rs",
                "use crate::{b::{self, X}, c::Y as Z};\n\
                 use std::fmt;\n\
                 fn f() { let _ = crate::c::g(); println!(\"{}\", super::b::h()); }\n\
                 // crate::c::commentaire\n\
                 mod tests { use super::*; use self::super::f; }",
            ),
            ("src/b.rs", "pub struct X; pub fn h() {}"),
            ("src/c.rs", "pub struct Y; pub fn g() {}"),
        ]);
        let mut l = liens(&a);
        l.sort();
        assert_eq!(
            l,
            [
                lien("a", "b", ""),
                lien("a", "b", "X"),
                lien("a", "b", "h"),
                lien("a", "c", "Y"),
                lien("a", "c", "g"),
                lien("a::tests", "a", "*"),
                lien("a::tests", "a", "f"),
            ]
        );
    }

    #[test]
    fn les_reexportations_menent_au_module_qui_definit() {
        let a = arbre(&[
            (
                "src/lib.rs",
                "mod config; mod startup; pub use config::Config; pub fn libre() {}",
            ),
            ("src/config.rs", "pub struct Config;"),
            (
                "src/startup.rs",
                "use crate::Config; fn f() { crate::libre() }",
            ),
        ]);
        let r: Vec<_> = a
            .references
            .iter()
            .filter(|r| r.depuis == ["startup"])
            .collect();
        assert_eq!(afficher(&r[0].vers), "config");
        assert_eq!(r[0].item.as_deref(), Some("Config"));
        assert_eq!(afficher(&r[1].vers), "crate");
        assert!(r[1].defini, "libre is an item of the root file");
    }
}
