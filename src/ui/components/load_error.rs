use crate::api::AppError;
use crate::ui::i18n::{error_message, use_i18n};
use leptos::prelude::*;

/// Explains why content did not load, with a retry button.
#[component]
pub fn LoadError(
    /// What went wrong.
    error: AppError,
    /// Called when the resident asks to try again.
    on_retry: Callback<()>,
) -> impl IntoView {
    let i18n = use_i18n();
    let error = StoredValue::new(error);
    view! {
        <div class="notice notice--error" role="alert">
            <h2>{move || i18n.t().error_title}</h2>
            <p>{move || error.with_value(|e| error_message(i18n.t(), e))}</p>
            <button type="button" class="button button--secondary" on:click=move |_| on_retry.run(())>
                {move || i18n.t().error_retry}
            </button>
        </div>
    }
}
