//! Attaching the electronic result (a PDF) to a dossier in processing or processed, with the
//! same uploader as the online form (`ui::upload::send_to_dossier`: announced with
//! `start_dossier_upload`, then sent in pieces; a PDF is never scaled down).

use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::ui::focus::focus_id;
use crate::ui::i18n::{field_message, fill, use_i18n};
use crate::ui::pages::console_dossier::{DossierCx, Notice};
use crate::ui::routes;
use crate::ui::upload::InFlight;
use leptos::prelude::*;

/// The document slot the result file goes into.
const RESULT_SLOT: &str = "result";

/// The result file of a dossier: what is attached, and a picker for a PDF.
#[component]
pub(crate) fn ResultUpload(cx: DossierCx) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    // The result file while it is on its way (one at a time: the picker waits meanwhile).
    let in_flight = InFlight::new();
    let results = move || {
        cx.with(|d| {
            d.files
                .iter()
                .filter(|f| f.slot == RESULT_SLOT)
                .map(|f| (f.id.clone(), f.name.clone()))
                .collect::<Vec<_>>()
        })
        .unwrap_or_default()
    };
    let error = move || {
        cx.errors.with(|es| {
            es.iter()
                .find(|e| e.field == "result" || e.field == "doc.result")
                .map(|e| field_message(i18n.t(), e).to_string())
        })
    };
    let finish = move |r: Result<(), crate::ui::upload::SendError>| {
        use crate::ui::upload::SendError;
        match r {
            Ok(()) => {
                cx.notice.set(Some(Notice::Uploaded));
                cx.reload();
                request_animation_frame(|| focus_id("act-notice"));
            }
            // The dossier moved on meanwhile (someone else acted first).
            Err(SendError::Refused(FieldCode::Conflict)) => {
                cx.notice.set(Some(Notice::Conflict));
                cx.reload();
                request_animation_frame(|| focus_id("act-notice"));
            }
            Err(SendError::Refused(code)) => {
                cx.errors.set(vec![FieldError::new("result", code)]);
            }
            Err(SendError::Network) => {
                cx.errors
                    .set(vec![FieldError::new("result", FieldCode::UploadNetwork)]);
            }
        }
    };
    let pick = move |ev: leptos::ev::Event| {
        cx.errors.set(Vec::new());
        cx.notice.set(None);
        #[cfg(feature = "csr")]
        {
            let Some(file) = crate::ui::upload::take_picked(&ev).into_iter().next() else {
                return;
            };
            let key = in_flight.begin(RESULT_SLOT, file.name());
            leptos::task::spawn_local(async move {
                let r = crate::ui::upload::send_to_dossier(
                    cx.code.get_value(),
                    cx.unit.get_value(),
                    RESULT_SLOT.into(),
                    file,
                    |_| {},
                    move |p| in_flight.progress(key, p),
                )
                .await;
                in_flight.end(key);
                finish(r.map(|_| ()));
            });
        }
        #[cfg(not(feature = "csr"))]
        let _ = (ev, finish);
    };
    view! {
        <section class="panel-box" aria-labelledby="result-title">
            <h2 id="result-title">{move || t().console_result_title}</h2>
            {move || {
                let list = results();
                let code = cx.code.get_value();
                if list.is_empty() {
                    view! { <p>{t().console_result_none}</p> }.into_any()
                } else {
                    view! {
                        <ul class="plain files">
                            {list.into_iter().map(|(id, name)| view! {
                                <li class="file"><a class="file__name" href=routes::dossier_file(&code, &id) rel="external" download>{name}</a></li>
                            }).collect_view()}
                        </ul>
                    }.into_any()
                }
            }}
            <div class="field" class:field--error=move || error().is_some()>
                <label for="result-file">{move || t().console_result_pick}</label>
                <p class="hint" id="result-file-hint">{move || t().console_result_hint}</p>
                {move || error().map(|m| view! { <p id="result-file-error" class="field-error">{m}</p> })}
                {move || in_flight.for_slot(RESULT_SLOT).into_iter().next().map(|s| {
                    let pct = (s.progress * 100.0).round() as u32;
                    view! {
                        <p role="status">
                            <label>{fill(&fill(t().upload_sending, "name", &s.name), "pct", pct)}" "
                                <progress max="100" value=pct>{format!("{pct}%")}</progress>
                            </label>
                        </p>
                    }
                })}
                <input id="result-file" class="file-input" type="file" accept="application/pdf"
                    disabled=move || !in_flight.is_empty()
                    aria-invalid=move || error().is_some().to_string()
                    aria-describedby=move || if error().is_some() { "result-file-hint result-file-error" } else { "result-file-hint" }
                    on:change=pick />
            </div>
        </section>
    }
}
