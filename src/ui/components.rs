//! Reusable pieces of the UI.

mod badges;
mod error_summary;
mod live_announcer;
mod load_error;
mod offline_banner;
pub mod procedure_card;
mod search_form;
mod session_banner;
mod sign_in_prompt;
mod sign_out;
mod site_footer;
mod site_header;

pub use badges::{LevelBadge, OnlineBadge};
pub use error_summary::{ErrorSummary, FieldMessage};
pub use live_announcer::LiveAnnouncer;
pub use load_error::LoadError;
pub use offline_banner::OfflineBanner;
pub use procedure_card::ProcedureCard;
pub use search_form::SearchForm;
pub use session_banner::SessionBanner;
pub use sign_in_prompt::SignInPrompt;
pub use sign_out::SignOut;
pub use site_footer::SiteFooter;
pub use site_header::SiteHeader;
