//! The Leptos single-page app.

pub mod app;
pub mod components;
pub mod focus;
pub mod i18n;
pub mod live;
pub mod pages;
pub mod routes;
pub mod session;
pub mod unsynced;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub mod upload;

pub use app::App;
