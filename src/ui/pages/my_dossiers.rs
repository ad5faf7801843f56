//! `/ho-so`: "Hồ sơ của tôi" — the signed-in person's dossiers, with a status filter and a
//! search box, both in the URL (`?loc=…&q=…`) so a view can be shared and survives a reload.

use crate::api::dossiers::{MineRequest, my_dossiers};
use crate::domain::calendar::to_local;
use crate::domain::workflow::DossierLine;
use crate::ui::components::{LoadError, SignInPrompt};
use crate::ui::i18n::{Messages, fill, status_name, use_i18n};
use crate::ui::routes::{self, query};
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

/// The label of a filter, from the messages.
type Label = fn(&Messages) -> &'static str;

/// The filters: URL value and label.
const FILTERS: [(&str, Label); 4] = [
    ("", |t| t.mine_filter_all),
    ("dang-xu-ly", |t| t.mine_filter_in_progress),
    ("can-bo-sung", |t| t.mine_filter_action),
    ("da-xong", |t| t.mine_filter_done),
];

/// The signed-in person's dossiers.
#[component]
pub fn MyDossiersPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let session = use_session();
    view! {
        <Title text=move || t().mine_title.to_string() />
        <div class="page">
            <h1>{move || t().mine_title}</h1>
            {move || match session.info.get() {
                None => view! { <p class="loading">{move || t().catalog_loading}</p> }.into_any(),
                Some(None) => view! { <SignInPrompt return_to=routes::DOSSIERS /> }.into_any(),
                Some(Some(_)) => view! { <DossierList /> }.into_any(),
            }}
        </div>
    }
}

#[component]
fn DossierList() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_query_map();
    // An unknown filter value shows everything, as the server does.
    let filter = Signal::derive(move || {
        let f = params.read().get(query::FILTER).unwrap_or_default();
        if FILTERS.iter().any(|(v, _)| *v == f) {
            f
        } else {
            String::new()
        }
    });
    let q = Signal::derive(move || params.read().get(query::Q).unwrap_or_default());
    let lines = LocalResource::new(move || {
        let req = MineRequest {
            filter: filter.get(),
            q: q.get(),
        };
        my_dossiers(req)
    });
    view! {
        <p class="lead">{move || t().mine_lead}</p>
        <nav class="tabs" aria-label=move || t().mine_filters>
            <ul>
                {FILTERS.into_iter().map(|(value, label)| {
                    let active = move || filter.get() == value;
                    view! {
                        <li>
                            <a
                                href=move || routes::my_dossiers(value, &q.get())
                                aria-current=move || active().then_some("page")
                                class:tabs__active=active
                            >{move || label(t())}</a>
                        </li>
                    }
                }).collect_view()}
            </ul>
        </nav>
        <Show when=move || filter.get() == "can-bo-sung">
            <p class="hint">{move || t().mine_filter_action_hint}</p>
        </Show>
        <Form action=routes::DOSSIERS method="GET" attr:class="search-form" attr:role="search">
            {move || (!filter.get().is_empty()).then(|| view! {
                <input type="hidden" name=query::FILTER prop:value=move || filter.get() />
            })}
            <label for="mine-q" class="search-form__label">{move || t().mine_search_label}</label>
            <p id="mine-q-hint" class="hint">{move || t().mine_search_hint}</p>
            <div class="search-form__row">
                <input id="mine-q" type="search" name=query::Q autocomplete="off" maxlength="100"
                    aria-describedby="mine-q-hint" prop:value=move || q.get() />
                <button type="submit" class="button">{move || t().mine_search_submit}</button>
            </div>
        </Form>
        <Suspense fallback=move || view! { <p class="loading">{move || t().catalog_loading}</p> }>
            {move || lines.get().map(|r| match r {
                Ok(list) => {
                    let n = list.len();
                    let narrowed = !filter.get_untracked().is_empty() || !q.get_untracked().is_empty();
                    view! {
                        <div role="status"><h2 class="results-count">{move || fill(t().mine_count, "n", n)}</h2></div>
                        {(n == 0).then(|| if narrowed {
                            view! {
                                <p>{move || t().mine_empty_filtered}</p>
                                <p><A href=routes::DOSSIERS>{move || t().mine_clear}</A></p>
                            }.into_any()
                        } else {
                            view! {
                                <p>{move || t().mine_empty}</p>
                                <p><A href=routes::CATALOG>{move || t().mine_find_procedure}</A></p>
                            }.into_any()
                        })}
                        <ul class="cards">
                            {list.into_iter().map(|l| view! { <DossierCard line=l /> }).collect_view()}
                        </ul>
                    }.into_any()
                }
                Err(e) => view! { <LoadError error=e on_retry=Callback::new(move |_| lines.refetch()) /> }.into_any(),
            })}
        </Suspense>
    }
}

/// One dossier in the list; its page belongs to the form bundle, so the link loads it.
#[component]
fn DossierCard(line: DossierLine) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let l = StoredValue::new(line);
    let code = l.with_value(|l| l.code.clone());
    let date = |at: chrono::DateTime<chrono::Utc>| to_local(at).format("%d/%m/%Y").to_string();
    let flag = l.with_value(|l| {
        if l.status.is_terminal() {
            String::new()
        } else {
            l.deadline_flag.clone()
        }
    });
    view! {
        <li class="card dossier-card">
            <h3 class="card__title">
                <a href=routes::dossier(&code) rel="external">
                    {move || l.with_value(|l| i18n.lang().pick(&l.procedure_vi, &l.procedure_en).to_string())}
                    <span class="visually-hidden">{format!(" — {code}")}</span>
                </a>
            </h3>
            <p class="card__meta">
                <span>{move || format!("{}: ", t().dossier_code)}<span class="mono">{l.with_value(|l| l.code.clone())}</span></span>
            </p>
            <p class="card__status">
                <span class="status-text">{move || format!("{}: ", t().dossier_status)}<strong>{move || status_name(i18n.lang(), l.with_value(|l| l.status))}</strong></span>
                {match flag.as_str() {
                    "overdue" => Some(view! { <span class="badge badge--overdue">{move || t().mine_overdue}</span> }.into_any()),
                    "due_soon" => Some(view! { <span class="badge badge--due-soon">{move || t().mine_due_soon}</span> }.into_any()),
                    _ => None,
                }}
            </p>
            <p class="card__meta">
                <span>{move || fill(t().mine_received, "date", date(l.with_value(|l| l.received_at)))}</span>
                <span>{move || fill(t().mine_due, "date", date(l.with_value(|l| l.due_at)))}</span>
            </p>
        </li>
    }
}
