use crate::ui::i18n::{fill, use_i18n};
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// Warns a few minutes before the server ends an idle session, and says plainly when it
/// has ended — without leaving the page, so nothing typed is lost.
#[component]
pub fn SessionBanner() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let location = use_location();
    let minutes_left = move || {
        session
            .user()
            .map(|u| (u.idle_timeout_secs - session.idle_secs.get()) / 60)
    };
    let here = move || routes::path_and_query(&location.pathname.get(), &location.search.get());
    view! {
        <div class="session-banner" role="status" aria-live="polite">
            {move || {
                if session.expired.get() {
                    Some(view! {
                        <p>
                            {move || i18n.t().auth_expired} " "
                            <a href=move || routes::login(&here(), false) rel="external">{move || i18n.t().auth_login_again}</a>
                        </p>
                    }.into_any())
                } else {
                    match minutes_left() {
                        Some(m) if m <= 3 => Some(view! {
                            <p>
                                {move || fill(i18n.t().auth_expiring, "n", m.max(1))} " "
                                <button type="button" class="button button--secondary" on:click=move |_| session.refresh()>
                                    {move || i18n.t().auth_keep}
                                </button>
                            </p>
                        }.into_any()),
                        _ => None,
                    }
                }
            }}
        </div>
    }
}
