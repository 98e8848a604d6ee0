//! SQL access to the catalogue (compile-checked queries; offline data in `.sqlx/`).

use anyhow::Context;
use sqlx::PgPool;

use crate::domaine::{
    Ajustement, Filtre, ModificationProduit, Modifications, NouveauProduit, Precondition, Produit,
    Refus,
};

/// The `ILIKE` pattern of a search, with the user's `%` and `_` taken literally.
fn motif(f: &Filtre) -> Option<String> {
    f.recherche.as_ref().map(|q| {
        let echappe = q
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        format!("%{echappe}%")
    })
}

/// A page of products and how many match in all, in one query (the count is a window over
/// the matches, computed before LIMIT); a second query counts only for a page past the end.
pub async fn lister(db: &PgPool, f: &Filtre) -> anyhow::Result<(Vec<Produit>, i64)> {
    let motif = motif(f);
    let ids = f.ids.as_deref();
    let lignes = sqlx::query!(
        r#"SELECT id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le,
                  version, count(*) OVER () AS "total!"
           FROM produits
           WHERE ($1::text IS NULL OR nom ILIKE $1 OR description ILIKE $1)
             AND ($2::bigint[] IS NULL OR id = ANY($2))
           ORDER BY id
           LIMIT $3 OFFSET $4"#,
        motif,
        ids,
        f.pagination.par_page,
        f.pagination.decalage(),
    )
    .fetch_all(db)
    .await
    .context("lecture des produits")?;
    let total = match lignes.first() {
        Some(l) => l.total,
        None if f.pagination.decalage() == 0 => 0,
        None => sqlx::query_scalar!(
            r#"SELECT count(*) AS "total!" FROM produits
               WHERE ($1::text IS NULL OR nom ILIKE $1 OR description ILIKE $1)
                 AND ($2::bigint[] IS NULL OR id = ANY($2))"#,
            motif,
            ids,
        )
        .fetch_one(db)
        .await
        .context("comptage des produits")?,
    };
    let produits = lignes
        .into_iter()
        .map(|l| Produit {
            id: l.id,
            nom: l.nom,
            description: l.description,
            prix: l.prix,
            quantite_en_stock: l.quantite_en_stock,
            image_url: l.image_url,
            cree_le: l.cree_le,
            modifie_le: l.modifie_le,
            version: l.version,
        })
        .collect();
    Ok((produits, total))
}

