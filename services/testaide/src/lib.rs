//! Test support for the services' integration tests: database names on the shared test
//! server, and checking real responses against a service's OpenAPI document.
//!
//! # Layout
//! - [`base_de_test`]: a fresh, unique database URL per test.
//! - [`broker`], [`broker_via`], [`adresse_broker`]: the test broker (`AMQP_URL`), directly or
//!   through a proxy, with the URL's credentials and virtual host.
//! - [`verifier_spec`]: validates a response body against the spec's schema.
//! - [`proxy`]: a TCP proxy a test can cut (a network failure) or freeze (a broker that
//!   stops answering while the connection stays open).
//! - [`journal`]: the logs of the services under test, kept so that a test can wait for a line.
//! - [`files`]: a queue's ready messages and consumers; taking a message out.
//! - [`otlp`]: an OTLP/HTTP receiver that keeps the spans the services export.
//! - [`prometheus`]: a real Prometheus scraping the services and evaluating alert rules.
//! - [`boite_mail`]: the SMTP catcher (maildev) tests send to and read from.
//! - [`creer_produit`]: a product created through the real produits API.
//! - [`config_service`]: the common settings of a service under test.

pub mod boite_mail;
pub mod files;
pub mod journal;
pub mod otlp;
pub mod prometheus;
pub mod proxy;

use serde_json::Value;
use socle::config::ConfigService;
use socle::http::JetonAdmin;

/// Prefix of every database a test creates; `cargo xtask test` drops them before a run.
pub const PREFIXE_BASES: &str = "test_";

/// The PostgreSQL server tests use (`TEST_POSTGRES_URL`, default the local one).
pub fn serveur_postgres() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432".into())
}

/// A URL naming a database no other test uses (the service creates it at start-up).
pub fn base_de_test(service: &str) -> String {
    format!(
        "{}/{PREFIXE_BASES}{service}_{}",
        serveur_postgres(),
        uuid::Uuid::new_v4().simple()
    )
}

/// The broker tests use (`AMQP_URL`, default the local one). `cargo xtask test` points it at
/// a virtual host it recreates on every run, so nothing tests declare outlives the run.
pub fn broker() -> String {
    std::env::var("AMQP_URL").unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672/%2f".into())
}

/// The same broker reached through `port` on loopback (a [`proxy::Proxy`]): the
/// credentials, virtual host and query of `AMQP_URL` are kept, only the address changes.
pub fn broker_via(port: u16) -> String {
    url_via(&broker(), port)
}

/// The address (`host:port`) of the broker in `AMQP_URL`, for a [`proxy::Proxy`] to forward to.
pub fn adresse_broker() -> String {
    adresse(&broker())
}

fn adresse(url: &str) -> String {
    let (schema, autorite, _) = decouper_url(url);
    let hote = autorite.rsplit_once('@').map_or(autorite, |(_, h)| h);
    let defaut = if schema == "amqps" { 5671 } else { 5672 };
    // A port is what follows the last `:` unless that `:` is inside an IPv6 literal.
    if hote.rsplit_once(':').is_some_and(|(_, p)| !p.contains(']')) {
        hote.to_owned()
    } else {
        format!("{hote}:{defaut}")
    }
}

/// `url` with its host and port replaced by `127.0.0.1:port`.
fn url_via(url: &str, port: u16) -> String {
    let (schema, autorite, reste) = decouper_url(url);
    match autorite.rsplit_once('@') {
        Some((identite, _)) => format!("{schema}://{identite}@127.0.0.1:{port}{reste}"),
        None => format!("{schema}://127.0.0.1:{port}{reste}"),
    }
}

/// `(scheme, authority, the rest: /vhost?query)` of an AMQP URL.
fn decouper_url(url: &str) -> (&str, &str, &str) {
    let (schema, apres) = url.split_once("://").unwrap_or(("amqp", url));
    let fin = apres.find(['/', '?']).unwrap_or(apres.len());
    (schema, &apres[..fin], &apres[fin..])
}

/// A service's common settings for a test: loopback, a free port, `database_url`, the
/// given broker, broker names of its own, `jeton` as admin token. Override a field with
/// `ConfigService { prefetch: 8, ..config_service(…) }`.
pub fn config_service(database_url: String, amqp_url: String, jeton: &str) -> ConfigService {
    ConfigService {
        host: "127.0.0.1".into(),
        port: 0,
        database_url,
        amqp_url,
        max_connexions_db: 5,
        prefixe_broker: format!("test.{}.", uuid::Uuid::new_v4().simple()),
        prefetch: 32,
        jeton_admin: JetonAdmin::new(jeton),
    }
}

/// Creates a product through produits' admin API at `base` (`prix` as written, e.g.
/// `"12.50"`, sent as an exact JSON number); returns its id.
pub async fn creer_produit(
    client: &reqwest::Client,
    base: &str,
    jeton: &str,
    nom: &str,
    prix: &str,
    stock: i64,
) -> i64 {
    let r = client
        .post(format!("{base}/api/produits"))
        .bearer_auth(jeton)
        .json(&serde_json::json!({
            "nom": nom,
            "prix": prix.parse::<serde_json::Number>().unwrap(),
            "quantite_en_stock": stock
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "création du produit {nom}");
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

/// Panics unless `corps` matches the JSON schema the spec gives for
/// `methode chemin → statut` (application/json).
pub fn verifier_spec(spec: &Value, chemin: &str, methode: &str, statut: u16, corps: &Value) {
    let reponse = &spec["paths"][chemin][methode]["responses"][statut.to_string()];
    assert!(
        reponse.is_object(),
        "la spec ne décrit pas {methode} {chemin} → {statut}"
    );
    let mut schema = reponse["content"]["application/json"]["schema"].clone();
    assert!(
        schema.is_object(),
        "pas de schéma pour {methode} {chemin} → {statut}"
    );
    // References point at #/components: put them at the root of the schema document.
    schema["components"] = spec["components"].clone();
    let validateur = jsonschema::validator_for(&schema).expect("schéma compilable");
    let erreurs: Vec<String> = validateur
        .iter_errors(corps)
        .map(|e| e.to_string())
        .collect();
    assert!(
        erreurs.is_empty(),
        "{methode} {chemin} → {statut} ne suit pas la spec : {erreurs:?}\n{corps}"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn le_broker_via_un_proxy_garde_identifiants_vhost_et_parametres() {
        assert_eq!(
            url_via(
                "amqp://alice:s3cret@rabbit.example:5672/boutique-tests",
                4321
            ),
            "amqp://alice:s3cret@127.0.0.1:4321/boutique-tests"
        );
        assert_eq!(
            url_via("amqp://guest:guest@127.0.0.1:5672/%2f?heartbeat=10", 4321),
            "amqp://guest:guest@127.0.0.1:4321/%2f?heartbeat=10"
        );
        // The last `@` ends the credentials, whatever the password holds.
        assert_eq!(
            url_via("amqp://u:p@ss@h/v", 1),
            "amqp://u:p@ss@127.0.0.1:1/v"
        );
        assert_eq!(url_via("amqp://localhost", 9), "amqp://127.0.0.1:9");
    }

    #[test]
    fn l_adresse_du_broker_vient_de_l_url() {
        assert_eq!(adresse("amqp://a:b@rabbit:5673/v"), "rabbit:5673");
        assert_eq!(adresse("amqp://a:b@rabbit/v"), "rabbit:5672");
        assert_eq!(adresse("amqps://[::1]/v"), "[::1]:5671");
        assert_eq!(adresse("amqp://[::1]:5000"), "[::1]:5000");
    }
}
