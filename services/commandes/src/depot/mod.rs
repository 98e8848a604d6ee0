//! SQL access to orders (compile-checked queries; offline data in `.sqlx/`).
//!
//! - here: creating an order (one statement), reading orders whole (header, lines, history).
//! - [`transitions`]: the status changes, each guarded in SQL by the status it leaves.

pub mod transitions;

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use contrats::http::{
    Adresse, EntreeHistorique, Etape, Expedition, PaiementCommande, StatutCommande,
};
use rust_decimal::Decimal;
use socle::pagination::Pagination;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domaine::{CleIdempotence, Commande, Ligne};

/// An order as first created under an Idempotency-Key.
pub struct Existante {
    pub reference: Uuid,
    pub empreinte: String,
}

pub async fn par_cle(db: &PgPool, cle: &CleIdempotence) -> anyhow::Result<Option<Existante>> {
    sqlx::query_as!(
        Existante,
        "SELECT reference, empreinte FROM commandes WHERE cle_idempotence = $1",
        cle.as_str()
    )
    .fetch_optional(db)
    .await
    .context("recherche par clé d'idempotence")
}

/// Writes the order, its lines, its first history entry (`recue`) and its
/// `commande.nouvelle` event in ONE statement (so one implicit transaction and one round
/// trip); `None` when another request with the same Idempotency-Key won the race (nothing is
/// written then).
///
/// `evenement` is the event's compact JSON, built before the database gave the order its id,
/// with `"id_commande":0`: the statement writes the id in its place as it stores the event
/// (text, so the bytes published stay serde_json's).
pub async fn creer(
    db: &PgPool,
    commande: Commande,
    cle: Option<&CleIdempotence>,
    empreinte: &str,
    evenement: (&str, Uuid, String),
) -> anyhow::Result<Option<Commande>> {
    let ids: Vec<i64> = commande.lignes.iter().map(|l| l.produit_id).collect();
    let noms: Vec<String> = commande.lignes.iter().map(|l| l.nom.clone()).collect();
    let prix: Vec<Decimal> = commande.lignes.iter().map(|l| l.prix_unitaire).collect();
    let quantites: Vec<i32> = commande.lignes.iter().map(|l| l.quantite).collect();
    let sous_totaux: Vec<Decimal> = commande.lignes.iter().map(|l| l.sous_total).collect();
    let adresse = commande.adresse.as_ref();
    let (cle_routage, id_evenement, charge) = evenement;
    let entete = sqlx::query!(
        r#"WITH c AS (
               INSERT INTO commandes (reference, email, nom, adresse_rue, adresse_npa,
                                      adresse_localite, total, cle_idempotence, empreinte)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
               ON CONFLICT (cle_idempotence) DO NOTHING
               RETURNING id, statut, cree_le, modifie_le
           ), l AS (
               INSERT INTO lignes_commande (commande_id, produit_id, nom, prix_unitaire, quantite, sous_total)
               SELECT c.id, d.* FROM c,
                   UNNEST($10::bigint[], $11::text[], $12::numeric[], $13::int[], $14::numeric[]) AS d
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut, le)
               SELECT c.id, 'recue', c.statut, c.cree_le FROM c
           ), o AS (
               INSERT INTO outbox (id_evenement, routing_key, charge, traceparent)
               SELECT $15, $16, replace($17::text, '"id_commande":0', '"id_commande":' || c.id), $18 FROM c
           )
           SELECT id AS "id!", statut AS "statut!", cree_le AS "cree_le!", modifie_le AS "modifie_le!"
           FROM c"#,
        commande.reference,
        commande.email,
        commande.nom,
        adresse.map(|a| a.rue.as_str()),
        adresse.map(|a| a.npa.as_str()),
        adresse.map(|a| a.localite.as_str()),
        commande.total,
        cle.map(|c| c.as_str()),
        empreinte,
        &ids,
        &noms,
        &prix,
        &quantites,
        &sous_totaux,
        id_evenement,
        cle_routage,
        charge,
        // The request's trace: the relay publishes the event in it (see socle::outbox).
        socle::telemetrie::traceparent_courant(),
    )
    .fetch_optional(db)
    .await
    .context("insertion d'une commande")?;
    entete
        .map(|e| {
            let statut = lire_statut(&e.statut)?;
            Ok(Commande {
                id_commande: e.id,
                statut,
                historique: vec![EntreeHistorique {
                    etape: Etape::Recue,
                    statut,
                    raison: None,
                    le: e.cree_le,
                }],
                cree_le: e.cree_le,
                modifie_le: e.modifie_le,
                ..commande
            })
        })
        .transpose()
}

