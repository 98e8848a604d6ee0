//! Logs and traces: human-readable logs by default, one JSON object per line with
//! `LOG_FORMAT=json`; `tracing` spans are OpenTelemetry spans (W3C trace context).
//!
//! The OpenTelemetry layer is always installed, so that every span socle opens (an HTTP
//! request, a consumed batch or message, an outbox publish) has a trace id, written on its
//! log lines (`trace_id`) and carried on: `traceparent` on outgoing HTTP, stored with each
//! outbox row, sent in the AMQP headers. `grep <trace_id>` over the services' logs then
//! follows one order without any trace backend. Spans are *exported* (OTLP over
//! HTTP/protobuf, batched by a background thread) only when `OTEL_EXPORTER_OTLP_ENDPOINT`
//! (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set; the service name is
//! `OTEL_SERVICE_NAME`, else the executable's name; sampling follows `OTEL_TRACES_SAMPLER`
//! and `OTEL_TRACES_SAMPLER_ARG` (default: parent-based, always on). Without an endpoint the
//! provider has no processor: a span costs its ids and nothing is sent or buffered.

use std::collections::HashMap;
use std::sync::OnceLock;

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{SpanContext, TraceContextExt, TracerProvider as _};
use opentelemetry::Context;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracer, SdkTracerProvider};
use opentelemetry_sdk::Resource;
use tracing::Span;
use tracing_opentelemetry::{OpenTelemetryLayer, OpenTelemetrySpanExt};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::registry::LookupSpan;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter, Layer};

/// The W3C header (HTTP) and AMQP header name carrying the trace context.
pub const TRACEPARENT: &str = "traceparent";

static FOURNISSEUR: OnceLock<SdkTracerProvider> = OnceLock::new();

/// Installs the global subscriber once; later calls (several apps in one test binary) are no-ops.
pub fn init(defaut: &str) {
    let filtre = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(defaut))
        // lapin logs a message the broker returned (mandatory publish, no queue) with its
        // payload at WARN: customers' emails and addresses would land in the logs. The relay
        // logs the return itself, without the payload. Holds whatever RUST_LOG says.
        .add_directive(
            "lapin::returned_messages=error"
                .parse()
                .expect("directive de filtre valide"),
        );
    let json = std::env::var("LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // Already installed: keep the first one.
    let _ = tracing_subscriber::registry()
        .with(filtre)
        .with(couche_traces())
        .with(affichage(json, std::io::stdout))
        .try_init();
}

/// The log lines' layer: text, or JSON with the current span's fields (its `trace_id`).
fn affichage<S, W>(json: bool, ecrivain: W) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
    W: for<'w> fmt::MakeWriter<'w> + Send + Sync + 'static,
{
    if json {
        fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(ecrivain)
            .boxed()
    } else {
        fmt::layer().with_writer(ecrivain).boxed()
    }
}

/// The process's OpenTelemetry layer, for [`init`] and for test subscribers: every call
/// shares one tracer provider, made the first time from the environment (see the module).
pub fn couche_traces<S>() -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a> + Send + Sync,
{
    let traceur = fournisseur().tracer("boutique-321");
    let couche: OpenTelemetryLayer<S, SdkTracer> = tracing_opentelemetry::layer()
        .with_tracer(traceur)
        // Threads and source locations are noise on every span; the span names say where.
        .with_threads(false)
        .with_location(false)
        .with_tracked_inactivity(false);
    if export_demande() {
        // Exported: log lines inside a span travel with it (span events).
        couche.boxed()
    } else {
        // Nothing exported: log lines would only be copied into spans nobody reads.
        couche
            .with_filter(tracing_subscriber::filter::filter_fn(|m| m.is_span()))
            .boxed()
    }
}

fn fournisseur() -> &'static SdkTracerProvider {
    FOURNISSEUR.get_or_init(|| {
        let mut ressource = Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            if let Some(nom) = std::env::current_exe()
                .ok()
                .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            {
                ressource = ressource.with_service_name(nom);
            }
        }
        let mut constructeur = SdkTracerProvider::builder().with_resource(ressource.build());
        if export_demande() {
            match opentelemetry_otlp::SpanExporter::builder()
                .with_http()
                .build()
            {
                Ok(exportateur) => constructeur = constructeur.with_batch_exporter(exportateur),
                // Logged once the subscriber exists; the service runs without export.
                Err(e) => eprintln!("export OTLP des traces impossible : {e}"),
            }
        }
        constructeur.build()
    })
}

fn export_demande() -> bool {
    [
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    ]
    .iter()
    .any(|v| std::env::var(v).is_ok_and(|s| !s.trim().is_empty()))
}

/// Sends the spans ended so far to the OTLP endpoint (if any) and waits for it: on a stop,
/// and in tests. Blocking: call it from `spawn_blocking` in async code.
pub fn vider() {
    if let Some(f) = FOURNISSEUR.get() {
        let _ = f.force_flush();
    }
}

