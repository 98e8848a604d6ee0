//! Domain types of an order: parsed once at the edge, trusted inward.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use contrats::email::{AdresseEmail, ErreurEmail};
use contrats::http::{
    Adresse, EntreeHistorique, Expedition, PaiementCommande, RaisonAnnulation, StatutCommande,
};
use rust_decimal::Decimal;
use uuid::Uuid;

/// Each bad field and what is wrong with it, for a 422.
pub type Erreurs = BTreeMap<String, String>;

pub const LIGNES_MAX: usize = 50;
pub const QUANTITE_MAX: i64 = 1000;
/// Longest customer name, town, carrier and tracking number, in characters.
pub const TEXTE_COURT_MAX: usize = 100;
/// Longest street line, in characters.
pub const RUE_MAX: usize = 200;

/// `v` trimmed, if it holds 1 to `max` characters and no control character (a line break in
/// a name or an address would end up in an email or on a parcel label).
fn texte_borne(v: &str, max: usize, quoi: &str) -> Result<String, String> {
    let v = v.trim();
    match v.chars().count() {
        0 => Err(format!("{quoi} ne peut pas être vide")),
        n if n > max => Err(format!("{quoi} dépasse {max} caractères ({n})")),
        _ if v.chars().any(char::is_control) => {
            Err(format!("{quoi} contient un caractère de contrôle"))
        }
        _ => Ok(v.to_owned()),
    }
}

/// The customer's name: trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nom(String);

impl TryFrom<&str> for Nom {
    type Error = String;
    fn try_from(v: &str) -> Result<Self, String> {
        texte_borne(v, TEXTE_COURT_MAX, "le nom").map(Nom)
    }
}

impl Nom {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A Swiss postcode: exactly four digits, 1000 to 9999 (not trimmed: what the OpenAPI
/// pattern says is what is accepted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Npa(String);

impl TryFrom<&str> for Npa {
    type Error = String;
    fn try_from(v: &str) -> Result<Self, String> {
        let b = v.as_bytes();
        if b.len() == 4 && b.iter().all(u8::is_ascii_digit) && b[0] != b'0' {
            Ok(Npa(v.to_owned()))
        } else {
            Err(format!(
                "le NPA doit compter quatre chiffres, de 1000 à 9999 (reçu « {} »)",
                v.chars().take(20).collect::<String>()
            ))
        }
    }
}

/// Where to deliver in Switzerland: street and number (1 to 200 characters), postcode, town
/// (1 to 100), trimmed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdresseLivraison {
    rue: String,
    npa: Npa,
    localite: String,
}

impl AdresseLivraison {
    /// The address, or each bad part's error under `adresse.rue`, `adresse.npa`,
    /// `adresse.localite`.
    pub fn new(
        rue: Option<&str>,
        npa: Option<&str>,
        localite: Option<&str>,
    ) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        let mut champ =
            |cle: &str, v: Option<&str>, lire: &dyn Fn(&str) -> Result<String, String>| match v
                .map(lire)
            {
                Some(Ok(v)) => Some(v),
                Some(Err(m)) => {
                    e.insert(format!("adresse.{cle}"), m);
                    None
                }
                None => {
                    e.insert(format!("adresse.{cle}"), format!("{cle} : champ requis"));
                    None
                }
            };
        let rue = champ("rue", rue, &|v| texte_borne(v, RUE_MAX, "la rue"));
        let npa = champ("npa", npa, &|v| Npa::try_from(v).map(|n| n.0));
        let localite = champ("localite", localite, &|v| {
            texte_borne(v, TEXTE_COURT_MAX, "la localité")
        });
        match (rue, npa, localite) {
            (Some(rue), Some(npa), Some(localite)) => Ok(AdresseLivraison {
                rue,
                npa: Npa(npa),
                localite,
            }),
            _ => Err(e),
        }
    }

    /// As the order stores and shows it.
    pub fn adresse(&self) -> Adresse {
        Adresse {
            rue: self.rue.clone(),
            npa: self.npa.0.clone(),
            localite: self.localite.clone(),
        }
    }
}

/// A carrier and tracking number, each trimmed, 1 to 100 characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envoi {
    pub transporteur: String,
    pub numero_suivi: String,
}

