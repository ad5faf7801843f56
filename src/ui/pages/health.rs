//! `/suc-khoe`: the electronic health record — the overview, the visits and one visit, one lab
//! test over time, vaccinations against the national schedule, and who looked.
//!
//! Nothing of it is stored in the browser: every part is read from the server when shown and
//! lives only in the page's memory (no local storage, no IndexedDB, no service-worker cache).

use crate::api::AppError;
use crate::api::health::*;
use crate::ui::components::SignInPrompt;
use crate::ui::i18n::{Lang, Messages, error_message, fill, use_i18n};
use crate::ui::pages::Tab;
use crate::ui::routes::{self, query};
use crate::ui::session::use_session;
use chrono::{NaiveDate, NaiveDateTime};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};

fn date(d: NaiveDate) -> String {
    d.format("%d/%m/%Y").to_string()
}

fn time(d: NaiveDateTime) -> String {
    d.format("%H:%M %d/%m/%Y").to_string()
}

/// A page of the health record.
#[component]
pub fn HealthPage(tab: Tab) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let session = use_session();
    view! {
        <Title text=move || t().health_title.to_string() />
        <div class="page health">
            <h1>{move || t().health_title}</h1>
            {move || match session.info.get() {
                None => view! { <p class="loading">{move || t().catalog_loading}</p> }.into_any(),
                Some(None) => view! {
                    <p class="lead">{move || t().health_intro}</p>
                    <p>{move || t().health_sign_in}</p>
                    <SignInPrompt return_to=routes::HEALTH />
                }.into_any(),
                Some(Some(u)) if u.staff => view! { <p class="notice">{move || t().health_staff}</p> }.into_any(),
                Some(Some(u)) if u.identity_level < 2 => view! {
                    <p class="lead">{move || t().health_intro}</p>
                    <p class="notice">{move || t().health_level1}</p>
                }.into_any(),
                Some(Some(_)) => view! { <Consented tab=tab /> }.into_any(),
            }}
        </div>
    }
}

/// The consent gate: the notice and its checkbox until consent is given, then the record.
#[component]
fn Consented(tab: Tab) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let state = RwSignal::new(None::<Result<ConsentInfo, AppError>>);
    let load = move || {
        leptos::task::spawn_local(async move {
            state.set(Some(health_consent(ConsentRequest::default()).await));
        })
    };
    load();
    view! {
        {move || match state.get() {
            None => view! { <p class="loading">{move || t().catalog_loading}</p> }.into_any(),
            Some(Err(e)) => view! { <HealthError error=e /> }.into_any(),
            Some(Ok(c)) if !c.given => view! { <ConsentForm info=c state=state /> }.into_any(),
            Some(Ok(c)) => view! { <Record tab=tab consent=c state=state /> }.into_any(),
        }}
    }
}

/// The first visit: what will be shown, where it comes from, and an explicit consent.
#[component]
fn ConsentForm(
    info: ConsentInfo,
    state: RwSignal<Option<Result<ConsentInfo, AppError>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let ticked = RwSignal::new(false);
    let error = RwSignal::new(None::<AppError>);
    let missing = RwSignal::new(false);
    let version = info.version.clone();
    let give = Action::new_local(move |_: &()| {
        let version = version.clone();
        async move {
            health_consent(ConsentRequest {
                change: Some(ConsentChange::Give { version }),
            })
            .await
        }
    });
    // Consent asked for by another page (the birth registration's documents): back there.
    let next = use_query_map()
        .read_untracked()
        .get(query::NEXT)
        .filter(|n| routes::local_path(n).is_some());
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match give.value().get() {
        Some(Ok(c)) => match &next {
            Some(n) => navigate(n, Default::default()),
            None => state.set(Some(Ok(c))),
        },
        Some(Err(e)) => error.set(Some(e)),
        None => {}
    });
    let withdrawn = info.revoked_shares;
    let fresh = info.fresh_minutes;
    view! {
        {(withdrawn > 0).then(|| view! { <p class="notice" role="status">{move || fill(t().health_withdrawn, "n", withdrawn)}</p> })}
        <section class="consent-notice" aria-labelledby="health-consent-title">
            <h2 id="health-consent-title">{move || t().health_consent_title}</h2>
            <p class="lead">{move || t().health_intro}</p>
            <p>{move || t().health_consent_what}</p>
            <ul>
                <li>{move || t().health_consent_item_admin}</li>
                <li>{move || t().health_consent_item_history}</li>
                <li>{move || t().health_consent_item_visits}</li>
                <li>{move || t().health_consent_item_children}</li>
            </ul>
            <p>{move || t().health_source}</p>
            <p class="consent-text">{move || t().health_consent_text}</p>
            <p class="hint">{move || fill(t().health_consent_version, "v", &info.version)}</p>
            <form novalidate on:submit=move |ev| {
                ev.prevent_default();
                if ticked.get_untracked() {
                    missing.set(false);
                    give.dispatch(());
                } else {
                    missing.set(true);
                }
            }>
                <div class=move || if missing.get() { "field field--error" } else { "field" }>
                    {move || missing.get().then(|| view! {
                        <p class="field-error" id="health-consent-error">{move || t().health_consent_must_tick}</p>
                    })}
                    <div class="checkbox">
                        <input type="checkbox" id="health-consent" name="consent"
                            prop:checked=move || ticked.get()
                            aria-describedby=move || missing.get().then_some("health-consent-error")
                            on:change=move |ev| ticked.set(event_target_checked(&ev)) />
                        <label for="health-consent">{move || t().health_consent_checkbox}</label>
                    </div>
                </div>
                <button type="submit" class="button" disabled=move || give.pending().get()>{move || t().health_consent_submit}</button>
            </form>
            {move || error.get().map(|e| match e {
                AppError::StepUpRequired => view! { <StepUp minutes=fresh /> }.into_any(),
                e => view! { <HealthError error=e /> }.into_any(),
            })}
        </section>
    }
}

