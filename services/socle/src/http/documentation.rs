//! What every operation of a service's OpenAPI document may answer whatever its handler does:
//! the shared extractors' 400 (unreadable parameter or JSON), 413 (body too large) and 415
//! (body not JSON), a 503 when the database is unreachable or too slow, a 504 past the
//! request time limit. Schemathesis checks that every status the API answers is documented.

use utoipa::openapi::path::Operation;
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, OpenApi, Ref, RefOr, Response, ResponseBuilder,
};

fn reponse(description: &str, retry_after: bool) -> RefOr<Response> {
    let mut r = ResponseBuilder::new().description(description).content(
        "application/json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("CorpsErreur")))
            .build(),
    );
    if retry_after {
        r = r.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Secondes à attendre avant de réessayer"))
                .build(),
        );
    }
    RefOr::T(r.build())
}

/// Adds the shared layers' answers to every operation of `spec` (the routes' own documents
/// describe what their handlers answer).
pub fn documenter_reponses_communes(spec: &mut OpenApi) {
    for chemin in spec.paths.paths.values_mut() {
        let operations: [&mut Option<Operation>; 5] = [
            &mut chemin.get,
            &mut chemin.post,
            &mut chemin.put,
            &mut chemin.patch,
            &mut chemin.delete,
        ];
        for op in operations.into_iter().flatten() {
            let corps = op.request_body.is_some();
            let parametres = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
            let r = &mut op.responses.responses;
            if corps || parametres {
                r.entry("400".into())
                    .or_insert_with(|| reponse("Paramètre ou corps JSON illisible", false));
            }
            if corps {
                r.entry("413".into())
                    .or_insert_with(|| reponse("Corps de plus de 64 Kio", false));
                r.entry("415".into()).or_insert_with(|| {
                    reponse(
                        "Corps absent ou pas en JSON (Content-Type: application/json)",
                        false,
                    )
                });
            }
            r.entry("503".into()).or_insert_with(|| {
                reponse(
                    "Base de données injoignable ou trop lente : rien n'a été fait, réessayer",
                    true,
                )
            });
            r.entry("504".into()).or_insert_with(|| {
                reponse("Délai de la requête dépassé (REQUEST_TIMEOUT_MS)", false)
            });
        }
    }
}
