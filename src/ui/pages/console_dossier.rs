//! `/can-bo/ho-so/:code?don-vi=<unit>`: one dossier of the ward as the one-stop officer or
//! the leader sees it — status and countdown (computed by the server), applicant, answers,
//! attachments, supplement requests, timeline, printable slips, and the acts the caller may
//! take now.

use super::dossier_documents::OriginNote;
use crate::api::AppError;
use crate::api::catalog::get_procedure;
use crate::api::staff::{WardDossier, ward_dossier_view};
use crate::domain::field_error::FieldError;
use crate::domain::form::FormDef;
use crate::domain::money::Vnd;
use crate::domain::staff::{Role, Stage};
use crate::domain::workflow::{ActKind, Countdown, SlipKind, StaffDossier};
use crate::ui::components::{ErrorSummary, LoadError};
use crate::ui::i18n::{Lang, Messages, error_message, fill, use_i18n};
use crate::ui::pages::NotFoundPage;
use crate::ui::pages::console_actions::{ActionPanel, act_field_id};
use crate::ui::pages::console_result::ResultUpload;
use crate::ui::pages::filing::{AnswerList, tr};
use crate::ui::pages::staff::{channel_name, roles_at, staff_only, status_name};
use crate::ui::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// A printable slip's name.
pub(crate) fn slip_name(t: &'static Messages, kind: SlipKind) -> &'static str {
    match kind {
        SlipKind::Receipt => t.console_slip_receipt,
        SlipKind::Refusal => t.console_slip_refusal,
        SlipKind::Supplement => t.console_slip_supplement,
        SlipKind::Apology => t.console_slip_apology,
    }
}

/// "3 working days 2 hours left", "late by …", "paused", or how it finished.
pub(crate) fn countdown_text(t: &'static Messages, c: &Countdown) -> String {
    if c.finished {
        return match c.on_time {
            Some(true) => t.console_finished_on_time.to_string(),
            Some(false) => t.console_finished_late.to_string(),
            None => t.console_finished.to_string(),
        };
    }
    if c.paused {
        return t.console_paused.to_string();
    }
    let (days, hours) = c.days_hours();
    let template = if c.remaining_minutes < 0 {
        t.console_late_by
    } else {
        t.console_time_left
    };
    fill(&fill(template, "days", days), "hours", hours)
}

/// Everything a dossier page shares with its panels.
#[derive(Clone, Copy)]
pub(crate) struct DossierCx {
    /// Ward code.
    pub unit: StoredValue<String>,
    /// Dossier code.
    pub code: StoredValue<String>,
    /// The dossier as last loaded (set once loaded, never unset).
    pub dossier: RwSignal<Option<StaffDossier>>,
    /// Field errors of the last act or upload.
    pub errors: RwSignal<Vec<FieldError>>,
    /// What the last act did (or why the page was reloaded).
    pub notice: RwSignal<Option<Notice>>,
    /// Loading failed (or the dossier is gone).
    pub failed: RwSignal<Option<AppError>>,
    /// The caller's roles at this ward.
    pub roles: StoredValue<Vec<Role>>,
}

/// A message above the panels after an act.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Notice {
    /// The act was taken; the slip it calls for, if any.
    Done {
        /// The act.
        act: ActKind,
        /// The slip to offer.
        slip: Option<SlipKind>,
    },
    /// Someone else changed the dossier first; it was loaded again.
    Conflict,
    /// The result file arrived.
    Uploaded,
    /// Some other failure.
    Failed(AppError),
}

impl DossierCx {
    /// Loads the dossier again from the server.
    pub fn reload(self) {
        leptos::task::spawn_local(async move {
            let req = WardDossier {
                unit: self.unit.get_value(),
                code: self.code.get_value(),
            };
            match ward_dossier_view(req).await {
                Ok(d) => {
                    self.failed.set(None);
                    self.dossier.set(Some(d));
                }
                Err(e) => self.failed.set(Some(e)),
            }
        });
    }

    /// The loaded dossier (tracked); only called once it is loaded.
    pub fn with<R>(self, f: impl FnOnce(&StaffDossier) -> R) -> Option<R> {
        self.dossier.with(|d| d.as_ref().map(f))
    }

    /// The caller holds `role` at this ward.
    pub fn has_role(self, role: Role) -> bool {
        self.roles.with_value(|r| r.contains(&role))
    }
}

