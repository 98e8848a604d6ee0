//! Reading settings from the environment, with the documented development defaults, and
//! [`ConfigService`]: the settings every service has, read and printed in one place.

use std::fmt;
use std::str::FromStr;

use anyhow::Context;

use crate::http::JetonAdmin;

/// The development admin token: known to everyone who read the README, so only for a laptop.
pub const ADMIN_TOKEN_DEV: &str = "dev-admin-token";

/// What differs between services among the common settings' defaults.
#[derive(Debug, Clone, Copy)]
pub struct Defauts {
    pub port: u16,
    /// Database name on the local server (`postgres://postgres@127.0.0.1:5432/<base>`).
    pub base: &'static str,
    pub prefetch: u16,
    pub connexions_db: u32,
}

/// The settings every service reads the same way; each service's `Config` embeds it.
/// Its `Debug` masks the passwords in the URLs and never shows the admin token.
#[derive(Clone)]
pub struct ConfigService {
    /// Listening address (`HOST`).
    pub host: String,
    /// `PORT`; 0 picks a free port (tests).
    pub port: u16,
    pub database_url: String,
    pub amqp_url: String,
    /// `DB_MAX_CONNECTIONS`.
    pub max_connexions_db: u32,
    /// `BROKER_PREFIX`: prefix of every exchange and queue name (empty in production;
    /// unique per test).
    pub prefixe_broker: String,
    /// `PREFETCH`: messages a consumer holds at once, hence its largest batch.
    pub prefetch: u16,
    /// `ADMIN_TOKEN`, guarding the write endpoints.
    pub jeton_admin: JetonAdmin,
}

impl ConfigService {
    pub fn depuis_env(d: Defauts) -> anyhow::Result<Self> {
        Ok(ConfigService {
            host: texte("HOST", "127.0.0.1"),
            port: valeur("PORT", d.port)?,
            database_url: texte(
                "DATABASE_URL",
                &format!("postgres://postgres@127.0.0.1:5432/{}", d.base),
            ),
            amqp_url: texte("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            max_connexions_db: valeur("DB_MAX_CONNECTIONS", d.connexions_db)?,
            prefixe_broker: texte("BROKER_PREFIX", ""),
            prefetch: valeur("PREFETCH", d.prefetch)?,
            jeton_admin: JetonAdmin::new(texte("ADMIN_TOKEN", ADMIN_TOKEN_DEV)),
        })
    }
}

impl fmt::Debug for ConfigService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigService")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("database_url", &masquer_mot_de_passe(&self.database_url))
            .field("amqp_url", &masquer_mot_de_passe(&self.amqp_url))
            .field("max_connexions_db", &self.max_connexions_db)
            .field("prefixe_broker", &self.prefixe_broker)
            .field("prefetch", &self.prefetch)
            .field("jeton_admin", &self.jeton_admin)
            .finish()
    }
}

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
    fn la_configuration_affichee_ne_montre_ni_mot_de_passe_ni_jeton() {
        let c = ConfigService {
            host: "127.0.0.1".into(),
            port: 0,
            database_url: "postgres://u:motdepasse-db@h/x".into(),
            amqp_url: "amqp://u:motdepasse-amqp@h/%2f".into(),
            max_connexions_db: 1,
            prefixe_broker: String::new(),
            prefetch: 1,
            jeton_admin: JetonAdmin::new("jeton-tres-secret"),
        };
        let texte = format!("{c:?}");
        for secret in ["motdepasse-db", "motdepasse-amqp", "jeton-tres-secret"] {
            assert!(!texte.contains(secret), "{texte}");
        }
    }

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
