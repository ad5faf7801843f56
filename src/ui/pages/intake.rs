//! `/can-bo/tiep-nhan?don-vi=<unit>`: an officer files a dossier at the one-stop counter on a
//! resident's behalf (channel 1): the procedure, the applicant's ID number and name, the
//! procedure's own form (the same field components as the online form), the paper documents
//! received, and the resident's consent: shown to them, then confirmed on their own phone
//! (through a QR code) or by signing the printed receipt. The receipt is printed straight
//! after.

use crate::api::AppError;
use crate::api::catalog::{get_procedure, list_units, search_procedures};
use crate::api::intake::{ConsentAsk, ConsentRef, ConsentTicket, ask_consent, consent_status};
use crate::api::session::RoleInfo;
use crate::api::staff::{IntakeRequest, file_at_counter};
use crate::domain::catalog::{CatalogQuery, Procedure, ProcedureSummary, Unit};
use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::form::{Answers, Ctx, validate};
use crate::domain::intake::{CONSENT_EN, CONSENT_VERSION, CONSENT_VI, CounterConsent};
use crate::ui::components::{ErrorSummary, FieldMessage, LoadError};
use crate::ui::focus::focus_id;
use crate::ui::i18n::{Lang, error_message, fill, use_i18n};
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
        "consent" => "intake-consent-phone".into(),
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
        .map(|r| i18n.lang().pick(&r.unit_name, &r.unit_name_en).to_string())
        .unwrap_or_else(|| unit.clone());
    let officer = roles
        .iter()
        .any(|r| r.unit_code == unit && r.role == crate::domain::staff::Role::Officer);
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
    // How the resident confirms: on their phone (`phone`) or by signing the receipt.
    let method = RwSignal::new("phone");
    let shown = RwSignal::new(false);
    let ticket = RwSignal::new(None::<ConsentTicket>);
    let confirmed = RwSignal::new(false);
    let ticket_error = RwSignal::new(None::<AppError>);
    let papers = RwSignal::new(Vec::<u32>::new());
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
            papers.set(Vec::new());
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
            errs.push(FieldError::new("slug", FieldCode::Required));
        }
        match crate::domain::cccd::Cccd::parse(&cccd.get_untracked()) {
            Ok(_) => {}
            Err(e) => errs.push(FieldError::new("cccd", e.code())),
        }
        if name.get_untracked().trim().is_empty() {
            errs.push(FieldError::new("name", FieldCode::Required));
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
        match method.get_untracked() {
            "phone" if !confirmed.get_untracked() => {
                errs.push(FieldError::new("consent", FieldCode::ConsentNotConfirmed))
            }
            "signature" if !shown.get_untracked() => {
                errs.push(FieldError::new("consent", FieldCode::ConsentRequired))
            }
            _ => {}
        }
        errs
    };

    // A confirmation belongs to one applicant and one procedure: another one needs a new code.
    Effect::new(move |_| {
        cccd.track();
        slug.track();
        ticket.set(None);
        confirmed.set(false);
    });
    let make_ticket = move |_| {
        ticket_error.set(None);
        let req = ConsentAsk {
            unit: unit.get_value(),
            slug: slug.get_untracked(),
            cccd: cccd.get_untracked(),
        };
        leptos::task::spawn_local(async move {
            match ask_consent(req).await {
                Ok(t) => {
                    let token = t.token.clone();
                    ticket.set(Some(t));
                    // Asked every two seconds until the resident confirms or the code changes.
                    loop {
                        crate::ui::upload::sleep_ms(2000).await;
                        let current = ticket.try_get_untracked().flatten().map(|t| t.token);
                        if current.as_deref() != Some(token.as_str()) {
                            break;
                        }
                        let r = consent_status(ConsentRef {
                            unit: unit.get_value(),
                            token: token.clone(),
                        })
                        .await;
                        if matches!(r, Ok(true)) {
                            confirmed.set(true);
                            errors.update(|e| e.retain(|x| x.field != "consent"));
                            break;
                        }
                    }
                }
                Err(e) => ticket_error.set(Some(e)),
            }
        });
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
            consent: match (method.get_untracked(), ticket.get_untracked()) {
                ("phone", Some(t)) => CounterConsent::Phone { token: t.token },
                _ => CounterConsent::Signature {
                    shown: shown.get_untracked(),
                },
            },
            papers: papers.get_untracked(),
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
        method.set("phone");
        shown.set(false);
        ticket.set(None);
        confirmed.set(false);
        papers.set(Vec::new());
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

    // The paper documents of the procedure, each ticked when handed in.
    let papers_view = move || {
        procedure.get().map(|p| {
                    let lang = i18n.lang();
                    view! {
                        <fieldset class="field field--group" id="intake-papers">
                            <legend>{t().intake_papers}</legend>
                            <p class="hint">{t().intake_papers_hint}</p>
                            {p.documents.iter().enumerate().map(|(i, d)| {
                                let i = i as u32;
                                let id = format!("intake-paper-{i}");
                                let counts = [
                                    (d.originals > 0).then(|| format!("{:02} {}", d.originals, lang.pick("bản chính", "original(s)"))),
                                    (d.copies > 0).then(|| format!("{:02} {}", d.copies, lang.pick("bản sao", "copy/copies"))),
                                ].into_iter().flatten().collect::<Vec<_>>().join(", ");
                                let name = lang.pick(&d.name_vi, &d.name_en).to_string();
                                let required = d.required.then(|| format!(" ({})", t().intake_paper_required));
                                view! {
                                    <div class="choice">
                                        <input id=id.clone() type="checkbox"
                                            prop:checked=move || papers.with(|ps| ps.contains(&i))
                                            on:change=move |ev| {
                                                let on = event_target_checked(&ev);
                                                papers.update(|ps| {
                                                    ps.retain(|x| *x != i);
                                                    if on { ps.push(i); ps.sort_unstable(); }
                                                });
                                            } />
                                        <label for=id>{name}{required}<span class="hint">{format!(" — {counts}")}</span></label>
                                    </div>
                                }.into_any()
                            }).collect_view()}
                        </fieldset>
                    }.into_any()
                })
    };

    // What the resident agrees to, and how they confirm it.
    let consent_view = move || {
        view! {
                <section class="form-section" aria-labelledby="intake-consent-title">
                    <h2 id="intake-consent-title">{move || t().intake_consent_title}</h2>
                    <p>{move || fill(t().intake_consent_read, "version", CONSENT_VERSION)}</p>
                    <blockquote class="consent-text">
                        <p>{move || match i18n.lang() { Lang::Vi => CONSENT_VI, Lang::En => CONSENT_EN }}</p>
                    </blockquote>
                    <fieldset class="field" class:field--error=field_error("consent")>
                        <legend>{move || t().intake_consent_how}</legend>
                        <FieldMessage errors=errors field="consent" id="intake-consent-error" />
                        <div class="choice">
                            <input id="intake-consent-phone" type="radio" name="intake-consent"
                                prop:checked=move || method.get() == "phone"
                                on:change=move |_| method.set("phone") />
                            <label for="intake-consent-phone">{move || t().intake_consent_phone}</label>
                        </div>
                        <div class="choice">
                            <input id="intake-consent-signature" type="radio" name="intake-consent"
                                prop:checked=move || method.get() == "signature"
                                on:change=move |_| method.set("signature") />
                            <label for="intake-consent-signature">{move || t().intake_consent_signature}</label>
                        </div>
                    </fieldset>
                    <Show when=move || method.get() == "phone">
                        {move || match ticket.get() {
                            None => view! {
                                <p>
                                    <button type="button" class="button button--secondary"
                                        disabled=move || slug.get().is_empty() || cccd.get().trim().len() < 12
                                        on:click=make_ticket>{move || t().intake_consent_make_qr}</button>
                                </p>
                                <p class="hint">{move || t().intake_consent_need_id}</p>
                                {move || ticket_error.get().map(|e| view! { <p class="field-error" role="alert">{error_message(t(), &e)}</p> })}
                            }.into_any(),
                            Some(tk) => {
                                let qr = format!("/files/intake-consent/{}.svg?{}={}", tk.token, routes::query::UNIT, routes::encode(&unit.get_value()));
                                let until = crate::domain::calendar::to_local(tk.expires_at).format("%H:%M").to_string();
                                let alt = fill(t().intake_consent_qr_alt, "url", &tk.url);
                                view! {
                                    <div class="consent-qr">
                                        <img src=qr alt=alt width="240" height="240" />
                                        <p class="hint">{fill(t().intake_consent_scan, "time", until)}</p>
                                        <p class="mono consent-qr__url">{tk.url.clone()}</p>
                                        <p role="status" class=move || if confirmed.get() { "notice notice--ok" } else { "notice" }>
                                            {move || if confirmed.get() { t().intake_consent_confirmed } else { t().intake_consent_waiting }}
                                        </p>
                                    </div>
                                }.into_any()
                            }
                        }}
                    </Show>
                    <Show when=move || method.get() == "signature">
                        <div class="field field--checkbox">
                            <div class="choice">
                                <input id="intake-consent-shown" type="checkbox"
                                    prop:checked=move || shown.get()
                                    on:change=move |ev| shown.set(event_target_checked(&ev)) />
                                <label for="intake-consent-shown">{move || t().intake_consent_shown}</label>
                            </div>
                        </div>
                    </Show>
                </section>
    }
        .into_any()
    };

    view! {
        <Show when=move || done.get().is_none() fallback=move || {
            let code = done.get().unwrap_or_default();
            let receipt = routes::dossier_file(&code, crate::domain::workflow::SlipKind::Receipt.file_name());
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
                {papers_view}
                {consent_view}
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
