//! The WASM entry point: it only hydrates the islands of the `app` crate's server-rendered
//! page (each `#[island]` is exported from `app` and attached by Leptos' island script).
//!
//! # Layout
//! - [`hydrate`]: called by the script `HydrationScripts` puts in the page, before the
//!   islands.

#![recursion_limit = "256"]

// Nothing here names an item of `app`; without this the linker would leave the crate, and
// with it every island it exports, out of the bundle.
extern crate app;

use wasm_bindgen::prelude::wasm_bindgen;

/// Sets up the reactive runtime the islands then hydrate into.
#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
