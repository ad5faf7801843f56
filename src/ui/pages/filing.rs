//! Filing a procedure online: one page per form section, "check your answers", submit.
//!
//! Every change is kept on this device at once (so nothing typed is lost offline or when the
//! battery dies) and saved to the server a moment later (so the resident can carry on from
//! another device). Each page is checked with the same validation the server runs at submit.

use super::dossier_documents::OriginNote;
use super::filing_health::HealthOffer;
use crate::api::AppError;
use crate::api::catalog::{get_procedure, list_units};
use crate::api::filing::{
    DossierCodeReq, DraftId, SaveRequest, StartRequest, SubmitRequest, get_draft, save_draft,
    start_filing, start_payment, submit,
};
use crate::api::uploads::{DraftUploads, UploadId, delete_upload, list_uploads};
use crate::domain::calendar::{format_en, format_vi, to_local};
use crate::domain::catalog::{Bilingual, Procedure, Unit};
use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::filing::Draft;
use crate::domain::form::{
    Answers, Ctx, Field, FormDef, Kind, check_documents, display, holds, set_value_at, validate,
    validate_section, value_at,
};
use crate::domain::money::Vnd;
use crate::domain::upload::UploadView;
use crate::ui::components::{ErrorSummary, LoadError, SignInPrompt};
use crate::ui::focus::focus_id;
use crate::ui::i18n::{I18n, Lang, error_message, field_message, fill, use_i18n};
use crate::ui::routes;
use crate::ui::session::use_session;
use crate::ui::upload::{InFlight, SendingItems};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use serde_json::{Value, json};

/// The `id` of the input for a field path.
pub(crate) fn input_id(path: &str) -> String {
    format!("f-{}", path.replace('.', "-"))
}

/// Today in Hà Nội, as validation needs it.
pub(crate) fn today() -> chrono::NaiveDate {
    to_local(chrono::Utc::now()).date()
}

/// A bilingual text in the current language.
pub(crate) fn tr(lang: Lang, b: &Bilingual) -> String {
    lang.pick(&b.vi, &b.en).to_string()
}

/// The local copy of a draft, kept in the browser's IndexedDB (database `dichvucong`, store
/// `drafts`, keyed by draft id) so that typing survives a dropped connection, a closed tab
/// or a dead battery.
pub(crate) mod local {
    use serde::{Deserialize, Serialize};

    /// What is kept on the device.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub struct Copy {
        /// Server revision the copy started from.
        pub revision: i64,
        /// Answers as typed.
        pub answers: crate::domain::form::Answers,
        /// Not yet saved to the server.
        pub dirty: bool,
    }

    #[cfg(feature = "csr")]
    mod store {
        use idb::{DatabaseEvent, Factory, ObjectStoreParams, TransactionMode};
        use wasm_bindgen::JsValue;

        const STORE: &str = "drafts";

        thread_local! {
            static DB: std::cell::RefCell<Option<std::rc::Rc<idb::Database>>> = const { std::cell::RefCell::new(None) };
        }

        async fn open() -> Option<std::rc::Rc<idb::Database>> {
            if let Some(db) = DB.with(|d| d.borrow().clone()) {
                return Some(db);
            }
            let mut req = Factory::new().ok()?.open("dichvucong", Some(1)).ok()?;
            req.on_upgrade_needed(|event| {
                if let Ok(db) = event.database() {
                    let _ = db.create_object_store(STORE, ObjectStoreParams::new());
                }
            });
            let db = std::rc::Rc::new(req.await.ok()?);
            DB.with(|d| *d.borrow_mut() = Some(db.clone()));
            Some(db)
        }

        pub async fn get(key: &str) -> Option<String> {
            let db = open().await?;
            let tx = db.transaction(&[STORE], TransactionMode::ReadOnly).ok()?;
            let value = tx
                .object_store(STORE)
                .ok()?
                .get(JsValue::from_str(key))
                .ok()?
                .await
                .ok()??;
            value.as_string()
        }

        pub async fn put(key: &str, value: Option<&str>) {
            let Some(db) = open().await else { return };
            let Ok(tx) = db.transaction(&[STORE], TransactionMode::ReadWrite) else {
                return;
            };
            if let Ok(store) = tx.object_store(STORE) {
                let k = JsValue::from_str(key);
                match value {
                    Some(v) => {
                        if let Ok(r) = store.put(&JsValue::from_str(v), Some(&k)) {
                            let _ = r.await;
                        }
                    }
                    None => {
                        if let Ok(r) = store.delete(k) {
                            let _ = r.await;
                        }
                    }
                }
            }
            if let Ok(tx) = tx.commit() {
                let _ = tx.await;
            }
        }
    }

    /// Reads the copy of a draft.
    pub async fn read(id: &str) -> Option<Copy> {
        #[cfg(feature = "csr")]
        {
            let text = store::get(id).await?;
            serde_json::from_str(&text).ok()
        }
        #[cfg(not(feature = "csr"))]
        {
            let _ = id;
            None
        }
    }

    /// Writes the copy of a draft (in the background).
    pub fn write(id: &str, copy: &Copy) {
        #[cfg(feature = "csr")]
        if let Ok(text) = serde_json::to_string(copy) {
            let id = id.to_string();
            leptos::task::spawn_local(async move { store::put(&id, Some(&text)).await });
        }
        #[cfg(not(feature = "csr"))]
        let _ = (id, copy.dirty);
    }

    /// Forgets the copy (after submission).
    pub fn remove(id: &str) {
        #[cfg(feature = "csr")]
        {
            let id = id.to_string();
            leptos::task::spawn_local(async move { store::put(&id, None).await });
        }
        #[cfg(not(feature = "csr"))]
        let _ = id;
    }
}

/// `/thu-tuc/:slug/nop`: the online form of one procedure.
#[component]
pub fn FilingPage() -> impl IntoView {
    let i18n = use_i18n();
    let session = use_session();
    let params = use_params_map();
    let query = use_query_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    view! {
        {move || match session.info.get() {
            None => view! { <div class="page"><p class="loading">{move || i18n.t().catalog_loading}</p></div> }.into_any(),
            Some(None) => view! {
                <div class="page">
                    <h1>{move || i18n.t().filing_apply}</h1>
                    <SignInPrompt return_to=routes::filing(&slug()) />
                </div>
            }.into_any(),
            Some(Some(_)) => {
                let draft_id = query.read_untracked().get("nhap");
                let fresh = query.read_untracked().get("moi").is_some();
                let at_documents = query.read_untracked().get(routes::query::STEP).as_deref()
                    == Some(routes::query::STEP_DOCUMENTS);
                view! { <FilingLoader slug=slug() draft_id=draft_id fresh=fresh at_documents=at_documents /> }.into_any()
            }
        }}
    }
}

