//! The acts an officer or leader may take on a dossier now — exactly the ones the server
//! lists in `allowed` — each with the inputs it needs. The server decides; the page shows
//! what it answers (the dossier anew, field errors, or "someone else acted first").

use crate::api::AppError;
use crate::api::staff::{ActRequest, ward_act};
use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::form::FormDef;
use crate::domain::staff::Role;
use crate::domain::workflow::{ActKind, StaffAct, SupplementItem};
use crate::ui::focus::focus_id;
use crate::ui::i18n::{Messages, fill, use_i18n};
use crate::ui::pages::console_dossier::{DossierCx, Notice};
use crate::ui::pages::filing::tr;
use leptos::prelude::*;

/// An act's button text.
pub(crate) fn act_label(t: &'static Messages, act: ActKind) -> &'static str {
    match act {
        ActKind::Claim => t.act_claim,
        ActKind::Assign => t.act_assign,
        ActKind::Accept => t.act_accept,
        ActKind::Refuse => t.act_refuse,
        ActKind::RequestSupplement => t.act_request_supplement,
        ActKind::SupplementReceived => t.act_supplement_received,
        ActKind::StartProcessing => t.act_start_processing,
        ActKind::RequestPayment => t.act_request_payment,
        ActKind::ConfirmPaid => t.act_confirm_paid,
        ActKind::Forward => t.act_forward,
        ActKind::Approve => t.act_approve,
        ActKind::SendBack => t.act_send_back,
        ActKind::Stop => t.act_stop,
        ActKind::RefuseWithdrawal => t.act_refuse_withdrawal,
        ActKind::MarkReturned => t.act_mark_returned,
        ActKind::Apologise => t.act_apologise,
        ActKind::Withdraw | ActKind::Supplement => t.act_unknown,
    }
}

/// The `id` of the input an act's field error points to.
pub(crate) fn act_field_id(field: &str) -> String {
    match field {
        "reason" => "act-reason",
        "note" => "act-note",
        "amount_vnd" => "act-amount",
        "new_due" => "act-new-due",
        "user_id" => "act-assignee",
        "result" | "doc.result" => "result-file",
        f if f == "items" || f.starts_with("items.") => "act-items",
        _ => "actions-title",
    }
    .to_string()
}

/// What an act asks for before it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needs {
    /// Nothing: the button acts at once.
    Nothing,
    /// A reason (required).
    Reason,
    /// A note (optional).
    Note,
    /// Amount and reason.
    Payment,
    /// Items and a note.
    Supplement,
    /// New appointment and reason.
    Apology,
    /// A colleague of the ward.
    Colleague,
}

fn needs(act: ActKind) -> Needs {
    use ActKind::*;
    match act {
        Refuse | SendBack | Stop | RefuseWithdrawal => Needs::Reason,
        Forward | Approve => Needs::Note,
        RequestPayment => Needs::Payment,
        RequestSupplement => Needs::Supplement,
        Apologise => Needs::Apology,
        Assign => Needs::Colleague,
        Claim | Accept | SupplementReceived | StartProcessing | ConfirmPaid | MarkReturned
        | Withdraw | Supplement => Needs::Nothing,
    }
}

/// One document slot of the procedure, ticked or not, in a supplement request.
#[derive(Debug, Clone, PartialEq)]
struct SlotTick {
    slot: String,
    label: String,
    checked: bool,
    note: String,
}

/// What was typed into the open act's form.
#[derive(Debug, Clone, Default, PartialEq)]
struct Typed {
    reason: String,
    note: String,
    amount: String,
    new_due: String,
    /// The colleague's user id.
    assignee: String,
    ticks: Vec<SlotTick>,
    /// Items that are not a document of the form: (label, note).
    extra: Vec<(String, String)>,
}

