//! Prometheus metrics: one recorder per process, `GET /metrics`, the HTTP layer that counts
//! requests by route template, the database pool and outbox gauges read at scrape time, and
//! the names of what the consumer loop ([`crate::amqp`]) and the services count.
//!
//! Metrics go through the `metrics` facade (any crate may record with its macros) and are
//! rendered by `metrics-exporter-prometheus`. Series are labelled by what is bounded only: the
//! route *template* (`/api/produits/{id}`, never `/api/produits/7`), a known method, a status;
//! which service they come from is the scrape's `job` label.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use http::header::CONTENT_TYPE;
use http::Method;
use metrics::Unit;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;

/// Counter of answered requests: labels `route`, `methode`, `statut`.
pub const REQUETES: &str = "http_requetes_total";
/// Histogram of the time to produce a response, in seconds: labels `route`, `methode`.
pub const DUREE: &str = "http_duree_requete_secondes";
/// Gauge of the pool's connections: labels `base`, `etat` (`ouvertes`, `inactives`, `utilisees`).
pub const POOL: &str = "db_pool_connexions";
/// Gauge of the most connections the pool may open: label `base`.
pub const POOL_MAX: &str = "db_pool_connexions_max";
/// Counter of consumed messages by outcome: labels `file` (the queue's name, without the
/// tests' prefix) and `issue`: `traite` (acked), `reessai` (parked for a retry), `poison`
/// (dead-lettered at once), `epuise` (dead-lettered after its last try).
pub const MESSAGES: &str = "amqp_messages_total";
/// Histogram of the messages per batch: label `file`.
pub const LOT_TAILLE: &str = "amqp_lot_messages";
/// Histogram of a batch's handling time (handler and acks), in seconds: label `file`.
pub const LOT_DUREE: &str = "amqp_lot_duree_secondes";
/// Gauge of the outbox rows not yet published: label `base`.
pub const OUTBOX_A_PUBLIER: &str = "outbox_a_publier";
/// Gauge of the age of the oldest unpublished outbox row, in seconds (0 when none): `base`.
pub const OUTBOX_AGE: &str = "outbox_age_plus_ancien_secondes";
/// The `route` of a request no route matched (unknown paths are unbounded: never a label).
pub const ROUTE_INCONNUE: &str = "inconnue";
/// The `methode` of a request whose method is not a standard one (same reason).
pub const METHODE_AUTRE: &str = "AUTRE";

/// Histogram buckets, in seconds: a catalogue read takes milliseconds, the request time limit
/// is 10 s. Without buckets the exporter would render a summary, which cannot be aggregated
/// across instances nor give a p99 per service.
const SEUILS_SECONDES: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Batch sizes: up to the largest prefetch a service uses.
const SEUILS_LOT: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// How often histogram samples are folded into their buckets (the exporter keeps raw samples
/// until then: without it, a service nobody scrapes would grow without bound).
const ENTRETIEN: Duration = Duration::from_secs(5);

static POIGNEE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process's recorder the first time, and returns it every time.
///
/// A global recorder can be installed only once per process, while tests start several
/// services in one process: every service shares this one, which is what Prometheus sees
/// in production too (one process, one service).
pub fn installer() -> &'static PrometheusHandle {
    POIGNEE.get_or_init(|| {
        let enregistreur = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Full(DUREE.into()), SEUILS_SECONDES)
            .and_then(|b| {
                b.set_buckets_for_metric(Matcher::Full(LOT_DUREE.into()), SEUILS_SECONDES)
            })
            .and_then(|b| b.set_buckets_for_metric(Matcher::Full(LOT_TAILLE.into()), SEUILS_LOT))
            .expect("les seuils de l'histogramme ne sont pas vides")
            .build_recorder();
        let poignee = enregistreur.handle();
        if let Err(e) = metrics::set_global_recorder(enregistreur) {
            // Someone else's recorder (an embedding program): theirs receives our metrics.
            tracing::warn!(erreur = %e, "un enregistreur de métriques est déjà installé");
        }
        metrics::describe_counter!(REQUETES, "Requêtes HTTP terminées");
        metrics::describe_histogram!(DUREE, Unit::Seconds, "Temps mis à produire la réponse HTTP");
        metrics::describe_gauge!(POOL, "Connexions du pool PostgreSQL, par état");
        metrics::describe_gauge!(POOL_MAX, "Connexions que le pool PostgreSQL peut ouvrir");
        metrics::describe_counter!(MESSAGES, "Messages consommés, par file et par issue");
        metrics::describe_histogram!(LOT_TAILLE, "Messages par lot consommé");
        metrics::describe_histogram!(
            LOT_DUREE,
            Unit::Seconds,
            "Temps de traitement d'un lot, acquittements compris"
        );
        metrics::describe_gauge!(
            OUTBOX_A_PUBLIER,
            "Événements de l'outbox pas encore publiés"
        );
        metrics::describe_gauge!(
            OUTBOX_AGE,
            Unit::Seconds,
            "Âge du plus ancien événement non publié de l'outbox"
        );
        // A thread rather than a task: the first service of a test process may run on a
        // runtime that ends with its test.
        let entretien = poignee.clone();
        std::thread::Builder::new()
            .name("metriques-entretien".into())
            .spawn(move || loop {
                std::thread::sleep(ENTRETIEN);
                entretien.run_upkeep();
            })
            .expect("fil d'entretien des métriques");
        poignee
    })
}

