//! Time limits and a database that goes away: a slow statement, a slow request and a
//! PostgreSQL restart each give the client a JSON 503/504 it can retry, never a 500 or a
//! hung connection.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use commandes::{Application, Config};
use reqwest::Client;
use sqlx::Connection;

use crate::aides::{erreur, JETON};

/// commandes alone (these tests never price an order) on `database_url`.
async fn commandes_sur(database_url: String, delai_requete: Option<Duration>) -> String {
    let config = Config {
        delai_produits: Duration::from_secs(1),
        ..Config::new(
            testaide::config_service(database_url, testaide::broker(), JETON),
            "http://127.0.0.1:1",
        )
    };
    let mut app = Application::build(config).await.expect("commandes");
    if let Some(d) = delai_requete {
        app = app.avec_delai_requete(d);
    }
    let adresse = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());
    adresse
}

/// A transaction holding the orders table: every query of commandes on it waits.
async fn verrouiller(database_url: &str) -> sqlx::PgConnection {
    let mut c = sqlx::PgConnection::connect(database_url).await.unwrap();
    sqlx::raw_sql("BEGIN; LOCK TABLE commandes IN ACCESS EXCLUSIVE MODE")
        .execute(&mut c)
        .await
        .unwrap();
    c
}

#[tokio::test]
async fn une_requete_sql_trop_lente_donne_un_503_json_sans_rester_pendue() {
    let base = testaide::base_de_test("commandes");
    let adresse = commandes_sur(format!("{base}?options=-c%20statement_timeout%3D300"), None).await;
    let _verrou = verrouiller(&base).await;
    let debut = Instant::now();
    let r = Client::new()
        .get(format!("{adresse}/api/commandes/{}", uuid::Uuid::new_v4()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(erreur(r).await["code"], "indisponible");
    assert!(
        debut.elapsed() < Duration::from_secs(4),
        "{:?}",
        debut.elapsed()
    );
}

#[tokio::test]
async fn une_requete_trop_longue_donne_un_504_json_puis_le_service_repond_a_nouveau() {
    let base = testaide::base_de_test("commandes");
    let adresse = commandes_sur(base.clone(), Some(Duration::from_millis(300))).await;
    let url = format!("{adresse}/api/commandes/{}", uuid::Uuid::new_v4());
    let verrou = verrouiller(&base).await;
    let r = Client::new().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 504);
    assert_eq!(erreur(r).await["code"], "delai_depasse");
    verrou.close().await.unwrap();
    let r = Client::new().get(&url).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

/// A PostgreSQL server of this test's own (initdb in a temporary folder), which it can stop
/// and start again. initdb refuses root: the folder belongs to `postgres`.
struct PostgresPrive {
    dossier: PathBuf,
    port: u16,
}

fn binaire_pg(nom: &str) -> PathBuf {
    let versions = std::fs::read_dir("/usr/lib/postgresql").expect("PostgreSQL installé");
    let mut v: Vec<PathBuf> = versions.filter_map(|e| e.ok().map(|e| e.path())).collect();
    v.sort();
    v.pop().unwrap().join("bin").join(nom)
}

fn en_postgres(commande: String) {
    let statut = Command::new("su")
        .args(["postgres", "-c", &commande])
        .status()
        .unwrap();
    assert!(statut.success(), "{commande}");
}

impl PostgresPrive {
    fn nouveau() -> Self {
        let dossier = std::env::temp_dir().join(format!("pg_prive_{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dossier).unwrap();
        Command::new("chown")
            .args(["postgres:postgres", dossier.to_str().unwrap()])
            .status()
            .unwrap();
        en_postgres(format!(
            "{} -D {}/data -U postgres -A trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null",
            binaire_pg("initdb").display(),
            dossier.display()
        ));
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let pg = PostgresPrive { dossier, port };
        pg.demarrer();
        pg
    }

    fn demarrer(&self) {
        en_postgres(format!(
            "{} -D {d}/data -l {d}/pg.log -w -o '-p {} -k {d} -c listen_addresses=127.0.0.1' start >/dev/null",
            binaire_pg("pg_ctl").display(),
            self.port,
            d = self.dossier.display()
        ));
    }

    fn arreter(&self) {
        en_postgres(format!(
            "{} -D {}/data -m fast -w stop >/dev/null",
            binaire_pg("pg_ctl").display(),
            self.dossier.display()
        ));
    }

    fn url(&self, base: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{base}", self.port)
    }
}

impl Drop for PostgresPrive {
    fn drop(&mut self) {
        self.arreter();
        let _ = std::fs::remove_dir_all(&self.dossier);
    }
}

#[tokio::test]
async fn postgresql_redemarre_sous_les_requetes_donne_des_503_jamais_des_500() {
    let pg = PostgresPrive::nouveau();
    let adresse = commandes_sur(pg.url("commandes"), None).await;
    let url = format!("{adresse}/api/commandes/{}", uuid::Uuid::new_v4());
    let client = Client::new();
    let mut statuts = Vec::new();
    let mut corps_503 = None;

    // Until a request sees the database gone (positive marker: a 503), then until one sees it
    // back (a 404 again), requesting all along.
    pg.arreter();
    let limite = Instant::now() + Duration::from_secs(60);
    while corps_503.is_none() {
        assert!(Instant::now() < limite, "jamais de 503 : {statuts:?}");
        let r = client.get(&url).send().await.unwrap();
        statuts.push(r.status().as_u16());
        if r.status() == 503 {
            assert_eq!(r.headers()["retry-after"], "2");
            corps_503 = Some(erreur(r).await);
        }
    }
    pg.demarrer();
    loop {
        assert!(Instant::now() < limite, "jamais revenu : {statuts:?}");
        let r = client.get(&url).send().await.unwrap();
        statuts.push(r.status().as_u16());
        if r.status() == 404 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(corps_503.unwrap()["code"], "indisponible");
    assert!(
        statuts.iter().all(|s| *s == 503 || *s == 404),
        "seulement des 503 puis des 404 : {statuts:?}"
    );
}
