//! `/ho-so/:code`: one of the signed-in person's dossiers — the confirmation right after
//! filing (`?moi=1`), the receipt, the status and the timeline.

use crate::api::AppError;
use crate::api::catalog::get_procedure;
use crate::api::filing::{DossierCodeReq, own_dossier};
use crate::domain::calendar::{format_en, format_vi};
use crate::domain::filing::DossierView;
use crate::domain::money::Vnd;
use crate::ui::components::{LoadError, SignInPrompt};
use crate::ui::i18n::{Lang, fill, use_i18n};
use crate::ui::pages::NotFoundPage;
use crate::ui::pages::filing::AnswerList;
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

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
        async move { own_dossier(DossierCodeReq { code }).await }
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

#[component]
fn DossierDetail(dossier: DossierView) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let just_filed = use_query_map().read_untracked().get("moi").is_some();
    let d = StoredValue::new(dossier);
    let when = move |at: chrono::DateTime<chrono::Utc>| match i18n.lang() {
        Lang::Vi => format_vi(at),
        Lang::En => format_en(at),
    };
    let code = d.with_value(|d| d.code.clone());
    let procedure =
        LocalResource::new(move || get_procedure(d.with_value(|d| d.procedure_slug.clone())));
    let answers = Signal::derive(move || d.with_value(|d| d.answers.clone()));
    let title = {
        let code = code.clone();
        move || fill(t().dossier_title, "code", &code)
    };
    view! {
        <Title text=title.clone() />
        <div class="page dossier">
            {if just_filed {
                view! {
                    <div class="panel panel--success" role="status">
                        <h1>{move || t().dossier_submitted}</h1>
                        <p>{move || t().dossier_code}</p>
                        <p class="panel__code">{code.clone()}</p>
                        <p>{move || fill(t().dossier_submitted_body, "unit", d.with_value(|d| d.unit_name.clone()))}</p>
                    </div>
                }.into_any()
            } else {
                view! { <h1>{title.clone()}</h1> }.into_any()
            }}
            <p>
                <a class="button" href=routes::receipt_pdf(&code) rel="external" download>{move || t().dossier_receipt}</a>
            </p>
            <dl class="facts">
                <div><dt>{move || t().dossier_procedure}</dt><dd>{move || d.with_value(|d| i18n.lang().pick(&d.procedure_vi, &d.procedure_en).to_string())}</dd></div>
                <div><dt>{move || t().dossier_unit}</dt><dd>{d.with_value(|d| d.unit_name.clone())}</dd></div>
                <div><dt>{move || t().dossier_status}</dt><dd class="status">{move || d.with_value(|d| match i18n.lang() { Lang::Vi => d.status.name_vi(), Lang::En => d.status.name_en() })}</dd></div>
                <div><dt>{move || t().dossier_received}</dt><dd>{move || when(d.with_value(|d| d.received_at))}</dd></div>
                <div><dt>{move || t().dossier_due}</dt><dd>{move || when(d.with_value(|d| d.due_at))}</dd></div>
                <div><dt>{move || t().dossier_fee}</dt><dd>{move || {
                    let v = Vnd(d.with_value(|d| d.fee_vnd));
                    match i18n.lang() { Lang::Vi => v.format_vi(), Lang::En => v.format_en() }
                }}</dd></div>
            </dl>
            <p class="hint">{move || t().dossier_track_hint}</p>
            <section aria-labelledby="timeline-title">
                <h2 id="timeline-title">{move || t().dossier_timeline}</h2>
                <ol class="timeline">
                    {move || d.with_value(|d| d.events.clone()).into_iter().map(|e| {
                        let who = match e.actor_role.as_str() {
                            "resident" => t().dossier_by_resident,
                            "officer" => t().dossier_by_officer,
                            "leader" => t().dossier_by_leader,
                            _ => t().dossier_by_system,
                        };
                        let status = match i18n.lang() { Lang::Vi => e.status.name_vi(), Lang::En => e.status.name_en() };
                        view! {
                            <li>
                                <strong>{status}</strong>
                                <span class="timeline__meta">{format!(" — {} — {who}", when(e.at))}</span>
                                {e.note.map(|n| view! { <p>{n}</p> })}
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
        </div>
    }
}