/// One dossier of the ward.
#[component]
pub fn StaffDossierPage() -> impl IntoView {
    let params = use_params_map();
    staff_only(
        |t| t.console_dossier_heading,
        move |unit, roles| {
            let code = params.read().get("code").unwrap_or_default();
            let roles = roles_at(&roles, &unit);
            view! { <StaffDossierLoader unit=unit code=code roles=roles /> }.into_any()
        },
    )
}

#[component]
fn StaffDossierLoader(unit: String, code: String, roles: Vec<Role>) -> impl IntoView {
    let i18n = use_i18n();
    let cx = DossierCx {
        unit: StoredValue::new(unit),
        code: StoredValue::new(code),
        dossier: RwSignal::new(None),
        errors: RwSignal::new(Vec::new()),
        notice: RwSignal::new(None),
        failed: RwSignal::new(None),
        roles: StoredValue::new(roles),
    };
    cx.reload();
    let loaded = move || cx.dossier.with(Option::is_some);
    view! {
        {move || match cx.failed.get() {
            Some(AppError::NotFound) => Some(view! { <NotFoundPage /> }.into_any()),
            // Already showing the dossier: the panels report the failure themselves.
            Some(e) if !loaded() => Some(view! {
                <div class="page"><LoadError error=e whole_page=true on_retry=Callback::new(move |_| cx.reload()) /></div>
            }.into_any()),
            _ => None,
        }}
        <Show when=move || loaded() && !matches!(cx.failed.get(), Some(AppError::NotFound))
            fallback=move || (cx.failed.get().is_none()).then(|| view! {
                <div class="page"><p class="loading">{move || i18n.t().catalog_loading}</p></div>
            })>
            <StaffDossierDetail cx=cx />
        </Show>
    }
}