#[component]
fn FilingLoader(
    slug: String,
    draft_id: Option<String>,
    fresh: bool,
    /// Open at the documents page (coming back from the health record or a new sign-in).
    at_documents: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let data = LocalResource::new(move || {
        let (slug, draft_id) = (slug.clone(), draft_id.clone());
        async move {
            let procedure = get_procedure(slug.clone()).await?;
            let units = list_units().await?;
            let draft = match draft_id {
                Some(id) => get_draft(DraftId { id }).await?,
                None => start_filing(StartRequest { slug, fresh }).await?,
            };
            let kept = local::read(&draft.id).await;
            Ok::<_, AppError>((procedure, units, draft, kept))
        }
    });
    view! {
        <Suspense fallback=move || view! { <div class="page"><p class="loading">{move || i18n.t().catalog_loading}</p></div> }>
            {move || data.get().map(|r| match r {
                Ok((p, units, draft, kept)) => view! { <FilingForm procedure=p units=units draft=draft kept=kept at_documents=at_documents /> }.into_any(),
                Err(e) => view! {
                    <div class="page">
                        <LoadError error=e whole_page=true on_retry=Callback::new(move |_| data.refetch()) />
                    </div>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// Where the draft stands with the server.
#[derive(Debug, Clone, PartialEq)]
enum SaveState {
    Saved(chrono::DateTime<chrono::Utc>),
    Saving,
    Offline,
    Failed,
}

/// Everything the field components share. Nothing in it depends on a server draft, so the
/// counter intake page builds one too (with a `changed` that only keeps the answers).
#[derive(Clone, Copy)]
pub(crate) struct FormCx {
    /// The answers being typed.
    pub(crate) answers: RwSignal<Answers>,
    /// Field errors, by field path.
    pub(crate) errors: RwSignal<Vec<FieldError>>,
    /// Hà Nội's communes and wards, for unit and address fields.
    pub(crate) units: StoredValue<Vec<Unit>>,
    /// Language.
    pub(crate) i18n: I18n,
    /// Called after every change.
    pub(crate) changed: Callback<()>,
    /// What the identity provider gave for prefilled fields, and the paths of those the
    /// resident may not change (see [`Prefill::locked`]).
    pub(crate) identity: StoredValue<Identity>,
}

/// Values from VNeID, by field path.
#[derive(Default)]
pub(crate) struct Identity {
    given: Answers,
    locked: Vec<String>,
    editable: Vec<String>,
}

impl Identity {
    /// The form's prefilled fields that hold a value from VNeID.
    pub(crate) fn new(form: &FormDef, given: Answers) -> Identity {
        let (mut locked, mut editable) = (Vec::new(), Vec::new());
        for (_, f) in form.fields() {
            let (Some(p), Some(v)) = (f.prefill, given.get(&f.id)) else {
                continue;
            };
            if !p.locked() {
                editable.push(f.id.clone());
            } else if let Value::Object(m) = v {
                locked.push(f.id.clone());
                locked.extend(m.keys().map(|k| format!("{}.{k}", f.id)));
            } else {
                locked.push(f.id.clone());
            }
        }
        Identity {
            given,
            locked,
            editable,
        }
    }
}

impl FormCx {
    /// The resident may not change this value: it is VNeID's.
    fn locked(&self, path: &str) -> bool {
        self.identity
            .with_value(|i| i.locked.iter().any(|p| p == path))
    }

    /// What to say under a field about VNeID: that its value is VNeID's (once for a whole
    /// person, not under each part), or that it was filled in from VNeID.
    fn vneid_hint(&self, path: &str) -> Option<&'static str> {
        let t = self.i18n.t();
        let part_of_locked = path
            .rsplit_once('.')
            .is_some_and(|(parent, _)| self.locked(parent));
        if self.locked(path) {
            (!part_of_locked).then_some(t.filing_from_vneid_locked)
        } else {
            self.filled_from_vneid(path).then_some(t.filing_from_vneid)
        }
    }

    /// This field was filled from VNeID and still holds that value (the resident may change it).
    fn filled_from_vneid(&self, path: &str) -> bool {
        let given = self.identity.with_value(|i| {
            i.editable
                .iter()
                .any(|p| p == path)
                .then(|| value_at(&i.given, path).cloned())
                .flatten()
        });
        given.is_some_and(|g| self.get(path).as_ref() == Some(&g))
    }

    fn get(&self, path: &str) -> Option<Value> {
        self.answers.with(|a| value_at(a, path).cloned())
    }

    fn text(&self, path: &str) -> String {
        match self.get(path) {
            Some(Value::String(s)) => s,
            _ => String::new(),
        }
    }

    fn set(&self, path: &str, v: Value) {
        self.answers.update(|a| set_value_at(a, path, v));
        self.changed.run(());
    }

    fn error(&self, path: &str) -> Option<String> {
        let t = self.i18n.t();
        self.errors.with(|es| {
            es.iter()
                .find(|e| e.field == path)
                .map(|e| field_message(t, e).to_string())
        })
    }
}

#[component]
fn FilingForm(
    procedure: Procedure,
    units: Vec<Unit>,
    draft: Draft,
    /// The copy kept on this device, if any.
    kept: Option<local::Copy>,
    /// Open at the documents page rather than the first.
    at_documents: bool,
) -> impl IntoView {
    let i18n = use_i18n();
    let t = move || i18n.t();
    let navigate = StoredValue::new(use_navigate());
    let mut units = units;
    units.sort_by(|a, b| {
        crate::domain::text::fold(&a.name).cmp(&crate::domain::text::fold(&b.name))
    });
    let units = StoredValue::new(units);
    let form = StoredValue::new(procedure.form.clone());
    let sections = procedure.form.sections.len();
    // Pages: the form's sections, then the documents (if any), then "check your answers".
    let has_docs = !procedure.form.documents.is_empty();
    let review = sections + usize::from(has_docs);
    let total = review + 1;
    let p = StoredValue::new(procedure);
    let draft_id = StoredValue::new(draft.id.clone());
    let key = StoredValue::new(draft.idempotency_key.clone());

    // A newer unsaved copy on this device wins over the server's (typed offline, or the
    // page closed before the save); a newer server copy (another device) wins otherwise.
    let (initial, pending) = match kept {
        Some(c) if c.dirty && c.revision >= draft.revision => (c.answers, true),
        _ => (draft.answers.clone(), false),
    };
    let resumed = draft.revision > 1;
    let answers = RwSignal::new(initial);
    let revision = StoredValue::new(draft.revision);
    let draft_from_identity = draft.from_identity.clone();
    let errors = RwSignal::new(Vec::<FieldError>::new());
    let step = RwSignal::new(if at_documents && has_docs {
        sections
    } else {
        0
    });
    let save_state = RwSignal::new(SaveState::Saved(draft.updated_at));
    let generation = StoredValue::new(0u64);

    // This draft, as the sign-out buttons list the drafts still only on this device.
    let this_draft = move || {
        p.with_value(|p| crate::ui::unsynced::Unsynced {
            id: draft_id.get_value(),
            slug: p.slug.clone(),
            name_vi: p.name_vi.clone(),
            name_en: p.name_en.clone(),
        })
    };
    let keep_local = move |dirty: bool| {
        local::write(
            &draft_id.get_value(),
            &local::Copy {
                revision: revision.get_value(),
                answers: answers.get_untracked(),
                dirty,
            },
        );
        crate::ui::unsynced::set(this_draft(), dirty);
    };

    // Saves the current answers to the server; true when saved.
    let save_now = move || async move {
        let gen_at_start = generation.get_value();
        save_state.set(SaveState::Saving);
        let req = SaveRequest {
            id: draft_id.get_value(),
            answers: answers.get_untracked(),
        };
        match save_draft(req).await {
            Ok(saved) => {
                revision.set_value(saved.revision);
                // Still clean only if nothing changed while the request was in flight.
                keep_local(generation.get_value() != gen_at_start);
                save_state.set(SaveState::Saved(saved.updated_at));
                true
            }
            Err(AppError::Transport(_)) => {
                save_state.set(SaveState::Offline);
                false
            }
            Err(_) => {
                save_state.set(SaveState::Failed);
                false
            }
        }
    };

    // Debounced autosave: a second after the last keystroke, and again every ten seconds
    // while it fails.
    let schedule_save = move || {
        let gen_now = generation.get_value();
        set_timeout(
            move || {
                if generation.get_value() == gen_now {
                    leptos::task::spawn_local(async move {
                        if !save_now().await {
                            retry_later(gen_now, generation, save_now);
                        }
                    });
                }
            },
            std::time::Duration::from_millis(1000),
        );
    };
    let changed = Callback::new(move |_| {
        generation.update_value(|g| *g += 1);
        keep_local(true);
        schedule_save();
    });
    if pending {
        schedule_save();
    }
    #[cfg(feature = "csr")]
    {
        // Back online: save at once.
        let handle = window_event_listener(leptos::ev::online, move |_| {
            if !matches!(save_state.get_untracked(), SaveState::Saved(_)) {
                leptos::task::spawn_local(async move {
                    save_now().await;
                });
            }
        });
        on_cleanup(move || handle.remove());
    }

    let cx = FormCx {
        answers,
        errors,
        units,
        i18n,
        changed,
        identity: StoredValue::new(Identity::new(&form.get_value(), draft_from_identity)),
    };
    let unit_exists = move |c: &str| units.with_value(|u| u.iter().any(|x| x.code == c));

    let go_to = move |n: usize, focus: Option<String>| {
        errors.set(Vec::new());
        step.set(n);
        request_animation_frame(move || match focus {
            Some(id) => focus_id(&id),
            None => focus_id("step-title"),
        });
    };
    let on_continue = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let s = step.get_untracked();
        let errs = form.with_value(|f| {
            answers.with_untracked(|a| {
                validate_section(
                    f,
                    s,
                    a,
                    &Ctx {
                        today: today(),
                        unit_exists: &unit_exists,
                    },
                )
            })
        });
        if errs.is_empty() {
            leptos::task::spawn_local(async move {
                save_now().await;
            });
            go_to(s + 1, None);
        } else {
            errors.set(errs);
        }
    };

    let uploads = RwSignal::new(Vec::<UploadView>::new());
    leptos::task::spawn_local(async move {
        if let Ok(list) = list_uploads(DraftUploads {
            draft_id: draft_id.get_value(),
        })
        .await
        {
            uploads.set(list);
        }
    });
    let docs_continue = move || {
        let files = |slot: &str| {
            uploads.with_untracked(|u| u.iter().filter(|u| u.slot == slot && u.complete).count())
        };
        let missing =
            answers.with_untracked(|a| form.with_value(|f| check_documents(f, a, &files)));
        if missing.is_empty() {
            go_to(review, None);
        } else {
            errors.set(missing);
        }
    };

    let submitting = RwSignal::new(false);
    let submit_error = RwSignal::new(None::<AppError>);
    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if submitting.get_untracked() {
            return;
        }
        let checked = form.with_value(|f| {
            answers.with_untracked(|a| {
                validate(
                    f,
                    a,
                    &Ctx {
                        today: today(),
                        unit_exists: &unit_exists,
                    },
                )
            })
        });
        if let Err(errs) = checked {
            errors.set(errs);
            request_animation_frame(|| focus_id("review-errors"));
            return;
        }
        submitting.set(true);
        submit_error.set(None);
        leptos::task::spawn_local(async move {
            // The server checks what it has stored, so the last answers go first.
            let saved = save_now().await;
            let result = if saved {
                submit(SubmitRequest {
                    draft_id: draft_id.get_value(),
                    idempotency_key: key.get_value(),
                })
                .await
            } else {
                Err(AppError::Transport("save".into()))
            };
            submitting.set(false);
            match result {
                Ok(code) => {
                    local::remove(&draft_id.get_value());
                    crate::ui::unsynced::set(this_draft(), false);
                    // With a fee, straight on to the gateway; it brings the resident back to
                    // the dossier's page. Without one (or if the gateway cannot be reached),
                    // to the confirmation.
                    let fee = answers.with_untracked(|a| form.with_value(|f| f.fee(a).total.0));
                    if fee > 0
                        && let Ok(url) = start_payment(DossierCodeReq { code: code.clone() }).await
                    {
                        go_external(&url);
                        return;
                    }
                    let url = format!("{}?moi=1", routes::dossier(&code));
                    navigate.with_value(|n| n(&url, Default::default()));
                }
                Err(AppError::Validation { fields }) => {
                    errors.set(fields);
                    request_animation_frame(|| focus_id("review-errors"));
                }
                Err(e) => {
                    submit_error.set(Some(e));
                    request_animation_frame(|| focus_id("submit-error"));
                }
            }
        });
    };

    let name = move || {
        p.with_value(|p| {
            tr(
                i18n.lang(),
                &Bilingual {
                    vi: p.name_vi.clone(),
                    en: p.name_en.clone(),
                },
            )
        })
    };
    let save_text = move || {
        let t = t();
        match save_state.get() {
            SaveState::Saved(at) => fill(
                t.filing_saved,
                "time",
                match i18n.lang() {
                    Lang::Vi => format_vi(at),
                    Lang::En => format_en(at),
                },
            ),
            SaveState::Saving => t.filing_saving.to_string(),
            SaveState::Offline => t.filing_offline.to_string(),
            SaveState::Failed => t.filing_save_failed.to_string(),
        }
    };
    let updated = draft.updated_at;

    view! {
        <Title text=name />
        <div class="page filing">
            <p class="breadcrumb"><a href=move || p.with_value(|p| routes::procedure(&p.slug))>{name}</a></p>
            {resumed.then(|| view! {
                <p class="notice">
                    {move || fill(t().filing_resumed, "time", match i18n.lang() { Lang::Vi => format_vi(updated), Lang::En => format_en(updated) })}
                    " "
                    <a href=move || p.with_value(|p| format!("{}?moi=1", routes::filing(&p.slug))) rel="external">{move || t().filing_new_draft}</a>
                </p>
            })}
            <p class="save-status" role="status" aria-live="polite">{save_text}</p>
            {move || {
                let s = step.get();
                if s < sections {
                    let section = form.with_value(|f| f.sections[s].clone());
                    let title = tr(i18n.lang(), &section.title);
                    let intro = section.intro.as_ref().map(|b| tr(i18n.lang(), b));
                    view! {
                        <p class="step-count">{move || fill(&fill(t().filing_step, "n", s + 1), "total", total)}</p>
                        <h1 id="step-title" tabindex="-1">{title}</h1>
                        {intro.map(|i| view! { <p class="lead">{i}</p> })}
                        <ErrorSummary errors=errors field_id=input_id />
                        <form class="form" novalidate on:submit=on_continue>
                            {section.fields.into_iter().map(|f| view! { <FieldView cx=cx field=f prefix=None /> }).collect_view()}
                            <div class="form__actions">
                                <button type="submit" class="button">{move || t().filing_continue}</button>
                                {(s > 0).then(|| view! {
                                    <button type="button" class="button button--secondary" on:click=move |_| go_to(s - 1, None)>{move || t().filing_back}</button>
                                })}
                            </div>
                        </form>
                        <p class="hint">{move || t().filing_keep_rule}</p>
                    }.into_any()
                } else if s < review {
                    view! {
                        <p class="step-count">{move || fill(&fill(t().filing_step, "n", s + 1), "total", total)}</p>
                        <h1 id="step-title" tabindex="-1">{move || t().upload_title}</h1>
                        <p class="lead">{move || t().upload_intro}</p>
                        <ErrorSummary errors=errors field_id=input_id />
                        <DocumentsStep cx=cx form=form draft_id=draft_id.get_value() slug=p.with_value(|p| p.slug.clone()) uploads=uploads />
                        <div class="form__actions">
                            <button type="button" class="button" on:click=move |_| docs_continue()>{move || t().filing_continue}</button>
                            <button type="button" class="button button--secondary" on:click=move |_| go_to(s - 1, None)>{move || t().filing_back}</button>
                        </div>
                    }.into_any()
                } else {
                    view! {
                        <p class="step-count">{move || fill(&fill(t().filing_step, "n", total), "total", total)}</p>
                        <h1 id="step-title" tabindex="-1">{move || t().filing_review_title}</h1>
                        <ReviewErrors cx=cx form=form go_to=Callback::new(move |(n, id): (usize, String)| go_to(n, Some(id))) />
                        <AnswerList form=form answers=answers.into() on_change=Some(Callback::new(move |(n, id): (usize, String)| go_to(n, Some(id)))) />
                        <FeeSummary form=form answers=answers.into() />
                        <DocumentList form=form answers=answers.into() uploads=uploads />
                        {move || submit_error.get().map(|e| view! {
                            <div id="submit-error" class="notice notice--error" tabindex="-1" role="alert">
                                <p>{move || match &e {
                                    AppError::StepUpRequired => t().filing_level1.to_string(),
                                    e => error_message(t(), e),
                                }}</p>
                            </div>
                        })}
                        <form class="form" novalidate on:submit=on_submit>
                            <div class="form__actions">
                                <button type="submit" class="button" disabled=move || submitting.get()>
                                    {move || if submitting.get() {
                                        t().filing_submitting
                                    } else if answers.with(|a| form.with_value(|f| f.fee(a).total.0)) > 0 {
                                        t().filing_submit_and_pay
                                    } else {
                                        t().filing_submit
                                    }}
                                </button>
                                <button type="button" class="button button--secondary" on:click=move |_| go_to(review - 1, None)>{move || t().filing_back}</button>
                            </div>
                        </form>
                    }.into_any()
                }
            }}
        </div>
    }
}

/// Leaves the app for another site (the payment gateway).
pub fn go_external(url: &str) {
    #[cfg(feature = "csr")]
    {
        let _ = window().location().set_href(url);
    }
    #[cfg(not(feature = "csr"))]
    let _ = url;
}

/// Tries the save again ten seconds later, unless the resident typed meanwhile (which
/// schedules its own save).
fn retry_later<F, Fut>(gen_then: u64, generation: StoredValue<u64>, save_now: F)
where
    F: Fn() -> Fut + Copy + 'static,
    Fut: std::future::Future<Output = bool> + 'static,
{
    set_timeout(
        move || {
            if generation.get_value() == gen_then {
                leptos::task::spawn_local(async move {
                    if !save_now().await {
                        retry_later(gen_then, generation, save_now);
                    }
                });
            }
        },
        std::time::Duration::from_secs(10),
    );
}

/// The label of a field with "(optional)" when it is.
fn label_text(cx: FormCx, f: &Field) -> String {
    let mut s = tr(cx.i18n.lang(), &f.label);
    if !f.required && f.kind != Kind::Checkbox {
        s.push(' ');
        s.push_str(cx.i18n.t().filing_optional);
    }
    s
}

/// One field at `prefix.id` (or `id` at the top level), shown only while its condition holds.
#[component]
pub(crate) fn FieldView(cx: FormCx, field: Field, prefix: Option<String>) -> impl IntoView {
    let path = match &prefix {
        Some(p) => format!("{p}.{}", field.id),
        None => field.id.clone(),
    };
    let f = StoredValue::new(field);
    let visible = move || {
        f.with_value(|f| match &f.when {
            None => true,
            Some(c) => cx.answers.with(|a| {
                let local = prefix
                    .as_deref()
                    .and_then(|p| value_at(a, p))
                    .and_then(|v| v.as_object());
                holds(c, a, local)
            }),
        })
    };
    view! {
        <Show when=visible>
            {
                let path = path.clone();
                move || field_body(cx, f.get_value(), path.clone())
            }
        </Show>
    }
}

fn hint_view(cx: FormCx, f: &Field, id: &str) -> Option<AnyView> {
    f.hint.as_ref().map(|h| {
        let text = tr(cx.i18n.lang(), h);
        view! { <p id=format!("{id}-hint") class="hint">{text}</p> }.into_any()
    })
}

/// "From VNeID": for a value the resident may not change, or one filled in for them.
fn vneid_view(cx: FormCx, id: &str, path: &str) -> impl IntoView + use<> {
    let (id, path) = (id.to_string(), path.to_string());
    move || {
        cx.vneid_hint(&path)
            .map(|text| view! { <p id=format!("{id}-vneid") class="hint hint--vneid">{text}</p> })
    }
}

fn describedby(cx: FormCx, f: &Field, id: &str, path: &str) -> String {
    let mut ids = Vec::new();
    if f.hint.is_some() {
        ids.push(format!("{id}-hint"));
    }
    if cx.vneid_hint(path).is_some() {
        ids.push(format!("{id}-vneid"));
    }
    if cx.error(path).is_some() {
        ids.push(format!("{id}-error"));
    }
    ids.join(" ")
}

fn error_view(cx: FormCx, id: String, path: String) -> impl IntoView {
    move || {
        cx.error(&path)
            .map(|m| view! { <p id=format!("{id}-error") class="field-error">{m}</p> })
    }
}

fn field_body(cx: FormCx, f: Field, path: String) -> AnyView {
    let id = input_id(&path);
    let lang = cx.i18n.lang();
    let t = cx.i18n.t();
    let label = label_text(cx, &f);
    let invalid = {
        let path = path.clone();
        move || cx.error(&path).is_some().to_string()
    };
    let desc = {
        let (f, id, path) = (f.clone(), id.clone(), path.clone());
        move || describedby(cx, &f, &id, &path)
    };
    let has_error = {
        let path = path.clone();
        move || cx.error(&path).is_some()
    };
    let value = {
        let path = path.clone();
        move || cx.text(&path)
    };
    let on_text = {
        let path = path.clone();
        move |ev: leptos::ev::Event| cx.set(&path, Value::String(event_target_value(&ev)))
    };
    // VNeID's own values (name, ID number, date of birth) are shown, not edited.
    let readonly = cx.locked(&path);
    let input = |ty: &'static str,
                 inputmode: Option<&'static str>,
                 autocomplete: &'static str,
                 maxlength: usize| {
        view! {
            <input
                id=id.clone()
                type=ty
                inputmode=inputmode
                autocomplete=autocomplete
                maxlength=maxlength
                readonly=readonly
                aria-invalid=invalid.clone()
                aria-describedby=desc.clone()
                prop:value=value.clone()
                on:input=on_text.clone()
            />
        }
    };
    let text_max = f
        .opts
        .max_len
        .unwrap_or(crate::domain::form::DEFAULT_TEXT_MAX);
    let control: AnyView = match f.kind {
        Kind::Text => input("text", None, "off", text_max).into_any(),
        Kind::Number => input("text", Some("numeric"), "off", 19).into_any(),
        Kind::IdNumber => input("text", Some("numeric"), "off", 15).into_any(),
        Kind::Phone => input("tel", None, "tel", 16).into_any(),
        Kind::Email => input("email", None, "email", 254).into_any(),
        Kind::Date => input("date", None, "off", 10).into_any(),
        Kind::LongText => {
            let max = f
                .opts
                .max_len
                .unwrap_or(crate::domain::form::DEFAULT_LONG_TEXT_MAX);
            view! {
                <textarea id=id.clone() rows="4" maxlength=max aria-invalid=invalid.clone() aria-describedby=desc.clone()
                    prop:value=value.clone() on:input=on_text.clone()></textarea>
            }
            .into_any()
        }
        Kind::Select | Kind::Unit => {
            let options: Vec<(String, String)> = if f.kind == Kind::Unit {
                cx.units.with_value(|u| {
                    u.iter()
                        .map(|u| {
                            (
                                u.code.clone(),
                                lang.pick(&u.full_name_vi(), &u.full_name_en()).to_string(),
                            )
                        })
                        .collect()
                })
            } else {
                f.opts
                    .options
                    .iter()
                    .map(|c| (c.value.clone(), tr(lang, &c.label)))
                    .collect()
            };
            let current = value.clone();
            view! {
                <select id=id.clone() aria-invalid=invalid.clone() aria-describedby=desc.clone() on:change=on_text.clone()>
                    <option value="" selected=move || current().is_empty()>{t.filing_choose}</option>
                    {options.into_iter().map(|(v, l)| {
                        let current = value.clone();
                        let v2 = v.clone();
                        view! { <option value=v selected=move || current() == v2>{l}</option> }
                    }).collect_view()}
                </select>
            }
            .into_any()
        }
        Kind::Checkbox => {
            let checked = {
                let path = path.clone();
                move || matches!(cx.get(&path), Some(Value::Bool(true)))
            };
            let path2 = path.clone();
            return view! {
                <div class="field field--checkbox" class:field--error=has_error>
                    {error_view(cx, id.clone(), path.clone())}
                    <div class="choice">
                        <input id=id.clone() type="checkbox" aria-invalid=invalid aria-describedby=desc
                            prop:checked=checked on:change=move |ev| cx.set(&path2, Value::Bool(event_target_checked(&ev))) />
                        <label for=id.clone()>{label}</label>
                    </div>
                    {hint_view(cx, &f, &id)}
                </div>
            }
            .into_any();
        }
        Kind::Radio | Kind::Checkboxes => {
            let multi = f.kind == Kind::Checkboxes;
            let items = f.opts.options.iter().enumerate().map(|(i, c)| {
                let item_id = if i == 0 { id.clone() } else { format!("{id}-{i}") };
                let v = c.value.clone();
                let path = path.clone();
                let path2 = path.clone();
                let v2 = v.clone();
                let checked = move || match cx.get(&path) {
                    Some(Value::String(s)) => s == v,
                    Some(Value::Array(a)) => a.iter().any(|x| x.as_str() == Some(v.as_str())),
                    _ => false,
                };
                let on_change = move |ev: leptos::ev::Event| {
                    if multi {
                        let mut list: Vec<Value> = match cx.get(&path2) {
                            Some(Value::Array(a)) => a,
                            _ => Vec::new(),
                        };
                        list.retain(|x| x.as_str() != Some(v2.as_str()));
                        if event_target_checked(&ev) {
                            list.push(Value::String(v2.clone()));
                        }
                        cx.set(&path2, Value::Array(list));
                    } else {
                        cx.set(&path2, Value::String(v2.clone()));
                    }
                };
                let label = tr(lang, &c.label);
                view! {
                    <div class="choice">
                        <input id=item_id.clone() type=if multi { "checkbox" } else { "radio" } name=id.clone()
                            disabled=readonly prop:checked=checked on:change=on_change />
                        <label for=item_id>{label}</label>
                    </div>
                }
            }).collect_view();
            return view! {
                <fieldset class="field" class:field--error=has_error aria-describedby=desc>
                    <legend>{label}</legend>
                    {hint_view(cx, &f, &id)}
                    {vneid_view(cx, &id, &path)}
                    {error_view(cx, id.clone(), path.clone())}
                    {items}
                </fieldset>
            }
            .into_any();
        }
        Kind::Address => {
            let parts = vec![
                part("unit", |t| t.filing_address_unit, Kind::Unit, true),
                part("street", |t| t.filing_address_street, Kind::Text, true),
            ];
            return compound(cx, &f, &id, &path, label, parts);
        }
        Kind::Person => {
            let mut sex = part("sex", |t| t.filing_person_sex, Kind::Radio, true);
            sex.opts.options = vec![
                choice("male", |t| t.filing_male),
                choice("female", |t| t.filing_female),
            ];
            let parts = vec![
                part("name", |t| t.filing_person_name, Kind::Text, true),
                part("birth_date", |t| t.filing_person_birth, Kind::Date, true),
                sex,
                part(
                    "id_number",
                    |t| t.filing_person_id,
                    Kind::IdNumber,
                    f.opts.id_required,
                ),
            ];
            return compound(cx, &f, &id, &path, label, parts);
        }
        Kind::Group => return group_body(cx, f, id, path, label),
    };
    view! {
        <div class="field" class:field--error=has_error>
            <label for=id.clone()>{label}</label>
            {hint_view(cx, &f, &id)}
            {vneid_view(cx, &id, &path)}
            {error_view(cx, id.clone(), path.clone())}
            {control}
        </div>
    }
    .into_any()
}

type Pick = fn(&crate::ui::i18n::Messages) -> &'static str;

fn both(pick: Pick) -> Bilingual {
    Bilingual {
        vi: pick(Lang::Vi.messages()).to_string(),
        en: pick(Lang::En.messages()).to_string(),
    }
}

/// A sub-field of a person or an address, labelled from the message tables.
fn part(id: &str, label: Pick, kind: Kind, required: bool) -> Field {
    Field {
        id: id.into(),
        label: both(label),
        hint: None,
        kind,
        required,
        when: None,
        prefill: None,
        opts: Default::default(),
    }
}

fn choice(value: &str, label: Pick) -> crate::domain::form::Choice {
    crate::domain::form::Choice {
        value: value.into(),
        label: both(label),
    }
}

/// A person or an address: a fieldset of sub-fields stored under one answer.
fn compound(
    cx: FormCx,
    f: &Field,
    id: &str,
    path: &str,
    label: String,
    parts: Vec<Field>,
) -> AnyView {
    let path_s = path.to_string();
    let has_error = {
        let path = path_s.clone();
        move || {
            cx.errors.with(|es| {
                es.iter()
                    .any(|e| e.field == path || e.field.starts_with(&format!("{path}.")))
            })
        }
    };
    view! {
        <fieldset id=id.to_string() tabindex="-1" class="field field--group" class:field--error=has_error>
            <legend>{label}</legend>
            {hint_view(cx, f, id)}
            {vneid_view(cx, id, path)}
            {error_view(cx, id.to_string(), path_s.clone())}
            {parts.into_iter().map(|part| view! { <FieldView cx=cx field=part prefix=Some(path_s.clone()) /> }).collect_view()}
        </fieldset>
    }
    .into_any()
}

/// A repeatable group: its entries, "add" and "remove".
fn group_body(cx: FormCx, f: Field, id: String, path: String, label: String) -> AnyView {
    let lang = cx.i18n.lang();
    let item = f
        .opts
        .item_label
        .as_ref()
        .map(|b| tr(lang, b))
        .unwrap_or_default();
    let max = f.opts.max_items.unwrap_or(1) as usize;
    let fields = StoredValue::new(f.opts.fields.clone());
    let item_s = StoredValue::new(item.clone());
    let path_s = StoredValue::new(path.clone());
    let count = move || match cx.get(&path_s.get_value()) {
        Some(Value::Array(a)) => a.len(),
        _ => 0,
    };
    let add = move |_| {
        let p = path_s.get_value();
        let mut list = match cx.get(&p) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        };
        if list.len() < max {
            list.push(json!({}));
            let n = list.len() - 1;
            cx.set(&p, Value::Array(list));
            let first =
                fields.with_value(|fs| fs.first().map(|g| input_id(&format!("{p}.{n}.{}", g.id))));
            request_animation_frame(move || {
                if let Some(id) = first {
                    focus_id(&id);
                }
            });
        }
    };
    let has_error = {
        let path = path.clone();
        move || cx.error(&path).is_some()
    };
    view! {
        <fieldset id=id.clone() tabindex="-1" class="field field--group" class:field--error=has_error>
            <legend>{label}</legend>
            {hint_view(cx, &f, &id)}
            {error_view(cx, id.clone(), path.clone())}
            {move || (0..count()).map(|i| {
                let entry = format!("{}.{i}", path_s.get_value());
                let heading = format!("{} {}", item_s.get_value(), i + 1);
                let remove = move |_| {
                    let p = path_s.get_value();
                    if let Some(Value::Array(mut a)) = cx.get(&p) {
                        if i < a.len() {
                            a.remove(i);
                        }
                        cx.set(&p, Value::Array(a));
                    }
                    request_animation_frame(move || focus_id(&input_id(&path_s.get_value())));
                };
                view! {
                    <div class="group-entry">
                        <h3>{heading}</h3>
                        {fields.get_value().into_iter().map(|g| view! { <FieldView cx=cx field=g prefix=Some(entry.clone()) /> }).collect_view()}
                        <button type="button" class="button button--secondary button--small" on:click=remove>
                            {move || fill(&fill(cx.i18n.t().filing_remove_item, "item", item_s.get_value()), "n", i + 1)}
                        </button>
                    </div>
                }
            }).collect_view()}
            <Show when=move || { count() < max }>
                <button type="button" class="button button--secondary" on:click=add>
                    {move || fill(cx.i18n.t().filing_add_item, "item", item_s.get_value().to_lowercase())}
                </button>
            </Show>
        </fieldset>
    }
    .into_any()
}

/// On the review page: what still needs fixing, each linking to its page and field.
#[component]
fn ReviewErrors(
    cx: FormCx,
    form: StoredValue<FormDef>,
    go_to: Callback<(usize, String)>,
) -> impl IntoView {
    let t = move || cx.i18n.t();
    view! {
        <Show when=move || !cx.errors.get().is_empty()>
            <div id="review-errors" class="error-summary" role="alert" tabindex="-1">
                <h2>{move || t().error_summary}</h2>
                <ul>
                    {move || cx.errors.get().into_iter().map(|e| {
                        let sections = form.with_value(|f| f.sections.len());
                        let section = if e.field.starts_with("doc.") { sections } else { form.with_value(|f| f.section_of(&e.field)).unwrap_or(0) };
                        let step = if section == sections {
                            t().upload_title.to_string()
                        } else {
                            form.with_value(|f| f.sections.get(section).map(|s| tr(cx.i18n.lang(), &s.title))).unwrap_or_default()
                        };
                        let msg = format!("{} {}", fill(t().filing_fix_on_page, "step", step), field_message(t(), &e));
                        let target = input_id(&e.field);
                        view! {
                            <li><a href=format!("#{target}") on:click=move |ev| { ev.prevent_default(); go_to.run((section, target.clone())); }>{msg}</a></li>
                        }
                    }).collect_view()}
                </ul>
            </div>
        </Show>
    }
}

/// Every answer, section by section (check-your-answers page and the dossier page).
#[component]
pub fn AnswerList(
    form: StoredValue<FormDef>,
    answers: Signal<Answers>,
    /// When given, each row has a "Change" link to its page and field.
    on_change: Option<Callback<(usize, String)>>,
) -> impl IntoView {
    let i18n = use_i18n();
    let units = LocalResource::new(list_units);
    let unit_name = move |code: &str| -> String {
        units
            .get()
            .and_then(Result::ok)
            .and_then(|u| u.into_iter().find(|u| u.code == code))
            .map(|u| {
                i18n.lang()
                    .pick(&u.full_name_vi(), &u.full_name_en())
                    .to_string()
            })
            .unwrap_or_else(|| code.to_string())
    };
    move || {
        let lang = i18n.lang();
        let t = i18n.t();
        let en = lang == Lang::En;
        answers.with(|a| {
            form.with_value(|f| {
                f.sections
                    .iter()
                    .enumerate()
                    .map(|(n, s)| {
                        let rows = s
                            .fields
                            .iter()
                            .filter(|fl| fl.when.as_ref().is_none_or(|c| holds(c, a, None)))
                            .map(|fl| {
                                let v = a.get(&fl.id);
                                let shown = match (fl.kind, v) {
                                    (_, None) => t.filing_unanswered.to_string(),
                                    (Kind::Group, Some(Value::Array(items))) => items
                                        .iter()
                                        .enumerate()
                                        .map(|(i, item)| {
                                            let parts: Vec<String> = fl
                                                .opts
                                                .fields
                                                .iter()
                                                .filter_map(|g| item.get(&g.id).map(|v| display(g, v, en, &unit_name)))
                                                .filter(|s| !s.is_empty())
                                                .collect();
                                            format!("{}. {}", i + 1, parts.join("; "))
                                        })
                                        .collect::<Vec<_>>()
                                        .join(" — "),
                                    (_, Some(v)) => {
                                        let s = display(fl, v, en, &unit_name);
                                        if s.trim().is_empty() { t.filing_unanswered.to_string() } else { s }
                                    }
                                };
                                let label = tr(lang, &fl.label);
                                let target = input_id(&fl.id);
                                let change = on_change.map(|cb| {
                                    let target = target.clone();
                                    view! {
                                        <dd class="change"><a href=format!("#{target}") on:click=move |ev| { ev.prevent_default(); cb.run((n, target.clone())); }>
                                            {t.filing_change}<span class="visually-hidden">{format!(" {label}")}</span>
                                        </a></dd>
                                    }
                                });
                                view! {
                                    <div><dt>{tr(lang, &fl.label)}</dt><dd>{shown}</dd>{change}</div>
                                }
                            })
                            .collect_view();
                        view! {
                            <section class="review-section">
                                <h2>{tr(lang, &s.title)}</h2>
                                <dl class="facts facts--review">{rows}</dl>
                            </section>
                        }
                    })
                    .collect_view()
            })
        })
    }
}

/// The fee the answers come to.
#[component]
fn FeeSummary(form: StoredValue<FormDef>, answers: Signal<Answers>) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let lang = i18n.lang();
        let t = i18n.t();
        let quote = answers.with(|a| form.with_value(|f| f.fee(a)));
        let money = |v: Vnd| match lang {
            Lang::Vi => v.format_vi(),
            Lang::En => v.format_en(),
        };
        view! {
            <section class="review-section">
                <h2>{t.filing_fee_title}</h2>
                {if quote.lines.is_empty() {
                    view! { <p>{t.filing_fee_none}</p> }.into_any()
                } else {
                    view! {
                        <dl class="facts">
                            {quote.lines.iter().map(|l| view! {
                                <div><dt>{fill(&fill(t.filing_fee_line, "label", tr(lang, &l.label)), "n", l.quantity)}</dt><dd>{money(l.amount)}</dd></div>
                            }).collect_view()}
                            {quote.exempt.as_ref().map(|e| view! { <div><dt>{tr(lang, e)}</dt><dd>{money(Vnd(0))}</dd></div> })}
                            <div><dt><strong>{t.filing_fee_total}</strong></dt><dd><strong>{money(quote.total)}</strong></dd></div>
                        </dl>
                    }.into_any()
                }}
            </section>
        }
    }
}

