//! `/can-bo/tiep-nhan?don-vi=<unit>`: an officer files a dossier at the one-stop counter on a
//! resident's behalf (channel 1): the procedure, the applicant's ID number and name, the
//! procedure's own form (the same field components as the online form), and the resident's
//! consent. The receipt is printed straight after.

use crate::api::AppError;
use crate::api::catalog::{get_procedure, list_units, search_procedures};
use crate::api::session::RoleInfo;
use crate::api::staff::{IntakeRequest, file_at_counter};
use crate::domain::catalog::{CatalogQuery, Procedure, ProcedureSummary, Unit};
use crate::domain::field_error::FieldError;
use crate::domain::form::{Answers, Ctx, validate};
use crate::ui::components::{ErrorSummary, FieldMessage, LoadError};
use crate::ui::focus::focus_id;
use crate::ui::i18n::{error_message, fill, use_i18n};
use crate::ui::pages::console_dossier::slip_file;
use crate::ui::pages::filing::{FieldView, FormCx, input_id, today, tr};
use crate::ui::pages::staff::staff_only;
use crate::ui::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use serde_json::Value;

/// The answer the counter always fills in itself: the receiving ward is the counter's own.
const RECEIVING_UNIT: &str = "receiving_unit";

/// Where a field error of the intake points to.
fn intake_field_id(field: &str) -> String {
    match field {
        "slug" => "intake-procedure".into(),
        "cccd" => "intake-cccd".into(),
        "name" => "intake-name".into(),
        "consent" => "intake-consent".into(),
        "idempotency_key" => "intake-submit".into(),
        f => input_id(f),
    }
}

/// A fresh idempotency key: 128 random bits from the browser's CSPRNG, in hex. Made when the
/// form opens, so that resending after a dropped connection returns the same dossier.
fn new_key() -> String {
    #[cfg(feature = "csr")]
    {
        use wasm_bindgen::JsCast;
        let bytes = js_sys::Uint8Array::new_with_length(16);
        let crypto = js_sys::Reflect::get(&js_sys::global(), &"crypto".into()).ok();
        let filled = crypto
            .as_ref()
            .and_then(|c| {
                js_sys::Reflect::get(c, &"getRandomValues".into())
                    .ok()
                    .and_then(|f| f.dyn_into::<js_sys::Function>().ok())
                    .map(|f| f.call1(c, &bytes).is_ok())
            })
            .unwrap_or(false);
        let mut v = bytes.to_vec();
        if !filled {
            // Very old browsers only: still unique enough for one counter's retries.
            for b in v.iter_mut() {
                *b = (js_sys::Math::random() * 256.0) as u8;
            }
        }
        v.iter().map(|b| format!("{b:02x}")).collect()
    }
    #[cfg(not(feature = "csr"))]
    {
        format!(
            "{:032x}",
            chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0)
        )
    }
}

/// Counter intake.
#[component]
pub fn IntakePage() -> impl IntoView {
    staff_only(
        |t| t.intake_title,
        |unit, roles| view! { <IntakeLoader unit=unit roles=roles /> }.into_any(),
    )
}

#[component]
fn IntakeLoader(unit: String, roles: Vec<RoleInfo>) -> impl IntoView {
    let i18n = use_i18n();
    let data = LocalResource::new(|| async {
        let procedures = search_procedures(CatalogQuery {
            q: String::new(),
            sector: None,
            level: None,
            popular_only: false,
        })
        .await?;
        let units = list_units().await?;
        Ok::<_, AppError>((procedures, units))
    });
    let unit_name = roles
        .iter()
        .find(|r| r.unit_code == unit)
        .map(|r| r.unit_name.clone())
        .unwrap_or_else(|| unit.clone());
    let officer = roles
        .iter()
        .any(|r| r.unit_code == unit && r.role == "officer");
    let unit = StoredValue::new(unit);
    let unit_name = StoredValue::new(unit_name);
    view! {
        <Title text=move || i18n.t().intake_title.to_string() />
        <div class="page intake">
            <p class="breadcrumb"><a href=routes::console(&unit.get_value(), "", "")>{move || i18n.t().console_back}</a></p>
            {if officer {
                view! {
                    <Suspense fallback=move || view! { <p class="loading">{move || i18n.t().catalog_loading}</p> }>
                        {move || data.get().map(|r| match r {
                            Ok((procedures, units)) => view! {
                                <IntakeForm unit=unit.get_value() unit_name=unit_name.get_value() procedures=procedures units=units />
                            }.into_any(),
                            Err(e) => view! {
                                <LoadError error=e whole_page=true on_retry=Callback::new(move |_| data.refetch()) />
                            }.into_any(),
                        })}
                    </Suspense>
                }.into_any()
            } else {
                view! {
                    <h1>{move || i18n.t().intake_title}</h1>
                    <p>{move || i18n.t().intake_officers_only}</p>
                }.into_any()
            }}
        </div>
    }
}

