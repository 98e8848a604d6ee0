//! The status changes of an order, in SQL. Each one is guarded by the status it leaves
//! (`WHERE statut = …`) and writes its history entry in the same statement, so that a
//! duplicate, late or concurrent attempt changes nothing; each returns the orders it moved,
//! for the caller to announce (in the same transaction).
//!
//! The caller holds the rows first ([`verrouiller`], [`verrouiller_par_reference`]; the
//! expiry scan claims its own with `SKIP LOCKED`), so the status it read stays true until it
//! commits, and two transactions never wait for each other in opposite orders.

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use contrats::http::{RaisonAnnulation, StatutCommande};
use sqlx::PgConnection;
use uuid::Uuid;

use super::lire_statut;
use crate::domaine::{Envoi, PaiementCapture};

/// An order named by an event: its id and reference (both must match).
pub type Cible = (i64, Uuid);

fn separer(cibles: &[Cible]) -> (Vec<i64>, Vec<Uuid>) {
    cibles.iter().copied().unzip()
}

/// Records the event ids in the inbox (`evenements_traites`, socle's table), in id order;
/// returns those seen for the first time. The others were applied before: skipped.
pub async fn marquer_traites(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> anyhow::Result<HashSet<Uuid>> {
    let nouveaux = sqlx::query_scalar!(
        r#"INSERT INTO evenements_traites (id_evenement)
           SELECT DISTINCT id FROM UNNEST($1::uuid[]) AS id ORDER BY id
           ON CONFLICT DO NOTHING
           RETURNING id_evenement"#,
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("inbox des événements")?;
    Ok(nouveaux.into_iter().collect())
}

/// Locks the listed orders' rows, in id order (the same order in every transaction: no
/// deadlock between replicas handling the same orders).
pub async fn verrouiller(conn: &mut PgConnection, ids: &[i64]) -> anyhow::Result<()> {
    sqlx::query_scalar!(
        "SELECT id FROM commandes WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        ids
    )
    .fetch_all(&mut *conn)
    .await
    .context("verrouillage des commandes")?;
    Ok(())
}

/// Locks one order by its reference; its id and status, `None` if unknown.
pub async fn verrouiller_par_reference(
    conn: &mut PgConnection,
    reference: Uuid,
) -> anyhow::Result<Option<(i64, StatutCommande)>> {
    let ligne = sqlx::query!(
        "SELECT id, statut FROM commandes WHERE reference = $1 FOR UPDATE",
        reference
    )
    .fetch_optional(&mut *conn)
    .await
    .context("verrouillage d'une commande")?;
    ligne
        .map(|l| Ok((l.id, lire_statut(&l.statut)?)))
        .transpose()
}

/// Stock reserved: `en_attente` → `a_payer`, payable until now + `delai`.
pub async fn reserver(
    conn: &mut PgConnection,
    cibles: &[Cible],
    delai: Duration,
) -> anyhow::Result<Vec<i64>> {
    let (ids, references) = separer(cibles);
    sqlx::query_scalar!(
        r#"WITH m AS (
               UPDATE commandes AS c
               SET statut = 'a_payer', echeance_paiement = now() + make_interval(secs => $3),
                   modifie_le = now()
               FROM UNNEST($1::bigint[], $2::uuid[]) AS d(id, reference)
               WHERE c.id = d.id AND c.reference = d.reference AND c.statut = 'en_attente'
               RETURNING c.id
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut)
               SELECT id, 'a_payer', 'a_payer' FROM m
           )
           SELECT id AS "id!" FROM m"#,
        &ids,
        &references,
        delai.as_secs_f64(),
    )
    .fetch_all(&mut *conn)
    .await
    .context("réservation confirmée")
}

/// Among `cibles`, the orders the shop cancelled while `en_attente` (they never reached
/// `a_payer`): a reservation that arrives for them now must be given back.
pub async fn annulees_avant_reservation(
    conn: &mut PgConnection,
    cibles: &[Cible],
) -> anyhow::Result<Vec<i64>> {
    let (ids, references) = separer(cibles);
    sqlx::query_scalar!(
        r#"SELECT c.id FROM commandes AS c
           JOIN UNNEST($1::bigint[], $2::uuid[]) AS d(id, reference)
             ON c.id = d.id AND c.reference = d.reference
           WHERE c.statut = 'annulee' AND c.raison_annulation = 'boutique'
             AND NOT EXISTS (SELECT 1 FROM historique_commandes AS h
                             WHERE h.commande_id = c.id AND h.etape = 'a_payer')"#,
        &ids,
        &references,
    )
    .fetch_all(&mut *conn)
    .await
    .context("réservations tardives")
}