impl Envoi {
    /// The shipment, or each bad field's error under its name.
    pub fn new(transporteur: Option<&str>, numero_suivi: Option<&str>) -> Result<Self, Erreurs> {
        let mut e = Erreurs::new();
        let mut champ = |cle: &str, quoi: &str, v: Option<&str>| match v {
            Some(v) => texte_borne(v, TEXTE_COURT_MAX, quoi)
                .map_err(|m| {
                    e.insert(cle.into(), m);
                })
                .ok(),
            None => {
                e.insert(cle.into(), format!("{quoi} est requis"));
                None
            }
        };
        let transporteur = champ("transporteur", "le transporteur", transporteur);
        let numero_suivi = champ("numero_suivi", "le numéro de suivi", numero_suivi);
        match (transporteur, numero_suivi) {
            (Some(transporteur), Some(numero_suivi)) => Ok(Envoi {
                transporteur,
                numero_suivi,
            }),
            _ => Err(e),
        }
    }
}

/// A payment paiements captured for an order (`paiement.accepte`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaiementCapture {
    pub id_commande: i64,
    pub reference: Uuid,
    pub id_paiement: Uuid,
    pub marque: String,
    /// Four digits.
    pub quatre_derniers: String,
    pub montant: Decimal,
    pub paye_le: DateTime<Utc>,
}

/// Who asks to cancel an order, and so which statuses they may cancel from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Demandeur {
    /// Whoever holds the reference (the customer): while `a_payer` or `confirmee`.
    Client,
    /// The shop (admin token): anything not shipped nor cancelled yet.
    Boutique,
}

impl Demandeur {
    /// Whether this one may cancel an order in status `s`.
    pub fn peut_annuler(self, s: StatutCommande) -> bool {
        match self {
            Demandeur::Client => s.annulable_par_le_client(),
            Demandeur::Boutique => s.annulable_par_la_boutique(),
        }
    }

    /// The reason recorded for a cancellation asked by this one.
    pub fn raison(self) -> RaisonAnnulation {
        match self {
            Demandeur::Client => RaisonAnnulation::Client,
            Demandeur::Boutique => RaisonAnnulation::Boutique,
        }
    }
}

/// A customer's address, as `contrats::email` accepts it (the mail worker reads it with the
/// same parser): a plain `local@domain.tld`, trimmed, its domain lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(AdresseEmail);

impl TryFrom<String> for Email {
    type Error = String;
    fn try_from(v: String) -> Result<Self, String> {
        AdresseEmail::analyser(&v).map(Email).map_err(|e| match e {
            // Too long to be worth quoting back.
            ErreurEmail::TropLongue => e.to_string(),
            _ => format!("« {} » n'est pas une adresse e-mail valide : {e}", v.trim()),
        })
    }
}

impl Email {
    /// The normalised address, as stored.
    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

/// A quantity of one product in an order: 1 to 1000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Quantite(i32);

impl TryFrom<i64> for Quantite {
    type Error = String;
    fn try_from(v: i64) -> Result<Self, String> {
        if (1..=QUANTITE_MAX).contains(&v) {
            Ok(Quantite(v as i32))
        } else {
            Err(format!(
                "la quantité doit être entre 1 et {QUANTITE_MAX} (reçu {v})"
            ))
        }
    }
}

impl Quantite {
    pub fn valeur(self) -> i32 {
        self.0
    }
}

/// An `Idempotency-Key`: 1 to 200 visible ASCII characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CleIdempotence(String);

impl TryFrom<&str> for CleIdempotence {
    type Error = String;
    fn try_from(v: &str) -> Result<Self, String> {
        if v.is_empty() || v.len() > 200 || !v.bytes().all(|b| b.is_ascii_graphic()) {
            return Err("Idempotency-Key doit faire 1 à 200 caractères ASCII visibles".into());
        }
        Ok(CleIdempotence(v.to_owned()))
    }
}

impl CleIdempotence {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who orders and where to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub email: Email,
    pub nom: Nom,
    pub adresse: AdresseLivraison,
}

/// A valid order request: repeated product ids are merged, lines sorted by product id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemandeCommande {
    pub client: Client,
    pub lignes: Vec<(i64, Quantite)>,
}

impl DemandeCommande {
    /// Merges lines with the same product (the merged quantity must stay within bounds).
    pub fn new(client: Client, lignes: Vec<(i64, i64)>) -> Result<Self, Erreurs> {
        let mut fusion: BTreeMap<i64, i64> = BTreeMap::new();
        for (id, q) in lignes {
            *fusion.entry(id).or_default() += q;
        }
        let mut erreurs = Erreurs::new();
        let mut resultat = Vec::with_capacity(fusion.len());
        for (id, q) in fusion {
            match Quantite::try_from(q) {
                Ok(q) => resultat.push((id, q)),
                Err(e) => {
                    erreurs.insert(
                        format!("produits.{id}.quantite"),
                        format!("produit {id} : {e}"),
                    );
                }
            }
        }
        if erreurs.is_empty() {
            Ok(DemandeCommande {
                client,
                lignes: resultat,
            })
        } else {
            Err(erreurs)
        }
    }

