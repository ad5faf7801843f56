//! Provide once: a document slot the health record can provide (the birth certificate)
//! offers the electronic one from the resident's own record instead of a photo.
//!
//! Nothing of the record is kept in the browser: the offer is read when the documents page
//! opens and lives only in the page's memory.

use crate::api::AppError;
use crate::api::health::{
    AttachRequest, BirthCertificateOffer, health_attach, health_birth_certificates,
};
use crate::domain::field_error::FieldError;
use crate::domain::upload::{OriginSystem, UploadView};
use crate::ui::i18n::{Messages, error_message, use_i18n};
use crate::ui::routes;
use crate::ui::session::use_session;
use leptos::prelude::*;

/// Whether `u` is the file attached from this certificate.
fn attached_from(u: &UploadView, slot: &str, c: &BirthCertificateOffer) -> bool {
    u.slot == slot
        && u.origin.as_ref().is_some_and(|o| {
            o.system == OriginSystem::Health && o.number == c.number && o.issued == c.issued
        })
}

/// What a refused read or attachment tells the resident, with the way on.
fn refusal(t: &'static Messages, e: &AppError, back: &str) -> AnyView {
    match e {
        AppError::ConsentRequired => view! {
            <div class="notice">
                <p>{t.health_attach_consent}</p>
                <p><a href=routes::health_then(back)>{t.health_attach_consent_link}</a></p>
            </div>
        }
        .into_any(),
        AppError::StepUpRequired => view! {
            <div class="notice">
                <p>{t.health_attach_step_up}</p>
                <p><a class="button button--secondary" href=routes::login(back, true) rel="external">{t.health_attach_step_up_button}</a></p>
            </div>
        }
        .into_any(),
        AppError::NotFound => view! { <p class="hint">{t.health_attach_none}</p> }.into_any(),
        AppError::Unavailable | AppError::Transport(_) => {
            view! { <p class="notice" role="alert">{t.health_attach_unavailable}</p> }.into_any()
        }
        e => view! { <p class="field-error" role="alert">{error_message(t, e)}</p> }.into_any(),
    }
}

/// The electronic birth certificates of the resident's record, each with a button that
/// attaches it to `slot` of the draft. Shown to level-2 residents only (the record opens to
/// nobody else).
#[component]
pub(crate) fn HealthOffer(
    /// The draft.
    draft_id: String,
    /// The procedure (for the address to come back to).
    slug: String,
    /// The document slot.
    document: String,
    /// The draft's files.
    uploads: RwSignal<Vec<UploadView>>,
    /// The form's field errors (a refused file shows under its document).
    errors: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let level2 = move || {
        session
            .info
            .with(|s| {
                s.as_ref()
                    .and_then(|s| s.as_ref())
                    .map(|s| s.identity_level)
            })
            .is_some_and(|l| l >= 2)
    };
    let back = StoredValue::new(routes::filing_documents(&slug, &draft_id));
    let offers = LocalResource::new(health_birth_certificates);
    let busy = RwSignal::new(false);
    let failure = RwSignal::new(None::<AppError>);
    let (draft_id, slot) = (StoredValue::new(draft_id), StoredValue::new(document));
    let attach = move |document: String| {
        busy.set(true);
        failure.set(None);
        leptos::task::spawn_local(async move {
            let req = AttachRequest {
                draft_id: draft_id.get_value(),
                slot: slot.get_value(),
                document,
            };
            match health_attach(req).await {
                Ok(up) => {
                    let field = format!("doc.{}", up.slot);
                    errors.update(|es| es.retain(|e| e.field != field));
                    uploads.update(|u| {
                        if !u.iter().any(|x| x.id == up.id) {
                            u.push(up)
                        }
                    });
                }
                Err(AppError::Validation { fields }) => errors.set(fields),
                Err(e) => failure.set(Some(e)),
            }
            busy.set(false);
        });
    };
    let title_id = format!("health-offer-{}", slot.get_value());
    move || {
        if !level2() {
            return ().into_any();
        }
        let t = i18n.t();
        let list = match offers.get() {
            None => return ().into_any(),
            Some(Err(e)) => return refusal(t, &e, &back.get_value()),
            Some(Ok(list)) if list.is_empty() => {
                return view! { <p class="hint">{t.health_attach_none}</p> }.into_any();
            }
            Some(Ok(list)) => list,
        };
        let (labelled, title_id) = (title_id.clone(), title_id.clone());
        view! {
            <div class="health-offer" role="group" aria-labelledby=labelled>
                <h2 id=title_id>{t.health_attach_title}</h2>
                <p>{t.health_attach_intro}</p>
                {list.into_iter().map(|c| {
                    let sex = match c.sex.as_deref() {
                        Some("female") => Some(t.health_attach_female),
                        Some("male") => Some(t.health_attach_male),
                        _ => None,
                    };
                    let mut heading = c.title.clone();
                    if let Some(n) = c.number.as_deref().filter(|n| !c.title.contains(n)) {
                        heading = format!("{heading} {n}");
                    }
                    if let Some(s) = sex {
                        heading = format!("{heading} — {s}");
                    }
                    let born = c.born_at.map(|b| b.format("%H:%M %d/%m/%Y").to_string());
                    let weight = c.weight_grams.map(|w| format!("{w:.0} g"));
                    let facts = [
                        (t.health_attach_born, born),
                        (t.health_attach_weight, weight),
                        (t.health_attach_place, c.place.clone()),
                        (t.upload_origin_issuer, c.facility.clone()),
                        (t.upload_origin_issued, c.issued.map(|d| d.format("%d/%m/%Y").to_string())),
                    ];
                    let cert = StoredValue::new(c);
                    let done = move || uploads.with(|u| cert.with_value(|c| u.iter().any(|x| attached_from(x, &slot.get_value(), c))));
                    view! {
                        <div class="health-offer__item">
                            <p><strong>{heading}</strong></p>
                            <dl class="facts">
                                {facts.into_iter().filter_map(|(k, v)| v.map(|v| view! { <div><dt>{k}</dt><dd>{v}</dd></div> })).collect_view()}
                            </dl>
                            {move || if done() {
                                view! { <p class="notice notice--ok" role="status">{t.health_attach_done}</p> }.into_any()
                            } else {
                                view! {
                                    <button type="button" class="button button--secondary" disabled=move || busy.get()
                                        on:click=move |_| attach(cert.with_value(|c| c.id.clone()))>
                                        {move || if busy.get() { t.health_attach_busy } else { t.health_attach_button }}
                                    </button>
                                }.into_any()
                            }}
                        </div>
                    }
                }).collect_view()}
                {move || failure.get().map(|e| refusal(t, &e, &back.get_value()))}
            </div>
        }
        .into_any()
    }
}
