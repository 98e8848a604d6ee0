//! The logs of the services a test runs in-process, kept in memory so that the test can wait
//! for a line: a positive marker (« this message was acked », « the relay gave up ») rather
//! than a sleep followed by « nothing happened ».
//!
//! [`installer`] sets the process's tracing subscriber once: every event at `info` and above,
//! and socle's at `debug` (its consumer logs each concluded batch there), is kept as one line
//! `LEVEL target: message field=value …`. With `TEST_LOG` set, the same events are also
//! printed (`RUST_LOG` filters them, `info,sqlx=warn` by default). Tests of one binary run
//! side by side and share this log: wait for lines carrying names of your own (a broker
//! prefix, a message id). socle's OpenTelemetry layer is installed with it (see
//! `socle::telemetrie`): set `OTEL_EXPORTER_OTLP_ENDPOINT` before the first call to export
//! the spans (to an [`crate::otlp::Recepteur`]).

use std::fmt::Write;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

static LIGNES: Mutex<Vec<String>> = Mutex::new(Vec::new());
static INSTALLE: OnceLock<()> = OnceLock::new();

/// Installs the capturing subscriber (once per process; later calls do nothing).
pub fn installer() {
    INSTALLE.get_or_init(|| {
        let capture = Capture.with_filter(EnvFilter::new("info,socle=debug,sqlx=warn"));
        let affichage = std::env::var("TEST_LOG").is_ok().then(|| {
            let filtre = EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
            tracing_subscriber::fmt::layer()
                .with_test_writer()
                .with_filter(filtre)
        });
        // Someone else's subscriber already installed: their logs are not ours to read.
        // The services' OpenTelemetry layer too: their spans get trace ids (carried on through
        // HTTP, the outbox and the broker), exported if the test set an OTLP endpoint before.
        let _ = tracing_subscriber::registry()
            .with(socle::telemetrie::couche_traces())
            .with(capture)
            .with(affichage)
            .try_init();
    });
}

/// Every line kept so far that contains each of `motifs`.
pub fn lignes(motifs: &[&str]) -> Vec<String> {
    LIGNES
        .lock()
        .unwrap()
        .iter()
        .filter(|l| motifs.iter().all(|m| l.contains(m)))
        .cloned()
        .collect()
}

/// Waits until at least `n` lines contain each of `motifs`; returns them. Panics after
/// `delai`, printing what was looked for.
pub async fn attendre(motifs: &[&str], n: usize, delai: Duration) -> Vec<String> {
    sonder(delai, || {
        let trouvees = lignes(motifs);
        if trouvees.len() >= n {
            Ok(trouvees)
        } else {
            Err(format!(
                "{} ligne(s) du journal sur {n} contiennent {motifs:?}",
                trouvees.len()
            ))
        }
    })
    .await
}

/// Waits until the consumers of queue `file` (its full, prefixed name) have concluded (acked,
/// dead-lettered or parked) `n` deliveries of the message `message_id`. socle logs one
/// `lot conclu` line per batch with every message id of the batch, so two deliveries of one
/// message that share a batch are one line: this counts the id's occurrences, not the lines.
pub async fn attendre_conclus(file: &str, message_id: &str, n: usize, delai: Duration) {
    let file = format!("file={file} ");
    sonder(delai, || {
        let vues: usize = lignes(&["lot conclu", &file])
            .iter()
            .map(|l| l.matches(message_id).count())
            .sum();
        if vues >= n {
            Ok(())
        } else {
            Err(format!(
                "{vues} livraison(s) de {message_id} conclue(s) sur {n} ({file})"
            ))
        }
    })
    .await
}

/// Looks at the kept lines every 20 ms until `essai` says yes; panics with its last answer
/// after `delai`.
async fn sonder<T>(delai: Duration, mut essai: impl FnMut() -> Result<T, String>) -> T {
    assert!(
        INSTALLE.get().is_some(),
        "journal::installer() d'abord : sans lui, aucune ligne n'est gardée"
    );
    let debut = Instant::now();
    loop {
        match essai() {
            Ok(v) => return v,
            Err(raison) => assert!(debut.elapsed() < delai, "{raison}"),
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

struct Capture;

impl<S: Subscriber> Layer<S> for Capture {
    fn on_event(&self, evenement: &Event<'_>, _: Context<'_, S>) {
        let meta = evenement.metadata();
        let mut ligne = Ligne(format!("{} {}:", meta.level(), meta.target()));
        evenement.record(&mut ligne);
        LIGNES.lock().unwrap().push(ligne.0);
    }
}

struct Ligne(String);

impl Visit for Ligne {
    fn record_debug(&mut self, champ: &Field, valeur: &dyn std::fmt::Debug) {
        if champ.name() == "message" {
            let _ = write!(self.0, " {valeur:?}");
        } else {
            let _ = write!(self.0, " {}={valeur:?}", champ.name());
        }
    }

    fn record_str(&mut self, champ: &Field, valeur: &str) {
        let _ = write!(self.0, " {}={valeur}", champ.name());
    }
}
