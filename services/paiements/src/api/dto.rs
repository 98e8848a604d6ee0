//! What travels over HTTP: the payment request (loose, then parsed, each bad field named),
//! and the mapping of a stored payment to the shared response shape.
//!
//! Neither DTO derives `Debug` with its values: the card must not reach a log by accident.

use chrono::NaiveDate;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domaine::{Carte, Cvc, DemandePaiement, Erreurs, Expiration, NumeroCarte, Paiement};

/// The card, as typed (the shared shape is `contrats::http::Carte`).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CarteEntrante {
    /// 12 to 19 digits, spaces allowed, Luhn-valid.
    #[schema(
        required = true,
        example = "4242 4242 4242 4242",
        pattern = "^ *([0-9] *){12,19}$"
    )]
    pub numero: Option<String>,
    /// `MM/AA`, not past.
    #[schema(
        required = true,
        example = "12/30",
        pattern = "^(0[1-9]|1[0-2])/[0-9]{2}$"
    )]
    pub expiration: Option<String>,
    /// 3 or 4 digits.
    #[schema(required = true, example = "123", pattern = "^[0-9]{3,4}$")]
    pub cvc: Option<String>,
}

impl std::fmt::Debug for CarteEntrante {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CarteEntrante(…)")
    }
}

/// Body of `POST /api/paiements` (the shared shape is `contrats::http::DemandePaiement`).
/// There is no amount: paiements knows what the order owes.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DemandePaiementEntrante {
    /// Reference of the order to pay.
    #[schema(required = true, value_type = String, format = Uuid)]
    pub reference: Option<String>,
    #[schema(required = true)]
    pub carte: Option<CarteEntrante>,
}

impl std::fmt::Debug for DemandePaiementEntrante {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DemandePaiementEntrante(…)")
    }
}

/// Records `m` under `champ` when `r` failed.
fn noter<T>(r: Result<T, String>, champ: &str, e: &mut Erreurs) -> Option<T> {
    r.map_err(|m| {
        e.insert(champ.to_owned(), m);
    })
    .ok()
}

fn requis<'a>(v: &'a Option<String>, champ: &str, quoi: &str, e: &mut Erreurs) -> Option<&'a str> {
    if v.is_none() {
        e.insert(champ.to_owned(), format!("{quoi} est requis"));
    }
    v.as_deref()
}

impl DemandePaiementEntrante {
    /// The valid request, or every bad field (`reference`, `carte.numero`, `carte.expiration`,
    /// `carte.cvc`) with what is wrong; an expiry is judged against `aujourd_hui`.
    pub fn lire(self, aujourd_hui: NaiveDate) -> Result<DemandePaiement, Erreurs> {
        let mut e = Erreurs::new();
        let reference = requis(
            &self.reference,
            "reference",
            "la référence de la commande",
            &mut e,
        )
        .and_then(|r| {
            noter(
                Uuid::parse_str(r.trim())
                    .map_err(|_| "la référence de commande doit être un UUID".to_owned()),
                "reference",
                &mut e,
            )
        });
        let carte = match self.carte {
            None => {
                e.insert("carte".into(), "la carte est requise".into());
                None
            }
            Some(c) => {
                let numero = requis(&c.numero, "carte.numero", "le numéro de carte", &mut e)
                    .and_then(|v| noter(NumeroCarte::try_from(v), "carte.numero", &mut e));
                let expiration = requis(
                    &c.expiration,
                    "carte.expiration",
                    "la date d'expiration",
                    &mut e,
                )
                .and_then(|v| noter(Expiration::lire(v, aujourd_hui), "carte.expiration", &mut e));
                let cvc = requis(&c.cvc, "carte.cvc", "le code de sécurité", &mut e)
                    .and_then(|v| noter(Cvc::try_from(v), "carte.cvc", &mut e));
                match (numero, expiration, cvc) {
                    (Some(numero), Some(expiration), Some(cvc)) => Some(Carte {
                        numero,
                        expiration,
                        cvc,
                    }),
                    _ => None,
                }
            }
        };
        match (reference, carte) {
            (Some(reference), Some(carte)) if e.is_empty() => {
                Ok(DemandePaiement { reference, carte })
            }
            _ => Err(e),
        }
    }
}

/// The stored payment, as the API shows it.
impl From<Paiement> for contrats::http::Paiement {
    fn from(p: Paiement) -> Self {
        contrats::http::Paiement {
            id_paiement: p.id_paiement,
            reference: p.reference,
            statut: p.statut,
            montant: p.montant,
            marque: p.marque,
            quatre_derniers: p.quatre_derniers,
            motif_refus: p.motif_refus,
            cree_le: p.cree_le,
            rembourse_le: p.rembourse_le,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn aujourd_hui() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()
    }

    fn lire(v: serde_json::Value) -> Result<DemandePaiement, Erreurs> {
        serde_json::from_value::<DemandePaiementEntrante>(v)
            .unwrap()
            .lire(aujourd_hui())
    }

    #[test]
    fn une_demande_complete_est_lue() {
        let reference = Uuid::new_v4();
        let d = lire(json!({"reference": reference, "carte": {
            "numero": "4242 4242 4242 4242", "expiration": "12/30", "cvc": "123"}}))
        .unwrap();
        assert_eq!(d.reference, reference);
        assert_eq!(d.carte.numero.quatre_derniers(), "4242");
    }

    #[test]
    fn chaque_champ_faux_a_son_propre_message() {
        let e = lire(json!({"reference": "pas-un-uuid", "carte": {
            "numero": "4242 4242 4242 4241", "expiration": "10/26", "cvc": "12"}}))
        .unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            ["carte.cvc", "carte.expiration", "carte.numero", "reference"]
        );
        let e = lire(json!({"carte": {}})).unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            ["carte.cvc", "carte.expiration", "carte.numero", "reference"]
        );
        assert!(lire(json!({})).unwrap_err().contains_key("carte"));
    }

    #[test]
    fn un_champ_inconnu_est_refuse() {
        assert!(serde_json::from_value::<DemandePaiementEntrante>(
            json!({"reference": Uuid::new_v4(), "montant": 1})
        )
        .is_err());
        assert!(serde_json::from_value::<CarteEntrante>(json!({"titulaire": "A"})).is_err());
    }
}
