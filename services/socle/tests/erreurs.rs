//! The shared error core against a real PostgreSQL: a constraint the database enforces
//! becomes a 409 or a 422 with a JSON body, never a 500.

use axum::response::IntoResponse;
use socle::http::ErreurCommune;
use sqlx::Connection;

/// A connection to the test server's maintenance database, with a temporary table that
/// has a unique key and a check (temporary: nothing outlives the connection).
async fn table_de_test() -> sqlx::PgConnection {
    let serveur = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into());
    let mut c = sqlx::PgConnection::connect(&format!("{serveur}/postgres"))
        .await
        .expect("PostgreSQL de test");
    sqlx::query(
        "CREATE TEMP TABLE essai (
             cle TEXT CONSTRAINT essai_cle_unique UNIQUE,
             quantite INT CONSTRAINT essai_quantite_positive CHECK (quantite >= 0)
         )",
    )
    .execute(&mut c)
    .await
    .unwrap();
    c
}

/// The error an `INSERT` gives, as a depot would return it (with context).
async fn erreur_d_insertion(c: &mut sqlx::PgConnection, cle: &str, quantite: i32) -> ErreurCommune {
    let e = sqlx::query("INSERT INTO essai VALUES ($1, $2)")
        .bind(cle)
        .bind(quantite)
        .execute(&mut *c)
        .await
        .expect_err("l'insertion doit être refusée");
    ErreurCommune::from(anyhow::Error::from(e).context("insertion d'essai"))
}

async fn corps(e: ErreurCommune) -> (u16, serde_json::Value) {
    let r = e.into_response();
    let statut = r.status().as_u16();
    let octets = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
    (statut, serde_json::from_slice(&octets).unwrap())
}

#[tokio::test]
async fn une_cle_unique_deja_prise_donne_un_409_qui_nomme_la_contrainte() {
    let mut c = table_de_test().await;
    sqlx::query("INSERT INTO essai VALUES ('a', 1)")
        .execute(&mut c)
        .await
        .unwrap();
    let e = erreur_d_insertion(&mut c, "a", 1).await;
    assert!(
        matches!(&e, ErreurCommune::Conflit { contrainte } if contrainte == "essai_cle_unique")
    );
    let (statut, json) = corps(e).await;
    assert_eq!(statut, 409);
    assert_eq!(json["code"], "conflit");
}

#[tokio::test]
async fn une_regle_check_enfreinte_donne_un_422_qui_nomme_la_contrainte() {
    let mut c = table_de_test().await;
    let (statut, json) = corps(erreur_d_insertion(&mut c, "b", -1).await).await;
    assert_eq!(statut, 422);
    assert_eq!(json["code"], "validation");
    assert!(
        json["champs"]["essai_quantite_positive"].is_string(),
        "{json}"
    );
}

#[tokio::test]
async fn une_autre_erreur_de_base_reste_une_500_sans_detail() {
    let mut c = table_de_test().await;
    let e = sqlx::query("SELECT * FROM table_qui_n_existe_pas")
        .execute(&mut c)
        .await
        .unwrap_err();
    let (statut, json) = corps(ErreurCommune::from(e)).await;
    assert_eq!(statut, 500);
    assert!(
        !json.to_string().contains("table_qui_n_existe_pas"),
        "{json}"
    );
}
