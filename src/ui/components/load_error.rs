use crate::api::AppError;
use crate::ui::i18n::{error_message, use_i18n};
use leptos::prelude::*;
use leptos_meta::Title;

/// Explains why content did not load, with a retry button.
#[component]
pub fn LoadError(
    /// What went wrong.
    error: AppError,
    /// Called when the resident asks to try again.
    on_retry: Callback<()>,
    /// The error is the whole page (its heading becomes the page's `h1` and title).
    #[prop(optional)]
    whole_page: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = StoredValue::new(error);
    let title = move || i18n.t().error_title;
    view! {
        <div class="notice notice--error" role="alert">
            {if whole_page {
                view! { <Title text=move || title().to_string() /><h1>{title}</h1> }.into_any()
            } else {
                view! { <h2>{title}</h2> }.into_any()
            }}
            <p>{move || error.with_value(|e| error_message(i18n.t(), e))}</p>
            <button type="button" class="button button--secondary" on:click=move |_| on_retry.run(())>
                {move || i18n.t().error_retry}
            </button>
        </div>
    }
}
