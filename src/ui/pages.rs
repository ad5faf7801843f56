//! One component per page.

mod catalog;
mod home;
mod not_found;
mod procedure;
mod track;

pub use catalog::CatalogPage;
pub use home::HomePage;
pub use not_found::NotFoundPage;
pub use procedure::ProcedurePage;
pub use track::TrackPage;
