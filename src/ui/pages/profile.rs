use crate::api::AppError;
use crate::api::filing::{DraftId, delete_draft, list_drafts};
use crate::api::session::reveal_own_id;
use crate::domain::calendar::{format_en, format_vi};
use crate::ui::components::SignInPrompt;
use crate::ui::i18n::{Lang, error_message, fill, use_i18n};
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The signed-in person's details from the national identity, with the ID number masked;
/// showing it in full needs a fresh level-2 login (step-up).
#[component]
pub fn ProfilePage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let session = use_session();
    let reveal = Action::new_local(|_: &()| reveal_own_id());
    view! {
        <Title text=move || t().profile_title.to_string() />
        <div class="page">
            <h1>{move || t().profile_title}</h1>
            {move || match session.info.get() {
                None => view! { <p class="loading">{move || t().catalog_loading}</p> }.into_any(),
                Some(None) => view! { <SignInPrompt return_to=routes::PROFILE /> }.into_any(),
                Some(Some(u)) => {
                    let unknown = move || t().profile_unknown.to_string();
                    let (birth, addr) = (u.birthdate.clone(), u.address.clone());
                    let dependents = u.dependents.clone();
                    view! {
                        <dl class="facts">
                            <div><dt>{move || t().profile_name}</dt><dd>{u.name.clone()}</dd></div>
                            <div><dt>{move || t().profile_cccd}</dt><dd>
                                <span class="mono">{move || match reveal.value().get() {
                                    Some(Ok(full)) => full,
                                    _ => u.cccd_masked.clone().unwrap_or_else(unknown),
                                }}</span>
                                {move || match reveal.value().get() {
                                    Some(Ok(_)) => None,
                                    Some(Err(AppError::StepUpRequired)) => Some(view! {
                                        <p class="notice">{move || t().profile_step_up} " "
                                            <a class="button button--secondary" href=routes::login(routes::PROFILE, true) rel="external">{move || t().profile_step_up_button}</a>
                                        </p>
                                    }.into_any()),
                                    Some(Err(e)) => Some(view! { <p class="field-error">{move || error_message(t(), &e)}</p> }.into_any()),
                                    None => Some(view! {
                                        <button type="button" class="button button--secondary" on:click=move |_| { reveal.dispatch(()); }>
                                            {move || t().profile_reveal}
                                        </button>
                                    }.into_any()),
                                }}
                            </dd></div>
                            <div><dt>{move || t().profile_birthdate}</dt><dd>{birth.unwrap_or_else(unknown)}</dd></div>
                            <div><dt>{move || t().profile_address}</dt><dd>{addr.unwrap_or_else(unknown)}</dd></div>
                            <div><dt>{move || t().profile_level}</dt><dd>{move || fill(t().profile_level_value, "n", u.identity_level)}</dd></div>
                        </dl>
                        {(!dependents.is_empty()).then(|| view! {
                            <section aria-labelledby="dependents-title">
                                <h2 id="dependents-title">{move || t().profile_dependents}</h2>
                                <p class="hint">{move || t().profile_dependents_hint}</p>
                                <ul class="plain">
                                    {dependents.into_iter().map(|d| view! {
                                        <li>
                                            <strong>{d.name.clone()}</strong>
                                            {d.relationship.clone().map(|r| format!(" ({r})"))}
                                            " — " <span class="mono">{d.cccd_masked.clone()}</span>
                                            {d.birthdate.clone().map(|b| format!(", {b}"))}
                                        </li>
                                    }).collect_view()}
                                </ul>
                            </section>
                        })}
                        <section aria-labelledby="sessions-title">
                            <h2 id="sessions-title">{move || t().profile_sessions}</h2>
                            <p class="hint">{move || t().profile_sessions_hint}</p>
                            <crate::ui::components::SignOut everywhere=true button_class="button button--secondary" />
                        </section>
                        {(!u.staff).then(|| view! {
                            <p><A href=routes::DOSSIERS attr:class="button button--secondary">{move || t().mine_profile_link}</A></p>
                        })}
                        <DraftList />
                    }.into_any()
                }
            }}
        </div>
    }
}

/// The signed-in person's unfinished applications, with "continue" and "delete".
#[component]
fn DraftList() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let drafts = LocalResource::new(list_drafts);
    let delete = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let r = delete_draft(DraftId { id }).await;
            drafts.refetch();
            r
        }
    });
    let when = move |at: chrono::DateTime<chrono::Utc>| match i18n.lang() {
        Lang::Vi => format_vi(at),
        Lang::En => format_en(at),
    };
    view! {
        <section aria-labelledby="drafts-title">
            <h2 id="drafts-title">{move || t().drafts_title}</h2>
            {move || drafts.get().map(|r| match r {
                Ok(list) if list.is_empty() => view! { <p>{move || t().drafts_empty}</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="plain drafts">
                        {list.into_iter().map(|d| {
                            let name = match i18n.lang() { Lang::Vi => d.procedure_vi.clone(), Lang::En => d.procedure_en.clone() };
                            let meta = fill(&fill(t().drafts_meta, "time", when(d.updated_at)), "date", crate::domain::calendar::to_local(d.expires_at).format("%d/%m/%Y"));
                            let href = format!("{}?nhap={}", routes::filing(&d.procedure_slug), d.id);
                            let id = d.id.clone();
                            view! {
                                <li class="draft">
                                    <strong>{name.clone()}</strong>
                                    <p class="hint">{meta}</p>
                                    <p class="draft__actions">
                                        <a class="button button--secondary" href=href rel="external">{move || t().drafts_resume}<span class="visually-hidden">{format!(": {name}")}</span></a>
                                        <button type="button" class="button button--secondary" on:click=move |_| { delete.dispatch(id.clone()); }>{move || t().drafts_delete}</button>
                                    </p>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
                Err(e) => view! { <p class="field-error">{move || error_message(t(), &e)}</p> }.into_any(),
            })}
        </section>
    }
}
