//! What every island shares: knowing when it has been hydrated.
//!
//! The storefront runs in Leptos' islands mode: pages are rendered on the server only, and
//! just the interactive parts (cart counter, add to cart, cart and checkout, the order's
//! follow-up with its payment form) are `#[island]`s compiled to WASM. An island's first
//! render in the browser must match the HTML the server sent, which knows nothing of the
//! browser's localStorage (nor of the browser's clock); so browser-only state is shown once
//! [`hydratation`] turns true, right after the island has been attached.

use leptos::prelude::*;

/// A signal that turns `true` once the calling island is hydrated (never on the server).
///
/// When every island of the page has got there, `<body>` gets `data-hydrate="ok"`: the
/// browser tests wait for it before they click.
pub fn hydratation() -> ReadSignal<bool> {
    let (pret, regler) = signal(false);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        regler.set(true);
        marquer_le_document();
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = regler;
    pret
}

#[cfg(feature = "hydrate")]
fn marquer_le_document() {
    use std::cell::Cell;
    thread_local! {
        static HYDRATES: Cell<u32> = const { Cell::new(0) };
    }
    let n = HYDRATES.with(|h| {
        h.set(h.get() + 1);
        h.get()
    });
    let document = document();
    let total = document
        .query_selector_all("leptos-island")
        .map(|l| l.length())
        .unwrap_or(0);
    if n >= total {
        if let Some(corps) = document.body() {
            let _ = corps.set_attribute("data-hydrate", "ok");
        }
    }
}