/// Asks for a fresh sign-in, coming back to this page.
#[component]
fn StepUp(minutes: i64) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let here = leptos_router::hooks::use_location();
    let back = move || routes::path_and_query(&here.pathname.get(), &here.search.get());
    view! {
        <div class="notice" role="status">
            <p>{move || fill(t().health_step_up, "min", minutes)}</p>
            <p><a class="button" href=move || routes::login(&back(), true) rel="external">{move || t().health_step_up_button}</a></p>
        </div>
    }
}

/// What a failed read says: never a blank page.
#[component]
fn HealthError(error: AppError) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    match error {
        AppError::StepUpRequired => view! { <StepUp minutes=10 /> }.into_any(),
        AppError::NotFound => view! { <p class="notice">{move || t().health_no_record}</p> }.into_any(),
        AppError::Unavailable => view! {
            <div class="notice" role="alert">
                <p>{move || t().health_unavailable}</p>
                <p><button type="button" class="button button--secondary" on:click=|_| { let _ = window().location().reload(); }>{move || t().health_retry}</button></p>
            </div>
        }.into_any(),
        AppError::Forbidden => view! { <p class="notice">{move || t().health_staff}</p> }.into_any(),
        e => view! { <p class="field-error" role="alert">{move || error_message(t(), &e)}</p> }.into_any(),
    }
}

/// The count of entries the source sent that could not be shown.
fn skipped_note(t: &'static Messages, n: u32) -> Option<impl IntoView + use<>> {
    (n > 0).then(|| view! { <p class="notice" role="note">{fill(t.health_skipped, "n", n)}</p> })
}