/// The documents these answers call for, with the files attached to each.
#[component]
fn DocumentList(
    form: StoredValue<FormDef>,
    answers: Signal<Answers>,
    uploads: RwSignal<Vec<UploadView>>,
) -> impl IntoView {
    let i18n = use_i18n();
    move || {
        let lang = i18n.lang();
        let t = i18n.t();
        let docs: Vec<(String, String)> = answers.with(|a| {
            form.with_value(|f| {
                f.documents_for(a)
                    .map(|d| (d.id.clone(), tr(lang, &d.label)))
                    .collect()
            })
        });
        let files = uploads.get();
        (!docs.is_empty()).then(|| {
            view! {
                <section class="review-section">
                    <h2>{t.filing_documents_title}</h2>
                    <dl class="facts facts--review">
                        {docs.into_iter().map(|(slot, name)| {
                            let names: Vec<String> = files.iter().filter(|u| u.slot == slot && u.complete).map(|u| u.name.clone()).collect();
                            let shown = if names.is_empty() { t.upload_none.to_string() } else { names.join(", ") };
                            view! { <div><dt>{name}</dt><dd>{shown}</dd></div> }
                        }).collect_view()}
                    </dl>
                    <p class="hint">{t.filing_documents_later}</p>
                </section>
            }
        })
    }
}

