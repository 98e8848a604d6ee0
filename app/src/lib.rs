//! The storefront's Leptos components, shared by the server (`ssr`) and the browser
//! (`hydrate`). Pages render on the server with their data; browsing works before (and
//! without) the WASM. Leptos runs in islands mode: only the `#[island]` components — cart
//! counter, add to cart, cart and checkout, the order's follow-up (live status, history,
//! payment, cancellation) — are compiled to WASM and hydrated, which keeps the bundle small;
//! moving between pages loads them from the server.
//!
//! # Layout
//! - [`api`]: the one fetch helper (reqwest on the server, gloo-net in the browser) and the
//!   API's types.
//! - [`panier`]: the cart — pure arithmetic, kept in localStorage in the browser.
//! - [`saisie`]: form fields with the API's messages, card and postcode formatting, the
//!   payment attempts' Idempotency-Keys.
//! - [`temps`]: dates in Swiss time, the time left to pay.
//! - [`ilots`]: what the islands share (knowing when they are hydrated).
//! - [`pages`]: catalogue, product, cart and checkout, order (follow-up and payment), 404.
//! - [`shell`] and [`App`]: the HTML document and the (server-side) router.

#![recursion_limit = "256"]

pub mod api;
pub mod ilots;
pub mod pages;
pub mod panier;
pub mod saisie;
pub mod temps;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use pages::{Catalogue, CompteurPanier, PageCommande, PageIntrouvable, PagePanier, PageProduit};

/// The page's Content-Security-Policy, sent by the storefront itself because it holds this
/// response's nonce: Leptos puts it on every script it inlines (the hydration bootstrap,
/// resolved resources), so no inline script runs without it — no `'unsafe-inline'`.
/// `'wasm-unsafe-eval'` lets the WASM module compile. Images: this site, `data:` and any
/// `https:` origin (a product's `image_url` is an https URL or a path of this site).
pub fn politique_de_securite(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; connect-src 'self'; \
         object-src 'none'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
    )
}

/// The whole HTML document, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let (Some(nonce), Some(reponse)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) {
        if let Ok(valeur) = http::HeaderValue::from_str(&politique_de_securite(&nonce)) {
            reponse.insert_header(http::header::CONTENT_SECURITY_POLICY, valeur);
        }
    }
    view! {
        <!DOCTYPE html>
        <html lang="fr">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" type="image/svg+xml" href="/style/favicon.svg"/>
                <HydrationScripts options islands=true/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="style" href="/style/main.css"/>
        <Title text="Boutique 321"/>
        <Router>
            <header class="entete">
                <A href="/" attr:class="logo">"Boutique 321"</A>
                <nav aria-label="Navigation principale">
                    <A href="/panier" attr:class="lien-panier">
                        "Panier "
                        <CompteurPanier/>
                    </A>
                </nav>
            </header>
            <main id="contenu">
                <Routes fallback=|| view! { <PageIntrouvable/> }>
                    <Route path=path!("") view=Catalogue/>
                    <Route path=path!("/produits/:id") view=PageProduit/>
                    <Route path=path!("/panier") view=PagePanier/>
                    <Route path=path!("/commandes/:reference") view=PageCommande/>
                </Routes>
            </main>
            <footer class="pied">"Boutique 321 — projet 321 réécrit en Rust"</footer>
        </Router>
    }
}
