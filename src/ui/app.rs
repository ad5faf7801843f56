//! The app shell: language context, router, header, main, footer.

use crate::ui::components::{LiveAnnouncer, OfflineBanner, SessionBanner, SiteFooter, SiteHeader};
use crate::ui::i18n::provide_i18n_context;
use crate::ui::live::provide_live_context;
use crate::ui::pages::{
    AdminPage, CatalogPage, ConsentPage, DossierPage, FilingPage, HealthPage, HomePage, IntakePage,
    LoginErrorPage, MyDossiersPage, NotFoundPage, NotificationsPage, ProcedurePage, ProfilePage,
    ShareViewerPage, StaffDossierPage, StaffPage, Tab, TrackPage,
};
use crate::ui::session::provide_session_context;
use leptos::prelude::*;
use leptos_meta::{Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::path;

/// The whole app.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let i18n = provide_i18n_context();
    provide_session_context();
    provide_live_context();
    register_service_worker();
    view! {
        <Title formatter=move |page: String| {
            let site = i18n.t().app_name;
            if page.is_empty() { site.to_string() } else { format!("{page} — {site}") }
        } />
        <Router>
            <a class="skip-link" href="#main" on:click=skip_to_main>{move || i18n.t().nav_skip}</a>
            <SiteHeader />
            <OfflineBanner />
            <SessionBanner />
            <LiveAnnouncer />
            <main id="main" tabindex="-1">
                <Routes fallback=|| view! { <NotFoundPage /> }>
                    <Route path=path!("/") view=HomePage />
                    <Route path=path!("/thu-tuc") view=CatalogPage />
                    <Route path=path!("/thu-tuc/:slug") view=ProcedurePage />
                    <Route path=path!("/thu-tuc/:slug/nop") view=FilingPage />
                    <Route path=path!("/ho-so/:code") view=DossierPage />
                    <Route path=path!("/ho-so") view=MyDossiersPage />
                    <Route path=path!("/thong-bao") view=NotificationsPage />
                    <Route path=path!("/tra-cuu") view=TrackPage />
                    <Route path=path!("/ca-nhan") view=ProfilePage />
                    <Route path=path!("/suc-khoe") view=|| view! { <HealthPage tab=Tab::Overview /> } />
                    <Route path=path!("/suc-khoe/lan-kham") view=|| view! { <HealthPage tab=Tab::Visits /> } />
                    <Route path=path!("/suc-khoe/lan-kham/:id") view=|| view! { <HealthPage tab=Tab::Visit /> } />
                    <Route path=path!("/suc-khoe/xet-nghiem") view=|| view! { <HealthPage tab=Tab::Labs /> } />
                    <Route path=path!("/suc-khoe/tiem-chung") view=|| view! { <HealthPage tab=Tab::Vaccines /> } />
                    <Route path=path!("/suc-khoe/nhat-ky") view=|| view! { <HealthPage tab=Tab::Log /> } />
                    <Route path=path!("/suc-khoe/chia-se") view=|| view! { <HealthPage tab=Tab::Shares /> } />
                    <Route path=path!("/chia-se-suc-khoe") view=ShareViewerPage />
                    <Route path=path!("/can-bo") view=StaffPage />
                    <Route path=path!("/can-bo/tiep-nhan") view=IntakePage />
                    <Route path=path!("/can-bo/ho-so/:code") view=StaffDossierPage />
                    <Route path=path!("/quan-tri") view=AdminPage />
                    <Route path=path!("/dang-nhap/loi") view=LoginErrorPage />
                    <Route path=path!("/xac-nhan/:token") view=ConsentPage />
                </Routes>
            </main>
            <SiteFooter />
        </Router>
    }
}

/// Moves keyboard focus to the main content (the router would only scroll to it).
fn skip_to_main(ev: leptos::ev::MouseEvent) {
    ev.prevent_default();
    crate::ui::focus::focus_id("main");
}

/// Registers `/sw.js`, which caches the app shell so the portal opens without a connection.
fn register_service_worker() {
    #[cfg(feature = "csr")]
    {
        let sw = window().navigator().service_worker();
        let _ = sw.register("/sw.js");
    }
}
