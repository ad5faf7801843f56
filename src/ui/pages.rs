//! One component per page.

mod admin;
mod catalog;
mod dossier;
pub(crate) mod filing;
mod home;
mod login_error;
mod not_found;
mod procedure;
mod profile;
mod staff;
mod track;

pub use admin::AdminPage;
pub use catalog::CatalogPage;
pub use dossier::DossierPage;
pub use filing::FilingPage;
pub use home::HomePage;
pub use login_error::LoginErrorPage;
pub use not_found::NotFoundPage;
pub use procedure::ProcedurePage;
pub use profile::ProfilePage;
pub use staff::StaffPage;
pub use track::TrackPage;