    pub fn ids(&self) -> Vec<i64> {
        self.lignes.iter().map(|(id, _)| *id).collect()
    }

    /// A fingerprint of what was asked, to tell a retry from a different order under the
    /// same Idempotency-Key.
    pub fn empreinte(&self) -> String {
        let lignes: Vec<String> = self
            .lignes
            .iter()
            .map(|(id, q)| format!("{id}x{}", q.valeur()))
            .collect();
        // Each part is JSON-quoted, so no name or street can imitate a separator.
        let c = &self.client;
        let a = c.adresse.adresse();
        let parties = [
            c.email.as_str().to_lowercase(),
            c.nom.as_str().to_owned(),
            a.rue,
            a.npa,
            a.localite,
        ];
        let client: Vec<String> = parties
            .iter()
            .map(|p| serde_json::Value::from(p.as_str()).to_string())
            .collect();
        format!("{}|{}", client.join("|"), lignes.join(","))
    }
}

/// A product as produits prices it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProduitCatalogue {
    pub id: i64,
    pub nom: String,
    pub prix: Decimal,
}

/// One priced line of an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LigneChiffree {
    pub produit_id: i64,
    pub nom: String,
    pub prix_unitaire: Decimal,
    pub quantite: Quantite,
    pub sous_total: Decimal,
}

/// Prices every line from the catalogue; the error lists the unknown product ids.
pub fn chiffrer(
    demande: &DemandeCommande,
    catalogue: &HashMap<i64, ProduitCatalogue>,
) -> Result<Vec<LigneChiffree>, Vec<i64>> {
    let inconnus: Vec<i64> = demande
        .lignes
        .iter()
        .map(|(id, _)| *id)
        .filter(|id| !catalogue.contains_key(id))
        .collect();
    if !inconnus.is_empty() {
        return Err(inconnus);
    }
    Ok(demande
        .lignes
        .iter()
        .map(|(id, q)| {
            let p = &catalogue[id];
            LigneChiffree {
                produit_id: *id,
                nom: p.nom.clone(),
                prix_unitaire: p.prix,
                quantite: *q,
                sous_total: p.prix * Decimal::from(q.valeur()),
            }
        })
        .collect())
}

/// An order as stored (the API shows it as `contrats::http::Commande`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commande {
    pub id_commande: i64,
    pub reference: Uuid,
    pub email: String,
    /// `None` for orders placed before names and addresses were asked.
    pub nom: Option<String>,
    pub adresse: Option<Adresse>,
    pub statut: StatutCommande,
    /// Set once `annulee`.
    pub raison_annulation: Option<RaisonAnnulation>,
    /// Set when the order became `a_payer`, and kept (it is shown only while `a_payer`).
    pub echeance_paiement: Option<DateTime<Utc>>,
    pub paiement: Option<PaiementCommande>,
    pub expedition: Option<Expedition>,
    pub total: Decimal,
    pub lignes: Vec<Ligne>,
    /// Every step so far, oldest first (empty when read for an event, which never shows it).
    pub historique: Vec<EntreeHistorique>,
    pub cree_le: DateTime<Utc>,
    pub modifie_le: DateTime<Utc>,
}

impl Commande {
    /// The payment deadline while it is one: only while `a_payer`.
    pub fn echeance_en_cours(&self) -> Option<DateTime<Utc>> {
        self.echeance_paiement
            .filter(|_| self.statut == StatutCommande::APayer)
    }

    /// Whether stock is held for it: produits reserved it (it went past `en_attente`) and it
    /// is not shipped. A cancellation from such a status gives the stock back.
    pub fn statut_retient_du_stock(statut: StatutCommande) -> bool {
        matches!(statut, StatutCommande::APayer | StatutCommande::Confirmee)
    }
}

/// One stored line of an order: name and price as they were when it was placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ligne {
    pub produit_id: i64,
    pub nom: String,
    pub prix_unitaire: Decimal,
    pub quantite: i32,
    pub sous_total: Decimal,
}

impl From<&LigneChiffree> for Ligne {
    fn from(l: &LigneChiffree) -> Self {
        Ligne {
            produit_id: l.produit_id,
            nom: l.nom.clone(),
            prix_unitaire: l.prix_unitaire,
            quantite: l.quantite.valeur(),
            sous_total: l.sous_total,
        }
    }
}

