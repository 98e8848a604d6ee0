//! Two worker instances on one queue, holding the same outcomes in opposite orders, claim
//! them without deadlocking PostgreSQL, and each outcome is sent exactly once.
//!
//! The interleaving is forced, not hoped for. Transactions of the test's own stand in for a
//! third worker holding claims (uncommitted rows in `emails_envoyes`):
//! - `porte` holds the claims of two gate outcomes `g1`, `g2`. Worker A gets `g1` and blocks
//!   on it; meanwhile `x, p, y` are delivered to it and wait in its consumer. Worker B (A
//!   has no prefetch left) gets `g2`, blocks, then receives `y, p, x`.
//! - `pivot` holds the claim of `p`. Once the gates open, A's next batch is `[x, p, y]` and
//!   B's is `[y, p, x]`. Unsorted, A claims `x` and B claims `y`, and both wait on `p`;
//!   when `pivot` lets go, whichever gets `p` then waits for the other's row while the other
//!   waits for `p`: a deadlock, every time. Sorted, both claim in the same order and one
//!   simply waits for the other.

use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};

use crate::aides::{adresse, attendre, confirmee, Canal, Evenement, Reglages, Travailleur};
use crate::serveur_smtp::ServeurSmtp;

/// Holds the claims of `commandes` in a transaction of its own until dropped (rolled back).
async fn tenir(db: &str, commandes: &[&Evenement]) -> PgConnection {
    let mut c = PgConnection::connect(db).await.unwrap();
    sqlx::query("BEGIN").execute(&mut c).await.unwrap();
    for t in commandes {
        sqlx::query(
            "INSERT INTO emails_envoyes (reference, statut, id_commande, destinataire)
             VALUES ($1, 'confirmee', $2, 'tenu@par-le-test.ch')",
        )
        .bind(t.reference)
        .bind(t.id_commande)
        .execute(&mut c)
        .await
        .unwrap();
    }
    c
}

async fn relacher(mut c: PgConnection) {
    sqlx::query("ROLLBACK").execute(&mut c).await.unwrap();
    c.close().await.unwrap();
}

/// Sessions of the test database waiting on a lock, once there are `n` of them.
async fn attendre_bloques(db: &PgPool, nom: &str, n: i64, quoi: &str) {
    attendre(quoi, || async {
        let bloques: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = $1 AND wait_event_type = 'Lock'",
        )
        .bind(nom)
        .fetch_one(db)
        .await
        .unwrap();
        (bloques == n).then_some(())
    })
    .await;
}

async fn interblocages(db: &PgPool, nom: &str) -> i64 {
    sqlx::query_scalar("SELECT deadlocks FROM pg_stat_database WHERE datname = $1")
        .bind(nom)
        .fetch_one(db)
        .await
        .unwrap()
}

#[tokio::test]
async fn deux_travailleurs_aux_doublons_croises_ne_s_interbloquent_pas() {
    let smtp = ServeurSmtp::demarrer().await;
    let reglages = Reglages {
        // A: the gate and its three outcomes; then it has no room left and B gets the rest.
        prefetch: 4,
        ..Reglages::nouveaux(smtp.port)
    };
    let canal = Canal::ouvrir(&reglages).await;
    let [g1, g2, x, p, y] = ["g1", "g2", "x", "p", "y"].map(|qui| confirmee(&adresse(qui)));
    let nom = reglages.nom_db().to_owned();

    let a = Travailleur::demarrer(&reglages).await;
    // One connection: the only session of the test database that is not a worker's.
    let db = PgPoolOptions::new()
        .max_connections(1)
        .connect(&reglages.db)
        .await
        .unwrap();
    let avant = interblocages(&db, &nom).await;
    attendre("A consomme", || async {
        (canal.etat(&canal.file()).await.1 == 1).then_some(())
    })
    .await;
    let porte = tenir(&reglages.db, &[&g1, &g2]).await;
    let pivot = tenir(&reglages.db, &[&p]).await;

    canal.publier(&g1).await;
    attendre_bloques(&db, &nom, 1, "A bloqué sur g1").await;
    for t in [&x, &p, &y] {
        canal.publier(t).await;
    }
    attendre("x, p, y livrés à A", || async {
        (canal.etat(&canal.file()).await.0 == 0).then_some(())
    })
    .await;

    let b = Travailleur::demarrer(&reglages).await;
    attendre("B consomme", || async {
        (canal.etat(&canal.file()).await.1 == 2).then_some(())
    })
    .await;
    canal.publier(&g2).await;
    attendre_bloques(&db, &nom, 2, "B bloqué sur g2").await;
    for t in [&y, &p, &x] {
        canal.publier(t).await;
    }
    attendre("y, p, x livrés à B", || async {
        (canal.etat(&canal.file()).await.0 == 0).then_some(())
    })
    .await;

    relacher(porte).await;
    smtp.attendre("les courriels des portes", |r| {
        r.recus(&g1.email) == 1 && r.recus(&g2.email) == 1
    })
    .await;
    // Each is now inside its batch of x, p, y, waiting on `pivot` or on the other.
    attendre_bloques(&db, &nom, 2, "A et B bloqués sur p").await;
    relacher(pivot).await;
    smtp.attendre("x, p et y", |r| {
        [&x, &p, &y].iter().all(|t| r.recus(&t.email) >= 1)
    })
    .await;

    a.arreter().await;
    b.arreter().await;
    // Their sessions are gone, so their statistics are flushed (a session reports them at
    // the latest when it ends).
    attendre("les sessions des travailleurs fermées", || async {
        let autres: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        )
        .bind(&nom)
        .fetch_one(&db)
        .await
        .unwrap();
        (autres == 0).then_some(())
    })
    .await;
    assert_eq!(
        interblocages(&db, &nom).await,
        avant,
        "PostgreSQL a détecté un interblocage entre les deux travailleurs"
    );
    smtp.lire(|r| {
        for t in [&g1, &g2, &x, &p, &y] {
            assert_eq!(r.recus(&t.email), 1, "courriels pour {}", t.email);
        }
    });
    assert_eq!(canal.etat(&canal.dlq()).await.0, 0);
}
