use crate::domain::field_error::FieldError;
use crate::ui::focus::focus_id;
use crate::ui::i18n::{field_message, use_i18n};
use leptos::prelude::*;

/// The list of problems at the top of a form, each linking to its field (GOV.UK pattern).
/// It takes focus when it appears so screen-reader users hear it at once.
#[component]
pub fn ErrorSummary(
    /// Current field errors.
    #[prop(into)]
    errors: Signal<Vec<FieldError>>,
    /// Maps a field name to the id of its input.
    field_id: fn(&str) -> String,
) -> impl IntoView {
    let i18n = use_i18n();
    Effect::new(move |_| {
        if !errors.get().is_empty() {
            // After this update has reached the DOM.
            request_animation_frame(|| focus_id("error-summary"));
        }
    });
    view! {
        <Show when=move || !errors.get().is_empty()>
            <div id="error-summary" class="error-summary" role="alert" tabindex="-1">
                <h2>{move || i18n.t().error_summary}</h2>
                <ul>
                    {move || errors.get().into_iter().map(|e| {
                        let id = field_id(&e.field);
                        let target = id.clone();
                        view! {
                            <li>
                                <a href=format!("#{id}") on:click=move |ev| { ev.prevent_default(); focus_id(&target); }>
                                    {move || field_message(i18n.t(), &e)}
                                </a>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        </Show>
    }
}

/// The error message shown next to one field (empty when the field is fine).
#[component]
pub fn FieldMessage(
    /// Current field errors.
    #[prop(into)]
    errors: Signal<Vec<FieldError>>,
    /// This field's name.
    field: &'static str,
    /// Id for `aria-describedby`.
    id: &'static str,
) -> impl IntoView {
    let i18n = use_i18n();
    let message = move || {
        errors
            .get()
            .iter()
            .find(|e| e.field == field)
            .map(|e| field_message(i18n.t(), e))
    };
    view! {
        <Show when=move || message().is_some()>
            <p id=id class="field-error">{message}</p>
        </Show>
    }
}
