//! Rust source cut into tokens, just enough to read module paths: identifiers, `::`, and
//! punctuation, with comments, strings and char literals skipped, so that a path written in a
//! comment, a doc or a test fixture string never counts as a reference.

/// One token and the line it starts on.
#[derive(Debug, Clone, PartialEq)]
pub struct Jeton {
    pub sorte: Sorte,
    pub ligne: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Sorte {
    /// An identifier or keyword (`r#` dropped from raw identifiers).
    Ident(String),
    /// `::`.
    Chemin,
    /// A string literal's contents, for `#[path = "…"]`.
    Chaine(String),
    /// Any other literal or a lifetime: never part of a module path.
    Autre,
    /// One punctuation character.
    Ponct(char),
}

impl Jeton {
    pub fn est_ponct(&self, c: char) -> bool {
        self.sorte == Sorte::Ponct(c)
    }

    pub fn ident(&self) -> Option<&str> {
        match &self.sorte {
            Sorte::Ident(s) => Some(s),
            _ => None,
        }
    }
}

pub fn decouper(source: &str) -> Vec<Jeton> {
    let c: Vec<char> = source.chars().collect();
    let mut jetons = Vec::new();
    let mut ligne = 1;
    let mut i = 0;
    let est_ident = |x: char| x.is_alphanumeric() || x == '_';
    while i < c.len() {
        let debut = ligne;
        let x = c[i];
        let suivant = c.get(i + 1).copied();
        if x == '\n' {
            ligne += 1;
            i += 1;
        } else if x.is_whitespace() {
            i += 1;
        } else if x == '/' && suivant == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if x == '/' && suivant == Some('*') {
            // Block comments nest in Rust.
            let mut profondeur = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    profondeur += 1;
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    profondeur -= 1;
                    i += 2;
                    if profondeur == 0 {
                        break;
                    }
                } else {
                    ligne += usize::from(c[i] == '\n');
                    i += 1;
                }
            }
        } else if let Some(apres_prefixe) = debut_chaine_brute(&c, i) {
            // r"…", r#"…"#, br"…", cr"…": no escapes, ends at a quote and as many #.
            let dieses = apres_prefixe - i - prefixe_lettres(&c, i) - 1;
            i = apres_prefixe;
            let debut_contenu = i;
            while i < c.len() && !(c[i] == '"' && (1..=dieses).all(|k| c.get(i + k) == Some(&'#')))
            {
                ligne += usize::from(c[i] == '\n');
                i += 1;
            }
            let contenu: String = c[debut_contenu..i.min(c.len())].iter().collect();
            i += 1 + dieses;
            jetons.push(Jeton {
                sorte: Sorte::Chaine(contenu),
                ligne: debut,
            });
        } else if x == '"' || ((x == 'b' || x == 'c') && suivant == Some('"')) {
            i += if x == '"' { 1 } else { 2 };
            let mut contenu = String::new();
            while i < c.len() && c[i] != '"' {
                if c[i] == '\\' {
                    contenu.push(c[i]);
                    i += 1;
                }
                if let Some(&y) = c.get(i) {
                    ligne += usize::from(y == '\n');
                    contenu.push(y);
                }
                i += 1;
            }
            i += 1;
            jetons.push(Jeton {
                sorte: Sorte::Chaine(contenu),
                ligne: debut,
            });
        } else if x == '\'' || (x == 'b' && suivant == Some('\'')) {
            let j = if x == '\'' { i + 1 } else { i + 2 };
            if c.get(j) == Some(&'\\') {
                // An escaped char literal: '\n', '\'', '\u{1F600}'.
                i = j + 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if c.get(j + 1) == Some(&'\'') {
                i = j + 2;
            } else {
                // A lifetime or a loop label.
                i = j;
                while i < c.len() && est_ident(c[i]) {
                    i += 1;
                }
            }
            jetons.push(Jeton {
                sorte: Sorte::Autre,
                ligne: debut,
            });
        } else if x == 'r' && suivant == Some('#') && c.get(i + 2).is_some_and(|&y| est_ident(y)) {
            let fin = (i + 2..c.len())
                .find(|&k| !est_ident(c[k]))
                .unwrap_or(c.len());
            jetons.push(Jeton {
                sorte: Sorte::Ident(c[i + 2..fin].iter().collect()),
                ligne: debut,
            });
            i = fin;
        } else if x.is_alphabetic() || x == '_' {
            let fin = (i..c.len()).find(|&k| !est_ident(c[k])).unwrap_or(c.len());
            jetons.push(Jeton {
                sorte: Sorte::Ident(c[i..fin].iter().collect()),
                ligne: debut,
            });
            i = fin;
        } else if x.is_ascii_digit() {
            // 1_000, 0x1F, 1.5e3, 2u8; a `.` followed by a digit stays in the number.
            i += 1;
            while i < c.len()
                && (est_ident(c[i])
                    || (c[i] == '.' && c.get(i + 1).is_some_and(|y| y.is_ascii_digit())))
            {
                i += 1;
            }
            jetons.push(Jeton {
                sorte: Sorte::Autre,
                ligne: debut,
            });
        } else if x == ':' && suivant == Some(':') {
            jetons.push(Jeton {
                sorte: Sorte::Chemin,
                ligne: debut,
            });
            i += 2;
        } else {
            jetons.push(Jeton {
                sorte: Sorte::Ponct(x),
                ligne: debut,
            });
            i += 1;
        }
    }
    jetons
}