#[component]
fn StaffDossierDetail(cx: DossierCx) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let code = cx.code.get_value();
    let slug = cx
        .with(|d| d.dossier.procedure_slug.clone())
        .unwrap_or_default();
    // The procedure's form: for the answers' labels, the document slots a supplement
    // request can name, and the attachments' labels.
    let form = RwSignal::new(None::<FormDef>);
    leptos::task::spawn_local(async move {
        if let Ok(p) = get_procedure(slug).await {
            form.set(Some(p.form));
        }
    });
    let answers =
        Signal::derive(move || cx.with(|d| d.dossier.answers.clone()).unwrap_or_default());
    let when = move |at: chrono::DateTime<chrono::Utc>| match i18n.lang() {
        Lang::Vi => crate::domain::calendar::format_vi(at),
        Lang::En => crate::domain::calendar::format_en(at),
    };
    let title = {
        let code = code.clone();
        move || fill(t().dossier_title, "code", &code)
    };
    let back = routes::console(&cx.unit.get_value(), "", "");
    let slot_label = move |slot: &str| -> String {
        if slot == "result" {
            return t().console_result_file.to_string();
        }
        form.with(|f| {
            f.as_ref()
                .and_then(|f| f.documents.iter().find(|d| d.id == slot))
                .map(|d| tr(i18n.lang(), &d.label))
        })
        .unwrap_or_else(|| slot.to_string())
    };
    let status_line = move || {
        cx.with(|d| {
            let lang = i18n.lang();
            let t = t();
            let late = !d.countdown.finished && !d.countdown.paused && d.countdown.remaining_minutes < 0;
            view! {
                <p class="status-line">
                    <span class="status-pill">{status_name(lang, d.dossier.status)}</span>
                    <span class="countdown" class:countdown--late=late>{countdown_text(t, &d.countdown)}</span>
                </p>
            }
        })
    };
    let facts = move || {
        cx.with(|d| {
            let lang = i18n.lang();
            let t = t();
            let v = &d.dossier;
            let fee = match lang {
                Lang::Vi => Vnd(v.fee_vnd).format_vi(),
                Lang::En => Vnd(v.fee_vnd).format_en(),
            };
            let who = if d.mine {
                t.console_claimed_me.to_string()
            } else if let Some(a) = &d.assignee {
                fill(t.console_claimed_by, "name", &a.name)
            } else if d.claimed {
                t.console_claimed_other.to_string()
            } else {
                t.console_claimed_nobody.to_string()
            };
            let payment = v.payment.as_ref().map(|p| {
                let state = match p.status.as_str() {
                    "paid" => t.console_payment_paid,
                    "pending" => t.console_payment_pending,
                    _ => t.console_payment_failed,
                };
                let amount = match lang {
                    Lang::Vi => Vnd(p.amount_vnd).format_vi(),
                    Lang::En => Vnd(p.amount_vnd).format_en(),
                };
                format!("{state} — {amount}")
            });
            let duplicates: Vec<String> = v
                .duplicates
                .iter()
                .map(|p| {
                    let amount = match lang {
                        Lang::Vi => Vnd(p.amount_vnd).format_vi(),
                        Lang::En => Vnd(p.amount_vnd).format_en(),
                    };
                    let at = p.settled_at.map(when).unwrap_or_default();
                    fill(
                        &fill(&fill(t.console_payment_duplicate, "amount", amount), "time", at),
                        "txn",
                        p.provider_txn_no.as_deref().unwrap_or_default(),
                    )
                })
                .collect();
            view! {
                <dl class="facts">
                    <div><dt>{t.dossier_procedure}</dt><dd>{lang.pick(&v.procedure_vi, &v.procedure_en).to_string()}</dd></div>
                    <div><dt>{t.console_applicant}</dt><dd>
                        {v.applicant_name.clone()}
                        <span class="hint">{fill(t.console_applicant_id, "id", &d.applicant_id_masked)}</span>
                    </dd></div>
                    <div><dt>{t.console_channel}</dt><dd>{channel_name(t, v.channel.code())}</dd></div>
                    <div><dt>{t.dossier_received}</dt><dd>{when(v.received_at)}</dd></div>
                    <div><dt>{t.dossier_due}</dt><dd>
                        {when(d.countdown.due_at)}
                        {d.countdown.apology_due_at.map(|a| view! { <span class="hint">{fill(t.console_new_due, "time", when(a))}</span> })}
                    </dd></div>
                    <div><dt>{t.dossier_fee}</dt><dd>{fee}</dd></div>
                    {payment.map(|p| view! { <div><dt>{t.console_payment}</dt><dd>{p}
                        {duplicates.into_iter().map(|d| view! { <span class="notice notice--error">{d}</span> }).collect_view()}
                    </dd></div> })}
                    <div><dt>{t.console_handler}</dt><dd>
                        {who}
                        {(d.stage == Stage::Leader).then(|| view! { <span class="hint">{t.console_stage_leader}</span> })}
                    </dd></div>
                </dl>
            }
        })
    };
    let slips = move || {
        cx.with(|d| {
            let t = t();
            let code = d.dossier.code.clone();
            (!d.slips.is_empty()).then(|| view! {
                <section class="panel-box" aria-labelledby="slips-title">
                    <h2 id="slips-title">{t.console_slips}</h2>
                    <ul class="plain link-list">
                        {d.slips.iter().map(|k| (*k, k.file_name())).map(|(k, f)| view! {
                            <li><a href=routes::dossier_file(&code, f) rel="external">{slip_name(t, k)}</a></li>
                        }).collect_view()}
                    </ul>
                </section>
            })
        })
    };
    let files = move || {
        cx.with(|d| {
            let t = t();
            let code = d.dossier.code.clone();
            view! {
                <section aria-labelledby="files-title">
                    <h2 id="files-title">{t.console_files}</h2>
                    {if d.files.is_empty() {
                        view! { <p>{t.console_files_none}</p> }.into_any()
                    } else {
                        view! {
                            <ul class="plain files">
                                {d.files.iter().map(|f| {
                                    let facts = format!(
                                        "{} — {}",
                                        crate::domain::upload::size_label(f.size, i18n.lang() == Lang::Vi),
                                        when(f.at)
                                    );
                                    view! {
                                        <li class="file">
                                            <span class="hint">{slot_label(&f.slot)}</span>
                                            <a class="file__name" href=routes::dossier_file(&code, &f.id) rel="external" download>
                                                {f.name.clone()}
                                            </a>
                                            <span class="hint"><time datetime=f.at.to_rfc3339()>{facts}</time></span>
                                            {f.origin.clone().map(|o| view! { <OriginNote origin=o /> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any()
                    }}
                </section>
            }
        })
    };
    let supplements = move || {
        cx.with(|d| {
            let t = t();
            (!d.supplements.is_empty()).then(|| view! {
                <section aria-labelledby="supplements-title">
                    <h2 id="supplements-title">{t.console_supplements}</h2>
                    <ol class="supplements">
                        {d.supplements.iter().map(|s| view! {
                            <li>
                                <p>
                                    <strong>{fill(t.console_supplement_at, "time", when(s.requested_at))}</strong>
                                    " — "
                                    {match s.completed_at {
                                        Some(at) => fill(t.console_supplement_done, "time", when(at)),
                                        None => t.console_supplement_waiting.to_string(),
                                    }}
                                </p>
                                <ul>
                                    {s.items.iter().map(|it| view! {
                                        <li>{it.label.clone()}{(!it.note.is_empty()).then(|| format!(": {}", it.note))}</li>
                                    }).collect_view()}
                                </ul>
                                {(!s.note.is_empty()).then(|| view! { <p>{s.note.clone()}</p> })}
                            </li>
                        }).collect_view()}
                    </ol>
                </section>
            })
        })
    };
    let timeline = move || {
        cx.with(|d| {
            let lang = i18n.lang();
            let t = t();
            d.dossier.events.iter().map(|e| {
                let who = match e.actor_role.as_str() {
                    "resident" => t.dossier_by_resident,
                    "officer" => t.dossier_by_officer,
                    "leader" => t.dossier_by_leader,
                    _ => t.dossier_by_system,
                };
                view! {
                    <li>
                        <strong>{status_name(lang, e.status)}</strong>
                        <span class="timeline__meta">{format!(" — {} — {who}", when(e.at))}</span>
                        {e.said.as_ref().map(|said| view! { <p>{crate::ui::i18n::said_text(lang, said)}</p> })}
                        {e.note.clone().map(|n| view! { <p lang=(lang == Lang::En).then_some("vi")>{n}</p> })}
                    </li>
                }
            }).collect_view()
        })
    };
    let notice = move || {
        cx.notice.get().map(|n| {
            let t = t();
            let (class, text, slip) = match n {
                Notice::Done { act, slip } => (
                    "notice notice--ok",
                    fill(t.console_done, "act", crate::ui::pages::console_actions::act_label(t, act)),
                    slip,
                ),
                Notice::Conflict => ("notice notice--error", t.console_conflict.to_string(), None),
                Notice::Uploaded => ("notice notice--ok", t.console_result_uploaded.to_string(), None),
                Notice::Failed(AppError::Forbidden) => ("notice notice--error", t.console_forbidden.to_string(), None),
                Notice::Failed(e) => ("notice notice--error", error_message(t, &e), None),
            };
            let code = cx.code.get_value();
            view! {
                <div class=class>
                    <p>{text}</p>
                    {slip.map(|k| (k, k.file_name())).map(|(k, f)| view! {
                        <p><a class="button button--large" href=routes::dossier_file(&code, f) rel="external">{fill(t.console_print, "slip", slip_name(t, k))}</a></p>
                    })}
                </div>
            }
        })
    };
    let officer = cx.has_role(Role::Officer);
    let show_result = move || {
        officer
            && cx
                .with(|d| {
                    matches!(
                        d.dossier.status,
                        crate::domain::status::DossierStatus::Processing
                            | crate::domain::status::DossierStatus::Processed
                    )
                })
                .unwrap_or(false)
    };
    view! {
        <Title text=title.clone() />
        <div class="page page--wide console-dossier">
            <p class="breadcrumb"><a href=back>{move || t().console_back}</a></p>
            <h1>{title.clone()}</h1>
            {status_line}
            <div id="act-notice" tabindex="-1" role="status" aria-live="polite">{notice}</div>
            <ErrorSummary errors=cx.errors field_id=act_field_id />
            <div class="console-grid">
                <div class="console-grid__side">
                    <ActionPanel cx=cx form=form />
                    <Show when=show_result>
                        <ResultUpload cx=cx />
                    </Show>
                    {slips}
                </div>
                <div class="console-grid__main">
                    {facts}
                    <section aria-labelledby="answers-title">
                        <h2 id="answers-title">{move || t().dossier_answers}</h2>
                        {move || form.get().map(|f| {
                            let form = StoredValue::new(f);
                            view! { <AnswerList form=form answers=answers on_change=None /> }
                        })}
                    </section>
                    {files}
                    {supplements}
                    <section aria-labelledby="timeline-title">
                        <h2 id="timeline-title">{move || t().dossier_timeline}</h2>
                        <ol class="timeline">{timeline}</ol>
                    </section>
                </div>
            </div>
        </div>
    }
}
