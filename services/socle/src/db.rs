//! Creating a service's PostgreSQL database when missing, opening its pool, and migrating it:
//! first socle's own tables (outbox, inbox: [`MIGRATIONS_SOCLE`]), then the service's.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};

/// Creates the database named in `url` if it does not exist yet, through the `postgres`
/// maintenance database of the same server.
pub async fn creer_si_absente(url: &str) -> anyhow::Result<()> {
    let options = PgConnectOptions::from_str(url).context("DATABASE_URL invalide")?;
    let nom = options
        .get_database()
        .context("DATABASE_URL ne nomme pas de base")?
        .to_owned();
    let mut maintenance = options
        .clone()
        .database("postgres")
        .log_statements(tracing::log::LevelFilter::Trace)
        .connect()
        .await
        .context("connexion à la base de maintenance `postgres`")?;
    let existe: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&nom)
            .fetch_one(&mut maintenance)
            .await
            .context("recherche de la base")?;
    if !existe {
        // The name cannot be a bind parameter; quote it as an identifier.
        let ident = format!("\"{}\"", nom.replace('"', "\"\""));
        if let Err(e) = sqlx::query(&format!("CREATE DATABASE {ident}"))
            .execute(&mut maintenance)
            .await
        {
            // Two services (or test threads) racing to create it is fine.
            let deja = e
                .as_database_error()
                .and_then(|d| d.code())
                .is_some_and(|c| c == "42P04" || c == "23505");
            if !deja {
                return Err(e).context("création de la base");
            }
        }
        tracing::info!(base = %nom, "base créée");
    }
    maintenance.close().await.ok();
    Ok(())
}

/// Longest a statement may run (`DB_STATEMENT_TIMEOUT_MS`, default 5 s) unless the URL sets
/// its own `statement_timeout` (`?options=-c statement_timeout=…`): a query stuck on a lock
/// or a slow plan gives the client a JSON 503 instead of a hung request and a held connection.
pub const DELAI_REQUETE_SQL_MS: u64 = 5_000;

/// Opens a pool of at most `max` connections; fails fast when the server is unreachable.
pub async fn pool(url: &str, max: u32) -> anyhow::Result<PgPool> {
    let mut options = PgConnectOptions::from_str(url)
        .context("DATABASE_URL invalide")?
        .log_statements(tracing::log::LevelFilter::Trace);
    if !url.contains("statement_timeout") {
        let ms = crate::config::valeur("DB_STATEMENT_TIMEOUT_MS", DELAI_REQUETE_SQL_MS)?;
        options = options.options([("statement_timeout", ms.to_string())]);
    }
    PgPoolOptions::new()
        .max_connections(max)
        .acquire_timeout(Duration::from_secs(5))
        .connect_with(options)
        .await
        .context("connexion à PostgreSQL")
}

/// The tables socle's code reads and writes in every service's database (outbox, inbox),
/// versions 1001 and up. A service's own migrations stay below 1000.
pub static MIGRATIONS_SOCLE: Migrator = sqlx::migrate!("./migrations");

/// A service's database, ready: created if missing, pooled, migrated (socle's set, then the
/// service's).
pub async fn ouvrir(url: &str, max: u32, migrations: &Migrator) -> anyhow::Result<PgPool> {
    creer_si_absente(url).await?;
    let db = pool(url, max).await?;
    migrer(&db, migrations).await?;
    Ok(db)
}

/// Runs socle's migrations, then the service's. Both sets record themselves in sqlx's one
/// `_sqlx_migrations` table, so each must ignore the versions of the other (and the
/// service's former outbox migrations, applied on older databases, that socle took over).
pub async fn migrer(db: &PgPool, service: &Migrator) -> anyhow::Result<()> {
    for (nom, lot) in [("socle", &MIGRATIONS_SOCLE), ("service", service)] {
        let migrator = Migrator {
            migrations: lot.migrations.clone(),
            ignore_missing: true,
            locking: true,
            no_tx: false,
        };
        migrator
            .run(db)
            .await
            .with_context(|| format!("migrations ({nom})"))?;
    }
    Ok(())
}
