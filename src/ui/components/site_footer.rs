use crate::ui::i18n::use_i18n;
use leptos::prelude::*;

/// Site footer.
#[component]
pub fn SiteFooter() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    view! {
        <footer class="site-footer">
            <p>{move || t().footer_about}</p>
            <p>{move || t().footer_accessibility}</p>
            <p class="small">{move || t().footer_fonts}</p>
        </footer>
    }
}
