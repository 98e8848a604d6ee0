//! Settings of the paiements service, from the environment (defaults documented in README).

use std::time::Duration;

use socle::config::{valeur, ConfigService, Defauts};

use crate::fournisseur::{DELAI_CARTE_LENTE_DEFAUT_MS, DELAI_FOURNISSEUR_DEFAUT_MS};

#[derive(Debug, Clone)]
pub struct Config {
    /// Address, database, broker, prefetch (order events handled at once), admin token.
    pub service: ConfigService,
    /// `DELAI_FOURNISSEUR_MS`: longest paiements waits for the card provider; must stay under
    /// the request time limit, so that the client gets paiements' own 504.
    pub delai_fournisseur: Duration,
    /// `DELAI_CARTE_LENTE_MS`: how long the simulated provider takes on its slow test card.
    pub delai_carte_lente: Duration,
}

impl Config {
    pub fn depuis_env() -> anyhow::Result<Self> {
        let config = Config {
            service: ConfigService::depuis_env(Defauts {
                port: 8084,
                base: "paiements",
                prefetch: 256,
                connexions_db: 10,
            })?,
            delai_fournisseur: Duration::from_millis(valeur(
                "DELAI_FOURNISSEUR_MS",
                DELAI_FOURNISSEUR_DEFAUT_MS,
            )?),
            delai_carte_lente: Duration::from_millis(valeur(
                "DELAI_CARTE_LENTE_MS",
                DELAI_CARTE_LENTE_DEFAUT_MS,
            )?),
        };
        let requete =
            Duration::from_millis(valeur("REQUEST_TIMEOUT_MS", socle::http::DELAI_REQUETE_MS)?);
        verifier_delais(config.delai_fournisseur, requete)?;
        Ok(config)
    }
}

/// The provider's wait must end before the request's: otherwise the client gets the generic
/// `delai_depasse` and paiements' own answer is lost.
pub fn verifier_delais(fournisseur: Duration, requete: Duration) -> anyhow::Result<()> {
    anyhow::ensure!(
        fournisseur < requete,
        "DELAI_FOURNISSEUR_MS ({} ms) doit rester sous REQUEST_TIMEOUT_MS ({} ms)",
        fournisseur.as_millis(),
        requete.as_millis()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l_attente_du_fournisseur_reste_sous_celle_de_la_requete() {
        let ms = Duration::from_millis;
        assert!(verifier_delais(
            ms(DELAI_FOURNISSEUR_DEFAUT_MS),
            ms(socle::http::DELAI_REQUETE_MS)
        )
        .is_ok());
        let e = verifier_delais(ms(10_000), ms(10_000)).unwrap_err();
        assert!(e.to_string().contains("DELAI_FOURNISSEUR_MS"), "{e}");
    }
}
