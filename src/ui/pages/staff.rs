//! `/can-bo`: the ward one-stop console — the dashboard of one ward, its queues and a
//! searchable list of dossiers. Lives in the form bundle (see `routes::is_forms_route`).

use crate::api::session::RoleInfo;
use crate::api::staff::{ConsoleRequest, ward_console};
use crate::domain::staff::Role;
use crate::domain::workflow::{Dashboard, DossierLine, Queue};
use crate::ui::components::{LoadError, SignInPrompt};
use crate::ui::i18n::{Lang, Messages, fill, use_i18n};
use crate::ui::routes::{self, query};
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::{use_location, use_query_map};

/// The wards the officer works at, in role order, each once: (code, name in `lang`).
pub(crate) fn staff_units(roles: &[RoleInfo], lang: Lang) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for r in roles {
        if !out.iter().any(|(c, _)| *c == r.unit_code) {
            out.push((
                r.unit_code.clone(),
                lang.pick(&r.unit_name, &r.unit_name_en).to_string(),
            ));
        }
    }
    out
}

/// The ward named by `?don-vi=`, else the first role's.
pub(crate) fn chosen_unit(asked: Option<String>, roles: &[RoleInfo]) -> String {
    asked
        .filter(|u| !u.is_empty())
        .or_else(|| roles.first().map(|r| r.unit_code.clone()))
        .unwrap_or_default()
}

/// The caller's roles at `unit` (`officer`, `leader`).
pub(crate) fn roles_at(roles: &[RoleInfo], unit: &str) -> Vec<Role> {
    roles
        .iter()
        .filter(|r| r.unit_code == unit)
        .map(|r| r.role)
        .collect()
}

/// Day and time in Hà Nội, short enough for a table cell: `23/11/2026 08:05`.
pub(crate) fn short_time(t: chrono::DateTime<chrono::Utc>) -> String {
    crate::domain::calendar::to_local(t)
        .format("%d/%m/%Y %H:%M")
        .to_string()
}

/// A status in the current language.
pub(crate) fn status_name(lang: Lang, s: crate::domain::status::DossierStatus) -> &'static str {
    match lang {
        Lang::Vi => s.name_vi(),
        Lang::En => s.name_en(),
    }
}

