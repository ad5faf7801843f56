//! Every server function, by endpoint path. The server registers exactly these, and the
//! authorization test walks this list: a function missing here is unreachable, and a function
//! listed here without a test in `tests/authorization.rs` fails the suite.

/// How a server function may be called.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (public information).
    Public,
}

/// `(path, access)` for every server function.
pub const ALL: &[(&str, Access)] = &[
    ("/api/catalog/search", Access::Public),
    ("/api/catalog/procedure", Access::Public),
    ("/api/catalog/sectors", Access::Public),
    ("/api/catalog/units", Access::Public),
    ("/api/dossiers/track", Access::Public),
];

/// Registers every server function with the server-function router.
#[cfg(feature = "ssr")]
pub fn register_all() {
    use crate::api::catalog::*;
    use leptos::server_fn::axum::register_explicit;
    register_explicit::<SearchProcedures>();
    register_explicit::<GetProcedure>();
    register_explicit::<ListSectors>();
    register_explicit::<ListUnits>();
    register_explicit::<crate::api::tracking::TrackDossier>();
}
