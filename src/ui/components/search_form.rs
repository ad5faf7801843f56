use crate::domain::catalog::MAX_QUERY_CHARS;
use crate::ui::i18n::use_i18n;
use crate::ui::routes;
use leptos::prelude::*;
use leptos_router::components::Form;

/// The procedure search box. A plain GET form: it works before the app has loaded and
/// the router turns it into an in-app navigation afterwards.
#[component]
pub fn SearchForm(
    /// Current text (from the URL).
    #[prop(into, optional)]
    value: Signal<String>,
    /// Id prefix, so two forms on one page keep unique ids.
    #[prop(optional)]
    id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let input_id = format!("{}search-q", id);
    let hint_id = format!("{}search-hint", id);
    view! {
        <Form action=routes::CATALOG method="GET" attr:class="search-form" attr:role="search">
            <label for=input_id.clone() class="search-form__label">{move || t().search_label}</label>
            <p id=hint_id.clone() class="hint">{move || t().search_hint}</p>
            <div class="search-form__row">
                <input
                    id=input_id
                    type="search"
                    name=routes::query::Q
                    autocomplete="off"
                    maxlength=MAX_QUERY_CHARS
                    aria-describedby=hint_id
                    prop:value=move || value.get()
                />
                <button type="submit" class="button">{move || t().search_submit}</button>
            </div>
        </Form>
    }
}
