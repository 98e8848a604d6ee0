//! The demo catalogue, loaded into an empty database when `DEMO_DATA` is on.

use anyhow::Context;
use rust_decimal::Decimal;
use sqlx::PgPool;

use crate::depot;
use crate::domaine::NouveauProduit;

/// (nom, description, prix en centimes, stock, image)
const CATALOGUE: &[(&str, &str, i64, i64, &str)] = &[
    (
        "Lampe de bureau Lugano",
        "Lampe LED orientable, lumière chaude, bras en aluminium.",
        8990,
        25,
        "lampe",
    ),
    (
        "Tasse émaillée Jura",
        "Tasse en acier émaillé de 350 ml, idéale au bureau comme en randonnée.",
        1850,
        120,
        "tasse",
    ),
    (
        "Carnet ligné A5",
        "192 pages de papier 90 g, couverture rigide, ruban marque-page.",
        1490,
        200,
        "carnet",
    ),
    (
        "Stylo plume Léman",
        "Plume acier fine, corps laqué, cartouche bleue fournie.",
        4500,
        40,
        "stylo",
    ),
    (
        "Sac à dos Aletsch 20 L",
        "Toile enduite déperlante, poche ordinateur 15 pouces.",
        12900,
        15,
        "sac",
    ),
    (
        "Gourde isotherme 0,75 L",
        "Inox double paroi : 12 h chaud, 24 h froid.",
        3200,
        60,
        "gourde",
    ),
    (
        "Casque audio Arosa",
        "Casque fermé sans fil, 30 h d'autonomie, réduction de bruit.",
        17900,
        8,
        "casque",
    ),
    (
        "Clavier mécanique Cervin",
        "Disposition suisse romande, switches silencieux, rétroéclairage.",
        14950,
        12,
        "clavier",
    ),
    (
        "Souris ergonomique",
        "Souris verticale sans fil, six boutons, USB-C.",
        5990,
        30,
        "souris",
    ),
    (
        "Plaid en laine Engadine",
        "Laine vierge tissée en Suisse, 130 × 170 cm.",
        9900,
        5,
        "plaid",
    ),
    (
        "Couteau de poche Randonneur",
        "Onze fonctions, lame inox, manche rouge.",
        3990,
        3,
        "couteau",
    ),
    (
        "Chocolat noir 72 % (lot de 3)",
        "Trois tablettes de 100 g, cacao d'Équateur.",
        1290,
        0,
        "chocolat",
    ),
];

/// Inserts the demo catalogue if the table is empty. Replicas starting together take an
/// advisory lock so the catalogue is loaded once.
pub async fn charger_si_vide(db: &PgPool) -> anyhow::Result<()> {
    let mut tx = db
        .begin()
        .await
        .context("transaction du catalogue de démo")?;
    sqlx::query!("SELECT pg_advisory_xact_lock(321001)")
        .execute(&mut *tx)
        .await
        .context("verrou du catalogue de démo")?;
    let vide = sqlx::query_scalar!(r#"SELECT NOT EXISTS (SELECT 1 FROM produits) AS "vide!""#)
        .fetch_one(&mut *tx)
        .await
        .context("le catalogue est-il vide ?")?;
    if vide {
        for (nom, description, centimes, stock, image) in CATALOGUE {
            let p = NouveauProduit {
                nom: (*nom).to_owned().try_into().map_err(anyhow::Error::msg)?,
                description: (*description)
                    .to_owned()
                    .try_into()
                    .map_err(anyhow::Error::msg)?,
                prix: Decimal::new(*centimes, 2)
                    .try_into()
                    .map_err(anyhow::Error::msg)?,
                quantite_en_stock: (*stock).try_into().map_err(anyhow::Error::msg)?,
                image_url: Some(
                    format!("/images/produits/{image}.svg")
                        .try_into()
                        .map_err(anyhow::Error::msg)?,
                ),
            };
            depot::creer(&mut *tx, &p).await?;
        }
        tracing::info!(produits = CATALOGUE.len(), "catalogue de démo chargé");
    }
    tx.commit()
        .await
        .context("validation du catalogue de démo")?;
    Ok(())
}
