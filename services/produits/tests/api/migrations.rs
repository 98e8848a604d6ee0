//! Databases made before socle owned the outbox and inbox (by produits' former migrations
//! 0003-0004, kept in `avant_socle/` as they were applied) start with today's code and keep
//! their rows; the migrations written since (0005 and up) skip those two numbers.

use crate::aides::config_de_test;

/// A database migrated as the service did before socle took the outbox over: today's
/// 0001-0002 and the two former files, recorded in `_sqlx_migrations` with their checksums.
async fn base_d_avant(url: &str) -> sqlx::PgPool {
    socle::db::creer_si_absente(url).await.unwrap();
    let dossier = std::env::temp_dir().join(format!("avant_socle_{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dossier).unwrap();
    let racine = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in ["0001_creer_produits.sql", "0002_notifier_modifications.sql"] {
        std::fs::copy(racine.join("migrations").join(f), dossier.join(f)).unwrap();
    }
    for f in ["0003_outbox_et_inbox.sql", "0004_outbox_sans_notify.sql"] {
        std::fs::copy(
            racine.join("tests/api/avant_socle").join(f),
            dossier.join(f),
        )
        .unwrap();
    }
    let db = sqlx::PgPool::connect(url).await.unwrap();
    sqlx::migrate::Migrator::new(dossier.as_path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap();
    std::fs::remove_dir_all(&dossier).unwrap();
    db
}

#[tokio::test]
async fn une_base_d_avant_socle_demarre_et_garde_son_outbox_et_son_inbox() {
    let config = config_de_test();
    let db = base_d_avant(&config.service.database_url).await;
    let (evenement, traite) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    sqlx::query(
        "INSERT INTO outbox (id_evenement, routing_key, charge, publie_le)
         VALUES ($1, 'stock.reserve', '{}', now())",
    )
    .bind(evenement)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query("INSERT INTO evenements_traites (id_evenement) VALUES ($1)")
        .bind(traite)
        .execute(&db)
        .await
        .unwrap();

    // Today's service on that database: socle's migration finds the tables and leaves them.
    produits::Application::build(config)
        .await
        .expect("démarrage");

    let (outbox, inbox): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM outbox WHERE id_evenement = $1),
                (SELECT count(*) FROM evenements_traites WHERE id_evenement = $2)",
    )
    .bind(evenement)
    .bind(traite)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!((outbox, inbox), (1, 1));
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(versions, [1, 2, 3, 4, 5, 6, 7, 1001, 1002, 1003]);
}

#[tokio::test]
async fn une_base_neuve_recoit_l_outbox_et_l_inbox_de_socle() {
    let app = crate::aides::spawn_app().await;
    let versions: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations ORDER BY version")
            .fetch_all(&app.db)
            .await
            .unwrap();
    assert_eq!(versions, [1, 2, 5, 6, 7, 1001, 1002, 1003]);
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT tablename::text FROM pg_tables
         WHERE tablename IN ('outbox', 'evenements_traites') ORDER BY tablename",
    )
    .fetch_all(&app.db)
    .await
    .unwrap();
    assert_eq!(tables, ["evenements_traites", "outbox"]);
}
