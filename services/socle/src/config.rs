//! Reading settings from the environment, with the documented development defaults.

use std::str::FromStr;

use anyhow::Context;

/// The variable's value, or `defaut` when it is unset or empty.
pub fn texte(nom: &str, defaut: &str) -> String {
    match std::env::var(nom) {
        Ok(v) if !v.trim().is_empty() => v,
        _ => defaut.to_owned(),
    }
}

/// The variable parsed as `T`, or `defaut` when unset; a value that does not parse is an error
/// (a typo in a port must not silently become the default).
pub fn valeur<T>(nom: &str, defaut: T) -> anyhow::Result<T>
where
    T: FromStr,
    T::Err: std::error::Error + Send + Sync + 'static,
{
    match std::env::var(nom) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .with_context(|| format!("la variable {nom} n'est pas valide")),
        _ => Ok(defaut),
    }
}

/// `true` for 1/true/yes/oui/on (any case), `false` for 0/false/no/non/off, else `defaut`.
pub fn booleen(nom: &str, defaut: bool) -> bool {
    match std::env::var(nom).map(|v| v.trim().to_ascii_lowercase()) {
        Ok(v) if matches!(v.as_str(), "1" | "true" | "yes" | "oui" | "on") => true,
        Ok(v) if matches!(v.as_str(), "0" | "false" | "no" | "non" | "off") => false,
        _ => defaut,
    }
}

/// An URL with its password hidden, for logs.
pub fn masquer_mot_de_passe(url: &str) -> String {
    let Some((schema, reste)) = url.split_once("://") else {
        return url.to_owned();
    };
    match reste.split_once('@') {
        Some((identite, hote)) => match identite.split_once(':') {
            Some((utilisateur, _)) => format!("{schema}://{utilisateur}:***@{hote}"),
            None => url.to_owned(),
        },
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_mot_de_passe_d_une_url_n_apparait_jamais() {
        assert_eq!(
            masquer_mot_de_passe("amqp://guest:secret@127.0.0.1:5672/%2f"),
            "amqp://guest:***@127.0.0.1:5672/%2f"
        );
        assert_eq!(
            masquer_mot_de_passe("postgres://postgres@127.0.0.1/x"),
            "postgres://postgres@127.0.0.1/x"
        );
    }
}
