use crate::ui::i18n::use_i18n;
use crate::ui::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// Shown for an unknown address or a procedure that does not exist.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    view! {
        <Title text=move || t().notfound_title.to_string() />
        <div class="page">
            <h1>{move || t().notfound_title}</h1>
            <p>{move || t().notfound_body}</p>
            <p><A href=routes::HOME attr:class="button">{move || t().notfound_home}</A></p>
        </div>
    }
}
