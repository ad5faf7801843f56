//! One component per page.

mod catalog;
mod home;
mod not_found;
mod procedure;

pub use catalog::CatalogPage;
pub use home::HomePage;
pub use not_found::NotFoundPage;
pub use procedure::ProcedurePage;
