//! The storefront's Leptos components, shared by the server (`ssr`) and the browser (`hydrate`).
//!
//! Empty until the storefront issue lands; the crate exists so the workspace layout is final.
//!
//! # Layout
//! Nothing yet.
