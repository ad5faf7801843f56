//! `/ho-so/:code`: one of the signed-in person's dossiers — the confirmation right after
//! filing (`?moi=1`), the receipt, the status and the timeline.

use crate::api::AppError;
use crate::api::catalog::get_procedure;
use crate::api::filing::{DossierCodeReq, own_dossier, start_payment};
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
    let query = use_query_map();
    let back_from_gateway = query.read_untracked().get("thanh-toan").is_some();
    let just_filed = query.read_untracked().get("moi").is_some() || back_from_gateway;
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
            <PaymentPanel dossier=d.get_value() back_from_gateway=back_from_gateway />
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

/// The fee: paid (with the gateway's transaction number), waiting for the gateway's notice,
/// or a button to pay. What it shows comes from the server, never from the return address.
#[component]
fn PaymentPanel(dossier: DossierView, back_from_gateway: bool) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let code = dossier.code.clone();
    let fee = dossier.fee_vnd;
    let state = RwSignal::new(dossier.payment.clone());
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
                if let Ok(d) = own_dossier(DossierCodeReq { code: code.clone() }).await {
                    let done = d.payment.as_ref().is_some_and(|p| p.status != "pending");
                    state.set(d.payment);
                    if done {
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
            {move || {
                let p = state.get();
                if fee <= 0 {
                    return view! { <p>{t().pay_none}</p> }.into_any();
                }
                match p {
                    Some(p) if p.status == "paid" => {
                        let at = p.settled_at.map(|at| match i18n.lang() { Lang::Vi => format_vi(at), Lang::En => format_en(at) }).unwrap_or_default();
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
