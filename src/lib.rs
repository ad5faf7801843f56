//! Dịch vụ công Hà Nội — the public-service portal of Hà Nội.
//!
//! One crate, two targets: with `csr` it is the Leptos single-page app (wasm, built by Trunk);
//! with `ssr` it is the Axum server that serves that app, its server functions and the database.
//!
//! - [`domain`]: business rules shared by the browser and the server (no I/O).
//! - [`api`]: server functions — the public HTTP endpoints the app calls.
//! - [`ui`]: the Leptos app.
//! - `server` (only with `ssr`): configuration, HTTP, database, seeding.

pub mod api;
pub mod domain;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod server;