/// The status column (text, checked by the table) as the typed status.
fn lire_statut(s: &str) -> anyhow::Result<StatutCommande> {
    s.parse().context("statut enregistré")
}

/// An order's row, every column the API shows.
struct Entete {
    id: i64,
    reference: Uuid,
    email: String,
    nom: Option<String>,
    adresse_rue: Option<String>,
    adresse_npa: Option<String>,
    adresse_localite: Option<String>,
    statut: String,
    raison_annulation: Option<String>,
    echeance_paiement: Option<DateTime<Utc>>,
    id_paiement: Option<Uuid>,
    carte_marque: Option<String>,
    carte_quatre_derniers: Option<String>,
    paye_le: Option<DateTime<Utc>>,
    rembourse_le: Option<DateTime<Utc>>,
    transporteur: Option<String>,
    numero_suivi: Option<String>,
    expediee_le: Option<DateTime<Utc>>,
    total: Decimal,
    cree_le: DateTime<Utc>,
    modifie_le: DateTime<Utc>,
}

struct LigneLue {
    commande_id: i64,
    produit_id: i64,
    nom: String,
    prix_unitaire: Decimal,
    quantite: i32,
    sous_total: Decimal,
}

struct EntreeLue {
    commande_id: i64,
    etape: String,
    statut: String,
    raison: Option<String>,
    le: DateTime<Utc>,
}

/// Whether to read the orders' history too (an event never carries it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Historique {
    Avec,
    Sans,
}