/// The record with its subject switcher, tabs and the page's part.
#[component]
fn Record(
    tab: Tab,
    consent: ConsentInfo,
    state: RwSignal<Option<Result<ConsentInfo, AppError>>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_query_map();
    let subject = Memo::new(move |_| {
        params
            .read()
            .get(query::SUBJECT)
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| SELF.to_string())
    });
    let subjects = LocalResource::new(health_subjects);
    let withdraw = Action::new_local(|_: &()| async move {
        health_consent(ConsentRequest {
            change: Some(ConsentChange::Withdraw),
        })
        .await
    });
    Effect::new(move |_| {
        if let Some(r) = withdraw.value().get() {
            state.set(Some(r));
        }
    });
    let fresh = consent.fresh_minutes;
    let tab_link = move |page: &'static str, label: fn(&Messages) -> &'static str, this: bool| {
        view! {
            <a href=move || routes::health(page, &subject.get()) aria-current=this.then_some("page")>{move || label(t())}</a>
        }
    };
    view! {
        {move || subjects.get().map(|r| match r {
            Ok(list) if list.len() > 1 => view! {
                <Form method="GET" action=routes::HEALTH attr:class="subject-switcher">
                    <label for="health-subject">{move || t().health_subject_label}</label>
                    <select id="health-subject" name=query::SUBJECT>
                        {list.into_iter().map(|s| {
                            let label = if s.id == SELF { fill(t().health_subject_self, "name", &s.name) } else { fill(t().health_subject_child, "name", &s.name) };
                            let selected = s.id == subject.get_untracked();
                            view! { <option value=s.id.clone() selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                    <button type="submit" class="button button--secondary">{move || t().health_subject_submit}</button>
                </Form>
            }.into_any(),
            Ok(_) => ().into_any(),
            Err(AppError::StepUpRequired) => view! { <StepUp minutes=fresh /> }.into_any(),
            Err(e) => view! { <HealthError error=e /> }.into_any(),
        })}
        <nav class="tabs" aria-label=move || t().health_tabs>
            {tab_link(routes::HEALTH, |t| t.health_tab_overview, tab == Tab::Overview)}
            {tab_link(routes::HEALTH_VISITS, |t| t.health_tab_visits, matches!(tab, Tab::Visits | Tab::Visit))}
            {tab_link(routes::HEALTH_LABS, |t| t.health_tab_labs, tab == Tab::Labs)}
            {tab_link(routes::HEALTH_VACCINES, |t| t.health_tab_vaccines, tab == Tab::Vaccines)}
            {tab_link(routes::HEALTH_LOG, |t| t.health_tab_log, tab == Tab::Log)}
            {tab_link(routes::HEALTH_SHARES, |t| t.health_tab_shares, tab == Tab::Shares)}
        </nav>
        {move || {
            let s = subject.get();
            match tab {
                Tab::Overview => view! { <OverviewPart subject=s /> }.into_any(),
                Tab::Visits => view! { <VisitsPart subject=s /> }.into_any(),
                Tab::Visit => view! { <VisitPart subject=s /> }.into_any(),
                Tab::Labs => view! { <LabsPart subject=s /> }.into_any(),
                Tab::Vaccines => view! { <VaccinesPart subject=s /> }.into_any(),
                Tab::Log => view! { <LogPart subject=s /> }.into_any(),
                Tab::Shares => view! { <SharesPart subject=s /> }.into_any(),
            }
        }}
        <section class="consent-state" aria-labelledby="health-consent-state">
            <h2 id="health-consent-state" class="visually-hidden">{move || t().health_consent_title}</h2>
            <p class="hint">{move || {
                let at = consent.given_at.map(|a| crate::domain::calendar::to_local(a).format("%H:%M %d/%m/%Y").to_string()).unwrap_or_default();
                fill(&fill(t().health_consent_given, "time", at), "v", &consent.version)
            }}</p>
            <p class="hint">{move || t().health_withdraw_hint}</p>
            <button type="button" class="button button--secondary" disabled=move || withdraw.pending().get()
                on:click=move |_| { withdraw.dispatch(()); }>{move || t().health_withdraw}</button>
        </section>
    }
}

/// Runs a read for the current subject and shows its answer through `show`.
fn read_view<T, F, V>(
    fetch: impl Fn() -> F + 'static,
    show: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: std::future::Future<Output = Result<T, AppError>> + 'static,
    V: IntoView + 'static,
{
    let i18n = use_i18n();
    let r = LocalResource::new(fetch);
    move || match r.get() {
        None => view! { <p class="loading" role="status">{move || i18n.t().catalog_loading}</p> }
            .into_any(),
        Some(Err(e)) => view! { <HealthError error=e /> }.into_any(),
        Some(Ok(v)) => show.clone()(v).into_any(),
    }
}

#[component]
fn OverviewPart(subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let req = SubjectRequest {
        subject: subject.clone(),
    };
    read_view(
        move || health_overview(req.clone()),
        move |o: Overview| {
            let subject = subject.clone();
            let none = move || t().health_none;
            let c = o.coverage.clone();
            view! {
                {skipped_note(t(), o.skipped)}
                <dl class="facts">
                    <div><dt>{move || t().health_ov_name}</dt><dd>{o.name.clone()}</dd></div>
                    <div><dt>{move || t().health_ov_cccd}</dt><dd class="mono">{o.cccd_masked.clone().unwrap_or_else(|| "—".into())}</dd></div>
                    <div><dt>{move || t().health_ov_birth}</dt><dd>{o.birthdate.map(date).unwrap_or_else(|| "—".into())}</dd></div>
                    <div><dt>{move || t().health_ov_bhyt}</dt><dd>{match c.clone() {
                        None => view! { {move || t().health_ov_bhyt_none} }.into_any(),
                        Some(c) => view! {
                            <span class="mono">{c.number_masked.clone().unwrap_or_default()}</span>" — "
                            {move || {
                                let until = c.valid_to.map(date).unwrap_or_else(|| "—".into());
                                fill(if c.active { t().health_ov_bhyt_active } else { t().health_ov_bhyt_inactive }, "date", until)
                            }}
                        }.into_any(),
                    }}</dd></div>
                    <div><dt>{move || t().health_ov_initial}</dt><dd>{c.and_then(|c| c.initial_facility).unwrap_or_else(|| "—".into())}</dd></div>
                </dl>
                <section aria-labelledby="ov-allergies">
                    <h2 id="ov-allergies">{move || t().health_ov_allergies}</h2>
                    {if o.allergies.is_empty() { view! { <p>{none}</p> }.into_any() } else { view! {
                        <ul>{o.allergies.iter().map(|a| {
                            let confirmed = a.confirmed;
                            view! { <li><strong>{a.substance.clone()}</strong>
                                {(!a.reactions.is_empty()).then(|| format!(": {}", a.reactions.join(", ")))}
                                {(!confirmed).then(|| view! { " (" {move || t().health_suspected} ")" })}
                            </li> }
                        }).collect_view()}</ul>
                    }.into_any() }}
                </section>
                <section aria-labelledby="ov-conditions">
                    <h2 id="ov-conditions">{move || t().health_ov_conditions}</h2>
                    {if o.conditions.is_empty() { view! { <p>{none}</p> }.into_any() } else { view! {
                        <ul>{o.conditions.iter().map(|d| {
                            let onset = d.onset;
                            view! { <li>{d.code.clone().map(|c| view! { <span class="mono">{c}</span>" " })}{d.name.clone()}
                                {onset.map(|on| view! { " — " {move || fill(t().health_since, "date", date(on))} })}
                            </li> }
                        }).collect_view()}</ul>
                    }.into_any() }}
                </section>
                <section aria-labelledby="ov-medicines">
                    <h2 id="ov-medicines">{move || t().health_ov_medicines}</h2>
                    {if o.medicines.is_empty() { view! { <p>{none}</p> }.into_any() } else { view! {
                        <ul>{o.medicines.iter().map(|m| view! {
                            <li><strong>{m.name.clone()}</strong>{m.dosage.clone().map(|d| view! { <br /><span class="dosage">{d}</span> })}</li>
                        }).collect_view()}</ul>
                    }.into_any() }}
                </section>
                <section aria-labelledby="ov-reexam">
                    <h2 id="ov-reexam">{move || t().health_ov_reexam}</h2>
                    {match o.next_reexam.clone() {
                        None => view! { <p>{none}</p> }.into_any(),
                        Some(a) => view! { <p><strong>{a.start.map(time)}</strong>
                            {a.facility.map(|f| format!(" — {f}"))}{a.description.map(|d| format!(". {d}"))}</p> }.into_any(),
                    }}
                </section>
                <section aria-labelledby="ov-vaccines">
                    <h2 id="ov-vaccines">{move || t().health_ov_vaccines}</h2>
                    <p>{
                        let v = o.vaccination.clone();
                        move || fill(&fill(&fill(t().health_ov_vacc_value, "done", v.done), "due", v.due), "overdue", v.overdue)
                    } " " <a href=routes::health(routes::HEALTH_VACCINES, &subject)>{move || t().health_tab_vaccines}</a></p>
                </section>
                <section aria-labelledby="ov-last">
                    <h2 id="ov-last">{move || t().health_ov_last_visit}</h2>
                    {match o.last_visit.clone() {
                        None => view! { <p>{none}</p> }.into_any(),
                        Some(v) => view! { <ul class="plain visits"><VisitItem visit=v subject=subject.clone() /></ul> }.into_any(),
                    }}
                    <p><a href=routes::health(routes::HEALTH_VISITS, &subject)>{move || fill(t().health_ov_visit_count, "n", o.visit_count)}</a></p>
                </section>
                <section aria-labelledby="ov-take-along">
                    <h2 id="ov-take-along">{move || t().health_take_along}</h2>
                    <p class="hint">{move || t().health_take_along_hint}</p>
                    <ul class="plain">
                        <li><a href=routes::health_export(&subject, false) rel="external">{move || t().health_export_fhir}</a></li>
                        <li><a href=routes::health_export(&subject, true) rel="external">{move || t().health_export_ips}</a></li>
                    </ul>
                </section>
            }
        },
    )
}

fn class_name(t: &Messages, c: VisitClass) -> &'static str {
    match c {
        VisitClass::Outpatient => t.health_class_outpatient,
        VisitClass::Inpatient => t.health_class_inpatient,
        VisitClass::Emergency => t.health_class_emergency,
        VisitClass::Other => t.health_class_other,
    }
}

#[component]
fn VisitItem(visit: VisitSummary, subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let class = visit.class;
    let href = routes::health_visit(&subject, &visit.id);
    view! {
        <li class="visit">
            <a href=href>
                <strong>{visit.start.map(|s| date(s.date())).unwrap_or_else(|| "—".into())}</strong>
                " — " {move || class_name(t(), class)}
            </a>
            <p class="hint">{visit.facility.clone().unwrap_or_default()}</p>
            {visit.main_diagnosis.map(|d| view! { <p>{d.code.map(|c| view! { <span class="mono">{c}</span>" " })}{d.name}</p> })}
        </li>
    }
}

#[component]
fn VisitsPart(subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_query_map();
    let year = params
        .read_untracked()
        .get(query::YEAR)
        .and_then(|y| y.parse::<i32>().ok());
    let facility = params
        .read_untracked()
        .get(query::FACILITY)
        .filter(|f| !f.is_empty());
    let req = VisitsRequest {
        subject: subject.clone(),
        year,
        facility: facility.clone(),
    };
    read_view(
        move || health_visits(req.clone()),
        move |list: VisitList| {
            let subject = subject.clone();
            let chosen_facility = facility.clone().unwrap_or_default();
            let hidden = (subject != SELF).then(
                || view! { <input type="hidden" name=query::SUBJECT value=subject.clone() /> },
            );
            let years = list.years.iter().map(|y| view! { <option value=y.to_string() selected=Some(*y) == year>{y.to_string()}</option> }).collect_view();
            let facilities = list.facilities.iter().map(|f| view! { <option value=f.clone() selected=*f == chosen_facility>{f.clone()}</option> }).collect_view();
            view! {
                {skipped_note(t(), list.skipped)}
                <Form method="GET" action=routes::HEALTH_VISITS attr:class="filters">
                    {hidden}
                    <div class="field">
                        <label for="visit-year">{move || t().health_year}</label>
                        <select id="visit-year" name=query::YEAR>
                            <option value="">{move || t().health_all_years}</option>
                            {years}
                        </select>
                    </div>
                    <div class="field">
                        <label for="visit-facility">{move || t().health_facility}</label>
                        <select id="visit-facility" name=query::FACILITY>
                            <option value="">{move || t().health_all_facilities}</option>
                            {facilities}
                        </select>
                    </div>
                    <button type="submit" class="button button--secondary">{move || t().health_filter_submit}</button>
                </Form>
                <p role="status">{let n = list.visits.len(); move || fill(t().health_visits_count, "n", n)}</p>
                {if list.visits.is_empty() {
                    view! { <p>{move || t().health_visits_empty}</p> }.into_any()
                } else {
                    view! { <ul class="plain visits">{list.visits.into_iter().map(|v| view! { <VisitItem visit=v subject=subject.clone() /> }).collect_view()}</ul> }.into_any()
                }}
            }
        },
    )
}

fn flag_name(t: &Messages, f: Flag) -> &'static str {
    match f {
        Flag::High => t.health_flag_high,
        Flag::Low => t.health_flag_low,
        Flag::Normal => t.health_flag_normal,
        Flag::Abnormal => t.health_flag_abnormal,
    }
}

/// Results as a table: value, unit, range (or that there is none) and the flag in words.
#[component]
fn ResultTable(results: Vec<LabResult>, caption: &'static str) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    view! {
        <div class="table-wrap" tabindex="0" role="region" aria-label=caption>
            <table class="results">
                <caption class="visually-hidden">{caption}</caption>
                <thead><tr>
                    <th scope="col">{move || t().health_lab_test}</th>
                    <th scope="col">{move || t().health_lab_value}</th>
                    <th scope="col">{move || t().health_lab_range}</th>
                </tr></thead>
                <tbody>
                    {results.into_iter().map(|r| {
                        let flag = r.flag;
                        let held = r.held;
                        let value = r.value.clone().map(|v| match &r.unit { Some(u) => format!("{v} {u}"), None => v });
                        let range = r.range.clone();
                        view! {
                            <tr class=move || match flag { Some(Flag::High | Flag::Low | Flag::Abnormal) => "result result--flagged", _ => "result" }>
                                <th scope="row">{r.name.clone()}{r.note.clone().map(|n| view! { <br /><span class="hint">{n}</span> })}</th>
                                <td>{if held {
                                    view! { <em class="held">{move || t().health_held}</em> }.into_any()
                                } else {
                                    view! { {value.unwrap_or_else(|| "—".into())}
                                        {flag.map(|f| view! { " " <span class=move || format!("flag flag--{}", match f { Flag::High => "high", Flag::Low => "low", Flag::Normal => "normal", Flag::Abnormal => "abnormal" })>{move || flag_name(t(), f)}</span> })} }.into_any()
                                }}</td>
                                <td>{if held { None } else { Some(match range {
                                    Some(r) => view! { {r} }.into_any(),
                                    None => view! { <span class="hint">{move || t().health_no_range}</span> }.into_any(),
                                }) }}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn VisitPart(subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_params_map();
    let id = params.read_untracked().get("id").unwrap_or_default();
    let req = VisitRequest {
        subject: subject.clone(),
        id,
    };
    read_view(
        move || health_visit(req.clone()),
        move |v: Visit| {
            let subject = subject.clone();
            let s = v.summary.clone();
            let class = s.class;
            let nothing = move || t().health_nothing;
            let period = match (s.start, s.end) {
                (Some(a), Some(b)) if a != b => format!("{} – {}", time(a), time(b)),
                (Some(a), _) => time(a),
                _ => "—".into(),
            };
            let title_date = s.start.map(|d| date(d.date())).unwrap_or_default();
            view! {
                <p><a href=routes::health(routes::HEALTH_VISITS, &subject)>{move || t().health_back_visits}</a></p>
                <h2>{move || fill(t().health_visit_title, "date", &title_date)}</h2>
                <p><a class="button button--secondary" href=routes::health_visit_pdf(&subject, &s.id) rel="external" download="">{move || t().health_visit_pdf}</a></p>
                {skipped_note(t(), v.skipped)}
                <dl class="facts">
                    <div><dt>{move || t().health_facility}</dt><dd>{s.facility.clone().unwrap_or_else(|| "—".into())}</dd></div>
                    <div><dt>{move || t().health_visit_time}</dt><dd>{period}</dd></div>
                    <div><dt>{move || t().health_visit_type}</dt><dd>{move || class_name(t(), class)}{s.type_text.clone().map(|k| format!(" — {k}"))}</dd></div>
                    <div><dt>{move || t().health_visit_reason}</dt><dd>{v.reason.clone().unwrap_or_else(|| "—".into())}</dd></div>
                    {v.ma_lk.clone().map(|m| view! { <div><dt>{move || t().health_visit_ma_lk}</dt><dd class="mono">{m}</dd></div> })}
                </dl>
                <section aria-labelledby="visit-diagnoses">
                    <h3 id="visit-diagnoses">{move || t().health_diagnoses}</h3>
                    {if v.diagnoses.is_empty() { view! { <p>{nothing}</p> }.into_any() } else { view! {
                        <ul>{v.diagnoses.iter().map(|d| {
                            let main = d.main;
                            view! { <li>
                                {d.code.clone().map(|c| view! { <span class="mono">{c}</span>" " })}{d.name.clone()}
                                " (" {move || if main { t().health_main } else { t().health_secondary }} ")"
                                {d.note.clone().map(|n| view! { <br /><span class="hint">{n}</span> })}
                            </li> }
                        }).collect_view()}</ul>
                    }.into_any() }}
                </section>
                <section aria-labelledby="visit-rx">
                    <h3 id="visit-rx">{move || t().health_prescriptions}</h3>
                    {if v.prescriptions.is_empty() { view! { <p>{nothing}</p> }.into_any() } else { view! {
                        <ul class="plain prescriptions">{v.prescriptions.iter().map(|m| view! {
                            <li>
                                <strong>{m.name.clone()}</strong>{m.quantity.clone().map(|q| format!(" — {q}"))}
                                {m.dosage.clone().map(|d| view! { <br /><span class="visually-hidden">{move || t().health_rx_dosage}": "</span><span class="dosage">{d}</span> })}
                                {m.route.clone().map(|r| format!(" ({r})"))}
                            </li>
                        }).collect_view()}</ul>
                    }.into_any() }}
                </section>
                <section>
                    <h3 id="visit-labs">{move || t().health_labs}</h3>
                    {if v.labs.is_empty() { view! { <p>{nothing}</p> }.into_any() } else {
                        view! { <ResultTable results=v.labs.clone() caption=t().health_labs /> }.into_any()
                    }}
                </section>
                {(!v.vitals.is_empty()).then(|| view! {
                    <section>
                        <h3 id="visit-vitals">{move || t().health_vitals}</h3>
                        <ResultTable results=v.vitals.clone() caption=t().health_vitals />
                    </section>
                })}
                {(!v.procedures.is_empty()).then(|| view! {
                    <section aria-labelledby="visit-procedures">
                        <h3 id="visit-procedures">{move || t().health_procedures}</h3>
                        <ul>{v.procedures.iter().map(|p| view! { <li>{p.name.clone()}{p.date.map(|d| format!(" — {}", time(d)))}</li> }).collect_view()}</ul>
                    </section>
                })}
                {(!v.referrals.is_empty()).then(|| view! {
                    <section aria-labelledby="visit-referrals">
                        <h3 id="visit-referrals">{move || t().health_referrals}</h3>
                        <ul>{v.referrals.iter().map(|r| {
                            let to = r.to.clone().unwrap_or_else(|| "—".into());
                            view! { <li>{move || fill(t().health_referral_to, "to", &to)}{r.reason.clone().map(|x| format!(": {x}"))}{r.date.map(|d| format!(" ({})", date(d)))}</li> }
                        }).collect_view()}</ul>
                    </section>
                })}
                {(!v.reexams.is_empty()).then(|| view! {
                    <section aria-labelledby="visit-reexams">
                        <h3 id="visit-reexams">{move || t().health_reexams}</h3>
                        <ul>{v.reexams.iter().map(|a| view! { <li>{a.start.map(time)}{a.facility.clone().map(|f| format!(" — {f}"))}{a.description.clone().map(|d| format!(". {d}"))}</li> }).collect_view()}</ul>
                    </section>
                })}
                {(!v.documents.is_empty()).then(|| view! {
                    <section aria-labelledby="visit-documents">
                        <h3 id="visit-documents">{move || t().health_documents}</h3>
                        <ul class="plain">{v.documents.iter().map(|d| {
                            let href = routes::health_document(&subject, &d.id);
                            view! { <li><a href=href rel="external" download="">{d.title.clone()}<span class="visually-hidden">{move || format!(" — {}", t().health_document_download)}</span></a>
                                {d.date.map(|x| format!(" ({})", date(x)))}</li> }
                        }).collect_view()}</ul>
                    </section>
                })}
            }
        },
    )
}

/// A small line chart of one test, described in words; the same values are in the table.
fn chart(t: &'static Messages, s: &LabSeries) -> impl IntoView + use<> {
    let values: Vec<f64> = s.points.iter().filter_map(|p| p.numeric).collect();
    let (lo, hi) = values
        .iter()
        .fold((f64::MAX, f64::MIN), |(a, b), v| (a.min(*v), b.max(*v)));
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (w, h, pad) = (320.0, 160.0, 16.0);
    let n = values.len().max(2) - 1;
    let points: Vec<(f64, f64)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let x = pad + (w - 2.0 * pad) * i as f64 / n as f64;
            let y = h - pad - (h - 2.0 * pad) * (v - lo) / span;
            (x, y)
        })
        .collect();
    let line = points
        .iter()
        .map(|(x, y)| format!("{x:.1},{y:.1}"))
        .collect::<Vec<_>>()
        .join(" ");
    let unit = s.unit.clone().unwrap_or_default();
    let fmt = |v: f64| {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    };
    let label = fill(
        &fill(
            &fill(
                &fill(
                    &fill(t.health_chart_label, "name", &s.name),
                    "n",
                    values.len(),
                ),
                "low",
                fmt(lo),
            ),
            "high",
            fmt(hi),
        ),
        "unit",
        unit,
    );
    view! {
        <svg class="chart" viewBox=format!("0 0 {w} {h}") role="img" aria-label=label>
            <line x1=pad y1=h - pad x2=w - pad y2=h - pad class="chart__axis" />
            <polyline points=line fill="none" class="chart__line" />
            {points.into_iter().map(|(x, y)| view! { <circle cx=format!("{x:.1}") cy=format!("{y:.1}") r="3" class="chart__point" /> }).collect_view()}
            <text x="2" y="12" class="chart__label">{fmt(hi)}</text>
            <text x="2" y=h - 2.0 class="chart__label">{fmt(lo)}</text>
        </svg>
    }
}

#[component]
fn LabsPart(subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_query_map();
    let code = params.read_untracked().get(query::CODE).unwrap_or_default();
    let req = LabSeriesRequest {
        subject: subject.clone(),
        code,
    };
    read_view(
        move || health_lab_series(req.clone()),
        move |s: LabSeries| {
            let subject = subject.clone();
            if s.points.is_empty() {
                return view! { {skipped_note(t(), s.skipped)} <p>{move || t().health_labs_empty}</p> }.into_any();
            }
            let chosen = s.code.clone();
            let unit = s.unit.clone().unwrap_or_default();
            let hidden = (subject != SELF).then(
                || view! { <input type="hidden" name=query::SUBJECT value=subject.clone() /> },
            );
            let options = s.tests.iter().map(|x| {
                let label = format!("{} ({})", x.name, fill(t().health_labs_times, "n", x.count));
                view! { <option value=x.code.clone() selected=x.code == chosen>{label}</option> }
            }).collect_view();
            view! {
                <h2>{move || t().health_labs_title}</h2>
                {skipped_note(t(), s.skipped)}
                <Form method="GET" action=routes::HEALTH_LABS attr:class="filters">
                    {hidden}
                    <div class="field">
                        <label for="lab-test">{move || t().health_labs_pick}</label>
                        <select id="lab-test" name=query::CODE>
                            {options}
                        </select>
                    </div>
                    <button type="submit" class="button button--secondary">{move || t().health_labs_show}</button>
                </Form>
                <h3>{s.name.clone()}{(!unit.is_empty()).then(|| format!(" ({unit})"))}</h3>
                <div class="chart-with-table">
                    {chart(t(), &s)}
                    <div class="table-wrap" tabindex="0" role="region" aria-label=s.name.clone()>
                        <table class="results">
                            <caption class="visually-hidden">{s.name.clone()}</caption>
                            <thead><tr>
                                <th scope="col">{move || t().health_labs_date}</th>
                                <th scope="col">{move || t().health_lab_value}</th>
                                <th scope="col">{move || t().health_lab_range}</th>
                            </tr></thead>
                            <tbody>{s.points.iter().map(|p| {
                                let flag = p.flag;
                                let range = p.range.clone();
                                view! { <tr>
                                    <th scope="row">{p.date.map(|d| date(d.date())).unwrap_or_default()}</th>
                                    <td>{p.value.clone()}{flag.map(|f| view! { " " <span class="flag">{move || flag_name(t(), f)}</span> })}</td>
                                    <td>{match range { Some(r) => view! { {r} }.into_any(), None => view! { <span class="hint">{move || t().health_no_range}</span> }.into_any() }}</td>
                                </tr> }
                            }).collect_view()}</tbody>
                        </table>
                    </div>
                </div>
            }.into_any()
        },
    )
}

#[component]
fn VaccinesPart(subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let req = SubjectRequest { subject };
    read_view(
        move || health_vaccinations(req.clone()),
        move |v: Vaccinations| {
            let lang = i18n.lang();
            let name = move |d: &Dose| match lang {
                Lang::Vi => d.vaccine.clone(),
                Lang::En => d.vaccine_en.clone(),
            };
            let state = move |d: &Dose| {
                let (key, when) = match d.state {
                    DoseState::Done => (t().health_vacc_done, d.date),
                    DoseState::Due => (t().health_vacc_due, d.due_until),
                    DoseState::Overdue => (t().health_vacc_overdue, d.due_until),
                    DoseState::Upcoming => (t().health_vacc_upcoming, d.due_from),
                };
                fill(key, "date", when.map(date).unwrap_or_else(|| "—".into()))
            };
            let rows = move |doses: Vec<Dose>| {
                doses
                    .into_iter()
                    .map(|d| {
                        let class = match d.state {
                            DoseState::Done => "dose dose--done",
                            DoseState::Due => "dose dose--due",
                            DoseState::Overdue => "dose dose--overdue",
                            DoseState::Upcoming => "dose dose--upcoming",
                        };
                        view! { <tr class=class>
                            <th scope="row">{name(&d)}</th>
                            <td>{d.dose.map(|n| n.to_string()).unwrap_or_default()}</td>
                            <td>{state(&d)}</td>
                            <td>{d.place.clone().unwrap_or_default()}{d.lot.clone().map(|l| view! { <br /><span class="hint">{move || t().health_vacc_lot}": " {l.clone()}</span> })}</td>
                        </tr> }
                    })
                    .collect_view()
            };
            let head = move || {
                view! { <thead><tr>
                    <th scope="col">{move || t().health_vacc_vaccine}</th>
                    <th scope="col">{move || t().health_vacc_dose}</th>
                    <th scope="col">{move || t().health_vacc_state}</th>
                    <th scope="col">{move || t().health_vacc_place}</th>
                </tr></thead> }
            };
            let summary = v.summary.clone();
            view! {
                <h2>{move || t().health_vacc_title}</h2>
                {skipped_note(t(), v.skipped)}
                <p role="status">{move || fill(&fill(&fill(t().health_ov_vacc_value, "done", summary.done), "due", summary.due), "overdue", summary.overdue)}</p>
                {v.birthdate.map(|b| view! { <p class="hint">{move || fill(t().health_vacc_birth, "date", date(b))}</p> })}
                {(!v.schedule.is_empty()).then(|| view! {
                    <div class="table-wrap" tabindex="0" role="region" aria-label=t().health_vacc_title>
                        <table class="results vaccines">
                            <caption class="visually-hidden">{move || t().health_vacc_title}</caption>
                            {head()}
                            <tbody>{rows(v.schedule.clone())}</tbody>
                        </table>
                    </div>
                })}
                {(!v.other.is_empty()).then(|| view! {
                    <h3>{move || t().health_vacc_other}</h3>
                    <div class="table-wrap" tabindex="0" role="region" aria-label=t().health_vacc_other>
                        <table class="results vaccines">
                            <caption class="visually-hidden">{move || t().health_vacc_other}</caption>
                            {head()}
                            <tbody>{rows(v.other.clone())}</tbody>
                        </table>
                    </div>
                })}
            }
        },
    )
}

fn event_name(t: &Messages, event: &str) -> &'static str {
    match event {
        "read_overview" => t.health_ev_read_overview,
        "read_visits" => t.health_ev_read_visits,
        "read_visit" => t.health_ev_read_visit,
        "read_lab_series" => t.health_ev_read_lab_series,
        "read_vaccinations" => t.health_ev_read_vaccinations,
        "document" => t.health_ev_document,
        "export_fhir" => t.health_ev_export_fhir,
        "export_ips" => t.health_ev_export_ips,
        "visit_pdf" => t.health_ev_visit_pdf,
        "share_created" => t.health_ev_share_created,
        "share_opened" => t.health_ev_share_opened,
        "share_wrong_passcode" => t.health_ev_share_wrong_passcode,
        "share_revoked" => t.health_ev_share_revoked,
        "consent_given" => t.health_ev_consent_given,
        "consent_withdrawn" => t.health_ev_consent_withdrawn,
        "read_birth_certificates" => t.health_ev_read_birth_certificates,
        "attach_document" => t.health_ev_attach_document,
        _ => t.health_ev_other,
    }
}

#[component]
fn LogPart(subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let req = SubjectRequest { subject };
    read_view(
        move || health_access_log(req.clone()),
        move |rows: Vec<AccessEntry>| {
            view! {
                <h2>{move || t().health_log_title}</h2>
                <p class="hint">{move || t().health_log_hint}</p>
                {if rows.is_empty() {
                    view! { <p>{move || t().health_log_empty}</p> }.into_any()
                } else {
                    view! {
                        <div class="table-wrap" tabindex="0" role="region" aria-label=t().health_log_title>
                            <table class="results access-log">
                                <caption class="visually-hidden">{move || t().health_log_title}</caption>
                                <thead><tr>
                                    <th scope="col">{move || t().health_log_when}</th>
                                    <th scope="col">{move || t().health_log_who}</th>
                                    <th scope="col">{move || t().health_log_what}</th>
                                </tr></thead>
                                <tbody>{rows.into_iter().map(|r| {
                                    let who = match r.actor.as_str() {
                                        "parent" => fill(t().health_actor_parent, "name", r.actor_name.clone().unwrap_or_default()),
                                        "share" => t().health_actor_share.to_string(),
                                        _ => t().health_actor_self.to_string(),
                                    };
                                    let who = match &r.recipient { Some(n) => format!("{who} ({n})"), None => who };
                                    view! { <tr>
                                        <td>{crate::domain::calendar::to_local(r.at).format("%H:%M:%S %d/%m/%Y").to_string()}</td>
                                        <td>{who}</td>
                                        <td>{event_name(t(), &r.event)}</td>
                                    </tr> }
                                }).collect_view()}</tbody>
                            </table>
                        </div>
                    }.into_any()
                }}
            }
        },
    )
}

/// A message, picked from the current language's table.
type Text = fn(&Messages) -> &'static str;

/// Expiry choices of a share link: seconds and label.
const EXPIRIES: [(i64, Text); 4] = [
    (3600, |t| t.health_share_expiry_1h),
    (86_400, |t| t.health_share_expiry_24h),
    (7 * 86_400, |t| t.health_share_expiry_7d),
    (30 * 86_400, |t| t.health_share_expiry_30d),
];

/// Share with a doctor: make a link (what, how long, a passcode), see it once with its QR
/// code, and the list of links with revoke.
#[component]
fn SharesPart(subject: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let scope = RwSignal::new("summary".to_string());
    let expiry = RwSignal::new(86_400i64);
    let passcode = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let list = RwSignal::new(None::<Result<Vec<ShareInfo>, AppError>>);
    leptos::task::spawn_local(async move { list.set(Some(health_shares_list().await)) });
    let create = Action::new_local(move |req: &ShareRequest| {
        let req = req.clone();
        async move {
            let r = health_share_create(req).await;
            if r.is_ok() {
                list.set(Some(health_shares_list().await));
            }
            r
        }
    });
    let revoke = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let r = health_share_revoke(ShareId { id }).await;
            list.set(Some(r));
        }
    });
    let when = |at: chrono::DateTime<chrono::Utc>| {
        crate::domain::calendar::to_local(at)
            .format("%H:%M %d/%m/%Y")
            .to_string()
    };
    let subject_for_submit = subject.clone();
    view! {
        <h2>{move || t().health_share_title}</h2>
        <p class="hint">{move || t().health_share_hint}</p>
        <form novalidate on:submit=move |ev| {
            ev.prevent_default();
            create.dispatch(ShareRequest {
                subject: subject_for_submit.clone(),
                scope: scope.get_untracked(),
                expires_in_secs: expiry.get_untracked(),
                passcode: passcode.get_untracked(),
                label: label.get_untracked(),
            });
        }>
            <fieldset class="field">
                <legend>{move || t().health_share_scope}</legend>
                {[("summary", (|t: &Messages| t.health_share_scope_summary) as Text), ("vaccinations", |t: &Messages| t.health_share_scope_vaccinations)].into_iter().map(|(value, text)| {
                    let id = format!("share-scope-{value}");
                    view! {
                        <div class="radio">
                            <input type="radio" id=id.clone() name="scope" value=value
                                prop:checked=move || scope.get() == value
                                on:change=move |_| scope.set(value.to_string()) />
                            <label for=id>{move || text(t())}</label>
                        </div>
                    }
                }).collect_view()}
            </fieldset>
            <div class="field">
                <label for="share-expiry">{move || t().health_share_expiry}</label>
                <select id="share-expiry" on:change=move |ev| {
                    if let Ok(v) = event_target_value(&ev).parse() { expiry.set(v) }
                }>
                    {EXPIRIES.into_iter().map(|(secs, text)| view! {
                        <option value=secs.to_string() selected=secs == 86_400>{move || text(t())}</option>
                    }).collect_view()}
                </select>
            </div>
            {move || {
                let err = match create.value().get() {
                    Some(Err(AppError::Validation { fields })) => fields.iter().any(|f| f.field == "passcode"),
                    _ => false,
                };
                view! {
                    <div class=if err { "field field--error" } else { "field" }>
                        <label for="share-passcode">{move || t().health_share_passcode}</label>
                        <span class="hint" id="share-passcode-hint">{move || t().health_share_passcode_hint}</span>
                        {err.then(|| view! { <p class="field-error" id="share-passcode-error">{move || t().health_share_passcode_hint}</p> })}
                        <input type="text" id="share-passcode" autocomplete="off" inputmode="text" minlength="6" maxlength="64"
                            aria-describedby=if err { "share-passcode-hint share-passcode-error" } else { "share-passcode-hint" }
                            prop:value=move || passcode.get()
                            on:input=move |ev| passcode.set(event_target_value(&ev)) />
                    </div>
                }
            }}
            <div class="field">
                <label for="share-label">{move || t().health_share_label}</label>
                <input type="text" id="share-label" maxlength="80" autocomplete="off"
                    prop:value=move || label.get()
                    on:input=move |ev| label.set(event_target_value(&ev)) />
            </div>
            <button type="submit" class="button" disabled=move || create.pending().get()>{move || t().health_share_submit}</button>
        </form>
        {move || create.value().get().map(|r| match r {
            Ok(c) => view! {
                <div class="notice notice--ok share-created" role="status">
                    <p>{move || t().health_share_created}</p>
                    <label for="share-link">{move || t().health_share_link}</label>
                    <input type="text" id="share-link" readonly=true class="mono" prop:value=c.link.clone() />
                    <p class="hint">{move || fill(t().health_share_until, "time", when(c.expires_at))}</p>
                    <div class="share-qr" role="img" aria-label=move || t().health_share_qr inner_html=c.qr_svg.clone()></div>
                </div>
            }.into_any(),
            Err(AppError::Validation { .. }) => ().into_any(),
            Err(e) => view! { <HealthError error=e /> }.into_any(),
        })}
        <h3>{move || t().health_share_list}</h3>
        {move || list.get().map(|r| match r {
            Ok(items) if items.is_empty() => view! { <p>{move || t().health_share_none}</p> }.into_any(),
            Ok(items) => view! {
                <ul class="plain shares">
                    {items.into_iter().map(|s| {
                        let id = s.id.clone();
                        let state = if s.active { t().health_share_active } else if s.revoked_at.is_some() { t().health_share_revoked } else { t().health_share_expired };
                        let scope_text = if s.scope == "vaccinations" { t().health_share_scope_vaccinations } else { t().health_share_scope_summary };
                        let name = s.label.clone();
                        view! {
                            <li class="share">
                                <strong>{s.label.clone()}</strong>" — " {state}
                                <p class="hint">{format!("{} · {}", s.subject_name, scope_text)}</p>
                                <p class="hint">{fill(t().health_share_until, "time", when(s.expires_at))}
                                    {s.active.then(|| format!(" · {}", fill(t().health_share_attempts, "n", s.attempts_left)))}</p>
                                {s.active.then(|| view! {
                                    <button type="button" class="button button--secondary" on:click=move |_| { revoke.dispatch(id.clone()); }>
                                        {move || t().health_share_revoke}<span class="visually-hidden">{format!(": {name}")}</span>
                                    </button>
                                })}
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }.into_any(),
            Err(e) => view! { <HealthError error=e /> }.into_any(),
        })}
    }
}
