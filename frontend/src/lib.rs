//! The WASM entry point: it only hydrates the `app` crate's components.
//!
//! Empty until the storefront issue lands.
//!
//! # Layout
//! Nothing yet.
