use crate::api::AppError;
use crate::api::tracking::track_dossier;
use crate::domain::calendar::{format_en, format_vi};
use crate::domain::field_error::FieldError;
use crate::domain::tracking::{ID_SUFFIX_DIGITS, TrackQuery, TrackResult};
use crate::ui::components::{ErrorSummary, FieldMessage};
use crate::ui::i18n::{Lang, error_message, fill, use_i18n};
use crate::ui::routes::query;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

fn field_id(field: &str) -> String {
    match field {
        "id_suffix" => "track-suffix".into(),
        _ => "track-code".into(),
    }
}

/// Public look-up of a dossier by its code and the submitter's ID-number suffix.
/// `?ma=` (from the receipt's QR code) fills in the code.
#[component]
pub fn TrackPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_query_map();
    let code = RwSignal::new(params.with_untracked(|p| p.get(query::CODE).unwrap_or_default()));
    let suffix = RwSignal::new(String::new());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let lookup = Action::new_local(|q: &TrackQuery| track_dossier(q.clone()));

    // Server-side validation errors land in the same places as the browser's.
    Effect::new(move |_| {
        if let Some(Err(AppError::Validation { fields })) = lookup.value().get() {
            errors.set(fields);
        }
    });

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let q = TrackQuery {
            code: code.get_untracked(),
            id_suffix: suffix.get_untracked(),
        };
        match q.validate() {
            Err(fields) => errors.set(fields),
            Ok(_) => {
                errors.set(Vec::new());
                lookup.dispatch(q);
            }
        }
    };
    let invalid = move |field: &'static str| move || errors.get().iter().any(|e| e.field == field);
    let describe = move |field: &'static str, hint: &'static str, err: &'static str| {
        move || {
            if errors.get().iter().any(|e| e.field == field) {
                format!("{hint} {err}")
            } else {
                hint.to_string()
            }
        }
    };

    view! {
        <Title text=move || t().track_title.to_string() />
        <div class="page">
            <h1>{move || t().track_title}</h1>
            <p class="lead">{move || t().track_lead}</p>
            <ErrorSummary errors=errors field_id=field_id />
            <form class="form" novalidate on:submit=on_submit>
                <div class="field" class:field--error=invalid("code")>
                    <label for="track-code">{move || t().track_code_label}</label>
                    <p id="track-code-hint" class="hint">{move || t().track_code_hint}</p>
                    <FieldMessage errors=errors field="code" id="track-code-error" />
                    <input
                        id="track-code"
                        type="text"
                        autocomplete="off"
                        spellcheck="false"
                        autocapitalize="characters"
                        maxlength="64"
                        aria-invalid=move || invalid("code")().to_string()
                        aria-describedby=describe("code", "track-code-hint", "track-code-error")
                        prop:value=move || code.get()
                        on:input=move |ev| code.set(event_target_value(&ev))
                    />
                </div>
                <div class="field" class:field--error=invalid("id_suffix")>
                    <label for="track-suffix">{move || t().track_suffix_label}</label>
                    <p id="track-suffix-hint" class="hint">{move || t().track_suffix_hint}</p>
                    <FieldMessage errors=errors field="id_suffix" id="track-suffix-error" />
                    <input
                        id="track-suffix"
                        class="input--short"
                        type="text"
                        inputmode="numeric"
                        autocomplete="off"
                        maxlength=ID_SUFFIX_DIGITS + 2
                        aria-invalid=move || invalid("id_suffix")().to_string()
                        aria-describedby=describe("id_suffix", "track-suffix-hint", "track-suffix-error")
                        prop:value=move || suffix.get()
                        on:input=move |ev| suffix.set(event_target_value(&ev))
                    />
                </div>
                <button type="submit" class="button" disabled=move || lookup.pending().get()>
                    {move || if lookup.pending().get() { t().track_searching } else { t().track_submit }}
                </button>
            </form>

            <div role="status" aria-live="polite">
                {move || match lookup.value().get() {
                    None | Some(Err(AppError::Validation { .. })) => None,
                    Some(Ok(found)) => Some(view! { <TrackCard found=found /> }.into_any()),
                    Some(Err(AppError::NotFound)) => Some(view! {
                        <div class="notice"><p>{move || t().track_not_found}</p></div>
                    }.into_any()),
                    Some(Err(AppError::RateLimited { retry_after })) => Some(view! {
                        <div class="notice notice--error"><p>{move || fill(t().track_rate_limited, "n", retry_after)}</p></div>
                    }.into_any()),
                    Some(Err(e)) => Some(view! {
                        <div class="notice notice--error"><p>{move || error_message(t(), &e)}</p></div>
                    }.into_any()),
                }}
            </div>
        </div>
    }
}

#[component]
fn TrackCard(found: TrackResult) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let f = StoredValue::new(found);
    let when = move |pick: fn(&TrackResult) -> chrono::DateTime<chrono::Utc>| {
        let at = f.with_value(pick);
        match i18n.lang() {
            Lang::Vi => format_vi(at),
            Lang::En => format_en(at),
        }
    };
    view! {
        <section class="result-card" aria-labelledby="track-result">
            <h2 id="track-result">{move || t().track_result_title}</h2>
            <dl class="facts">
                <div><dt>{move || t().track_code_label}</dt><dd>{f.with_value(|r| r.code.clone())}</dd></div>
                <div><dt>{move || t().track_procedure}</dt><dd>{move || f.with_value(|r| i18n.lang().pick(&r.procedure_vi, &r.procedure_en).to_string())}</dd></div>
                <div><dt>{move || t().track_status}</dt><dd class="status">{move || f.with_value(|r| match i18n.lang() {
                    Lang::Vi => r.status.name_vi(),
                    Lang::En => r.status.name_en(),
                })}</dd></div>
                <div><dt>{move || t().track_received}</dt><dd>{move || when(|r| r.received_at)}</dd></div>
                <div><dt>{move || t().track_due}</dt><dd>{move || when(|r| r.due_at)}</dd></div>
            </dl>
        </section>
    }
}
