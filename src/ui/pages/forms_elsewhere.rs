//! In the main bundle, the form and dossier pages and the staff console live in the form
//! bundle (`forms/index.html`), which the server sends for their addresses. Reached by an in-app
//! link, these stand-ins load that page for real.

use crate::ui::i18n::use_i18n;
use leptos::prelude::*;

fn load_for_real() -> impl IntoView {
    let i18n = use_i18n();
    // Offline the server cannot send the form bundle: say so instead of reloading forever.
    let online = window().navigator().on_line();
    if online {
        let _ = window().location().reload();
    }
    view! {
        <div class="page">
            <p class="loading">{move || if online { i18n.t().catalog_loading } else { i18n.t().error_network }}</p>
        </div>
    }
}

/// Stand-in for the online form.
#[component]
pub fn FilingPage() -> impl IntoView {
    load_for_real()
}

/// Stand-in for a dossier's page.
#[component]
pub fn DossierPage() -> impl IntoView {
    load_for_real()
}

/// Stand-in for the staff console.
#[component]
pub fn StaffPage() -> impl IntoView {
    load_for_real()
}

/// Stand-in for a ward dossier in the staff console.
#[component]
pub fn StaffDossierPage() -> impl IntoView {
    load_for_real()
}

/// Stand-in for the health record's pages.
#[component]
pub fn HealthPage(tab: super::Tab) -> impl IntoView {
    let _ = tab;
    load_for_real()
}

/// Stand-in for the viewer of a shared health record.
#[component]
pub fn ShareViewerPage() -> impl IntoView {
    load_for_real()
}

/// Stand-in for counter intake.
#[component]
pub fn IntakePage() -> impl IntoView {
    load_for_real()
}
