//! "Giấy tờ đã nộp": the documents a resident filed with a dossier and sent since, each with
//! its type, size and time, to download again.

use crate::domain::form::{FileKind, FormDef};
use crate::domain::upload::{FileOrigin, OriginSystem, size_label};
use crate::domain::workflow::OwnDossier;
use crate::ui::i18n::{Lang, use_i18n};
use crate::ui::pages::filing::tr;
use crate::ui::routes;
use leptos::prelude::*;

/// The dossier's documents, the procedure's name for each document slot beside the file.
#[component]
pub fn DossierDocuments(
    /// The dossier.
    own: RwSignal<OwnDossier>,
    /// The procedure's form (for the names of its document slots), once loaded.
    #[prop(into)]
    form: Signal<Option<FormDef>>,
    /// Formats a time in the reader's language.
    when: fn(Lang, chrono::DateTime<chrono::Utc>) -> String,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let code = StoredValue::new(own.with_untracked(|o| o.dossier.code.clone()));
    let slot_label = move |slot: &str| {
        form.with(|f| {
            f.as_ref()
                .and_then(|f| f.documents.iter().find(|d| d.id == slot))
                .map(|d| tr(i18n.lang(), &d.label))
        })
        .unwrap_or_else(|| slot.to_string())
    };
    view! {
        <section aria-labelledby="documents-title">
            <h2 id="documents-title">{move || t().dossier_documents_title}</h2>
            {move || {
                let docs = own.with(|o| o.documents.clone());
                if docs.is_empty() {
                    return view! { <p>{t().dossier_documents_none}</p> }.into_any();
                }
                let lang = i18n.lang();
                view! {
                    <ul class="plain files">
                        {docs.into_iter().map(|d| {
                            let kind = match d.kind {
                                Some(FileKind::Pdf) => "PDF",
                                Some(FileKind::Jpeg) => "JPEG",
                                Some(FileKind::Png) => "PNG",
                                None => "",
                            };
                            let facts = format!(
                                "{kind}, {} — {}",
                                size_label(d.size, lang == Lang::Vi),
                                when(lang, d.at)
                            );
                            view! {
                                <li class="file">
                                    <span class="hint">{slot_label(&d.slot)}</span>
                                    <a class="file__name" href=routes::dossier_file(&code.get_value(), &d.id) rel="external" download>
                                        {d.name.clone()}
                                        <span class="visually-hidden">{format!(" ({})", t().dossier_documents_download)}</span>
                                    </a>
                                    <span class="hint">
                                        <time datetime=d.at.to_rfc3339()>{facts}</time>
                                    </span>
                                    {d.origin.clone().map(|o| view! { <OriginNote origin=o /> })}
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

/// Where a document came from when the resident did not upload it: the system, the issuer,
/// its number and day, and when the portal fetched it (as the dossier and the ward officer
/// see it).
#[component]
pub fn OriginNote(origin: FileOrigin) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let t = i18n.t();
        let system = match origin.system {
            OriginSystem::Health => t.upload_origin_health,
        };
        let mut facts: Vec<(&'static str, String)> = Vec::new();
        if let Some(issuer) = &origin.issuer {
            facts.push((t.upload_origin_issuer, issuer.clone()));
        }
        if let Some(number) = &origin.number {
            facts.push((t.upload_origin_number, number.clone()));
        }
        if let Some(issued) = origin.issued {
            facts.push((
                t.upload_origin_issued,
                issued.format("%d/%m/%Y").to_string(),
            ));
        }
        let fetched = crate::domain::calendar::to_local(origin.fetched_at)
            .format("%H:%M %d/%m/%Y")
            .to_string();
        facts.push((t.upload_origin_fetched, fetched));
        view! {
            <span class="origin">
                <span class="badge badge--origin">{system}</span>
                " "
                {facts.into_iter().map(|(k, v)| view! {
                    <span class="origin__fact">{format!("{k}: ")}<span>{v}</span></span>
                }).collect_view()}
            </span>
        }
    }
}