/// The order total in CHF: the exact sum, rounded once to the centime (half away from zero).
pub fn total(lignes: &[LigneChiffree]) -> Decimal {
    let somme: Decimal = lignes.iter().map(|l| l.sous_total).sum();
    somme.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn adresse() -> AdresseLivraison {
        AdresseLivraison::new(Some("Rue du Lac 12"), Some("1003"), Some("Lausanne")).unwrap()
    }

    fn client() -> Client {
        Client {
            email: Email::try_from("client@example.com".to_owned()).unwrap(),
            nom: Nom::try_from("Ada Lovelace").unwrap(),
            adresse: adresse(),
        }
    }

    fn catalogue() -> HashMap<i64, ProduitCatalogue> {
        [
            (1, "Lampe", dec!(0.10)),
            (2, "Tasse", dec!(0.20)),
            (3, "Sac", dec!(129.95)),
        ]
        .into_iter()
        .map(|(id, nom, prix)| {
            (
                id,
                ProduitCatalogue {
                    id,
                    nom: nom.into(),
                    prix,
                },
            )
        })
        .collect()
    }

    #[test]
    fn le_total_est_exact_la_ou_un_flottant_se_tromperait() {
        // 0.1 + 0.2 is 0.30000000000000004 in f64.
        let d = DemandeCommande::new(client(), vec![(1, 1), (2, 1)]).unwrap();
        let lignes = chiffrer(&d, &catalogue()).unwrap();
        assert_eq!(total(&lignes).to_string(), "0.30");
    }

    #[test]
    fn le_sous_total_multiplie_le_prix_par_la_quantite() {
        let d = DemandeCommande::new(client(), vec![(3, 3)]).unwrap();
        let lignes = chiffrer(&d, &catalogue()).unwrap();
        assert_eq!(lignes[0].sous_total, dec!(389.85));
        assert_eq!(total(&lignes), dec!(389.85));
    }

    #[test]
    fn les_produits_repetes_sont_fusionnes() {
        let d = DemandeCommande::new(client(), vec![(2, 1), (1, 2), (2, 3)]).unwrap();
        assert_eq!(
            d.lignes,
            vec![(1, Quantite(2)), (2, Quantite(4))],
            "fusionnées et triées par identifiant"
        );
    }

    #[test]
    fn une_fusion_qui_depasse_la_quantite_maximale_est_refusee() {
        let e = DemandeCommande::new(client(), vec![(1, 600), (1, 600)]).unwrap_err();
        assert!(e.contains_key("produits.1.quantite"));
    }

    #[test]
    fn un_produit_inconnu_est_nomme() {
        let d = DemandeCommande::new(client(), vec![(1, 1), (42, 1), (43, 1)]).unwrap();
        assert_eq!(chiffrer(&d, &catalogue()).unwrap_err(), vec![42, 43]);
    }

    #[test]
    fn une_adresse_e_mail_doit_etre_complete() {
        assert!(Email::try_from(" client@example.com ".to_owned()).is_ok());
        for mauvaise in [
            "",
            "client",
            "client@",
            "@example.com",
            "client@example",
            "a b@c.ch",
        ] {
            assert!(Email::try_from(mauvaise.to_owned()).is_err(), "{mauvaise}");
        }
    }

    #[test]
    fn une_adresse_e_mail_est_normalisee() {
        let e = Email::try_from("  Jean.Dupont@Exemple.CH ".to_owned()).unwrap();
        assert_eq!(e.as_str(), "Jean.Dupont@exemple.ch");
    }

    #[test]
    fn un_nom_affiche_ou_un_domaine_litteral_sont_refuses_en_le_disant() {
        let e = Email::try_from("N'importe <x@y.ch>".to_owned()).unwrap_err();
        assert!(
            e.contains("« N'importe <x@y.ch> »") && e.contains("sans nom"),
            "{e}"
        );
        let e = Email::try_from("a@[10.0.0.1]".to_owned()).unwrap_err();
        assert!(e.contains("crochets"), "{e}");
        let e = Email::try_from(format!("{}@b.ch", "a".repeat(300))).unwrap_err();
        assert_eq!(e, "l'adresse e-mail dépasse 254 caractères");
    }

    #[test]
    fn une_quantite_est_entre_1_et_1000() {
        assert!(Quantite::try_from(0).is_err());
        assert!(Quantite::try_from(1).is_ok());
        assert!(Quantite::try_from(1000).is_ok());
        assert!(Quantite::try_from(1001).is_err());
    }

    #[test]
    fn la_meme_demande_a_la_meme_empreinte() {
        let a = DemandeCommande::new(client(), vec![(2, 1), (1, 1)]).unwrap();
        let b = DemandeCommande::new(client(), vec![(1, 1), (2, 1)]).unwrap();
        let c = DemandeCommande::new(client(), vec![(1, 2), (2, 1)]).unwrap();
        assert_eq!(a.empreinte(), b.empreinte());
        assert_ne!(a.empreinte(), c.empreinte());
    }

    #[test]
    fn l_empreinte_tient_compte_du_nom_et_de_l_adresse() {
        let a = DemandeCommande::new(client(), vec![(1, 1)]).unwrap();
        let mut autre = client();
        autre.nom = Nom::try_from("Grace Hopper").unwrap();
        let b = DemandeCommande::new(autre, vec![(1, 1)]).unwrap();
        let mut ailleurs = client();
        ailleurs.adresse =
            AdresseLivraison::new(Some("Rue du Lac 12"), Some("1004"), Some("Lausanne")).unwrap();
        let c = DemandeCommande::new(ailleurs, vec![(1, 1)]).unwrap();
        assert_ne!(a.empreinte(), b.empreinte());
        assert_ne!(a.empreinte(), c.empreinte());
        // A separator inside a field cannot make two different requests look alike.
        let mut x = client();
        x.nom = Nom::try_from("A|B").unwrap();
        let mut y = client();
        y.nom = Nom::try_from("A").unwrap();
        let x = DemandeCommande::new(x, vec![(1, 1)]).unwrap();
        let y = DemandeCommande::new(y, vec![(1, 1)]).unwrap();
        assert_ne!(x.empreinte(), y.empreinte());
    }

    #[test]
    fn un_nom_est_coupe_de_ses_espaces_et_borne_a_100_caracteres() {
        assert_eq!(Nom::try_from("  Ada  ").unwrap().as_str(), "Ada");
        assert!(Nom::try_from("   ").is_err());
        assert!(Nom::try_from("é".repeat(100).as_str()).is_ok());
        let e = Nom::try_from("é".repeat(101).as_str()).unwrap_err();
        assert!(e.contains("100"), "{e}");
        assert!(Nom::try_from("Ada\nLovelace").is_err());
    }

    #[test]
    fn un_npa_compte_quatre_chiffres_de_1000_a_9999() {
        for bon in ["1000", "1003", "9999"] {
            assert!(Npa::try_from(bon).is_ok(), "{bon}");
        }
        for mauvais in [
            "",
            "999",
            "0999",
            "10000",
            "1 00",
            " 1003",
            "12a4",
            "１２３４",
        ] {
            assert!(Npa::try_from(mauvais).is_err(), "{mauvais}");
        }
    }

    #[test]
    fn chaque_partie_fautive_de_l_adresse_est_nommee() {
        let e = AdresseLivraison::new(None, Some("12"), Some(&"x".repeat(101))).unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            ["adresse.localite", "adresse.npa", "adresse.rue"]
        );
        let e =
            AdresseLivraison::new(Some(&"r".repeat(201)), Some("1003"), Some("Bex")).unwrap_err();
        assert!(e["adresse.rue"].contains("200"), "{e:?}");
        let a = AdresseLivraison::new(Some(" Rue 1 "), Some("1880"), Some(" Bex ")).unwrap();
        assert_eq!(a.adresse().rue, "Rue 1");
        assert_eq!(a.adresse().localite, "Bex");
    }

    #[test]
    fn le_client_annule_une_commande_a_payer_ou_confirmee_la_boutique_aussi_en_attente() {
        use StatutCommande::*;
        let annulables = |d: Demandeur| -> Vec<StatutCommande> {
            StatutCommande::TOUS
                .into_iter()
                .filter(|s| d.peut_annuler(*s))
                .collect()
        };
        assert_eq!(annulables(Demandeur::Client), [APayer, Confirmee]);
        assert_eq!(
            annulables(Demandeur::Boutique),
            [EnAttente, APayer, Confirmee]
        );
        assert_eq!(Demandeur::Client.raison(), RaisonAnnulation::Client);
        assert_eq!(Demandeur::Boutique.raison(), RaisonAnnulation::Boutique);
    }

    #[test]
    fn un_envoi_demande_transporteur_et_numero_de_suivi() {
        let e = Envoi::new(None, Some("  ")).unwrap_err();
        assert_eq!(
            e.keys().collect::<Vec<_>>(),
            ["numero_suivi", "transporteur"]
        );
        let envoi = Envoi::new(Some(" La Poste "), Some("99.00.1")).unwrap();
        assert_eq!(envoi.transporteur, "La Poste");
    }
}
