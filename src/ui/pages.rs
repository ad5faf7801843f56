//! One component per page.

mod admin;
mod catalog;
mod consent;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod console_actions;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod console_dossier;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod console_result;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod dossier;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod dossier_documents;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub(crate) mod filing;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod filing_health;
#[cfg(all(feature = "csr", not(feature = "forms")))]
mod forms_elsewhere;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod health;
mod home;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod intake;
mod login_error;
mod my_dossiers;
mod not_found;
mod notifications;
mod procedure;
mod profile;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod share_viewer;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod staff;
mod track;

pub use admin::AdminPage;
pub use catalog::CatalogPage;
pub use consent::ConsentPage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use console_dossier::StaffDossierPage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use dossier::DossierPage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use filing::FilingPage;
#[cfg(all(feature = "csr", not(feature = "forms")))]
pub use forms_elsewhere::{
    DossierPage, FilingPage, HealthPage, IntakePage, ShareViewerPage, StaffDossierPage, StaffPage,
};
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use health::HealthPage;
pub use home::HomePage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use intake::IntakePage;
pub use login_error::LoginErrorPage;
pub use my_dossiers::MyDossiersPage;
pub use not_found::NotFoundPage;
pub use notifications::NotificationsPage;
pub use procedure::ProcedurePage;
pub use profile::ProfilePage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use share_viewer::ShareViewerPage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use staff::StaffPage;
pub use track::TrackPage;

/// The part of the health record a page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The record at a glance.
    Overview,
    /// The visits.
    Visits,
    /// One visit.
    Visit,
    /// One lab test over time.
    Labs,
    /// Vaccinations.
    Vaccines,
    /// Who looked.
    Log,
    /// Share links.
    Shares,
}
