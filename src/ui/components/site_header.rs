use crate::ui::i18n::use_i18n;
use crate::ui::routes;
use leptos::prelude::*;
use leptos_router::components::A;

/// Site header: name, main navigation and the language switch.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    view! {
        <header class="site-header">
            <div class="site-header__inner">
                <A href=routes::HOME attr:class="brand">
                    <img src="/icons/favicon.svg" alt="" width="32" height="32" />
                    <span>{move || t().app_name}</span>
                </A>
                <button
                    type="button"
                    class="lang-switch"
                    lang=move || t().lang_other_code
                    aria-label=move || t().lang_switch_label
                    on:click=move |_| i18n.toggle()
                >
                    {move || t().lang_other_name}
                </button>
            </div>
            <nav class="site-nav" aria-label=move || t().nav_label>
                <A href=routes::HOME exact=true>{move || t().nav_home}</A>
                <A href=routes::CATALOG>{move || t().nav_catalog}</A>
                <A href=routes::TRACK>{move || t().nav_track}</A>
            </nav>
        </header>
    }
}
