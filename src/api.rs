//! Server functions: the public HTTP endpoints of the app, one file per area.
//!
//! Each function reads the caller from the request context, asks the policy whether the
//! caller may do this, then calls into `server`. Every function has an explicit endpoint so
//! the browser build and the server build agree on its URL, and is listed in
//! [`registry::ALL`] so the server registers it and the tests can walk them all.

pub mod admin;
pub mod catalog;
pub mod dossiers;
pub mod error;
pub mod filing;
pub mod health;
pub mod intake;
pub mod notifications;
pub mod registry;
pub mod session;
pub mod staff;
pub mod tracking;
pub mod uploads;

pub use error::AppError;