/// The documents page: per document, its files, a progress bar while sending, and a picker
/// that also offers the camera on a phone.
#[component]
fn DocumentsStep(
    cx: FormCx,
    form: StoredValue<FormDef>,
    draft_id: String,
    /// The procedure.
    slug: String,
    uploads: RwSignal<Vec<UploadView>>,
) -> impl IntoView {
    let in_flight = InFlight::new();
    let draft_id = StoredValue::new(draft_id);
    let slug = StoredValue::new(slug);
    let slots = move || {
        cx.answers
            .with(|a| form.with_value(|f| f.documents_for(a).cloned().collect::<Vec<_>>()))
    };
    let remove = move |id: String| {
        leptos::task::spawn_local(async move {
            if delete_upload(UploadId { id: id.clone() }).await.is_ok() {
                uploads.update(|u| u.retain(|x| x.id != id));
            }
        });
    };
    let pick = move |slot: String, ev: leptos::ev::Event| {
        #[cfg(feature = "csr")]
        in_flight.send_picked(&ev, &slot, uploads, cx.errors, |file, progress| {
            crate::ui::upload::send(draft_id.get_value(), slot.clone(), file, |_| {}, progress)
        });
        #[cfg(not(feature = "csr"))]
        let _ = (slot, ev, draft_id, in_flight);
    };
    move || {
        let lang = cx.i18n.lang();
        let t = cx.i18n.t();
        slots()
            .into_iter()
            .map(|d| {
                let path = format!("doc.{}", d.id);
                let id = input_id(&path);
                let types: Vec<&str> = d
                    .accepts
                    .iter()
                    .map(|k| match k {
                        crate::domain::form::FileKind::Pdf => "PDF",
                        crate::domain::form::FileKind::Jpeg => "JPEG",
                        crate::domain::form::FileKind::Png => "PNG",
                    })
                    .collect();
                let accept: Vec<&str> = d.accepts.iter().map(|k| k.mime()).collect();
                let rules = fill(
                    &fill(
                        &fill(t.upload_rules, "types", types.join(", ")),
                        "mb",
                        format!("{:.0}", f64::from(d.max_kb) / 1024.0),
                    ),
                    "n",
                    d.max_files,
                );
                let mut label = tr(lang, &d.label);
                if !d.required {
                    label.push(' ');
                    label.push_str(t.filing_optional);
                }
                let (slot_a, slot_b, slot_c) = (d.id.clone(), d.id.clone(), d.id.clone());
                let max = d.max_files as usize;
                let full = move || {
                    uploads.with(|u| u.iter().filter(|x| x.slot == slot_c).count())
                        + in_flight.count(&slot_c)
                        >= max
                };
                let err_path = StoredValue::new(path.clone());
                let message = move || {
                    cx.errors.with(|es| {
                        es.iter()
                            .find(|e| e.field == err_path.get_value())
                            .map(|e| {
                                if e.code == FieldCode::UploadNetwork {
                                    t.upload_network.to_string()
                                } else {
                                    field_message(t, e).to_string()
                                }
                            })
                    })
                };
                let hint = d.hint.as_ref().map(|h| tr(lang, h));
                let id_s = StoredValue::new(id.clone());
                let slot_s = StoredValue::new(d.id.clone());
                let accept = accept.join(",");
                view! {
                    <fieldset id=format!("{id}-group") class="field field--group" class:field--error=move || message().is_some()>
                        <legend>{label}</legend>
                        {hint.map(|h| view! { <p class="hint">{h}</p> })}
                        <p class="hint" id=format!("{id}-rules")>{rules}</p>
                        {move || message().map(|m| view! { <p id=format!("{}-error", id_s.get_value()) class="field-error">{m}</p> })}
                        {d.from_health.is_some().then(|| view! {
                            <HealthOffer draft_id=draft_id.get_value() slug=slug.get_value()
                                document=d.id.clone() uploads=uploads errors=cx.errors />
                        })}
                        <ul class="plain files">
                            {move || uploads.get().into_iter().filter(|u| u.slot == slot_a).map(|u| {
                                let uid = u.id.clone();
                                let size = crate::domain::upload::size_label(u.size, lang == Lang::Vi);
                                view! {
                                    <li class="file">
                                        <span class="file__name">{u.name.clone()}</span>
                                        " "
                                        <span class="hint">{size}</span>
                                        <button type="button" class="button button--secondary button--small" on:click=move |_| remove(uid.clone())>
                                            {t.upload_remove}<span class="visually-hidden">{format!(" {}", u.name)}</span>
                                        </button>
                                        {u.origin.clone().map(|o| view! { <OriginNote origin=o /> })}
                                    </li>
                                }
                            }).collect_view()}
                            <SendingItems in_flight=in_flight document=slot_b />
                        </ul>
                        <Show when=move || !full()>
                            <label class="file-pick" for=move || id_s.get_value()>{t.upload_choose}</label>
                            <input id=move || id_s.get_value() class="file-input" type="file" multiple accept=accept.clone()
                                aria-describedby=move || format!("{}-rules", id_s.get_value())
                                on:change=move |ev| pick(slot_s.get_value(), ev) />
                        </Show>
                    </fieldset>
                }
            })
            .collect_view()
    }
}
