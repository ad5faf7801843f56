use crate::ui::components::SignInPrompt;
use crate::ui::i18n::use_i18n;
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_meta::Title;

/// The staff area: the ward(s) this officer works for and in which role.
#[component]
pub fn StaffPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let session = use_session();
    view! {
        <Title text=move || t().staff_title.to_string() />
        <div class="page">
            <h1>{move || t().staff_title}</h1>
            {move || match session.info.get() {
                None => view! { <p class="loading">{move || t().catalog_loading}</p> }.into_any(),
                Some(None) => view! { <SignInPrompt return_to=routes::STAFF /> }.into_any(),
                Some(Some(u)) if u.roles.is_empty() => view! { <p>{move || t().staff_none}</p> }.into_any(),
                Some(Some(u)) => view! {
                    <p class="lead">{move || t().staff_lead}</p>
                    <ul class="cards">
                        {u.roles.into_iter().map(|r| {
                            let role = r.role.clone();
                            view! {
                                <li class="card">
                                    <h2 class="card__title">{r.unit_name.clone()}</h2>
                                    <p class="card__meta">
                                        <span>{move || if role == "leader" { t().role_leader } else { t().role_officer }}</span>
                                        <span>{r.unit_code.clone()}</span>
                                    </p>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any(),
            }}
        </div>
    }
}