#[component]
fn IntakeForm(
    unit: String,
    unit_name: String,
    procedures: Vec<ProcedureSummary>,
    units: Vec<Unit>,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let mut units = units;
    units.sort_by(|a, b| {
        crate::domain::text::fold(&a.name).cmp(&crate::domain::text::fold(&b.name))
    });
    let units = StoredValue::new(units);
    let unit = StoredValue::new(unit);
    let procedures = StoredValue::new(procedures);
    let unit_name = StoredValue::new(unit_name);
    let fresh_answers = move || {
        let mut a = Answers::new();
        a.insert(RECEIVING_UNIT.into(), Value::String(unit.get_value()));
        a
    };
    let answers = RwSignal::new(fresh_answers());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let slug = RwSignal::new(String::new());
    let procedure = RwSignal::new(None::<Procedure>);
    let loading_procedure = RwSignal::new(false);
    let procedure_error = RwSignal::new(None::<AppError>);
    let cccd = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let consent = RwSignal::new(false);
    let key = StoredValue::new(new_key());
    let busy = RwSignal::new(false);
    let submit_error = RwSignal::new(None::<AppError>);
    let done = RwSignal::new(None::<String>);
    let cx = FormCx {
        answers,
        errors,
        units,
        i18n,
        // Nothing to save as you type: the counter files in one go.
        changed: Callback::new(|_| {}),
        // The officer types what the resident's papers say; nothing comes from VNeID here.
        identity: StoredValue::new(Default::default()),
    };
    let unit_exists = move |c: &str| units.with_value(|u| u.iter().any(|x| x.code == c));

    let load_procedure = move |s: String| {
        slug.set(s.clone());
        procedure.set(None);
        procedure_error.set(None);
        answers.set(fresh_answers());
        errors.update(|e| e.retain(|x| matches!(x.field.as_str(), "cccd" | "name" | "consent")));
        if s.is_empty() {
            return;
        }
        loading_procedure.set(true);
        leptos::task::spawn_local(async move {
            let r = get_procedure(s.clone()).await;
            // Another procedure may have been chosen meanwhile.
            if slug.get_untracked() != s {
                return;
            }
            loading_procedure.set(false);
            match r {
                Ok(p) => procedure.set(Some(p)),
                Err(e) => procedure_error.set(Some(e)),
            }
        });
    };

    let check = move || -> Vec<FieldError> {
        let mut errs = Vec::new();
        if slug.get_untracked().is_empty() {
            errs.push(FieldError::new("slug", "required"));
        }
        match crate::domain::cccd::Cccd::parse(&cccd.get_untracked()) {
            Ok(_) => {}
            Err(e) => errs.push(FieldError::new("cccd", e.code())),
        }
        if name.get_untracked().trim().is_empty() {
            errs.push(FieldError::new("name", "required"));
        }
        procedure.with_untracked(|p| {
            if let Some(p) = p
                && let Err(fields) = answers.with_untracked(|a| {
                    validate(
                        &p.form,
                        a,
                        &Ctx {
                            today: today(),
                            unit_exists: &unit_exists,
                        },
                    )
                })
            {
                errs.extend(fields);
            }
        });
        if !consent.get_untracked() {
            errs.push(FieldError::new("consent", "consent_required"));
        }
        errs
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        submit_error.set(None);
        let errs = check();
        if !errs.is_empty() {
            errors.set(errs);
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        let req = IntakeRequest {
            unit: unit.get_value(),
            slug: slug.get_untracked(),
            cccd: cccd.get_untracked(),
            name: name.get_untracked(),
            answers: answers.get_untracked(),
            consent: consent.get_untracked(),
            idempotency_key: key.get_value(),
        };
        leptos::task::spawn_local(async move {
            let r = file_at_counter(req).await;
            busy.set(false);
            match r {
                Ok(code) => {
                    done.set(Some(code));
                    request_animation_frame(|| focus_id("intake-done"));
                }
                Err(AppError::Validation { fields }) => errors.set(fields),
                Err(e) => {
                    submit_error.set(Some(e));
                    request_animation_frame(|| focus_id("intake-error"));
                }
            }
        });
    };

    let another = move |_| {
        key.set_value(new_key());
        cccd.set(String::new());
        name.set(String::new());
        consent.set(false);
        submit_error.set(None);
        errors.set(Vec::new());
        load_procedure(String::new());
        done.set(None);
        request_animation_frame(|| focus_id("intake-title"));
    };

    let sections = move || {
        procedure.get().map(|p| {
            let lang = i18n.lang();
            p.form
                .sections
                .into_iter()
                .filter_map(|s| {
                    let fields: Vec<_> = s
                        .fields
                        .into_iter()
                        .filter(|f| f.id != RECEIVING_UNIT)
                        .collect();
                    (!fields.is_empty()).then(|| {
                        let title = tr(lang, &s.title);
                        let intro = s.intro.as_ref().map(|b| tr(lang, b));
                        view! {
                            <section class="form-section">
                                <h2>{title}</h2>
                                {intro.map(|i| view! { <p class="hint">{i}</p> })}
                                {fields.into_iter().map(|f| view! { <FieldView cx=cx field=f prefix=None /> }).collect_view()}
                            </section>
                        }
                    })
                })
                .collect_view()
        })
    };

    let field_error =
        move |field: &'static str| move || errors.with(|es| es.iter().any(|e| e.field == field));

    view! {
        <Show when=move || done.get().is_none() fallback=move || {
            let code = done.get().unwrap_or_default();
            let receipt = routes::dossier_file(&code, slip_file("tiep-nhan").unwrap_or_default());
            let console = routes::staff_dossier(&unit.get_value(), &code);
            view! {
                <div id="intake-done" class="panel panel--success" tabindex="-1">
                    <h1>{move || t().intake_done}</h1>
                    <p>{move || t().dossier_code}</p>
                    <p class="panel__code">{code.clone()}</p>
                </div>
                <p><a class="button button--large button--print" href=receipt rel="external">{move || t().intake_print}</a></p>
                <p><a href=console>{move || t().intake_open}</a></p>
                <p><button type="button" class="button button--secondary" on:click=another>{move || t().intake_another}</button></p>
            }
        }>
            <h1 id="intake-title" tabindex="-1">{move || t().intake_title}</h1>
            <p class="lead">{move || fill(t().intake_lead, "unit", unit_name.get_value())}</p>
            <ErrorSummary errors=errors field_id=intake_field_id />
            <form class="form form--wide" novalidate on:submit=on_submit>
                <div class="field" class:field--error=field_error("slug")>
                    <label for="intake-procedure">{move || t().intake_procedure}</label>
                    <FieldMessage errors=errors field="slug" id="intake-procedure-error" />
                    <select id="intake-procedure"
                        aria-invalid=move || field_error("slug")().to_string()
                        aria-describedby=move || field_error("slug")().then_some("intake-procedure-error")
                        on:change=move |ev| load_procedure(event_target_value(&ev))>
                        <option value="" selected=move || slug.get().is_empty()>{move || t().filing_choose}</option>
                        {move || {
                            let lang = i18n.lang();
                            procedures.with_value(|ps| ps.iter().map(|p| {
                                let v = p.slug.clone();
                                let v2 = p.slug.clone();
                                view! { <option value=v selected=move || slug.get() == v2>{lang.pick(&p.name_vi, &p.name_en).to_string()}</option> }
                            }).collect_view())
                        }}
                    </select>
                </div>
                <section class="form-section" aria-labelledby="intake-applicant">
                    <h2 id="intake-applicant">{move || t().intake_applicant}</h2>
                    <div class="field" class:field--error=field_error("cccd")>
                        <label for="intake-cccd">{move || t().intake_cccd}</label>
                        <p class="hint" id="intake-cccd-hint">{move || t().intake_cccd_hint}</p>
                        <FieldMessage errors=errors field="cccd" id="intake-cccd-error" />
                        <input id="intake-cccd" type="text" inputmode="numeric" autocomplete="off" maxlength="15" class="input--medium"
                            aria-invalid=move || field_error("cccd")().to_string()
                            aria-describedby=move || if field_error("cccd")() { "intake-cccd-hint intake-cccd-error" } else { "intake-cccd-hint" }
                            prop:value=move || cccd.get()
                            on:input=move |ev| cccd.set(event_target_value(&ev)) />
                    </div>
                    <div class="field" class:field--error=field_error("name")>
                        <label for="intake-name">{move || t().intake_name}</label>
                        <FieldMessage errors=errors field="name" id="intake-name-error" />
                        <input id="intake-name" type="text" autocomplete="off" maxlength="200"
                            aria-invalid=move || field_error("name")().to_string()
                            aria-describedby=move || field_error("name")().then_some("intake-name-error")
                            prop:value=move || name.get()
                            on:input=move |ev| name.set(event_target_value(&ev)) />
                    </div>
                </section>
                {move || loading_procedure.get().then(|| view! { <p class="loading" role="status">{t().catalog_loading}</p> })}
                {move || procedure_error.get().map(|e| view! { <p class="notice notice--error" role="alert">{error_message(t(), &e)}</p> })}
                {sections}
                <div class="field field--checkbox" class:field--error=field_error("consent")>
                    <FieldMessage errors=errors field="consent" id="intake-consent-error" />
                    <div class="choice">
                        <input id="intake-consent" type="checkbox" required
                            aria-invalid=move || field_error("consent")().to_string()
                            aria-describedby=move || field_error("consent")().then_some("intake-consent-error")
                            prop:checked=move || consent.get()
                            on:change=move |ev| consent.set(event_target_checked(&ev)) />
                        <label for="intake-consent">{move || t().intake_consent}</label>
                    </div>
                </div>
                {move || submit_error.get().map(|e| view! {
                    <div id="intake-error" class="notice notice--error" tabindex="-1" role="alert">
                        <p>{move || match &e {
                            AppError::Forbidden => t().console_forbidden.to_string(),
                            e => error_message(t(), e),
                        }}</p>
                    </div>
                })}
                <div class="form__actions">
                    <button id="intake-submit" type="submit" class="button button--large" disabled=move || busy.get()>
                        {move || if busy.get() { t().act_sending } else { t().intake_submit }}
                    </button>
                </div>
            </form>
        </Show>
    }
}