/// How many letters (`r`, `br`, `cr`) open a raw string at `i`, 0 if none.
fn prefixe_lettres(c: &[char], i: usize) -> usize {
    match (c.get(i), c.get(i + 1)) {
        (Some('r'), _) => 1,
        (Some('b' | 'c'), Some('r')) => 2,
        _ => 0,
    }
}

/// If a raw string starts at `i`, the index just after its opening quote.
fn debut_chaine_brute(c: &[char], i: usize) -> Option<usize> {
    // Not the tail of an identifier such as `fr"`: only at a token start.
    if i > 0 && (c[i - 1].is_alphanumeric() || c[i - 1] == '_') {
        return None;
    }
    let lettres = prefixe_lettres(c, i);
    if lettres == 0 {
        return None;
    }
    let mut j = i + lettres;
    while c.get(j) == Some(&'#') {
        j += 1;
    }
    (c.get(j) == Some(&'"')).then_some(j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idents(source: &str) -> Vec<String> {
        decouper(source)
            .into_iter()
            .filter_map(|j| j.ident().map(str::to_owned))
            .collect()
    }

    #[test]
    fn commentaires_chaines_et_caracteres_sont_sautes() {
        let source = r##"
            // crate::a
            /* crate::b /* imbriqué */ crate::c */
            let s = "crate::d \" crate::e";
            let r = r#"crate::f " crate::g"#;
            let c = '"'; let d = '\''; let e = b'x';
            fn f<'a>(x: &'a str) -> &'a str { x }
            vrai
        "##;
        assert_eq!(
            idents(source),
            [
                "let", "s", "let", "r", "let", "c", "let", "d", "let", "e", "fn", "f", "x", "str",
                "str", "x", "vrai"
            ]
        );
    }

    #[test]
    fn les_lignes_sont_comptees_a_travers_les_commentaires_et_chaines() {
        let jetons = decouper("/* a\nb */ \"x\ny\" r\"z\n\" fin");
        let fin = jetons.iter().find(|j| j.ident() == Some("fin")).unwrap();
        assert_eq!(fin.ligne, 4);
    }

    #[test]
    fn chemin_et_identifiants_bruts() {
        let jetons = decouper("crate::r#type::X");
        assert_eq!(
            jetons.iter().map(|j| j.sorte.clone()).collect::<Vec<_>>(),
            vec![
                Sorte::Ident("crate".into()),
                Sorte::Chemin,
                Sorte::Ident("type".into()),
                Sorte::Chemin,
                Sorte::Ident("X".into()),
            ]
        );
    }
}