/// `GET /metrics` in Prometheus' text format; with `db`, the pool's gauges are read first,
/// so they are as of the scrape.
pub fn router(db: Option<PgPool>) -> Router {
    installer();
    Router::new().route("/metrics", get(exposer)).with_state(db)
}

async fn exposer(State(db): State<Option<PgPool>>) -> Response {
    if let Some(db) = &db {
        relever_pool(db);
        relever_outbox(db).await;
    }
    (
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        installer().render(),
    )
        .into_response()
}

/// Several pools share a process in tests: the database name tells them apart.
fn nom_de_base(db: &PgPool) -> String {
    db.connect_options()
        .get_database()
        .unwrap_or("?")
        .to_owned()
}

/// The outbox's backlog, as of the scrape: one query on the partial index of unpublished
/// rows. A database without an outbox (none here today) or a failed query leaves the gauges
/// as they were, and says so at debug level: a scrape never fails for it.
async fn relever_outbox(db: &PgPool) {
    let releve: Result<(i64, f64), _> = sqlx::query_as(
        r#"SELECT count(*), COALESCE(EXTRACT(EPOCH FROM now() - min(cree_le))::float8, 0)
           FROM outbox WHERE publie_le IS NULL"#,
    )
    .fetch_one(db)
    .await;
    match releve {
        Ok((n, age)) => {
            let base = nom_de_base(db);
            metrics::gauge!(OUTBOX_A_PUBLIER, "base" => base.clone()).set(n as f64);
            metrics::gauge!(OUTBOX_AGE, "base" => base).set(age.max(0.0));
        }
        Err(e) => tracing::debug!(erreur = %e, "outbox illisible pour les métriques"),
    }
}

fn relever_pool(db: &PgPool) {
    let base = nom_de_base(db);
    let ouvertes = db.size();
    let inactives = u32::try_from(db.num_idle()).unwrap_or(u32::MAX);
    for (etat, n) in [
        ("ouvertes", ouvertes),
        ("inactives", inactives),
        ("utilisees", ouvertes.saturating_sub(inactives)),
    ] {
        metrics::gauge!(POOL, "base" => base.clone(), "etat" => etat).set(f64::from(n));
    }
    metrics::gauge!(POOL_MAX, "base" => base).set(f64::from(db.options().get_max_connections()));
}

/// Middleware counting each request and timing its response, under its route template.
/// Must run inside the router (`Router::layer`), where axum has set [`MatchedPath`].
pub async fn mesurer(req: Request, next: Next) -> Response {
    let debut = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(ROUTE_INCONNUE, MatchedPath::as_str)
        .to_owned();
    let methode = methode(req.method());
    let reponse = next.run(req).await;
    let statut = reponse.status().as_u16().to_string();
    metrics::histogram!(DUREE, "route" => route.clone(), "methode" => methode)
        .record(debut.elapsed().as_secs_f64());
    metrics::counter!(REQUETES, "route" => route, "methode" => methode, "statut" => statut)
        .increment(1);
    reponse
}

fn methode(m: &Method) -> &'static str {
    match *m {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => METHODE_AUTRE,
    }
}
