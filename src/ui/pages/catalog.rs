use crate::api::catalog::{list_sectors, search_procedures};
use crate::domain::catalog::{CatalogQuery, Level};
use crate::ui::components::{LoadError, ProcedureCard, SearchForm};
use crate::ui::i18n::{fill, use_i18n};
use crate::ui::routes::{self, query};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

/// The catalogue: search with sector and level filters, all in the URL so results can be
/// shared and survive a reload.
#[component]
pub fn CatalogPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let params = use_query_map();
    let q = Signal::derive(move || params.read().get(query::Q).unwrap_or_default());
    let sector = Signal::derive(move || params.read().get(query::SECTOR).unwrap_or_default());
    let level = Signal::derive(move || params.read().get(query::LEVEL).unwrap_or_default());

    let results = LocalResource::new(move || {
        let query = CatalogQuery {
            q: q.get(),
            sector: Some(sector.get()).filter(|s| !s.is_empty()),
            level: Level::parse(&level.get()),
            popular_only: false,
        };
        search_procedures(query)
    });
    let sectors = LocalResource::new(list_sectors);

    view! {
        <Title text=move || t().catalog_title.to_string() />
        <div class="page">
            <h1>{move || t().catalog_title}</h1>
            <p class="lead">{move || t().catalog_lead}</p>
            <SearchForm value=q />

            <Form action=routes::CATALOG method="GET" attr:class="filters">
                <input type="hidden" name=query::Q prop:value=move || q.get() />
                <fieldset>
                    <legend>{move || t().catalog_filters}</legend>
                    <div class="field">
                        <label for="filter-sector">{move || t().catalog_sector}</label>
                        <select id="filter-sector" name=query::SECTOR>
                            <option value="" selected=move || sector.get().is_empty()>{move || t().catalog_sector_all}</option>
                            {move || sectors.get().and_then(Result::ok).unwrap_or_default().into_iter().map(|s| {
                                let code = s.code.clone();
                                let selected = move || sector.get() == code;
                                let name = move || i18n.lang().pick(&s.name_vi, &s.name_en).to_string();
                                view! { <option value=s.code.clone() selected=selected>{name}</option> }
                            }).collect_view()}
                        </select>
                    </div>
                    <div class="field">
                        <label for="filter-level">{move || t().catalog_level}</label>
                        <select id="filter-level" name=query::LEVEL>
                            <option value="" selected=move || level.get().is_empty()>{move || t().catalog_level_all}</option>
                            <option value="commune" selected=move || level.get() == "commune">{move || t().level_commune}</option>
                            <option value="province" selected=move || level.get() == "province">{move || t().level_province}</option>
                        </select>
                    </div>
                    <button type="submit" class="button button--secondary">{move || t().catalog_apply}</button>
                </fieldset>
            </Form>

            <Suspense fallback=move || view! { <p class="loading">{move || t().catalog_loading}</p> }>
                {move || results.get().map(|r| match r {
                    Ok(list) => {
                        let n = list.len();
                        view! {
                            <div role="status"><h2 class="results-count">{move || fill(t().catalog_results_count, "n", n)}</h2></div>
                            {(n == 0).then(|| view! {
                                <p>{move || t().catalog_no_results}</p>
                                <p><A href=routes::CATALOG>{move || t().catalog_clear}</A></p>
                            })}
                            <ul class="cards">
                                {list.into_iter().map(|p| view! { <ProcedureCard procedure=p /> }).collect_view()}
                            </ul>
                        }.into_any()
                    }
                    Err(e) => view! { <LoadError error=e on_retry=Callback::new(move |_| results.refetch()) /> }.into_any(),
                })}
            </Suspense>
        </div>
    }
}