/// Builds the act from what was typed, with the checks the browser can make at once (the
/// server checks everything again).
fn build(act: ActKind, typed: &Typed) -> Result<StaffAct, Vec<FieldError>> {
    let mut errors = Vec::new();
    let reason = typed.reason.trim().to_string();
    let need_reason = |errors: &mut Vec<FieldError>| {
        if reason.is_empty() {
            errors.push(FieldError::new("reason", FieldCode::Required));
        }
    };
    let act = match act {
        ActKind::Claim => StaffAct::Claim,
        ActKind::Assign => {
            if typed.assignee.is_empty() {
                errors.push(FieldError::new("user_id", FieldCode::Required));
            }
            StaffAct::Assign {
                user_id: typed.assignee.clone(),
            }
        }
        ActKind::Accept => StaffAct::Accept,
        ActKind::SupplementReceived => StaffAct::SupplementReceived,
        ActKind::StartProcessing => StaffAct::StartProcessing,
        ActKind::ConfirmPaid => StaffAct::ConfirmPaid,
        ActKind::MarkReturned => StaffAct::MarkReturned,
        ActKind::Refuse => {
            need_reason(&mut errors);
            StaffAct::Refuse { reason }
        }
        ActKind::SendBack => {
            need_reason(&mut errors);
            StaffAct::SendBack { reason }
        }
        ActKind::Stop => {
            need_reason(&mut errors);
            StaffAct::Stop { reason }
        }
        ActKind::RefuseWithdrawal => {
            need_reason(&mut errors);
            StaffAct::RefuseWithdrawal { reason }
        }
        ActKind::Forward => StaffAct::Forward {
            note: typed.note.clone(),
        },
        ActKind::Approve => StaffAct::Approve {
            note: typed.note.clone(),
        },
        ActKind::RequestPayment => {
            // People type "50.000" or "50 000": the grouping is not part of the number.
            let digits: String = typed
                .amount
                .chars()
                .filter(|c| !matches!(c, ' ' | '.' | ',' | '\u{a0}'))
                .collect();
            let amount_vnd = if digits.is_empty() {
                errors.push(FieldError::new("amount_vnd", FieldCode::Required));
                0
            } else {
                match digits.parse::<i64>() {
                    Ok(n) if (1_000..=1_000_000_000).contains(&n) => n,
                    Ok(_) => {
                        errors.push(FieldError::new("amount_vnd", FieldCode::AmountRange));
                        0
                    }
                    Err(_) => {
                        errors.push(FieldError::new("amount_vnd", FieldCode::NotANumber));
                        0
                    }
                }
            };
            need_reason(&mut errors);
            StaffAct::RequestPayment { amount_vnd, reason }
        }
        ActKind::RequestSupplement => {
            let mut items: Vec<SupplementItem> = typed
                .ticks
                .iter()
                .filter(|t| t.checked)
                .map(|t| SupplementItem {
                    slot: t.slot.clone(),
                    label: t.label.clone(),
                    note: t.note.trim().to_string(),
                })
                .collect();
            let first_extra = items.len();
            for (i, (label, note)) in typed
                .extra
                .iter()
                .filter(|(l, n)| !l.trim().is_empty() || !n.trim().is_empty())
                .enumerate()
            {
                if label.trim().is_empty() {
                    errors.push(FieldError::new(
                        format!("items.{}.label", first_extra + i),
                        FieldCode::Required,
                    ));
                }
                items.push(SupplementItem {
                    slot: String::new(),
                    label: label.trim().to_string(),
                    note: note.trim().to_string(),
                });
            }
            if items.is_empty() {
                errors.push(FieldError::new("items", FieldCode::Required));
            }
            StaffAct::RequestSupplement {
                items,
                note: typed.note.clone(),
            }
        }
        ActKind::Apologise => {
            let new_due = match typed.new_due.trim() {
                "" => {
                    errors.push(FieldError::new("new_due", FieldCode::Required));
                    None
                }
                s => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map_err(|_| errors.push(FieldError::new("new_due", FieldCode::DateFormat)))
                    .ok(),
            };
            need_reason(&mut errors);
            StaffAct::Apologise {
                new_due: new_due.unwrap_or(chrono::NaiveDate::MIN),
                reason,
            }
        }
        ActKind::Withdraw | ActKind::Supplement => {
            return Err(vec![FieldError::new("act", FieldCode::Unknown)]);
        }
    };
    if errors.is_empty() {
        Ok(act)
    } else {
        Err(errors)
    }
}

