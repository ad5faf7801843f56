use crate::ui::i18n::use_i18n;
use crate::ui::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Where a refused or failed login lands, with the reason in plain words.
#[component]
pub fn LoginErrorPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let query = use_query_map();
    let reason = move || match query.read().get("ma").unwrap_or_default().as_str() {
        "provider_unavailable" => t().auth_error_provider_unavailable,
        "provider_error" => t().auth_error_provider_error,
        "insufficient_level" => t().auth_error_insufficient_level,
        "account_disabled" => t().auth_error_account_disabled,
        "expired" => t().auth_error_expired,
        _ => t().auth_error_other,
    };
    view! {
        <Title text=move || t().auth_error_title.to_string() />
        <div class="page">
            <h1>{move || t().auth_error_title}</h1>
            <p>{reason}</p>
            <p><a class="button" href=routes::login(routes::HOME, false) rel="external">{move || t().auth_try_again}</a></p>
        </div>
    }
}
