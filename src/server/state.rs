//! Shared server state, handed to server functions through the Leptos context.

use crate::server::config::Config;
use crate::server::db::Db;
use std::sync::Arc;

/// What every request handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    /// The database (SQLite or PostgreSQL).
    pub db: Db,
    /// Start-up configuration.
    pub config: Arc<Config>,
    /// `index.html` as built by Trunk, with the nonce placeholder still in it.
    pub index_html: Arc<str>,
    /// `forms/index.html`: the same app with the form pages, served for their routes so that
    /// every other page downloads less.
    pub forms_html: Arc<str>,
    /// The OpenID Connect relying party.
    pub oidc: Arc<crate::server::auth::Oidc>,
    /// Attached files.
    pub files: crate::server::uploads::FileStore,
    /// The working-day calendar (office hours and the holiday table, loaded at start-up).
    pub calendar: Arc<crate::domain::calendar::Calendar>,
    /// Notification wake-ups and live streams.
    pub hub: crate::server::notify::Hub,
    /// Now, as server functions, rate limits and the sweeps see it (tests move it forward;
    /// sign-in sessions keep the system clock).
    pub clock: crate::server::clock::Clock,
    /// The health-data service, when configured.
    pub ehr: Option<Arc<crate::server::ehr::Ehr>>,
    /// The national immunisation schedule (`data/immunization-schedule.json`).
    pub schedule: Arc<crate::domain::immunization::Schedule>,
}
