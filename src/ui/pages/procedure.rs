use crate::api::AppError;
use crate::api::catalog::{get_procedure, list_sectors};
use crate::domain::catalog::{Delivery, Procedure};
use crate::ui::components::procedure_card::fee_text;
use crate::ui::components::{LevelBadge, LoadError, OnlineBadge};
use crate::ui::i18n::{fill, use_i18n};
use crate::ui::pages::NotFoundPage;
use crate::ui::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// Everything a resident needs to know before filing one procedure.
#[component]
pub fn ProcedurePage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let procedure = LocalResource::new(move || get_procedure(slug()));
    view! {
        <Suspense fallback=move || view! { <div class="page"><p class="loading">{move || t().catalog_loading}</p></div> }>
            {move || procedure.get().map(|r| match r {
                Ok(p) => view! { <ProcedureDetail procedure=p /> }.into_any(),
                Err(AppError::NotFound) => view! { <NotFoundPage /> }.into_any(),
                Err(e) => view! {
                    <div class="page">
                        <LoadError error=e whole_page=true on_retry=Callback::new(move |_| procedure.refetch()) />
                    </div>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ProcedureDetail(procedure: Procedure) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let p = StoredValue::new(procedure);
    // Reads a Vietnamese/English pair of fields in the current language.
    let tr = move |f: fn(&Procedure) -> (&str, &str)| {
        p.with_value(|p| {
            let (vi, en) = f(p);
            i18n.lang().pick(vi, en).to_string()
        })
    };
    let sectors = LocalResource::new(list_sectors);
    let sector_name = move || {
        let code = p.with_value(|p| p.sector.clone());
        sectors
            .get()
            .and_then(Result::ok)
            .and_then(|list| list.into_iter().find(|s| s.code == code))
            .map(|s| i18n.lang().pick(&s.name_vi, &s.name_en).to_string())
            .unwrap_or(code)
    };
    let total_fee = p.with_value(|p| p.fee.fee_vnd + p.fee.charge_vnd);

    view! {
        <Title text=move || tr(|p| (&p.name_vi, &p.name_en)) />
        <article class="page procedure">
            <p class="breadcrumb"><A href=routes::CATALOG>{move || t().proc_back}</A></p>
            <h1>{move || tr(|p| (&p.name_vi, &p.name_en))}</h1>
            <p class="card__badges">
                <LevelBadge level=p.with_value(|p| p.level) />
                <OnlineBadge online=p.with_value(|p| p.online) />
            </p>
            <p class="lead">{move || tr(|p| (&p.summary_vi, &p.summary_en))}</p>
            <div class="apply">
                <a href=p.with_value(|p| routes::filing(&p.slug)) class="button button--large" rel="external">{move || t().filing_apply}</a>
                <p class="hint">{move || t().filing_apply_hint}</p>
            </div>

            <section aria-labelledby="facts">
                <h2 id="facts">{move || t().proc_facts}</h2>
                <dl class="facts">
                    <div><dt>{move || t().proc_code}</dt><dd>{p.with_value(|p| p.code.clone())}</dd></div>
                    <div><dt>{move || t().proc_sector}</dt><dd>{sector_name}</dd></div>
                    <div><dt>{move || t().proc_agency}</dt><dd>{move || tr(|p| (&p.agency_vi, &p.agency_en))}</dd></div>
                    <div><dt>{move || t().proc_processing_time}</dt><dd>
                        {move || fill(t().proc_days, "n", p.with_value(|p| p.processing_working_days))}
                        {move || {
                            let note = tr(|p| (p.processing_note_vi.as_deref().unwrap_or(""), p.processing_note_en.as_deref().unwrap_or("")));
                            (!note.is_empty()).then(|| view! { <span class="hint">{note}</span> })
                        }}
                    </dd></div>
                    <div><dt>{move || t().proc_fees}</dt><dd>{move || fee_text(i18n.lang(), total_fee)}</dd></div>
                    <div><dt>{move || t().proc_result}</dt><dd>{move || tr(|p| (&p.result_vi, &p.result_en))}</dd></div>
                    <div><dt>{move || t().proc_delivery}</dt><dd>
                        <ul class="plain">
                            {p.with_value(|p| p.delivery.clone()).into_iter().map(|d| view! {
                                <li>{move || match d {
                                    Delivery::Counter => t().delivery_counter,
                                    Delivery::Post => t().delivery_post,
                                    Delivery::Electronic => t().delivery_electronic,
                                }}</li>
                            }).collect_view()}
                        </ul>
                    </dd></div>
                </dl>
            </section>

            {p.with_value(|p| p.partial_reason_vi.is_some()).then(|| view! {
                <section class="notice" aria-labelledby="partial">
                    <h2 id="partial">{move || t().proc_partial_reason}</h2>
                    <p>{move || tr(|p| (p.partial_reason_vi.as_deref().unwrap_or(""), p.partial_reason_en.as_deref().unwrap_or("")))}</p>
                </section>
            })}

            <section aria-labelledby="eligibility">
                <h2 id="eligibility">{move || t().proc_eligibility}</h2>
                <p>{move || tr(|p| (&p.eligibility_vi, &p.eligibility_en))}</p>
            </section>

            <section aria-labelledby="steps">
                <h2 id="steps">{move || t().proc_steps}</h2>
                <ol class="steps">
                    {p.with_value(|p| p.steps.clone()).into_iter().map(|s| {
                        let s = StoredValue::new(s);
                        view! { <li>{move || s.with_value(|s| i18n.lang().pick(&s.vi, &s.en).to_string())}</li> }
                    }).collect_view()}
                </ol>
            </section>

            <section>
                <h2 id="documents">{move || t().proc_documents}</h2>
                <div class="table-wrap" role="region" aria-labelledby="documents" tabindex="0">
                    <table>
                        <thead><tr>
                            <th scope="col">{move || t().proc_doc_name}</th>
                            <th scope="col" class="num">{move || t().proc_originals}</th>
                            <th scope="col" class="num">{move || t().proc_copies}</th>
                        </tr></thead>
                        <tbody>
                            {p.with_value(|p| p.documents.clone()).into_iter().map(|d| {
                                let d = StoredValue::new(d);
                                view! {
                                    <tr>
                                        <td>
                                            {move || d.with_value(|d| i18n.lang().pick(&d.name_vi, &d.name_en).to_string())}
                                            {move || d.with_value(|d| {
                                                let note = i18n.lang().pick(d.note_vi.as_deref().unwrap_or(""), d.note_en.as_deref().unwrap_or("")).to_string();
                                                (!note.is_empty()).then(|| view! { <span class="hint">{note}</span> })
                                            })}
                                            {move || d.with_value(|d| !d.required).then(|| view! { <span class="hint">{t().proc_if_applicable}</span> })}
                                        </td>
                                        <td class="num">{d.with_value(|d| d.originals)}</td>
                                        <td class="num">{d.with_value(|d| d.copies)}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </section>

            <section aria-labelledby="fees">
                <h2 id="fees">{move || t().proc_fees}</h2>
                <dl class="facts">
                    <div><dt>{move || t().proc_fee_lephi}</dt><dd>{move || fee_text(i18n.lang(), p.with_value(|p| p.fee.fee_vnd))}</dd></div>
                    <div><dt>{move || t().proc_fee_phi}</dt><dd>{move || fee_text(i18n.lang(), p.with_value(|p| p.fee.charge_vnd))}</dd></div>
                </dl>
                {move || {
                    let note = tr(|p| (p.fee.note_vi.as_deref().unwrap_or(""), p.fee.note_en.as_deref().unwrap_or("")));
                    (!note.is_empty()).then(|| view! { <p>{note}</p> })
                }}
                {p.with_value(|p| !p.fee.exemptions.is_empty()).then(|| view! {
                    <h3>{move || t().proc_exemptions}</h3>
                    <ul>
                        {p.with_value(|p| p.fee.exemptions.clone()).into_iter().map(|e| {
                            let e = StoredValue::new(e);
                            view! { <li>{move || e.with_value(|e| i18n.lang().pick(&e.vi, &e.en).to_string())}</li> }
                        }).collect_view()}
                    </ul>
                })}
            </section>

            <section aria-labelledby="legal">
                <h2 id="legal">{move || t().proc_legal_basis}</h2>
                <ul>
                    {p.with_value(|p| p.legal_basis.clone()).into_iter().map(|l| {
                        let l = StoredValue::new(l);
                        view! { <li>{move || l.with_value(|l| format!("{} — {}", l.reference, i18n.lang().pick(&l.title_vi, &l.title_en)))}</li> }
                    }).collect_view()}
                </ul>
            </section>
        </article>
    }
}