/// The trace id of `span` in hex (32 digits), `None` when tracing is not installed.
pub fn trace_id(span: &Span) -> Option<String> {
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    sc.is_valid().then(|| sc.trace_id().to_string())
}

/// Makes `span` a child of `parent` (when valid) and writes its trace id in its `trace_id`
/// field (declared `tracing::field::Empty`), so that its log lines carry it. Call it before
/// the span is first entered: OpenTelemetry fixes a span's parent when it starts.
pub fn rattacher(span: &Span, parent: Option<Context>) {
    if let Some(parent) = parent {
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }
    if let Some(id) = trace_id(span) {
        span.record("trace_id", id.as_str());
    }
}

/// Links `span` to another trace's span (a batch to the messages it holds).
pub fn lier(span: &Span, autre: &Context) {
    let sc: SpanContext = autre.span().span_context().clone();
    if sc.is_valid() {
        span.add_link(sc);
    }
}

/// The context written in a `traceparent` value, if it is one.
pub fn contexte(traceparent: Option<&str>) -> Option<Context> {
    let tp = traceparent?;
    let porteur = Porteur(HashMap::from([(TRACEPARENT.to_owned(), tp.to_owned())]));
    let cx = TraceContextPropagator::new().extract(&porteur);
    cx.span().span_context().is_valid().then_some(cx)
}

/// The context of an HTTP request's `traceparent` header, if valid.
pub fn contexte_http(entetes: &http::HeaderMap) -> Option<Context> {
    contexte(entetes.get(TRACEPARENT).and_then(|v| v.to_str().ok()))
}

/// The `traceparent` of `span`, `None` when it has no valid context.
pub fn traceparent(span: &Span) -> Option<String> {
    let cx = span.context();
    if !cx.span().span_context().is_valid() {
        return None;
    }
    let mut porteur = Porteur(HashMap::new());
    TraceContextPropagator::new().inject_context(&cx, &mut porteur);
    porteur.0.remove(TRACEPARENT)
}

/// The `traceparent` of the current span: what an outgoing request or a new outbox row carries.
pub fn traceparent_courant() -> Option<String> {
    traceparent(&Span::current())
}

struct Porteur(HashMap<String, String>);

impl Extractor for Porteur {
    fn get(&self, cle: &str) -> Option<&str> {
        self.0.get(cle).map(String::as_str)
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(String::as_str).collect()
    }
}

impl Injector for Porteur {
    fn set(&mut self, cle: &str, valeur: String) {
        self.0.insert(cle.to_owned(), valeur);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tracing_subscriber::Registry;

    #[test]
    fn un_traceparent_recu_est_continue_et_transmis() {
        let abonne = Registry::default().with(couche_traces());
        tracing::subscriber::with_default(abonne, || {
            let recu = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            let span = tracing::info_span!("requete", trace_id = tracing::field::Empty);
            rattacher(&span, contexte(Some(recu)));
            assert_eq!(
                trace_id(&span).as_deref(),
                Some("4bf92f3577b34da6a3ce929d0e0e4736")
            );
            let transmis = span.in_scope(traceparent_courant).expect("un contexte");
            assert!(transmis.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
            // A new span id: the child's, not the caller's.
            assert!(!transmis.contains("00f067aa0ba902b7"), "{transmis}");
        });
    }

    /// What the log lines of `json` format say of a line logged in a request's span.
    fn ligne_dans_une_requete(json: bool) -> String {
        let tampon = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let ecrivain = {
            let tampon = tampon.clone();
            move || Tampon(tampon.clone())
        };
        let abonne = Registry::default().with(couche_traces()).with(
            affichage(json, ecrivain).with_filter(tracing_subscriber::filter::LevelFilter::INFO),
        );
        tracing::subscriber::with_default(abonne, || {
            let span = tracing::info_span!("requete", trace_id = tracing::field::Empty);
            rattacher(
                &span,
                contexte(Some(
                    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                )),
            );
            span.in_scope(|| tracing::info!("commande créée"));
        });
        let texte = String::from_utf8(tampon.lock().unwrap().clone()).unwrap();
        texte
    }

    struct Tampon(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Tampon {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn une_ligne_dans_un_span_porte_le_trace_id_en_texte_et_en_json() {
        for json in [false, true] {
            let ligne = ligne_dans_une_requete(json);
            assert!(ligne.contains("commande créée"), "{ligne}");
            assert!(
                ligne.contains("0af7651916cd43dd8448eb211c80319c"),
                "json={json} : {ligne}"
            );
        }
    }

    #[test]
    fn un_traceparent_invalide_est_ignore() {
        assert!(contexte(Some("n'importe quoi")).is_none());
        assert!(contexte(None).is_none());
    }
}
