use crate::ui::i18n::{fill, use_i18n};
use crate::ui::live::use_live;
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_location;

/// Site header: name, account, language switch and main navigation.
#[component]
pub fn SiteHeader() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let live = use_live();
    let location = use_location();
    let t = move || i18n.t();
    let here = move || routes::path_and_query(&location.pathname.get(), &location.search.get());
    // Every navigation tells the server the person is still here.
    Effect::new(move |prev: Option<String>| {
        let now = here();
        if prev.is_some_and(|p| p != now) {
            session.refresh();
        }
        now
    });
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
                    on:click=move |_| {
                        i18n.toggle();
                        // A signed-in person's e-mail follows the language they chose.
                        if matches!(session.info.get_untracked(), Some(Some(_))) {
                            session.refresh();
                        }
                    }
                >
                    {move || t().lang_other_name}
                </button>
            </div>
            <nav class="site-nav" aria-label=move || t().nav_label>
                <A href=routes::HOME exact=true>{move || t().nav_home}</A>
                <A href=routes::CATALOG>{move || t().nav_catalog}</A>
                <A href=routes::TRACK>{move || t().nav_track}</A>
                {move || (!session.user().is_some_and(|u| u.staff)).then(|| view! {
                    // The health record lives in the forms bundle: a full page load.
                    <a href=routes::HEALTH rel="external" aria-current=move || {
                        location.pathname.get().starts_with(routes::HEALTH).then_some("page")
                    }>{move || t().health_nav}</a>
                })}
                {move || session.user().map(|u| view! {
                    <A href=routes::PROFILE>{move || t().nav_profile}</A>
                    {(!u.staff).then(|| view! {
                        <A href=routes::DOSSIERS>{move || t().mine_nav}</A>
                    })}
                    // Residents hear about their dossiers; ward staff about deadlines.
                    <A href=routes::NOTIFICATIONS>
                        {move || t().notif_nav}
                        {move || live.unread.get().filter(|n| *n > 0).map(|n| view! {
                            <span class="count-badge" aria-hidden="true">{if n > 99 { "99+".to_string() } else { n.to_string() }}</span>
                            <span class="visually-hidden">{format!(", {}", fill(t().notif_unread, "n", n))}</span>
                        })}
                    </A>
                    {u.staff.then(|| view! {
                        // The console lives in the forms bundle: a full page load.
                        <a href=routes::STAFF rel="external">{move || t().nav_staff}</a>
                    })}
                    {u.is_admin.then(|| view! { <A href=routes::ADMIN>{move || t().nav_admin}</A> })}
                })}
            </nav>
            <div class="account-bar">
                {move || match session.info.get() {
                    None => None,
                    Some(None) => Some(view! {
                        <a class="account-bar__login" href=move || routes::login(&here(), false) rel="external">
                            {move || t().auth_login}
                        </a>
                    }.into_any()),
                    Some(Some(u)) => Some(view! {
                        <span class="account-bar__name">{u.name.clone()}</span>
                        <crate::ui::components::SignOut class="account-bar__logout" />
                    }.into_any()),
                }}
            </div>
        </header>
    }
}
