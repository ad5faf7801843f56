use crate::api::catalog::{list_sectors, search_procedures};
use crate::domain::catalog::CatalogQuery;
use crate::ui::components::{LoadError, ProcedureCard, SearchForm};
use crate::ui::i18n::{fill, use_i18n};
use crate::ui::routes;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};

/// Home: search, popular procedures, sectors.
#[component]
pub fn HomePage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let popular = LocalResource::new(|| {
        search_procedures(CatalogQuery {
            popular_only: true,
            ..Default::default()
        })
    });
    let sectors = LocalResource::new(list_sectors);
    view! {
        <Title text=String::new() />
        <div class="page page--home">
            <section class="hero" aria-labelledby="home-title">
                <h1 id="home-title">{move || t().home_title}</h1>
                <p class="lead">{move || t().home_lead}</p>
                <SearchForm id="home-" />
            </section>

            <section aria-labelledby="track-title" class="track-box">
                <h2 id="track-title">{move || t().track_title}</h2>
                <p>{move || t().track_home_lead}</p>
                <Form action=routes::TRACK method="GET" attr:class="search-form">
                    <label for="home-track-code" class="search-form__label">{move || t().track_code_label}</label>
                    <p id="home-track-hint" class="hint">{move || t().track_code_hint}</p>
                    <div class="search-form__row">
                        <input id="home-track-code" type="text" name=routes::query::CODE autocomplete="off"
                            spellcheck="false" maxlength="64" aria-describedby="home-track-hint" />
                        <button type="submit" class="button">{move || t().track_submit}</button>
                    </div>
                </Form>
            </section>

            <section aria-labelledby="popular-title">
                <h2 id="popular-title">{move || t().home_popular}</h2>
                <Suspense fallback=move || view! { <p class="loading">{move || t().catalog_loading}</p> }>
                    {move || popular.get().map(|r| match r {
                        Ok(list) => view! {
                            <ul class="cards">
                                {list.into_iter().map(|p| view! { <ProcedureCard procedure=p /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <LoadError error=e on_retry=Callback::new(move |_| popular.refetch()) /> }.into_any(),
                    })}
                </Suspense>
                <p><A href=routes::CATALOG attr:class="button button--secondary">{move || t().home_all_procedures}</A></p>
            </section>

            <section aria-labelledby="sectors-title">
                <h2 id="sectors-title">{move || t().home_sectors}</h2>
                <Suspense fallback=move || view! { <p class="loading">{move || t().catalog_loading}</p> }>
                    {move || sectors.get().map(|r| match r {
                        Ok(list) => view! {
                            <ul class="sector-list">
                                {list.into_iter().map(|s| {
                                    let href = routes::catalog_sector(&s.code);
                                    let s = StoredValue::new(s);
                                    view! {
                                        <li>
                                            <A href=href>
                                                <span>{move || s.with_value(|s| i18n.lang().pick(&s.name_vi, &s.name_en).to_string())}</span>
                                                <span class="count">{move || fill(t().home_sector_count, "n", s.with_value(|s| s.procedures))}</span>
                                            </A>
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(e) => view! { <LoadError error=e on_retry=Callback::new(move |_| sectors.refetch()) /> }.into_any(),
                    })}
                </Suspense>
            </section>
        </div>
    }
}
