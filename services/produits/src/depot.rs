//! SQL access to the catalogue (compile-checked queries; offline data in `.sqlx/`).

use anyhow::Context;
use sqlx::PgPool;

use crate::domaine::{Filtre, ModificationProduit, NouveauProduit, Produit};

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
                  count(*) OVER () AS "total!"
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
        })
        .collect();
    Ok((produits, total))
}

pub async fn obtenir(db: &PgPool, id: i64) -> anyhow::Result<Option<Produit>> {
    sqlx::query_as!(
        Produit,
        r#"SELECT id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le
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
           RETURNING id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le"#,
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

pub async fn remplacer(
    db: &PgPool,
    id: i64,
    p: &NouveauProduit,
) -> anyhow::Result<Option<Produit>> {
    sqlx::query_as!(
        Produit,
        r#"UPDATE produits
           SET nom = $2, description = $3, prix = $4, quantite_en_stock = $5, image_url = $6,
               modifie_le = now()
           WHERE id = $1
           RETURNING id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le"#,
        id,
        p.nom.as_str(),
        p.description.as_str(),
        p.prix.valeur(),
        p.quantite_en_stock.valeur(),
        p.image_url.as_ref().map(|u| u.as_str()),
    )
    .fetch_optional(db)
    .await
    .context("remplacement d'un produit")
}

/// Partial update in one statement: `COALESCE` keeps what was not sent. `image_url` needs a
/// flag because "remove the image" (null) and "leave it" (absent) are different requests.
pub async fn modifier(
    db: &PgPool,
    id: i64,
    m: &ModificationProduit,
) -> anyhow::Result<Option<Produit>> {
    let changer_image = m.image_url.is_some();
    let image = m
        .image_url
        .as_ref()
        .and_then(|i| i.as_ref().map(|u| u.as_str()));
    sqlx::query_as!(
        Produit,
        r#"UPDATE produits
           SET nom = COALESCE($2, nom),
               description = COALESCE($3, description),
               prix = COALESCE($4, prix),
               quantite_en_stock = COALESCE($5, quantite_en_stock),
               image_url = CASE WHEN $6 THEN $7 ELSE image_url END,
               modifie_le = now()
           WHERE id = $1
           RETURNING id, nom, description, prix, quantite_en_stock, image_url, cree_le, modifie_le"#,
        id,
        m.nom.as_ref().map(|n| n.as_str()),
        m.description.as_ref().map(|d| d.as_str()),
        m.prix.map(|p| p.valeur()),
        m.quantite_en_stock.map(|s| s.valeur()),
        changer_image,
        image,
    )
    .fetch_optional(db)
    .await
    .context("modification d'un produit")
}

/// `true` when a product was deleted.
pub async fn supprimer(db: &PgPool, id: i64) -> anyhow::Result<bool> {
    let r = sqlx::query!("DELETE FROM produits WHERE id = $1", id)
        .execute(db)
        .await
        .context("suppression d'un produit")?;
    Ok(r.rows_affected() > 0)
}
