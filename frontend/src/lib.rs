//! The WASM entry point: it only hydrates the `app` crate's server-rendered page.
//!
//! # Layout
//! - [`hydrate`]: called by the script `HydrationScripts` puts in the page.

#![recursion_limit = "256"]

use wasm_bindgen::prelude::wasm_bindgen;

/// Attaches the app to the HTML the server rendered.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}
