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

/// Days the retention keeps published outbox rows, inbox ids and claims by default.
pub const RETENTION_JOURS_DEFAUT: u32 = 7;

/// `RETENTION_JOURS`: at least one day (dedup needs recent ids), a number, else an error.
pub fn jours_de_retention() -> anyhow::Result<u32> {
    let jours = valeur("RETENTION_JOURS", RETENTION_JOURS_DEFAUT)?;
    anyhow::ensure!(
        jours >= 1,
        "RETENTION_JOURS : la rétention doit durer au moins un jour"
    );
    Ok(jours)
}

/// `BOUTIQUE_ENV`: whether the operator said this is a developer's machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Environnement {
    /// `BOUTIQUE_ENV=development`: the known development token is accepted on any address.
    Developpement,
    /// Anything else, or unset: the rules for a shop others can reach.
    Production,
}

impl Environnement {
    pub fn depuis_env() -> Self {
        match std::env::var("BOUTIQUE_ENV").map(|v| v.trim().to_ascii_lowercase()) {
            Ok(v) if v == "development" || v == "developpement" => Environnement::Developpement,
            _ => Environnement::Production,
        }
    }
}

/// `true` for an address only this machine can reach (`127.0.0.1`, `::1`, `localhost`).
pub fn est_boucle_locale(host: &str) -> bool {
    let h = host.trim().trim_start_matches('[').trim_end_matches(']');
    h.eq_ignore_ascii_case("localhost")
        || h.parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The admin token to use, or why the service must not start: an empty token never (it would
/// guard nothing), the development token (public, in the README) only on a loopback address
/// unless `BOUTIQUE_ENV=development` says this is a developer's machine. Unset means the
/// development token, so `cargo run` works on a laptop out of the box.
pub fn jeton_admin_permis(
    valeur: Option<&str>,
    host: &str,
    env: Environnement,
) -> anyhow::Result<String> {
    let jeton = match valeur {
        None => ADMIN_TOKEN_DEV,
        Some(v) if v.trim().is_empty() => anyhow::bail!(
            "ADMIN_TOKEN est vide : choisissez un jeton secret (ou retirez la variable pour le \
             jeton de développement, sur cette machine seulement)"
        ),
        Some(v) => v.trim(),
    };
    if jeton == ADMIN_TOKEN_DEV && !est_boucle_locale(host) && env != Environnement::Developpement {
        anyhow::bail!(
            "refus de démarrer : le jeton d'administration de développement (public) sur \
             l'adresse {host}, joignable d'autres machines ; définissez ADMIN_TOKEN avec un \
             secret, ou BOUTIQUE_ENV=development sur un poste de développement"
        );
    }
    Ok(jeton.to_owned())
}

impl ConfigService {
    /// Reads the common settings; refuses an empty admin token, the development token on a
    /// non-loopback address outside development (see [`jeton_admin_permis`]), and a
    /// `RETENTION_JOURS` below one day or unreadable.
    pub fn depuis_env(d: Defauts) -> anyhow::Result<Self> {
        let host = texte("HOST", "127.0.0.1");
        let jeton = jeton_admin_permis(
            std::env::var("ADMIN_TOKEN").ok().as_deref(),
            &host,
            Environnement::depuis_env(),
        )?;
        // Read again by the retention task; checked here so that a bad value stops the
        // start-up with the other settings' errors instead of disabling the purge.
        jours_de_retention()?;
        Ok(ConfigService {
            host,
            port: valeur("PORT", d.port)?,
            database_url: texte(
                "DATABASE_URL",
                &format!("postgres://postgres@127.0.0.1:5432/{}", d.base),
            ),
            amqp_url: texte("AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2f"),
            max_connexions_db: valeur("DB_MAX_CONNECTIONS", d.connexions_db)?,
            prefixe_broker: texte("BROKER_PREFIX", ""),
            prefetch: valeur("PREFETCH", d.prefetch)?,
            jeton_admin: JetonAdmin::new(jeton),
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

/// An URL with its password hidden, for logs. The user information ends at the authority's
/// LAST `@` (a password may contain `@`), and the authority ends at the first `/`, `?` or `#`.
pub fn masquer_mot_de_passe(url: &str) -> String {
    let Some((schema, reste)) = url.split_once("://") else {
        return url.to_owned();
    };
    let fin_autorite = reste.find(['/', '?', '#']).unwrap_or(reste.len());
    let (autorite, chemin) = reste.split_at(fin_autorite);
    match autorite.rsplit_once('@') {
        Some((identite, hote)) => match identite.split_once(':') {
            Some((utilisateur, _)) => format!("{schema}://{utilisateur}:***@{hote}{chemin}"),
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
    fn un_mot_de_passe_qui_contient_une_arobase_est_masque_en_entier() {
        assert_eq!(
            masquer_mot_de_passe("amqp://u:p@ss@host:5672/%2f"),
            "amqp://u:***@host:5672/%2f"
        );
        // An `@` after the authority (path, query) is not the end of the user information.
        assert_eq!(
            masquer_mot_de_passe("postgres://u:secret@h/base?application_name=a@b"),
            "postgres://u:***@h/base?application_name=a@b"
        );
        assert_eq!(masquer_mot_de_passe("http://h/x@y"), "http://h/x@y");
    }

    #[test]
    fn un_jeton_vide_est_refuse_meme_en_developpement() {
        for env in [Environnement::Developpement, Environnement::Production] {
            let e = jeton_admin_permis(Some("  "), "127.0.0.1", env).unwrap_err();
            assert!(e.to_string().contains("ADMIN_TOKEN est vide"), "{e}");
        }
    }

    #[test]
    fn le_jeton_de_developpement_n_est_permis_qu_en_boucle_locale_ou_en_developpement() {
        use Environnement::*;
        for host in ["127.0.0.1", "::1", "[::1]", "localhost"] {
            assert_eq!(
                jeton_admin_permis(None, host, Production).unwrap(),
                ADMIN_TOKEN_DEV
            );
        }
        for host in ["0.0.0.0", "192.168.1.10", "::", "boutique.example"] {
            let e = jeton_admin_permis(None, host, Production).unwrap_err();
            assert!(e.to_string().contains("refus de démarrer"), "{e}");
            assert!(jeton_admin_permis(Some(ADMIN_TOKEN_DEV), host, Production).is_err());
            assert_eq!(
                jeton_admin_permis(None, host, Developpement).unwrap(),
                ADMIN_TOKEN_DEV
            );
            assert_eq!(
                jeton_admin_permis(Some("un-vrai-secret"), host, Production).unwrap(),
                "un-vrai-secret"
            );
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