pub async fn obtenir(db: &PgPool, id: i64) -> anyhow::Result<Option<Produit>> {
    sqlx::query_as!(
        Produit,
        r#"SELECT id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le,
                  version
           FROM produits WHERE id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
    .context("lecture d'un produit")
}

pub async fn creer(db: impl sqlx::PgExecutor<'_>, p: &NouveauProduit) -> anyhow::Result<Produit> {
    sqlx::query_as!(
        Produit,
        r#"INSERT INTO produits (nom, description, prix, quantite_en_stock, image_url)
           VALUES ($1, $2, $3, $4, $5)
           RETURNING id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le,
                     version"#,
        p.nom.as_str(),
        p.description.as_str(),
        p.prix.valeur(),
        p.quantite_en_stock.valeur(),
        p.image_url.as_ref().map(|u| u.as_str()),
    )
    .fetch_one(db)
    .await
    .context("création d'un produit")
}

/// The versions a write accepts, as a SQL parameter: `None` for any (no `If-Match`, or `*`).
fn versions(condition: Option<&Precondition>) -> Option<&[i64]> {
    match condition {
        Some(Precondition::Versions(v)) => Some(v),
        Some(Precondition::Existe) | None => None,
    }
}

/// Why a conditional write touched no row: the product is gone, or its version did not match.
/// No lock needed: a deleted product never comes back, and a version that did not match at
/// the write still does not (versions only grow).
async fn refus(db: &PgPool, id: i64) -> anyhow::Result<Refus> {
    let existe = sqlx::query_scalar!("SELECT version FROM produits WHERE id = $1", id)
        .fetch_optional(db)
        .await
        .context("relecture d'un produit")?;
    Ok(match existe {
        None => Refus::Introuvable,
        Some(_) => Refus::VersionDifferente,
    })
}

/// Full replacement, if the product's version satisfies `condition`.
pub async fn remplacer(
    db: &PgPool,
    id: i64,
    p: &NouveauProduit,
    condition: Option<&Precondition>,
) -> anyhow::Result<Result<Produit, Refus>> {
    let produit = sqlx::query_as!(
        Produit,
        r#"UPDATE produits
           SET nom = $2, description = $3, prix = $4, quantite_en_stock = $5, image_url = $6,
               modifie_le = now()
           WHERE id = $1 AND ($7::bigint[] IS NULL OR version = ANY($7))
           RETURNING id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le,
                     version"#,
        id,
        p.nom.as_str(),
        p.description.as_str(),
        p.prix.valeur(),
        p.quantite_en_stock.valeur(),
        p.image_url.as_ref().map(|u| u.as_str()),
        versions(condition),
    )
    .fetch_optional(db)
    .await
    .context("remplacement d'un produit")?;
    match produit {
        Some(p) => Ok(Ok(p)),
        None => Ok(Err(refus(db, id).await?)),
    }
}

/// Partial update in one statement: `COALESCE` keeps what was not sent. `image_url` needs a
/// flag because "remove the image" (null) and "leave it" (absent) are different requests.
pub async fn modifier(
    db: &PgPool,
    id: i64,
    m: &ModificationProduit,
    condition: Option<&Precondition>,
) -> anyhow::Result<Result<Produit, Refus>> {
    let changer_image = m.image_url.is_some();
    let image = m
        .image_url
        .as_ref()
        .and_then(|i| i.as_ref().map(|u| u.as_str()));
    let produit = sqlx::query_as!(
        Produit,
        r#"UPDATE produits
           SET nom = COALESCE($2, nom),
               description = COALESCE($3, description),
               prix = COALESCE($4, prix),
               quantite_en_stock = COALESCE($5, quantite_en_stock),
               image_url = CASE WHEN $6 THEN $7 ELSE image_url END,
               modifie_le = now()
           WHERE id = $1 AND ($8::bigint[] IS NULL OR version = ANY($8))
           RETURNING id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le,
                     version"#,
        id,
        m.nom.as_ref().map(|n| n.as_str()),
        m.description.as_ref().map(|d| d.as_str()),
        m.prix.map(|p| p.valeur()),
        m.quantite_en_stock.map(|s| s.valeur()),
        changer_image,
        image,
        versions(condition),
    )
    .fetch_optional(db)
    .await
    .context("modification d'un produit")?;
    match produit {
        Some(p) => Ok(Ok(p)),
        None => Ok(Err(refus(db, id).await?)),
    }
}

/// Adds `a.delta` to the stock, if the version satisfies `condition` and the stock stays
/// within bounds, and records why in `mouvements_stock`; one transaction. The row is locked
/// first: unlike a version, "enough stock" can become true again, so the check and the write
/// must see the same row.
pub async fn ajuster_stock(
    db: &PgPool,
    id: i64,
    a: &Ajustement,
    condition: Option<&Precondition>,
) -> anyhow::Result<Result<Produit, Refus>> {
    let mut tx = db.begin().await.context("transaction d'ajustement")?;
    let courant = sqlx::query!(
        "SELECT version, quantite_en_stock FROM produits WHERE id = $1 FOR UPDATE",
        id
    )
    .fetch_optional(&mut *tx)
    .await
    .context("verrouillage du produit")?;
    let Some(courant) = courant else {
        return Ok(Err(Refus::Introuvable));
    };
    if condition.is_some_and(|c| !c.accepte(courant.version)) {
        return Ok(Err(Refus::VersionDifferente));
    }
    let stock = match a.appliquer(courant.quantite_en_stock) {
        Ok(s) => s,
        Err(r) => return Ok(Err(r)),
    };
    let produit = sqlx::query_as!(
        Produit,
        r#"UPDATE produits SET quantite_en_stock = $2, modifie_le = now()
           WHERE id = $1
           RETURNING id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le,
                     version"#,
        id,
        stock.valeur(),
    )
    .fetch_one(&mut *tx)
    .await
    .context("ajustement du stock")?;
    sqlx::query!(
        r#"INSERT INTO mouvements_stock (produit_id, delta, raison, stock_apres, version_apres)
           VALUES ($1, $2, $3, $4, $5)"#,
        id,
        a.delta.valeur(),
        a.raison.as_str(),
        produit.quantite_en_stock,
        produit.version,
    )
    .execute(&mut *tx)
    .await
    .context("journal des mouvements de stock")?;
    tx.commit().await.context("validation de l'ajustement")?;
    Ok(Ok(produit))
}

/// Deletes a product, if its version satisfies `condition`.
pub async fn supprimer(
    db: &PgPool,
    id: i64,
    condition: Option<&Precondition>,
) -> anyhow::Result<Result<(), Refus>> {
    let r = sqlx::query!(
        "DELETE FROM produits WHERE id = $1 AND ($2::bigint[] IS NULL OR version = ANY($2))",
        id,
        versions(condition),
    )
    .execute(db)
    .await
    .context("suppression d'un produit")?;
    if r.rows_affected() > 0 {
        Ok(Ok(()))
    } else {
        Ok(Err(refus(db, id).await?))
    }
}

/// What was committed since `depuis` (a snapshot this function returned before; `None` the
/// first time: nothing, only a snapshot to start from). A row is new when the transaction
/// that wrote it (`ecrit_par`) had not committed when `depuis` was taken; the snapshot
/// returned is the one this statement read with, so a commit it did not see is seen next time.
/// Rows older than the snapshot's oldest running transaction are skipped on the index.
pub async fn modifications_depuis(
    db: &PgPool,
    depuis: Option<&str>,
) -> anyhow::Result<Modifications> {
    let r = sqlx::query!(
        r#"SELECT pg_current_snapshot()::text AS "instantane!",
                  EXISTS (SELECT 1 FROM catalogue_structure
                          WHERE ecrit_par >= pg_snapshot_xmin($1::text::pg_snapshot)
                            AND NOT pg_visible_in_snapshot(ecrit_par, $1::text::pg_snapshot))
                    AS "structure!",
                  ARRAY(SELECT id FROM produits
                        WHERE ecrit_par >= pg_snapshot_xmin($1::text::pg_snapshot)
                          AND NOT pg_visible_in_snapshot(ecrit_par, $1::text::pg_snapshot)
                        ORDER BY id) AS "produits!""#,
        depuis,
    )
    .fetch_one(db)
    .await
    .context("modifications du catalogue")?;
    Ok(Modifications {
        instantane: r.instantane,
        structure: r.structure,
        produits: r.produits,
    })
}
