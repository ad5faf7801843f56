//! One component per page.

mod admin;
mod catalog;
#[cfg(any(feature = "forms", not(feature = "csr")))]
mod dossier;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub(crate) mod filing;
#[cfg(all(feature = "csr", not(feature = "forms")))]
mod forms_elsewhere;
mod home;
mod login_error;
mod not_found;
mod procedure;
mod profile;
mod staff;
mod track;

pub use admin::AdminPage;
pub use catalog::CatalogPage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use dossier::DossierPage;
#[cfg(any(feature = "forms", not(feature = "csr")))]
pub use filing::FilingPage;
#[cfg(all(feature = "csr", not(feature = "forms")))]
pub use forms_elsewhere::{DossierPage, FilingPage};
pub use home::HomePage;
pub use login_error::LoginErrorPage;
pub use not_found::NotFoundPage;
pub use procedure::ProcedurePage;
pub use profile::ProfilePage;
pub use staff::StaffPage;
pub use track::TrackPage;
