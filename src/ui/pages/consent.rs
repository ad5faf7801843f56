//! `/xac-nhan/:token`: on the resident's own phone, after scanning the QR code the one-stop
//! counter shows. Signed in with VNeID, the resident reads what they agree to and confirms;
//! the counter screen sees it at once.

use crate::api::AppError;
use crate::api::intake::{ConsentToken, confirm_consent, consent_request};
use crate::domain::intake::{CONSENT_EN, CONSENT_VI};
use crate::ui::components::SignInPrompt;
use crate::ui::focus::focus_id;
use crate::ui::i18n::{Lang, error_message, fill, use_i18n};
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The confirmation page.
#[component]
pub fn ConsentPage() -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let session = use_session();
    let token = use_params_map().with_untracked(|p| p.get("token").unwrap_or_default());
    let token = StoredValue::new(token);
    let request = LocalResource::new(move || {
        let signed_in = matches!(session.info.get(), Some(Some(_)));
        async move {
            if !signed_in {
                return Err(AppError::Unauthenticated);
            }
            consent_request(ConsentToken {
                token: token.get_value(),
            })
            .await
        }
    });
    let confirm = Action::new_local(move |_: &()| async move {
        let r = confirm_consent(ConsentToken {
            token: token.get_value(),
        })
        .await;
        request_animation_frame(|| focus_id("consent-result"));
        r
    });
    view! {
        <Title text=move || t().consent_title.to_string() />
        <div class="page">
            <h1>{move || t().consent_title}</h1>
            {move || match (session.info.get(), request.get()) {
                (None, _) | (_, None) => view! { <p class="loading">{t().catalog_loading}</p> }.into_any(),
                (Some(None), _) => view! { <SignInPrompt return_to=routes::consent(&token.get_value()) /> }.into_any(),
                (_, Some(Err(AppError::NotFound))) => view! {
                    <p class="notice notice--error" role="alert">{t().consent_not_found}</p>
                }.into_any(),
                (_, Some(Err(e))) => view! { <p class="notice notice--error" role="alert">{error_message(t(), &e)}</p> }.into_any(),
                (_, Some(Ok(r))) => {
                    let lang = i18n.lang();
                    let done = move || r.confirmed || matches!(confirm.value().get(), Some(Ok(_)));
                    let lead = fill(
                        &fill(t().consent_lead, "unit", lang.pick(&r.unit_vi, &r.unit_en)),
                        "procedure",
                        lang.pick(&r.procedure_vi, &r.procedure_en),
                    );
                    let version = fill(t().consent_version, "version", &r.version);
                    view! {
                        <p class="lead">{lead}</p>
                        <blockquote class="consent-text">
                            <p>{match lang { Lang::Vi => CONSENT_VI, Lang::En => CONSENT_EN }}</p>
                            <footer class="hint">{version}</footer>
                        </blockquote>
                        <div id="consent-result" tabindex="-1" role="status">
                            {move || done().then(|| view! { <p class="notice notice--ok">{t().consent_done}</p> })}
                            {move || confirm.value().get().and_then(Result::err).map(|e| view! {
                                <p class="notice notice--error">{error_message(t(), &e)}</p>
                            })}
                        </div>
                        <Show when=move || !done()>
                            <button type="button" class="button button--large" disabled=move || confirm.pending().get()
                                on:click=move |_| { confirm.dispatch(()); }>
                                {move || t().consent_agree}
                            </button>
                            <p class="hint">{move || t().consent_refuse_hint}</p>
                        </Show>
                    }.into_any()
                }
            }}
        </div>
    }
}