/// Attaches their lines (and history, if asked) to order rows, one query each.
async fn completer(
    conn: &mut PgConnection,
    entetes: Vec<Entete>,
    historique: Historique,
) -> anyhow::Result<Vec<Commande>> {
    let ids: Vec<i64> = entetes.iter().map(|e| e.id).collect();
    let lignes = sqlx::query_as!(
        LigneLue,
        r#"SELECT commande_id, produit_id, nom, prix_unitaire, quantite, sous_total
           FROM lignes_commande WHERE commande_id = ANY($1) ORDER BY commande_id, produit_id"#,
        &ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("lecture des lignes de commande")?;
    let entrees = match historique {
        Historique::Sans => Vec::new(),
        Historique::Avec => sqlx::query_as!(
            EntreeLue,
            r#"SELECT commande_id, etape, statut, raison, le
               FROM historique_commandes WHERE commande_id = ANY($1)
               ORDER BY commande_id, le, id"#,
            &ids
        )
        .fetch_all(&mut *conn)
        .await
        .context("lecture de l'historique des commandes")?,
    };
    let mut lignes_par_commande: HashMap<i64, Vec<Ligne>> = HashMap::new();
    for l in lignes {
        lignes_par_commande
            .entry(l.commande_id)
            .or_default()
            .push(Ligne {
                produit_id: l.produit_id,
                nom: l.nom,
                prix_unitaire: l.prix_unitaire,
                quantite: l.quantite,
                sous_total: l.sous_total,
            });
    }
    let mut historiques: HashMap<i64, Vec<EntreeHistorique>> = HashMap::new();
    for h in entrees {
        historiques
            .entry(h.commande_id)
            .or_default()
            .push(EntreeHistorique {
                etape: h.etape.parse().context("étape enregistrée")?,
                statut: lire_statut(&h.statut)?,
                raison: h
                    .raison
                    .map(|r| r.parse())
                    .transpose()
                    .context("raison enregistrée")?,
                le: h.le,
            });
    }
    entetes
        .into_iter()
        .map(|e| {
            let adresse = match (e.adresse_rue, e.adresse_npa, e.adresse_localite) {
                (Some(rue), Some(npa), Some(localite)) => Some(Adresse { rue, npa, localite }),
                _ => None,
            };
            let paiement = match (
                e.id_paiement,
                e.carte_marque,
                e.carte_quatre_derniers,
                e.paye_le,
            ) {
                (Some(id_paiement), Some(marque), Some(quatre_derniers), Some(paye_le)) => {
                    Some(PaiementCommande {
                        id_paiement,
                        marque,
                        quatre_derniers,
                        paye_le,
                        rembourse_le: e.rembourse_le,
                    })
                }
                _ => None,
            };
            let expedition = match (e.transporteur, e.numero_suivi, e.expediee_le) {
                (Some(transporteur), Some(numero_suivi), Some(expediee_le)) => Some(Expedition {
                    transporteur,
                    numero_suivi,
                    expediee_le,
                }),
                _ => None,
            };
            Ok(Commande {
                id_commande: e.id,
                reference: e.reference,
                email: e.email,
                nom: e.nom,
                adresse,
                statut: lire_statut(&e.statut)?,
                raison_annulation: e
                    .raison_annulation
                    .map(|r| r.parse())
                    .transpose()
                    .context("raison d'annulation enregistrée")?,
                echeance_paiement: e.echeance_paiement,
                paiement,
                expedition,
                total: e.total,
                lignes: lignes_par_commande.remove(&e.id).unwrap_or_default(),
                historique: historiques.remove(&e.id).unwrap_or_default(),
                cree_le: e.cree_le,
                modifie_le: e.modifie_le,
            })
        })
        .collect()
}

pub async fn par_reference(db: &PgPool, reference: Uuid) -> anyhow::Result<Option<Commande>> {
    let mut conn = db.acquire().await.context("connexion à la base")?;
    let entete = sqlx::query_as!(
        Entete,
        r#"SELECT id, reference, email, nom, adresse_rue, adresse_npa, adresse_localite,
                  statut, raison_annulation, echeance_paiement, id_paiement, carte_marque,
                  carte_quatre_derniers, paye_le, rembourse_le, transporteur, numero_suivi,
                  expediee_le, total, cree_le, modifie_le
           FROM commandes WHERE reference = $1"#,
        reference
    )
    .fetch_optional(&mut *conn)
    .await
    .context("lecture d'une commande")?;
    match entete {
        None => Ok(None),
        Some(e) => Ok(completer(&mut conn, vec![e], Historique::Avec).await?.pop()),
    }
}

/// The listed orders in id order (inside a transaction: as it sees them); with their
/// history or not (`historique` then stays empty).
pub async fn charger(
    conn: &mut PgConnection,
    ids: &[i64],
    historique: Historique,
) -> anyhow::Result<Vec<Commande>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let entetes = sqlx::query_as!(
        Entete,
        r#"SELECT id, reference, email, nom, adresse_rue, adresse_npa, adresse_localite,
                  statut, raison_annulation, echeance_paiement, id_paiement, carte_marque,
                  carte_quatre_derniers, paye_le, rembourse_le, transporteur, numero_suivi,
                  expediee_le, total, cree_le, modifie_le
           FROM commandes WHERE id = ANY($1) ORDER BY id"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("lecture des commandes")?;
    completer(conn, entetes, historique).await
}

/// A page of orders, newest first, and the total count.
pub async fn lister(db: &PgPool, p: Pagination) -> anyhow::Result<(Vec<Commande>, i64)> {
    let total = sqlx::query_scalar!(r#"SELECT count(*) AS "total!" FROM commandes"#)
        .fetch_one(db)
        .await
        .context("comptage des commandes")?;
    let entetes = sqlx::query_as!(
        Entete,
        r#"SELECT id, reference, email, nom, adresse_rue, adresse_npa, adresse_localite,
                  statut, raison_annulation, echeance_paiement, id_paiement, carte_marque,
                  carte_quatre_derniers, paye_le, rembourse_le, transporteur, numero_suivi,
                  expediee_le, total, cree_le, modifie_le
           FROM commandes ORDER BY cree_le DESC, id DESC LIMIT $1 OFFSET $2"#,
        p.par_page,
        p.decalage()
    )
    .fetch_all(db)
    .await
    .context("lecture des commandes")?;
    let mut conn = db.acquire().await.context("connexion à la base")?;
    Ok((
        completer(&mut conn, entetes, Historique::Avec).await?,
        total,
    ))
}