/// The buttons for the allowed acts and, for an act that needs input, its form.
#[component]
pub(crate) fn ActionPanel(
    /// The dossier page.
    cx: DossierCx,
    /// The procedure's form (for the document slots of a supplement request).
    form: RwSignal<Option<FormDef>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let open = RwSignal::new(None::<ActKind>);
    let typed = RwSignal::new(Typed::default());
    let busy = RwSignal::new(false);

    let send = move |name: ActKind| {
        if busy.get_untracked() {
            return;
        }
        let act = match typed.with_untracked(|ty| build(name, ty)) {
            Ok(a) => a,
            Err(errs) => {
                cx.errors.set(errs);
                return;
            }
        };
        busy.set(true);
        cx.errors.set(Vec::new());
        cx.notice.set(None);
        leptos::task::spawn_local(async move {
            let r = ward_act(ActRequest {
                unit: cx.unit.get_value(),
                code: cx.code.get_value(),
                act,
            })
            .await;
            busy.set(false);
            match r {
                Ok(d) => {
                    cx.dossier.set(Some(d));
                    open.set(None);
                    let slip = name.slip();
                    cx.notice.set(Some(Notice::Done { act: name, slip }));
                    request_animation_frame(|| focus_id("act-notice"));
                }
                Err(AppError::Validation { fields }) => cx.errors.set(fields),
                Err(AppError::Conflict) => {
                    open.set(None);
                    cx.notice.set(Some(Notice::Conflict));
                    cx.reload();
                    request_animation_frame(|| focus_id("act-notice"));
                }
                Err(AppError::NotFound) => cx.failed.set(Some(AppError::NotFound)),
                Err(e) => {
                    cx.notice.set(Some(Notice::Failed(e)));
                    request_animation_frame(|| focus_id("act-notice"));
                }
            }
        });
    };

    let start = move |name: ActKind| {
        cx.errors.set(Vec::new());
        if needs(name) == Needs::Nothing {
            open.set(None);
            send(name);
            return;
        }
        let lang = i18n.lang();
        let ticks = if needs(name) == Needs::Supplement {
            form.with_untracked(|f| {
                f.as_ref()
                    .map(|f| {
                        f.documents
                            .iter()
                            .map(|d| SlotTick {
                                slot: d.id.clone(),
                                label: tr(lang, &d.label),
                                checked: false,
                                note: String::new(),
                            })
                            .collect()
                    })
                    .unwrap_or_default()
            })
        } else {
            Vec::new()
        };
        typed.set(Typed {
            ticks,
            extra: vec![(String::new(), String::new())],
            ..Typed::default()
        });
        open.set(Some(name));
        request_animation_frame(|| focus_id("act-form-title"));
    };

    let buttons = move || {
        let allowed = cx.with(|d| d.allowed.clone()).unwrap_or_default();
        let t = t();
        if allowed.is_empty() {
            return view! { <p>{t.act_none}</p> }.into_any();
        }
        view! {
            <ul class="plain act-buttons">
                {allowed.into_iter().map(|name| {
                    let has_form = needs(name) != Needs::Nothing;
                    let expanded = move || has_form.then(|| (open.get() == Some(name)).to_string());
                    view! {
                        <li>
                            <button type="button" class="button button--secondary act-button"
                                aria-expanded=expanded aria-controls=has_form.then_some("act-form")
                                disabled=move || busy.get()
                                on:click=move |_| start(name)>
                                {act_label(t, name)}
                            </button>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(name) = open.get_untracked() {
            send(name);
        }
    };
    let close = move |_| {
        open.set(None);
        cx.errors.set(Vec::new());
        request_animation_frame(|| focus_id("actions-title"));
    };

    view! {
        <section class="panel-box" aria-labelledby="actions-title">
            <h2 id="actions-title" tabindex="-1">{move || t().act_title}</h2>
            {buttons}
            {move || open.get().map(|name| {
                let t = t();
                let label = act_label(t, name);
                let kind = needs(name);
                view! {
                    <form id="act-form" class="form act-form" novalidate on:submit=on_submit>
                        <h3 id="act-form-title" tabindex="-1">{label}</h3>
                        {(kind == Needs::Payment).then(|| view! { <AmountInput cx=cx typed=typed /> })}
                        {(kind == Needs::Apology).then(|| view! { <DateInput cx=cx typed=typed /> })}
                        {(kind == Needs::Colleague).then(|| view! { <ColleagueInput cx=cx typed=typed /> })}
                        {(kind == Needs::Supplement).then(|| view! { <ItemsInput cx=cx typed=typed /> })}
                        {matches!(kind, Needs::Reason | Needs::Payment | Needs::Apology).then(|| view! {
                            <TextInput cx=cx typed=typed field="reason" id="act-reason" required=true />
                        })}
                        {matches!(kind, Needs::Note | Needs::Supplement).then(|| view! {
                            <TextInput cx=cx typed=typed field="note" id="act-note" required=false />
                        })}
                        <div class="form__actions">
                            <button type="submit" class="button" disabled=move || busy.get()>
                                {move || if busy.get() { t.act_sending.to_string() } else { fill(t.act_confirm, "act", label) }}
                            </button>
                            <button type="button" class="button button--secondary" on:click=close>{t.act_cancel}</button>
                        </div>
                    </form>
                }
            })}
        </section>
    }
}

/// The first error of `field` (or of anything under it), worded.
fn error_of(cx: DossierCx, t: &'static Messages, field: &'static str) -> Option<String> {
    cx.errors.with(|es| {
        es.iter()
            .find(|e| e.field == field || e.field.starts_with(&format!("{field}.")))
            .map(|e| crate::ui::i18n::field_message(t, e).to_string())
    })
}

/// A reason (required) or a note (optional).
#[component]
fn TextInput(
    cx: DossierCx,
    typed: RwSignal<Typed>,
    /// `reason` or `note`.
    field: &'static str,
    /// Input id.
    id: &'static str,
    /// Must be filled.
    required: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let error = move || error_of(cx, i18n.t(), field);
    let hint_id = format!("{id}-hint");
    let error_id = format!("{id}-error");
    let describedby = {
        let (h, e) = (hint_id.clone(), error_id.clone());
        move || {
            if error().is_some() {
                format!("{h} {e}")
            } else {
                h.clone()
            }
        }
    };
    let value = move || {
        typed.with(|ty| {
            if field == "reason" {
                ty.reason.clone()
            } else {
                ty.note.clone()
            }
        })
    };
    view! {
        <div class="field" class:field--error=move || error().is_some()>
            <label for=id>{move || if required { t().act_reason } else { t().act_note }}</label>
            <p class="hint" id=hint_id>{move || t().act_reason_hint}</p>
            {move || error().map(|m| view! { <p id=error_id.clone() class="field-error">{m}</p> })}
            <textarea id=id rows="4" maxlength="2000" required=required
                aria-invalid=move || error().is_some().to_string() aria-describedby=describedby
                prop:value=value
                on:input=move |ev| {
                    let v = event_target_value(&ev);
                    typed.update(|ty| if field == "reason" { ty.reason = v } else { ty.note = v });
                }></textarea>
        </div>
    }
}

/// The amount of a fee assessed during processing, in whole đồng.
#[component]
fn AmountInput(cx: DossierCx, typed: RwSignal<Typed>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let error = move || error_of(cx, i18n.t(), "amount_vnd");
    view! {
        <div class="field" class:field--error=move || error().is_some()>
            <label for="act-amount">{move || t().act_amount}</label>
            <p class="hint" id="act-amount-hint">{move || t().act_amount_hint}</p>
            {move || error().map(|m| view! { <p id="act-amount-error" class="field-error">{m}</p> })}
            <input id="act-amount" type="text" inputmode="numeric" autocomplete="off" maxlength="16" class="input--medium"
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=move || if error().is_some() { "act-amount-hint act-amount-error" } else { "act-amount-hint" }
                prop:value=move || typed.with(|ty| ty.amount.clone())
                on:input=move |ev| { let v = event_target_value(&ev); typed.update(|ty| ty.amount = v); } />
        </div>
    }
}

/// The colleague of the ward a dossier is handed to.
#[component]
fn ColleagueInput(cx: DossierCx, typed: RwSignal<Typed>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let error = move || error_of(cx, i18n.t(), "user_id");
    let colleagues = move || cx.with(|d| d.colleagues.clone()).unwrap_or_default();
    let role = move |roles: &[Role]| {
        let t = t();
        roles
            .iter()
            .map(|r| match r {
                Role::Leader => t.console_role_leader,
                Role::Officer => t.console_role_officer,
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    view! {
        <div class="field" class:field--error=move || error().is_some()>
            <label for="act-assignee">{move || t().console_assign_to}</label>
            <p class="hint" id="act-assignee-hint">{move || t().console_assign_hint}</p>
            {move || error().map(|m| view! { <p id="act-assignee-error" class="field-error">{m}</p> })}
            <Show when=move || !colleagues().is_empty()
                fallback=move || view! { <p>{t().console_no_colleagues}</p> }>
                <select id="act-assignee" required
                    aria-invalid=move || error().is_some().to_string()
                    aria-describedby=move || if error().is_some() { "act-assignee-hint act-assignee-error" } else { "act-assignee-hint" }
                    prop:value=move || typed.with(|ty| ty.assignee.clone())
                    on:change=move |ev| { let v = event_target_value(&ev); typed.update(|ty| ty.assignee = v); }>
                    <option value="">{move || t().console_assign_pick}</option>
                    {move || colleagues().into_iter().map(|c| {
                        let text = format!("{} ({})", c.name, role(&c.roles));
                        view! { <option value=c.user_id>{text}</option> }
                    }).collect_view()}
                </select>
            </Show>
        </div>
    }
}

/// The new appointment given with an apology.
#[component]
fn DateInput(cx: DossierCx, typed: RwSignal<Typed>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let error = move || error_of(cx, i18n.t(), "new_due");
    let min = crate::ui::pages::filing::today()
        .format("%Y-%m-%d")
        .to_string();
    view! {
        <div class="field" class:field--error=move || error().is_some()>
            <label for="act-new-due">{move || t().act_new_due}</label>
            <p class="hint" id="act-new-due-hint">{move || t().act_new_due_hint}</p>
            {move || error().map(|m| view! { <p id="act-new-due-error" class="field-error">{m}</p> })}
            <input id="act-new-due" type="date" min=min class="input--medium"
                aria-invalid=move || error().is_some().to_string()
                aria-describedby=move || if error().is_some() { "act-new-due-hint act-new-due-error" } else { "act-new-due-hint" }
                prop:value=move || typed.with(|ty| ty.new_due.clone())
                on:input=move |ev| { let v = event_target_value(&ev); typed.update(|ty| ty.new_due = v); } />
        </div>
    }
}

/// What a supplement request asks for: the procedure's document slots to tick, each with an
/// optional note, and free-text items that are not one of them.
#[component]
fn ItemsInput(cx: DossierCx, typed: RwSignal<Typed>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let error = move || error_of(cx, i18n.t(), "items");
    let slots = typed.with_untracked(|ty| ty.ticks.len());
    let extras = move || typed.with(|ty| ty.extra.len());
    view! {
        <fieldset id="act-items" tabindex="-1" class="field field--group" class:field--error=move || error().is_some()
            aria-describedby=move || if error().is_some() { "act-items-hint act-items-error" } else { "act-items-hint" }>
            <legend>{move || t().act_items}</legend>
            <p class="hint" id="act-items-hint">{move || t().act_items_hint}</p>
            {move || error().map(|m| view! { <p id="act-items-error" class="field-error">{m}</p> })}
            {(0..slots).map(|i| {
                let label = typed.with_untracked(|ty| ty.ticks[i].label.clone());
                let label2 = label.clone();
                let checked = move || typed.with(|ty| ty.ticks.get(i).is_some_and(|x| x.checked));
                view! {
                    <div class="item-tick">
                        <div class="choice">
                            <input id=format!("act-slot-{i}") type="checkbox" prop:checked=checked
                                on:change=move |ev| { let on = event_target_checked(&ev); typed.update(|ty| ty.ticks[i].checked = on); } />
                            <label for=format!("act-slot-{i}")>{label}</label>
                        </div>
                        <Show when=checked>
                            <div class="field item-tick__note">
                                <label for=format!("act-slot-note-{i}")>{fill(t().act_item_note, "item", &label2)}</label>
                                <input id=format!("act-slot-note-{i}") type="text" maxlength="1000" autocomplete="off"
                                    prop:value=move || typed.with(|ty| ty.ticks.get(i).map(|x| x.note.clone()).unwrap_or_default())
                                    on:input=move |ev| { let v = event_target_value(&ev); typed.update(|ty| ty.ticks[i].note = v); } />
                            </div>
                        </Show>
                    </div>
                }
            }).collect_view()}
            <h4 class="item-extra__title">{move || t().act_items_other}</h4>
            {move || (0..extras()).map(|i| {
                let n = i + 1;
                view! {
                    <div class="group-entry">
                        <div class="field">
                            <label for=format!("act-extra-label-{i}")>{move || fill(t().act_extra_label, "n", n)}</label>
                            <input id=format!("act-extra-label-{i}") type="text" maxlength="200" autocomplete="off"
                                prop:value=move || typed.with(|ty| ty.extra.get(i).map(|x| x.0.clone()).unwrap_or_default())
                                on:input=move |ev| { let v = event_target_value(&ev); typed.update(|ty| if let Some(x) = ty.extra.get_mut(i) { x.0 = v }); } />
                        </div>
                        <div class="field">
                            <label for=format!("act-extra-note-{i}")>{move || fill(t().act_extra_note, "n", n)}</label>
                            <input id=format!("act-extra-note-{i}") type="text" maxlength="1000" autocomplete="off"
                                prop:value=move || typed.with(|ty| ty.extra.get(i).map(|x| x.1.clone()).unwrap_or_default())
                                on:input=move |ev| { let v = event_target_value(&ev); typed.update(|ty| if let Some(x) = ty.extra.get_mut(i) { x.1 = v }); } />
                        </div>
                    </div>
                }
            }).collect_view()}
            <Show when=move || { extras() < crate::domain::workflow::SUPPLEMENT_ITEMS_MAX }>
                <button type="button" class="button button--secondary button--small"
                    on:click=move |_| {
                        let n = typed.with_untracked(|ty| ty.extra.len());
                        typed.update(|ty| ty.extra.push((String::new(), String::new())));
                        request_animation_frame(move || focus_id(&format!("act-extra-label-{n}")));
                    }>
                    {move || t().act_add_item}
                </button>
            </Show>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acts_are_built_from_what_was_typed() {
        let typed = Typed::default();
        assert_eq!(build(ActKind::Accept, &typed), Ok(StaffAct::Accept));
        assert_eq!(
            build(ActKind::Refuse, &typed),
            Err(vec![FieldError::new("reason", FieldCode::Required)])
        );
        let pay = Typed {
            amount: "50.000".into(),
            reason: "Lệ phí".into(),
            ..Typed::default()
        };
        assert_eq!(
            build(ActKind::RequestPayment, &pay),
            Ok(StaffAct::RequestPayment {
                amount_vnd: 50_000,
                reason: "Lệ phí".into()
            })
        );
        let bad = Typed {
            amount: "5x".into(),
            reason: "x".into(),
            ..Typed::default()
        };
        assert_eq!(
            build(ActKind::RequestPayment, &bad),
            Err(vec![FieldError::new("amount_vnd", FieldCode::NotANumber)])
        );
        let sup = Typed {
            ticks: vec![SlotTick {
                slot: "giay_chung_sinh".into(),
                label: "Giấy chứng sinh".into(),
                checked: true,
                note: " rõ nét ".into(),
            }],
            extra: vec![
                ("Tờ khai".into(), String::new()),
                (String::new(), String::new()),
            ],
            ..Typed::default()
        };
        let Ok(StaffAct::RequestSupplement { items, .. }) = build(ActKind::RequestSupplement, &sup)
        else {
            panic!("supplement");
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].note, "rõ nét");
        assert_eq!(items[1].slot, "");
        assert_eq!(
            build(ActKind::RequestSupplement, &Typed::default()),
            Err(vec![FieldError::new("items", FieldCode::Required)])
        );
        let sorry = Typed {
            new_due: "2026-12-01".into(),
            reason: "Chờ xác minh".into(),
            ..Typed::default()
        };
        assert!(matches!(
            build(ActKind::Apologise, &sorry),
            Ok(StaffAct::Apologise { new_due, .. }) if new_due.to_string() == "2026-12-01"
        ));
        assert_eq!(
            build(ActKind::Assign, &typed),
            Err(vec![FieldError::new("user_id", FieldCode::Required)])
        );
        let colleague = Typed {
            assignee: "u-42".into(),
            ..Typed::default()
        };
        assert_eq!(
            build(ActKind::Assign, &colleague),
            Ok(StaffAct::Assign {
                user_id: "u-42".into()
            })
        );
    }

    #[test]
    fn every_act_has_a_field_target() {
        assert_eq!(act_field_id("items.2.label"), "act-items");
        assert_eq!(act_field_id("result"), "result-file");
        assert_eq!(act_field_id("user_id"), "act-assignee");
        assert_eq!(act_field_id("queue"), "actions-title");
    }
}