/// Stock refused: `en_attente` → `annulee` (stock).
pub async fn refuser_stock(conn: &mut PgConnection, cibles: &[Cible]) -> anyhow::Result<Vec<i64>> {
    let (ids, references) = separer(cibles);
    sqlx::query_scalar!(
        r#"WITH m AS (
               UPDATE commandes AS c
               SET statut = 'annulee', raison_annulation = 'stock', modifie_le = now()
               FROM UNNEST($1::bigint[], $2::uuid[]) AS d(id, reference)
               WHERE c.id = d.id AND c.reference = d.reference AND c.statut = 'en_attente'
               RETURNING c.id
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut, raison)
               SELECT id, 'annulee', 'annulee', 'stock' FROM m
           )
           SELECT id AS "id!" FROM m"#,
        &ids,
        &references,
    )
    .fetch_all(&mut *conn)
    .await
    .context("refus du stock")
}

/// A card declined while the order is `a_payer`: one `paiement_refuse` entry per attempt
/// (the status stays); returns `(order, attempt)` for each entry written.
pub async fn refuser_paiement(
    conn: &mut PgConnection,
    refus: &[(i64, Uuid, Uuid)],
) -> anyhow::Result<Vec<(i64, Uuid)>> {
    let ids: Vec<i64> = refus.iter().map(|r| r.0).collect();
    let references: Vec<Uuid> = refus.iter().map(|r| r.1).collect();
    let paiements: Vec<Uuid> = refus.iter().map(|r| r.2).collect();
    let lignes = sqlx::query!(
        r#"INSERT INTO historique_commandes (commande_id, etape, statut, id_paiement)
           SELECT c.id, 'paiement_refuse', 'a_payer', d.id_paiement
           FROM commandes AS c
           JOIN UNNEST($1::bigint[], $2::uuid[], $3::uuid[]) AS d(id, reference, id_paiement)
             ON c.id = d.id AND c.reference = d.reference
           WHERE c.statut = 'a_payer'
           ON CONFLICT DO NOTHING
           RETURNING commande_id, id_paiement AS "id_paiement!""#,
        &ids,
        &references,
        &paiements,
    )
    .fetch_all(&mut *conn)
    .await
    .context("refus de paiement")?;
    Ok(lignes
        .into_iter()
        .map(|l| (l.commande_id, l.id_paiement))
        .collect())
}

/// Columns of captured payments, for UNNEST.
struct Colonnes {
    ids: Vec<i64>,
    references: Vec<Uuid>,
    paiements: Vec<Uuid>,
    marques: Vec<String>,
    quatre: Vec<String>,
    montants: Vec<rust_decimal::Decimal>,
    payes_le: Vec<DateTime<Utc>>,
}

fn colonnes(captures: &[PaiementCapture]) -> Colonnes {
    Colonnes {
        ids: captures.iter().map(|p| p.id_commande).collect(),
        references: captures.iter().map(|p| p.reference).collect(),
        paiements: captures.iter().map(|p| p.id_paiement).collect(),
        marques: captures.iter().map(|p| p.marque.clone()).collect(),
        quatre: captures.iter().map(|p| p.quatre_derniers.clone()).collect(),
        montants: captures.iter().map(|p| p.montant).collect(),
        payes_le: captures.iter().map(|p| p.paye_le).collect(),
    }
}

/// Paid: `a_payer` → `confirmee` with its payment, if the amount is the order's total (an
/// order is never confirmed for less: it stays `a_payer`, lapses, and paiements refunds).
pub async fn accepter_paiement(
    conn: &mut PgConnection,
    captures: &[PaiementCapture],
) -> anyhow::Result<Vec<i64>> {
    let c = colonnes(captures);
    sqlx::query_scalar!(
        r#"WITH m AS (
               UPDATE commandes AS c
               SET statut = 'confirmee', id_paiement = d.id_paiement, carte_marque = d.marque,
                   carte_quatre_derniers = d.quatre, paye_le = d.paye_le, modifie_le = now()
               FROM UNNEST($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                           $6::numeric[], $7::timestamptz[])
                    AS d(id, reference, id_paiement, marque, quatre, montant, paye_le)
               WHERE c.id = d.id AND c.reference = d.reference AND c.statut = 'a_payer'
                 AND c.total = d.montant
               RETURNING c.id
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut)
               SELECT id, 'confirmee', 'confirmee' FROM m
           )
           SELECT id AS "id!" FROM m"#,
        &c.ids,
        &c.references,
        &c.paiements,
        &c.marques,
        &c.quatre,
        &c.montants,
        &c.payes_le,
    )
    .fetch_all(&mut *conn)
    .await
    .context("paiement accepté")
}

/// A payment captured after its order was cancelled (expired or cancelled while the card
/// was being charged): recorded on the order, which stays cancelled, so that the refund
/// paiements makes of it can be announced with it. Only the first such payment.
pub async fn noter_paiement_tardif(
    conn: &mut PgConnection,
    captures: &[PaiementCapture],
) -> anyhow::Result<Vec<i64>> {
    let c = colonnes(captures);
    sqlx::query_scalar!(
        r#"UPDATE commandes AS c
           SET id_paiement = d.id_paiement, carte_marque = d.marque,
               carte_quatre_derniers = d.quatre, paye_le = d.paye_le, modifie_le = now()
           FROM UNNEST($1::bigint[], $2::uuid[], $3::uuid[], $4::text[], $5::text[],
                       $6::numeric[], $7::timestamptz[])
                AS d(id, reference, id_paiement, marque, quatre, montant, paye_le)
           WHERE c.id = d.id AND c.reference = d.reference AND c.statut = 'annulee'
             AND c.id_paiement IS NULL
           RETURNING c.id"#,
        &c.ids,
        &c.references,
        &c.paiements,
        &c.marques,
        &c.quatre,
        &c.montants,
        &c.payes_le,
    )
    .fetch_all(&mut *conn)
    .await
    .context("paiement tardif")
}