/// The channel a dossier came in through.
pub(crate) fn channel_name(t: &'static Messages, code: u8) -> &'static str {
    match code {
        1 => t.console_channel_counter,
        2 => t.console_channel_online,
        _ => t.console_channel_post,
    }
}

/// A queue's name.
pub(crate) fn queue_name(t: &'static Messages, q: Queue) -> &'static str {
    match q {
        Queue::Mine => t.console_queue_mine,
        Queue::NewOnline => t.console_queue_new_online,
        Queue::ToAccept => t.console_queue_to_accept,
        Queue::Processing => t.console_queue_processing,
        Queue::ToApprove => t.console_queue_to_approve,
        Queue::Supplement => t.console_queue_supplement,
        Queue::DueSoon => t.console_queue_due_soon,
        Queue::Overdue => t.console_queue_overdue,
        Queue::Ready => t.console_queue_ready,
    }
}

/// Shows `body` to staff with the ward chosen by `?don-vi=`; a sign-in prompt to others.
pub(crate) fn staff_only<F>(
    heading: fn(&'static Messages) -> &'static str,
    body: F,
) -> impl IntoView
where
    F: Fn(String, Vec<RoleInfo>) -> AnyView + Send + Sync + 'static,
{
    let i18n = use_i18n();
    let t = move || i18n.t();
    let session = use_session();
    let location = use_location();
    let params = use_query_map();
    // Only a change of ward renders the page anew (not a change of queue or search).
    let asked = Memo::new(move |_| params.read().get(query::UNIT));
    let here = move || routes::path_and_query(&location.pathname.get(), &location.search.get());
    // The session is refreshed on every navigation and by the idle timer; only a change of
    // who is signed in (or of their roles) may render the page anew, or typing would be lost.
    let who = Memo::new(move |_| {
        session
            .info
            .with(|i| i.as_ref().map(|u| u.as_ref().map(|u| u.roles.clone())))
    });
    move || match who.get() {
        None => {
            view! { <div class="page"><p class="loading">{move || t().catalog_loading}</p></div> }
                .into_any()
        }
        Some(None) => view! {
            <div class="page">
                <Title text=move || heading(t()).to_string() />
                <h1>{move || heading(t())}</h1>
                <SignInPrompt return_to=here() />
            </div>
        }
        .into_any(),
        Some(Some(roles)) if roles.is_empty() => view! {
            <div class="page">
                <Title text=move || heading(t()).to_string() />
                <h1>{move || heading(t())}</h1>
                <p>{move || t().staff_none}</p>
            </div>
        }
        .into_any(),
        Some(Some(roles)) => {
            let unit = chosen_unit(asked.get(), &roles);
            body(unit, roles)
        }
    }
}

/// `/can-bo`: the console of one ward.
#[component]
pub fn StaffPage() -> impl IntoView {
    staff_only(
        |t| t.console_title,
        |unit, roles| view! { <Console unit=unit roles=roles /> }.into_any(),
    )
}

#[component]
fn Console(unit: String, roles: Vec<RoleInfo>) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_query_map();
    let queue = Signal::derive(move || params.read().get(query::QUEUE).unwrap_or_default());
    let q = Signal::derive(move || params.read().get(query::Q).unwrap_or_default());
    let unit = StoredValue::new(unit);
    let units = staff_units(&roles, i18n.lang());
    let officer = roles_at(&roles, &unit.get_value()).contains(&Role::Officer);
    let data = LocalResource::new(move || {
        let req = ConsoleRequest {
            unit: unit.get_value(),
            queue: queue.get(),
            q: q.get(),
        };
        ward_console(req)
    });
    let unit_name = move || {
        roles
            .iter()
            .find(|r| r.unit_code == unit.get_value())
            .map(|r| i18n.lang().pick(&r.unit_name, &r.unit_name_en).to_string())
            .or_else(|| {
                data.get()
                    .and_then(Result::ok)
                    .map(|c| c.dashboard.unit_name)
                    .filter(|n| !n.is_empty())
            })
            .unwrap_or_else(|| unit.get_value())
    };
    let list_title = move || {
        Queue::from_slug(&queue.get())
            .map(|qu| queue_name(t(), qu).to_string())
            .unwrap_or_else(|| t().console_all_open.to_string())
    };
    view! {
        <Title text=move || t().console_title.to_string() />
        <div class="page page--wide console">
            <h1>{move || t().console_title}</h1>
            <p class="lead">{unit_name}</p>
            {(units.len() > 1).then(|| {
                let current = unit.get_value();
                view! {
                    <Form action=routes::STAFF method="GET" attr:class="console__ward">
                        <div class="field">
                            <label for="console-ward">{move || t().console_ward}</label>
                            <select id="console-ward" name=query::UNIT>
                                {units.iter().map(|(code, name)| {
                                    let selected = *code == current;
                                    view! { <option value=code.clone() selected=selected>{name.clone()}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="button button--secondary">{move || t().console_ward_go}</button>
                    </Form>
                }
            })}
            {officer.then(|| view! {
                <p><a class="button button--large" href=routes::staff_intake(&unit.get_value())>{move || t().console_intake}</a></p>
            })}
            <Suspense fallback=move || view! { <p class="loading">{move || t().catalog_loading}</p> }>
                {move || data.get().map(|r| match r {
                    Ok(c) => view! { <DashboardView dashboard=c.dashboard unit=unit.get_value() selected=queue.get() /> }.into_any(),
                    Err(e) => view! { <LoadError error=e on_retry=Callback::new(move |_| data.refetch()) /> }.into_any(),
                })}
            </Suspense>
            <section class="console-list">
                <h2 id="console-list-title">{list_title}</h2>
                <Form action=routes::STAFF method="GET" attr:class="search-form" attr:role="search">
                    <input type="hidden" name=query::UNIT prop:value=move || unit.get_value() />
                    {move || (!queue.get().is_empty()).then(|| view! { <input type="hidden" name=query::QUEUE prop:value=queue.get() /> })}
                    <label for="console-q">{move || t().console_search}</label>
                    <p class="hint" id="console-q-hint">{move || t().console_search_hint}</p>
                    <div class="search-form__row">
                        <input id="console-q" type="search" name=query::Q maxlength="100" autocomplete="off"
                            aria-describedby="console-q-hint" prop:value=move || q.get() />
                        <button type="submit" class="button">{move || t().search_submit}</button>
                    </div>
                </Form>
                <Suspense fallback=move || view! { <p class="loading">{move || t().catalog_loading}</p> }>
                    {move || data.get().and_then(Result::ok).map(|c| view! { <DossierTable lines=c.lines unit=unit.get_value() /> })}
                </Suspense>
            </section>
        </div>
    }
}

/// One tile per queue, the on-time rate and the month's intake.
#[component]
fn DashboardView(dashboard: Dashboard, unit: String, selected: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let d = StoredValue::new(dashboard);
    let rate = move || {
        d.with_value(|d| match d.on_time_percent() {
            None => t().console_rate_none.to_string(),
            Some(p) => {
                let pct = match i18n.lang() {
                    Lang::Vi => format!("{p:.1}").replace('.', ","),
                    Lang::En => format!("{p:.1}"),
                };
                fill(
                    &fill(&fill(t().console_rate, "pct", pct), "on_time", d.on_time),
                    "finished",
                    d.finished,
                )
            }
        })
    };
    let all_href = routes::console(&unit, "", "");
    let all_current = selected.is_empty();
    view! {
        <section aria-labelledby="console-dash-title" class="dashboard">
            <h2 id="console-dash-title">{move || t().console_dashboard}</h2>
            <ul class="tiles">
                {Queue::ALL.into_iter().map(|qu| {
                    let n = d.with_value(|d| d.queues.iter().find(|(x, _)| *x == qu).map(|(_, n)| *n).unwrap_or(0));
                    let href = routes::console(&unit, qu.slug(), "");
                    let current = selected == qu.slug();
                    let alert = matches!(qu, Queue::Overdue) && n > 0;
                    view! {
                        <li>
                            <a href=href class=if alert { "tile tile--alert" } else { "tile" }
                                aria-current=current.then_some("page")>
                                <span class="tile__count">{n}</span>
                                <span class="tile__name">{move || queue_name(t(), qu)}</span>
                            </a>
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p>
                <a href=all_href aria-current=all_current.then_some("page")>{move || t().console_all_open}</a>
            </p>
            <dl class="facts">
                <div><dt>{move || t().console_rate_label}</dt><dd>{rate}</dd></div>
                <div><dt>{move || t().console_received_30d_label}</dt><dd>{move || fill(t().console_received_30d, "n", d.with_value(|d| d.received_30d))}</dd></div>
            </dl>
        </section>
    }
}

/// The dossiers of the chosen queue: a table that scrolls sideways on a narrow screen.
#[component]
fn DossierTable(lines: Vec<DossierLine>, unit: String) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let n = lines.len();
    let lines = StoredValue::new(lines);
    let unit = StoredValue::new(unit);
    view! {
        <p role="status" class="results-count">{move || fill(t().console_count, "n", n)}</p>
        {move || if n == 0 {
            view! { <p>{t().console_empty}</p> }.into_any()
        } else {
            let lang = i18n.lang();
            let t = t();
            view! {
                <div class="table-wrap" role="region" aria-labelledby="console-list-title" tabindex="0">
                    <table class="dossier-table">
                        <thead>
                            <tr>
                                <th scope="col">{t.console_col_code}</th>
                                <th scope="col">{t.console_col_applicant}</th>
                                <th scope="col">{t.console_col_procedure}</th>
                                <th scope="col">{t.console_col_status}</th>
                                <th scope="col">{t.console_col_received}</th>
                                <th scope="col">{t.console_col_due}</th>
                                <th scope="col">{t.console_col_channel}</th>
                                <th scope="col">{t.console_col_flags}</th>
                            </tr>
                        </thead>
                        <tbody>
                            {lines.get_value().into_iter().map(|l| {
                                let href = routes::staff_dossier(&unit.get_value(), &l.code);
                                let flag = match l.deadline_flag.as_str() {
                                    "overdue" => Some(("flag flag--overdue", t.console_flag_overdue)),
                                    "due_soon" => Some(("flag flag--due-soon", t.console_flag_due_soon)),
                                    _ => None,
                                };
                                let leader = (l.stage == crate::domain::staff::Stage::Leader).then_some(t.console_flag_leader);
                                view! {
                                    <tr>
                                        <th scope="row"><a href=href class="mono">{l.code.clone()}</a></th>
                                        <td>{l.applicant_name.clone()}</td>
                                        <td>{lang.pick(&l.procedure_vi, &l.procedure_en).to_string()}</td>
                                        <td>{status_name(lang, l.status)}</td>
                                        <td class="nowrap">{short_time(l.received_at)}</td>
                                        <td class="nowrap">{short_time(l.due_at)}</td>
                                        <td>{channel_name(t, l.channel)}</td>
                                        <td class="flags">
                                            {flag.map(|(class, text)| view! { <span class=class>{text}</span> })}
                                            {l.mine.then(|| view! { <span class="flag flag--mine">{t.console_flag_mine}</span> })}
                                            {leader.map(|text| view! { <span class="flag">{text}</span> })}
                                        </td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            }.into_any()
        }}
    }
}
