//! `/ho-so/:code`: one of the signed-in person's dossiers — the confirmation right after
//! filing (`?moi=1`), the receipt, the status with its working-day countdown, the timeline,
//! answering a supplement request, withdrawing, the result, and who accessed it. Every action
//! answers with the whole dossier again, which the page shows; a notification about this
//! dossier (over the live stream) reloads it.

use crate::api::AppError;
use crate::api::catalog::get_procedure;
use crate::api::dossiers::{CodeRequest, WithdrawRequest, my_dossier, send_supplement, withdraw};
use crate::api::filing::{DossierCodeReq, start_payment};
use crate::domain::calendar::{format_en, format_vi, to_local};
use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::money::Vnd;
use crate::domain::status::DossierStatus;
use crate::domain::upload::UploadView;
use crate::domain::workflow::{Countdown, DUE_SOON_MINUTES, OwnDossier, SupplementView};
use crate::ui::components::{ErrorSummary, FieldMessage, LoadError, SignInPrompt};
use crate::ui::focus::focus_id;
use crate::ui::i18n::{
    Lang, Messages, error_message, field_message, fill, said_text, status_name, use_i18n,
};
use crate::ui::live::use_live;
use crate::ui::pages::NotFoundPage;
use crate::ui::pages::dossier_documents::DossierDocuments;
use crate::ui::pages::filing::AnswerList;
use crate::ui::routes;
use crate::ui::session::use_session;
use crate::ui::upload::{InFlight, SendingItems};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Id of the message that takes focus after an action.
const MESSAGE_ID: &str = "dossier-msg";
/// Files on the server for a dossier.
const SUPPLEMENT_SLIP: &str = "phieu-bo-sung.pdf";
const APOLOGY_SLIP: &str = "phieu-xin-loi.pdf";

/// One of the caller's dossiers.
#[component]
pub fn DossierPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let params = use_params_map();
    let code = move || params.read().get("code").unwrap_or_default();
    view! {
        {move || match session.info.get() {
            None => view! { <div class="page"><p class="loading">{move || i18n.t().catalog_loading}</p></div> }.into_any(),
            Some(None) => view! {
                <div class="page">
                    <h1>{move || fill(i18n.t().dossier_title, "code", code())}</h1>
                    <SignInPrompt return_to=routes::dossier(&code()) />
                </div>
            }.into_any(),
            Some(Some(_)) => view! { <DossierLoader code=code() /> }.into_any(),
        }}
    }
}