/// The order's payment refunded: `rembourse_le` set once, `remboursee` entry (the status
/// stays). A refund of another payment than the order's is not the order's business.
pub async fn rembourser(
    conn: &mut PgConnection,
    remboursements: &[(i64, Uuid, Uuid, DateTime<Utc>)],
) -> anyhow::Result<Vec<i64>> {
    let ids: Vec<i64> = remboursements.iter().map(|r| r.0).collect();
    let references: Vec<Uuid> = remboursements.iter().map(|r| r.1).collect();
    let paiements: Vec<Uuid> = remboursements.iter().map(|r| r.2).collect();
    let dates: Vec<DateTime<Utc>> = remboursements.iter().map(|r| r.3).collect();
    sqlx::query_scalar!(
        r#"WITH m AS (
               UPDATE commandes AS c SET rembourse_le = d.le, modifie_le = now()
               FROM UNNEST($1::bigint[], $2::uuid[], $3::uuid[], $4::timestamptz[])
                    AS d(id, reference, id_paiement, le)
               WHERE c.id = d.id AND c.reference = d.reference
                 AND c.id_paiement = d.id_paiement AND c.rembourse_le IS NULL
               RETURNING c.id, c.statut
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut)
               SELECT id, 'remboursee', statut FROM m
           )
           SELECT id AS "id!" FROM m"#,
        &ids,
        &references,
        &paiements,
        &dates,
    )
    .fetch_all(&mut *conn)
    .await
    .context("remboursement")
}

/// Claims up to `lot` orders whose payment deadline has passed and cancels them (expiree).
/// Rows another transaction holds are skipped (`SKIP LOCKED`): scanners on several replicas
/// share the work, and a row being paid right now is left to its payment.
pub async fn expirer(conn: &mut PgConnection, lot: i64) -> anyhow::Result<Vec<i64>> {
    sqlx::query_scalar!(
        r#"WITH dues AS (
               SELECT id FROM commandes
               WHERE statut = 'a_payer' AND echeance_paiement <= now()
               ORDER BY echeance_paiement, id
               LIMIT $1
               FOR UPDATE SKIP LOCKED
           ), m AS (
               UPDATE commandes AS c
               SET statut = 'annulee', raison_annulation = 'expiree', modifie_le = now()
               FROM dues WHERE c.id = dues.id AND c.statut = 'a_payer'
               RETURNING c.id
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut, raison)
               SELECT id, 'annulee', 'annulee', 'expiree' FROM m
           )
           SELECT id AS "id!" FROM m"#,
        lot
    )
    .fetch_all(&mut *conn)
    .await
    .context("expiration des commandes échues")
}

/// Cancels the locked order `id` if it is still `ancien`; whether it moved.
pub async fn annuler(
    conn: &mut PgConnection,
    id: i64,
    ancien: StatutCommande,
    raison: RaisonAnnulation,
) -> anyhow::Result<bool> {
    let n = sqlx::query_scalar!(
        r#"WITH m AS (
               UPDATE commandes SET statut = 'annulee', raison_annulation = $3, modifie_le = now()
               WHERE id = $1 AND statut = $2
               RETURNING id
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut, raison)
               SELECT id, 'annulee', 'annulee', $3 FROM m
           )
           SELECT count(*) AS "n!" FROM m"#,
        id,
        ancien.as_str(),
        raison.as_str(),
    )
    .fetch_one(&mut *conn)
    .await
    .context("annulation")?;
    Ok(n == 1)
}

/// Ships the locked order `id` if it is still `confirmee`; whether it moved.
pub async fn expedier(conn: &mut PgConnection, id: i64, envoi: &Envoi) -> anyhow::Result<bool> {
    let n = sqlx::query_scalar!(
        r#"WITH m AS (
               UPDATE commandes
               SET statut = 'expediee', transporteur = $2, numero_suivi = $3,
                   expediee_le = now(), modifie_le = now()
               WHERE id = $1 AND statut = 'confirmee'
               RETURNING id
           ), h AS (
               INSERT INTO historique_commandes (commande_id, etape, statut)
               SELECT id, 'expediee', 'expediee' FROM m
           )
           SELECT count(*) AS "n!" FROM m"#,
        id,
        envoi.transporteur,
        envoi.numero_suivi,
    )
    .fetch_one(&mut *conn)
    .await
    .context("expédition")?;
    Ok(n == 1)
}
