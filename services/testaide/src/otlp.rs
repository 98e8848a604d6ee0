//! An OTLP receiver for tests: the OpenTelemetry protocol's HTTP/protobuf endpoint
//! (`POST /v1/traces`, the messages of `opentelemetry-proto`), keeping every span the
//! services export so that a test can look at one trace across them.
//!
//! Point the services' exporter at it with `OTEL_EXPORTER_OTLP_ENDPOINT` =
//! [`Recepteur::adresse`] before the tracing subscriber is installed (the first
//! `journal::installer()` of the process).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use axum::Router;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::any_value::Value;
use opentelemetry_proto::tonic::common::v1::KeyValue;
use prost::Message;

/// A span as received, ids in lowercase hex (as in `traceparent`).
#[derive(Debug, Clone)]
pub struct SpanRecu {
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    pub nom: String,
    /// The resource's `service.name`.
    pub service: String,
    /// The span's attributes, as text.
    pub attributs: HashMap<String, String>,
    /// `(trace id, span id)` of each linked span.
    pub liens: Vec<(String, String)>,
}

impl SpanRecu {
    pub fn attribut(&self, cle: &str) -> Option<&str> {
        self.attributs.get(cle).map(String::as_str)
    }
}

pub struct Recepteur {
    port: u16,
    spans: Arc<Mutex<Vec<SpanRecu>>>,
}

impl Recepteur {
    /// Listens on a free loopback port.
    pub async fn demarrer() -> Recepteur {
        let spans = Arc::new(Mutex::new(Vec::new()));
        let ecoute = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("port du récepteur OTLP");
        let port = ecoute.local_addr().unwrap().port();
        let app = Router::new()
            .route("/v1/traces", post(recevoir))
            .with_state(spans.clone());
        // A thread of its own: the exporter of a process outlives any one test's runtime.
        let ecoute = ecoute.into_std().unwrap();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let ecoute = tokio::net::TcpListener::from_std(ecoute).unwrap();
                axum::serve(ecoute, app).await.unwrap();
            });
        });
        Recepteur { port, spans }
    }

    /// The value for `OTEL_EXPORTER_OTLP_ENDPOINT`.
    pub fn adresse(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Every span received so far.
    pub fn spans(&self) -> Vec<SpanRecu> {
        self.spans.lock().unwrap().clone()
    }

    /// Waits until `condition` holds over the spans received (the exporter sends in batches);
    /// returns them. Panics after `delai`, saying what was awaited.
    pub async fn attendre(
        &self,
        quoi: &str,
        delai: Duration,
        condition: impl Fn(&[SpanRecu]) -> bool,
    ) -> Vec<SpanRecu> {
        let debut = Instant::now();
        loop {
            let spans = self.spans();
            if condition(&spans) {
                return spans;
            }
            assert!(
                debut.elapsed() < delai,
                "jamais reçu : {quoi} ({} spans reçus)",
                spans.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn recevoir(
    State(spans): State<Arc<Mutex<Vec<SpanRecu>>>>,
    corps: Bytes,
) -> impl IntoResponse {
    let Ok(demande) = ExportTraceServiceRequest::decode(corps) else {
        return (StatusCode::BAD_REQUEST, Vec::new()).into_response();
    };
    let mut recus = Vec::new();
    for rs in demande.resource_spans {
        let service = rs
            .resource
            .as_ref()
            .and_then(|r| attributs(&r.attributes).remove("service.name"))
            .unwrap_or_default();
        for ss in rs.scope_spans {
            for s in ss.spans {
                recus.push(SpanRecu {
                    trace_id: hex(&s.trace_id),
                    span_id: hex(&s.span_id),
                    parent_span_id: hex(&s.parent_span_id),
                    nom: s.name,
                    service: service.clone(),
                    attributs: attributs(&s.attributes),
                    liens: s
                        .links
                        .iter()
                        .map(|l| (hex(&l.trace_id), hex(&l.span_id)))
                        .collect(),
                });
            }
        }
    }
    spans.lock().unwrap().extend(recus);
    (
        [(header::CONTENT_TYPE, "application/x-protobuf")],
        ExportTraceServiceResponse::default().encode_to_vec(),
    )
        .into_response()
}

fn attributs(kvs: &[KeyValue]) -> HashMap<String, String> {
    kvs.iter()
        .map(|kv| {
            let valeur = match kv.value.as_ref().and_then(|v| v.value.as_ref()) {
                Some(Value::StringValue(s)) => s.clone(),
                Some(Value::BoolValue(b)) => b.to_string(),
                Some(Value::IntValue(i)) => i.to_string(),
                Some(Value::DoubleValue(d)) => d.to_string(),
                Some(autre) => format!("{autre:?}"),
                None => String::new(),
            };
            (kv.key.clone(), valeur)
        })
        .collect()
}

fn hex(octets: &[u8]) -> String {
    octets.iter().map(|o| format!("{o:02x}")).collect()
}