#[component]
fn DossierLoader(code: String) -> impl IntoView {
    let i18n = use_i18n();
    let data = LocalResource::new(move || {
        let code = code.clone();
        async move { my_dossier(CodeRequest { code }).await }
    });
    view! {
        <Suspense fallback=move || view! { <div class="page"><p class="loading">{move || i18n.t().catalog_loading}</p></div> }>
            {move || data.get().map(|r| match r {
                Ok(d) => view! { <DossierDetail dossier=d /> }.into_any(),
                Err(AppError::NotFound) => view! { <NotFoundPage /> }.into_any(),
                Err(e) => view! {
                    <div class="page"><LoadError error=e whole_page=true on_retry=Callback::new(move |_| data.refetch()) /></div>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// What the message after an action says.
#[derive(Debug, Clone, PartialEq)]
enum Notice {
    SupplementSent,
    Withdrawn,
    /// Someone else changed the dossier first (409).
    Conflict,
    Reloaded,
    Failed(AppError),
}

/// Shows `n` in the message region and moves focus there.
fn say(notice: RwSignal<Option<Notice>>, n: Notice) {
    notice.set(Some(n));
    request_animation_frame(|| focus_id(MESSAGE_ID));
}

/// Replaces the shown dossier when it changed (and the page is still open).
fn replace(own: RwSignal<OwnDossier>, d: OwnDossier) {
    if own.try_with_untracked(|o| *o != d).unwrap_or(false) {
        own.set(d);
    }
}

/// Where the error summary sends focus for a field.
fn field_id(field: &str) -> String {
    match field.strip_prefix("doc.") {
        Some(slot) => format!("supp-{slot}"),
        None if field == "reason" => "withdraw-reason".into(),
        None => MESSAGE_ID.into(),
    }
}

fn when(lang: Lang, at: chrono::DateTime<chrono::Utc>) -> String {
    match lang {
        Lang::Vi => format_vi(at),
        Lang::En => format_en(at),
    }
}

/// "Công dân", "Cán bộ một cửa", … for a role name.
fn role_label(t: &'static Messages, role: &str) -> &'static str {
    match role {
        "resident" => t.dossier_actor_resident,
        "officer" => t.dossier_actor_officer,
        "leader" => t.dossier_actor_leader,
        "staff" => t.dossier_actor_staff,
        _ => t.dossier_actor_system,
    }
}

/// What was done, in words, for an audit action.
fn act_label(t: &'static Messages, action: &str) -> &'static str {
    match action {
        "view" => t.dossier_act_view,
        "download" => t.dossier_act_download,
        "attach_result" => t.dossier_act_attach_result,
        "claim" => t.dossier_act_claim,
        "assign" => t.dossier_act_assign,
        "accept" => t.dossier_act_accept,
        "refuse" => t.dossier_act_refuse,
        "request_supplement" => t.dossier_act_request_supplement,
        "supplement_received" => t.dossier_act_supplement_received,
        "start_processing" => t.dossier_act_start_processing,
        "request_payment" => t.dossier_act_request_payment,
        "confirm_paid" => t.dossier_act_confirm_paid,
        "forward" => t.dossier_act_forward,
        "approve" => t.dossier_act_approve,
        "send_back" => t.dossier_act_send_back,
        "stop" => t.dossier_act_stop,
        "refuse_withdrawal" => t.dossier_act_refuse_withdrawal,
        "mark_returned" => t.dossier_act_mark_returned,
        "apologise" => t.dossier_act_apologise,
        _ => t.dossier_act_other,
    }
}

/// The countdown as a state (`running`, `soon`, `late`, `paused`, `ok`, `done`) and a sentence.
fn countdown_text(t: &Messages, c: &Countdown) -> (&'static str, String) {
    if c.finished {
        return match c.on_time {
            Some(true) => ("ok", t.dossier_cd_on_time.to_string()),
            Some(false) => ("late", t.dossier_cd_late_done.to_string()),
            None => ("done", t.dossier_cd_finished.to_string()),
        };
    }
    if c.paused {
        return ("paused", t.dossier_cd_paused.to_string());
    }
    let (days, hours) = c.days_hours();
    let mut parts = Vec::new();
    if days > 0 {
        let unit = if days == 1 {
            t.dossier_cd_day
        } else {
            t.dossier_cd_days
        };
        parts.push(fill(unit, "n", days));
    }
    if hours > 0 || days == 0 {
        let unit = if hours == 1 {
            t.dossier_cd_hour
        } else {
            t.dossier_cd_hours
        };
        parts.push(fill(unit, "n", hours));
    }
    let time = parts.join(" ");
    if c.remaining_minutes < 0 {
        ("late", fill(t.dossier_cd_late, "time", time))
    } else if c.remaining_minutes <= DUE_SOON_MINUTES {
        ("soon", fill(t.dossier_cd_left, "time", time))
    } else {
        ("running", fill(t.dossier_cd_left, "time", time))
    }
}

/// The resident may ask to withdraw from these statuses (1, 2, 4, 5, 6).
fn can_withdraw(s: DossierStatus) -> bool {
    s.transition(
        DossierStatus::WithdrawalRequested,
        crate::domain::status::Actor::Resident,
    )
    .is_ok()
}

#[component]
fn DossierDetail(dossier: OwnDossier) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let query = use_query_map();
    let back_from_gateway = query.read_untracked().get("thanh-toan").is_some();
    let just_filed = query.read_untracked().get("moi").is_some() || back_from_gateway;
    let code = dossier.dossier.code.clone();
    let slug = dossier.dossier.procedure_slug.clone();
    let own = RwSignal::new(dossier);
    let code_s = StoredValue::new(code.clone());
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let notice = RwSignal::new(None::<Notice>);
    let busy = RwSignal::new(false);
    let status = Memo::new(move |_| own.with(|o| o.dossier.status));
    let supplement = Memo::new(move |_| {
        own.with(|o| {
            o.supplement.clone().filter(|s| {
                s.completed_at.is_none() && o.dossier.status == DossierStatus::SupplementRequested
            })
        })
    });

    // A notification about this dossier: show the new status and countdown at once.
    let live = use_live();
    let seen = live
        .arrived
        .with_untracked(|a| a.as_ref().map_or(0, |n| n.seq));
    Effect::new(move |_| {
        let Some(n) = live.arrived.get() else { return };
        if n.seq <= seen || n.code != code_s.get_value() {
            return;
        }
        leptos::task::spawn_local(async move {
            if let Ok(d) = my_dossier(CodeRequest { code: n.code }).await {
                replace(own, d);
            }
        });
    });
    let reload = move || {
        leptos::task::spawn_local(async move {
            if let Ok(d) = my_dossier(CodeRequest {
                code: code_s.get_value(),
            })
            .await
            {
                replace(own, d);
                errors.set(Vec::new());
                say(notice, Notice::Reloaded);
            }
        });
    };

    let procedure = LocalResource::new(move || get_procedure(slug.clone()));
    let answers = Signal::derive(move || own.with(|o| o.dossier.answers.clone()));
    let title = {
        let code = code.clone();
        move || fill(t().dossier_title, "code", &code)
    };
    view! {
        <Title text=title.clone() />
        <div class="page dossier">
            <p class="breadcrumb"><a href=routes::DOSSIERS>{move || t().dossier_back_to_list}</a></p>
            {if just_filed {
                view! {
                    <div class="panel panel--success" role="status">
                        <h1>{move || t().dossier_submitted}</h1>
                        <p>{move || t().dossier_code}</p>
                        <p class="panel__code">{code.clone()}</p>
                        <p>{move || fill(t().dossier_submitted_body, "unit", own.with(|o| i18n.lang().pick(&o.dossier.unit_name, &o.dossier.unit_name_en).to_string()))}</p>
                    </div>
                }.into_any()
            } else {
                view! { <h1>{title.clone()}</h1> }.into_any()
            }}
            <ErrorSummary errors=errors field_id=field_id />
            <div id=MESSAGE_ID class="status-msg" role="status" aria-live="polite" tabindex="-1">
                {move || notice.get().map(|n| {
                    let (class, text) = match &n {
                        Notice::SupplementSent => ("notice notice--ok", t().dossier_supplement_sent.to_string()),
                        Notice::Withdrawn => ("notice notice--ok", t().dossier_withdraw_done.to_string()),
                        Notice::Reloaded => ("notice", t().dossier_live_updated.to_string()),
                        Notice::Conflict => ("notice notice--error", t().dossier_conflict.to_string()),
                        Notice::Failed(e) => ("notice notice--error", error_message(t(), e)),
                    };
                    view! {
                        <div class=class>
                            <p>{text}</p>
                            {(n == Notice::Conflict).then(|| view! {
                                <button type="button" class="button button--secondary" on:click=move |_| reload()>{move || t().dossier_reload}</button>
                            })}
                        </div>
                    }
                })}
            </div>
            <CountdownView own=own />
            <dl class="facts">
                <div><dt>{move || t().dossier_procedure}</dt><dd>{move || own.with(|o| i18n.lang().pick(&o.dossier.procedure_vi, &o.dossier.procedure_en).to_string())}</dd></div>
                <div><dt>{move || t().dossier_unit}</dt><dd>{move || own.with(|o| i18n.lang().pick(&o.dossier.unit_name, &o.dossier.unit_name_en).to_string())}</dd></div>
                <div><dt>{move || t().dossier_status}</dt><dd class="status">{move || status_name(i18n.lang(), status.get())}</dd></div>
                <div><dt>{move || t().dossier_received}</dt><dd>{move || when(i18n.lang(), own.with(|o| o.dossier.received_at))}</dd></div>
                <div><dt>{move || t().dossier_due}</dt><dd>{move || when(i18n.lang(), own.with(|o| o.countdown.due_at))}</dd></div>
                <div><dt>{move || t().dossier_fee}</dt><dd>{move || {
                    let v = Vnd(own.with(|o| o.dossier.fee_vnd));
                    match i18n.lang() { Lang::Vi => v.format_vi(), Lang::En => v.format_en() }
                }}</dd></div>
            </dl>
            <p>
                <a class="button button--secondary" href=routes::receipt_pdf(&code) rel="external" download>{move || t().dossier_receipt}</a>
            </p>
            <Show when=move || supplement.get().is_some()>
                <SupplementSection code=code_s supplement=supplement own=own errors=errors notice=notice busy=busy />
            </Show>
            <ResultsSection own=own />
            <DossierDocuments own=own form=Signal::derive(move || procedure.get().and_then(Result::ok).map(|p| p.form)) when=when />
            <PaymentPanel own=own back_from_gateway=back_from_gateway />
            <Show when=move || can_withdraw(status.get())>
                <WithdrawPanel code=code_s own=own errors=errors notice=notice busy=busy />
            </Show>
            <section aria-labelledby="timeline-title">
                <h2 id="timeline-title">{move || t().dossier_timeline}</h2>
                <ol class="timeline">
                    {move || own.with(|o| o.dossier.events.clone()).into_iter().map(|e| {
                        let who = role_label(t(), &e.actor_role);
                        view! {
                            <li>
                                <strong>{status_name(i18n.lang(), e.status)}</strong>
                                <span class="timeline__meta">
                                    " — " <time datetime=e.at.to_rfc3339()>{when(i18n.lang(), e.at)}</time> {format!(" — {who}")}
                                </span>
                                {e.said.as_ref().map(|said| view! { <p class="timeline__note">{said_text(i18n.lang(), said)}</p> })}
                                {e.note.map(|n| view! { <p class="timeline__note" lang=(i18n.lang() == Lang::En).then_some("vi")>{n}</p> })}
                            </li>
                        }
                    }).collect_view()}
                </ol>
            </section>
            <section aria-labelledby="answers-title">
                <h2 id="answers-title">{move || t().dossier_answers}</h2>
                {move || procedure.get().and_then(Result::ok).map(|p| {
                    let form = StoredValue::new(p.form);
                    view! { <AnswerList form=form answers=answers on_change=None /> }
                })}
            </section>
            <AccessLog own=own />
            <p class="hint">{move || t().dossier_track_hint}</p>
        </div>
    }
}

/// The working-day countdown from the server, and the apology's new appointment.
#[component]
fn CountdownView(own: RwSignal<OwnDossier>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let countdown = Memo::new(move |_| own.with(|o| o.countdown.clone()));
    let code = own.with_untracked(|o| o.dossier.code.clone());
    view! {
        {move || {
            let c = countdown.get();
            let (state, text) = countdown_text(t(), &c);
            view! {
                <div class=format!("clock clock--{state}")>
                    <span class="clock__icon" aria-hidden="true"></span>
                    <div>
                        <p class="clock__text"><span class="clock__label">{format!("{}: ", t().dossier_countdown)}</span><strong>{text}</strong></p>
                        {(state == "paused").then(|| view! { <p class="hint">{t().dossier_cd_paused_hint}</p> })}
                    </div>
                </div>
            }
        }}
        {move || countdown.get().apology_due_at.map(|at| view! {
            <div class="notice">
                <p>{fill(t().dossier_apology, "time", when(i18n.lang(), at))}</p>
                <p><a class="link-target" href=routes::dossier_file(&code, APOLOGY_SLIP) rel="external" download>{t().dossier_apology_slip}</a></p>
            </div>
        })}
    }
}

/// The open supplement request: what is asked for, a file picker per document (each sends
/// only that document), then "Gửi bổ sung".
#[component]
fn SupplementSection(
    code: StoredValue<String>,
    supplement: Memo<Option<SupplementView>>,
    own: RwSignal<OwnDossier>,
    errors: RwSignal<Vec<FieldError>>,
    notice: RwSignal<Option<Notice>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    // What was already sent for this request (also on an earlier visit or another device).
    let earlier: Vec<UploadView> = own.with_untracked(|o| {
        o.supplement_files
            .iter()
            .map(|(id, slot, name)| UploadView {
                id: id.clone(),
                slot: slot.clone(),
                name: name.clone(),
                size: 0,
                received: 0,
                kind: None,
                complete: true,
                origin: None,
            })
            .collect()
    });
    let uploaded = RwSignal::new(earlier);
    let in_flight = InFlight::new();
    let pick = move |slot: String, ev: leptos::ev::Event| {
        #[cfg(feature = "csr")]
        in_flight.send_picked(&ev, &slot, uploaded, errors, |file, progress| {
            let (code, slot) = (code.get_value(), slot.clone());
            crate::ui::upload::send_to_dossier(code, String::new(), slot, file, |_| {}, progress)
        });
        #[cfg(not(feature = "csr"))]
        let _ = (slot, ev, code, in_flight, uploaded);
    };
    let send = move |_| {
        if busy.get_untracked() {
            return;
        }
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = send_supplement(CodeRequest {
                code: code.get_value(),
            })
            .await;
            busy.set(false);
            match r {
                Ok(d) => {
                    errors.set(Vec::new());
                    replace(own, d);
                    say(notice, Notice::SupplementSent);
                }
                Err(AppError::Validation { fields }) => errors.set(
                    fields
                        .into_iter()
                        .map(|f| {
                            if f.field.starts_with("doc.") && f.code == FieldCode::Required {
                                FieldError::new(f.field, FieldCode::FileMissing)
                            } else {
                                f
                            }
                        })
                        .collect(),
                ),
                Err(AppError::Conflict) => say(notice, Notice::Conflict),
                Err(e) => say(notice, Notice::Failed(e)),
            }
        });
    };
    let code_now = code.get_value();
    view! {
        <section class="supplement" aria-labelledby="supplement-title">
            <h2 id="supplement-title">{move || t().dossier_supplement_title}</h2>
            {move || supplement.get().map(|s| view! {
                <p>{fill(t().dossier_supplement_lead, "time", when(i18n.lang(), s.requested_at))}</p>
                {(!s.note.trim().is_empty()).then(|| view! { <p class="supplement__note">{fill(t().dossier_supplement_note, "note", &s.note)}</p> })}
            })}
            <p><a class="link-target" href=routes::dossier_file(&code_now, SUPPLEMENT_SLIP) rel="external" download>{move || t().dossier_supplement_slip}</a></p>
            <ol class="supplement__items">
                {move || supplement.get().map(|s| s.items).unwrap_or_default().into_iter().map(|item| {
                    let has_file = !item.slot.is_empty();
                    let slot = StoredValue::new(item.slot.clone());
                    let id = format!("supp-{}", item.slot);
                    let note_id = format!("{id}-note");
                    let error_id = format!("{id}-error");
                    let message = move || {
                        let field = format!("doc.{}", slot.get_value());
                        errors.with(|es| es.iter().find(|e| e.field == field).map(|e| field_message(t(), e)))
                    };
                    let described = {
                        let (note_id, error_id) = (note_id.clone(), error_id.clone());
                        move || if message().is_some() { format!("{note_id} {error_id}") } else { note_id.clone() }
                    };
                    view! {
                        <li class="supplement__item" class:field--error=move || message().is_some()>
                            {if has_file {
                                view! { <label for=id.clone() class="supplement__label">{item.label.clone()}</label> }.into_any()
                            } else {
                                view! { <p class="supplement__label">{item.label.clone()}</p> }.into_any()
                            }}
                            <p id=note_id.clone() class="hint">
                                {(!item.note.is_empty()).then(|| item.note.clone())}
                                {(!has_file).then(|| view! { " " {move || t().dossier_supplement_counter} })}
                            </p>
                            {has_file.then(|| view! {
                                {move || message().map(|m| view! { <p id=error_id.clone() class="field-error">{m}</p> })}
                                <ul class="plain files">
                                    {move || uploaded.get().into_iter().filter(|u| u.slot == slot.get_value()).map(|u| view! {
                                        <li class="file">{fill(t().dossier_uploaded, "name", &u.name)}</li>
                                    }).collect_view()}
                                    <SendingItems in_flight=in_flight document=slot.get_value() />
                                </ul>
                                <input id=id.clone() class="file-input" type="file" multiple
                                    accept="application/pdf,image/jpeg,image/png"
                                    aria-describedby=described
                                    aria-invalid=move || message().is_some().to_string()
                                    on:change=move |ev| pick(slot.get_value(), ev) />
                            })}
                        </li>
                    }
                }).collect_view()}
            </ol>
            <p class="hint" id="supplement-send-hint">{move || t().dossier_supplement_send_hint}</p>
            <button type="button" class="button" aria-describedby="supplement-send-hint"
                disabled=move || busy.get() || !in_flight.is_empty()
                on:click=send>
                {move || if busy.get() { t().dossier_supplement_sending } else { t().dossier_supplement_send }}
            </button>
        </section>
    }
}

/// "Rút hồ sơ": a disclosure with the reason and a confirm button.
#[component]
fn WithdrawPanel(
    code: StoredValue<String>,
    own: RwSignal<OwnDossier>,
    errors: RwSignal<Vec<FieldError>>,
    notice: RwSignal<Option<Notice>>,
    busy: RwSignal<bool>,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let reason = RwSignal::new(String::new());
    let invalid = move || errors.with(|es| es.iter().any(|e| e.field == "reason"));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if busy.get_untracked() {
            return;
        }
        let text = reason.get_untracked();
        if text.trim().is_empty() {
            errors.set(vec![FieldError::new("reason", FieldCode::Required)]);
            return;
        }
        errors.set(Vec::new());
        busy.set(true);
        leptos::task::spawn_local(async move {
            let r = withdraw(WithdrawRequest {
                code: code.get_value(),
                reason: text,
            })
            .await;
            busy.set(false);
            match r {
                Ok(d) => {
                    replace(own, d);
                    say(notice, Notice::Withdrawn);
                }
                Err(AppError::Validation { fields }) => errors.set(fields),
                Err(AppError::Conflict) => say(notice, Notice::Conflict),
                Err(e) => say(notice, Notice::Failed(e)),
            }
        });
    };
    view! {
        <details class="disclosure">
            <summary>{move || t().dossier_withdraw}</summary>
            <div class="disclosure__body">
                <p>{move || t().dossier_withdraw_lead}</p>
                <form class="form" novalidate on:submit=submit>
                    <div class="field" class:field--error=invalid>
                        <label for="withdraw-reason">{move || t().dossier_withdraw_reason}</label>
                        <p id="withdraw-reason-hint" class="hint">{move || t().dossier_withdraw_reason_hint}</p>
                        <FieldMessage errors=errors field="reason" id="withdraw-reason-error" />
                        <textarea
                            id="withdraw-reason"
                            required
                            maxlength="1000"
                            aria-invalid=move || invalid().to_string()
                            aria-describedby=move || if invalid() { "withdraw-reason-hint withdraw-reason-error" } else { "withdraw-reason-hint" }
                            prop:value=move || reason.get()
                            on:input=move |ev| reason.set(event_target_value(&ev))
                        ></textarea>
                    </div>
                    <button type="submit" class="button button--warning" disabled=move || busy.get()>
                        {move || t().dossier_withdraw_confirm}
                    </button>
                </form>
            </div>
        </details>
    }
}

/// The electronic result, once attached.
#[component]
fn ResultsSection(own: RwSignal<OwnDossier>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let results = Memo::new(move |_| own.with(|o| o.results.clone()));
    let code = StoredValue::new(own.with_untracked(|o| o.dossier.code.clone()));
    view! {
        <Show when=move || results.with(|r| !r.is_empty())>
            <section class="review-section" aria-labelledby="results-title">
                <h2 id="results-title">{move || t().dossier_results_title}</h2>
                <ul class="plain results">
                    {move || results.get().into_iter().map(|(id, name)| view! {
                        <li>
                            <a class="button" href=routes::dossier_file(&code.get_value(), &id) rel="external" download>
                                {move || fill(t().dossier_result_download, "name", &name)}
                            </a>
                        </li>
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}

/// "Ai đã truy cập hồ sơ của tôi": role and ward, never a name.
#[component]
fn AccessLog(own: RwSignal<OwnDossier>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let access = Memo::new(move |_| own.with(|o| o.access.clone()));
    view! {
        <section aria-labelledby="access-title">
            <h2 id="access-title">{move || t().dossier_access_title}</h2>
            <p class="hint">{move || t().dossier_access_lead}</p>
            {move || if access.with(Vec::is_empty) {
                view! { <p>{t().dossier_access_empty}</p> }.into_any()
            } else {
                let (c_time, c_role, c_unit, c_action) = (t().dossier_access_time, t().dossier_access_role, t().dossier_access_unit, t().dossier_access_action);
                view! {
                    <table class="table--stack access-log">
                        <thead>
                            <tr>
                                <th scope="col">{c_time}</th>
                                <th scope="col">{c_role}</th>
                                <th scope="col">{c_unit}</th>
                                <th scope="col">{c_action}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {access.get().into_iter().map(|a| view! {
                                <tr>
                                    <td data-label=c_time><time datetime=a.at.to_rfc3339()>{to_local(a.at).format("%H:%M %d/%m/%Y").to_string()}</time></td>
                                    <td data-label=c_role>{role_label(t(), &a.role)}</td>
                                    <td data-label=c_unit>{i18n.lang().pick(&a.unit_name, &a.unit_name_en).to_string()}</td>
                                    <td data-label=c_action>{act_label(t(), &a.action)}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

/// The fee: paid (with the gateway's transaction number), waiting for the gateway's notice,
/// or a button to pay. What it shows comes from the server, never from the return address.
#[component]
fn PaymentPanel(own: RwSignal<OwnDossier>, back_from_gateway: bool) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let code = own.with_untracked(|o| o.dossier.code.clone());
    let fee = Memo::new(move |_| own.with(|o| o.dossier.fee_vnd));
    let state = Memo::new(move |_| own.with(|o| o.dossier.payment.clone()));
    let due = Memo::new(move |_| own.with(|o| o.payment_due_vnd));
    let money = move |v: i64| match i18n.lang() {
        Lang::Vi => Vnd(v).format_vi(),
        Lang::En => Vnd(v).format_en(),
    };
    // Back from the gateway before its notice arrived: ask again for a while.
    if back_from_gateway && state.get_untracked().is_none_or(|p| p.status == "pending") {
        let code = code.clone();
        leptos::task::spawn_local(async move {
            for _ in 0..30 {
                crate::ui::upload::sleep_ms(2000).await;
                if let Ok(d) = my_dossier(CodeRequest { code: code.clone() }).await {
                    let done = d
                        .dossier
                        .payment
                        .as_ref()
                        .is_some_and(|p| p.status != "pending");
                    replace(own, d);
                    if done || own.is_disposed() {
                        break;
                    }
                }
            }
        });
    }
    let pay = Action::new_local(move |code: &String| {
        let code = code.clone();
        async move {
            let r = start_payment(DossierCodeReq { code }).await;
            if let Ok(url) = &r {
                crate::ui::pages::filing::go_external(url);
            }
            r
        }
    });
    let code_s = StoredValue::new(code);
    view! {
        <section class="review-section" aria-labelledby="pay-title">
            <h2 id="pay-title">{move || t().pay_title}</h2>
            <div role="status" aria-live="polite">
            {move || due.get().map(|v| view! {
                // A fee assessed during processing: paying it lets processing carry on.
                <p class="notice">{fill(t().dossier_payment_due, "amount", money(v))}</p>
                {move || pay.value().get().and_then(Result::err).map(|_| view! { <p class="field-error">{t().pay_unavailable}</p> })}
                <button type="button" class="button" disabled=move || pay.pending().get()
                    on:click=move |_| { pay.dispatch(code_s.get_value()); }>
                    {fill(t().pay_button, "amount", money(v))}
                </button>
            })}
            {move || own.with(|o| o.dossier.duplicates.clone()).into_iter().map(|p| {
                // Money taken for a fee already paid: the resident is told it comes back.
                let at = p.settled_at.map(|at| when(i18n.lang(), at)).unwrap_or_default();
                let text = fill(&fill(&fill(t().pay_duplicate, "amount", money(p.amount_vnd)), "time", at), "txn", p.provider_txn_no.unwrap_or_default());
                view! { <p class="notice">{text}</p> }
            }).collect_view()}
            {move || {
                let p = state.get();
                let fee = fee.get();
                if fee <= 0 {
                    return view! { <p>{t().pay_none}</p> }.into_any();
                }
                match p {
                    Some(p) if p.status == "paid" => {
                        let at = p.settled_at.map(|at| when(i18n.lang(), at)).unwrap_or_default();
                        let text = fill(&fill(&fill(t().pay_paid, "amount", money(p.amount_vnd)), "time", at), "txn", p.provider_txn_no.unwrap_or_default());
                        view! { <p class="notice notice--ok">{text}</p> }.into_any()
                    }
                    Some(p) if p.status == "pending" && back_from_gateway => view! { <p class="notice">{t().pay_waiting}</p> }.into_any(),
                    other => view! {
                        {other.filter(|p| p.status == "failed").map(|_| view! { <p class="notice notice--error">{t().pay_failed}</p> })}
                        <p class="hint">{t().pay_hint}</p>
                        {move || pay.value().get().and_then(Result::err).map(|_| view! { <p class="field-error">{t().pay_unavailable}</p> })}
                        <button type="button" class="button" disabled=move || pay.pending().get()
                            on:click=move |_| { pay.dispatch(code_s.get_value()); }>
                            {fill(t().pay_button, "amount", money(fee))}
                        </button>
                    }.into_any(),
                }
            }}
            </div>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::i18n::VI;

    fn c(minutes: i64, paused: bool, finished: bool, on_time: Option<bool>) -> Countdown {
        Countdown {
            due_at: chrono::Utc::now(),
            paused,
            remaining_minutes: minutes,
            apology_due_at: None,
            finished,
            on_time,
        }
    }

    #[test]
    fn countdown_sentences() {
        let per_day = crate::domain::calendar::MINUTES_PER_WORKING_DAY;
        let cases = [
            (
                c(3 * per_day + 120, false, false, None),
                "running",
                "Còn 3 ngày 2 giờ làm việc",
            ),
            (
                c(per_day + 60, false, false, None),
                "soon",
                "Còn 1 ngày 1 giờ làm việc",
            ),
            (
                c(2 * per_day, false, false, None),
                "soon",
                "Còn 2 ngày làm việc",
            ),
            (c(30, false, false, None), "soon", "Còn 1 giờ làm việc"),
            (
                c(-(per_day + 4 * 60), false, false, None),
                "late",
                "Quá hạn 1 ngày 4 giờ làm việc",
            ),
            (
                c(100, true, false, None),
                "paused",
                "Tạm dừng — chờ Ông/Bà bổ sung giấy tờ",
            ),
            (
                c(0, false, true, Some(true)),
                "ok",
                "Đã giải quyết đúng hạn",
            ),
            (
                c(0, false, true, Some(false)),
                "late",
                "Đã giải quyết, nhưng chậm so với ngày hẹn",
            ),
        ];
        for (cd, state, text) in cases {
            assert_eq!(countdown_text(&VI, &cd), (state, text.to_string()));
        }
    }

    #[test]
    fn withdrawal_is_offered_from_the_national_statuses() {
        let offered: Vec<u8> = DossierStatus::ALL
            .into_iter()
            .filter(|s| can_withdraw(*s))
            .map(DossierStatus::code)
            .collect();
        assert_eq!(offered, vec![1, 2, 4, 5, 6]);
    }

    #[test]
    fn summary_links_reach_the_fields() {
        assert_eq!(field_id("doc.giay_chung_sinh"), "supp-giay_chung_sinh");
        assert_eq!(field_id("reason"), "withdraw-reason");
        assert_eq!(field_id("other"), MESSAGE_ID);
    }
}
