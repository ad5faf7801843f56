//! The ward one-stop console: queues, a dossier with every act the caller may take, the acts
//! themselves, and filing at the counter on a resident's behalf. Every function works on one
//! ward named in the request; the caller must hold a role there (another ward answers 404).

use crate::api::AppError;
#[cfg(feature = "ssr")]
use crate::domain::field_error::FieldCode;
use crate::domain::form::Answers;
use crate::domain::workflow::{Dashboard, DossierLine, StaffAct, StaffDossier};
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Which queue of which ward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsoleRequest {
    /// Ward code.
    pub unit: String,
    /// Queue slug (`moi`, `tiep-nhan` …); empty: all open work.
    pub queue: String,
    /// Search by code, applicant name or procedure (empty: everything).
    pub q: String,
}

/// The console's front page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Console {
    /// Counts and on-time rate.
    pub dashboard: Dashboard,
    /// The dossiers of the chosen queue.
    pub lines: Vec<DossierLine>,
}

/// A ward's dashboard and one queue.
#[server(endpoint = "staff/console", input = Json)]
pub async fn ward_console(req: ConsoleRequest) -> Result<Console, AppError> {
    use crate::domain::text::{fold, folded_matches};
    use crate::domain::workflow::Queue;
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::StaffArea {
        unit: req.unit.clone(),
    })
    .await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    let now = cx.state.clock.now();
    let queue = match req.queue.as_str() {
        "" => None,
        s => Some(Queue::from_slug(s).ok_or_else(|| AppError::field("queue", FieldCode::Unknown))?),
    };
    let all = db
        .unit_lines(&req.unit, &me.user_id)
        .await
        .or_internal(&cx)?;
    let (finished, on_time, received_30d) =
        db.unit_on_time(&req.unit, now).await.or_internal(&cx)?;
    // The caller holds a role here (checked above), so the ward is a known unit.
    let unit_name = db
        .units()
        .await
        .or_internal(&cx)?
        .into_iter()
        .find(|u| u.code == req.unit)
        .map(|u| u.full_name_vi())
        .unwrap_or_default();
    let dashboard = Dashboard {
        unit_name,
        queues: Queue::ALL
            .into_iter()
            .map(|q| (q, all.iter().filter(|l| q.holds(l)).count() as i64))
            .collect(),
        finished,
        on_time,
        received_30d,
    };
    let needle = fold(req.q.trim());
    let lines = all
        .into_iter()
        .filter(|l| queue.is_none_or(|q| q.holds(l)))
        .filter(|l| {
            needle.is_empty()
                || folded_matches(
                    &needle,
                    &fold(&format!(
                        "{} {} {}",
                        l.code, l.applicant_name, l.procedure_vi
                    )),
                )
        })
        .take(500)
        .collect();
    Ok(Console { dashboard, lines })
}

/// A ward's dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WardDossier {
    /// Ward code.
    pub unit: String,
    /// Dossier code.
    pub code: String,
}

/// One dossier of the ward, with what the caller may do now. The view is audited.
#[server(endpoint = "staff/dossier", input = Json)]
pub async fn ward_dossier_view(req: WardDossier) -> Result<StaffDossier, AppError> {
    use crate::server::{console, ctx};
    let cx = ctx::request().await?;
    let row = console::ward_dossier(&cx, &req.unit, &req.code, "view").await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    console::audit_staff(db, me, &row, "view", None)
        .await
        .or_internal(&cx)?;
    console::staff_view(&cx.state, me, &row, cx.state.clock.now())
        .await
        .or_internal(&cx)
}

/// An act on a ward's dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActRequest {
    /// Ward code.
    pub unit: String,
    /// Dossier code.
    pub code: String,
    /// The act.
    pub act: StaffAct,
}

/// Takes an act (accept, refuse, request a supplement, forward, approve …). The status
/// change, timeline entry, notification and audit row are written together; a dossier that
/// moved meanwhile answers 409.
#[server(endpoint = "staff/act", input = Json)]
pub async fn ward_act(req: ActRequest) -> Result<StaffDossier, AppError> {
    use crate::server::{console, ctx};
    let cx = ctx::request().await?;
    let row = console::ward_dossier(&cx, &req.unit, &req.code, req.act.kind().as_str()).await?;
    let now = cx.state.clock.now();
    console::staff_act(&cx, &row, &req.act, now).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    let row = db
        .unit_work_row(&req.unit, &req.code)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)?;
    console::staff_view(&cx.state, me, &row, now)
        .await
        .or_internal(&cx)
}

/// Filing at the counter on a resident's behalf.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntakeRequest {
    /// Ward code (the receiving unit).
    pub unit: String,
    /// Procedure slug.
    pub slug: String,
    /// The applicant's ID number, read from their card.
    pub cccd: String,
    /// The applicant's full name.
    pub name: String,
    /// The form's answers.
    pub answers: Answers,
    /// How the applicant agreed to the officer filing and to their data being processed.
    pub consent: crate::domain::intake::CounterConsent,
    /// The paper documents received: indices into the procedure's list of documents.
    #[serde(default)]
    pub papers: Vec<u32>,
    /// Made when the intake form opened: retries return the same dossier.
    pub idempotency_key: String,
}

/// Files a dossier received at the counter (channel 1) with the procedure's own form rules.
/// Answers the dossier code; the receipt is then printed from the dossier.
#[server(endpoint = "staff/intake", input = Json)]
pub async fn file_at_counter(req: IntakeRequest) -> Result<String, AppError> {
    use crate::domain::cccd::Cccd;
    use crate::domain::field_error::FieldError;
    use crate::server::db::filing::CounterIntake;
    use crate::server::filing::{Applicant, Filing, file_dossier};
    use crate::server::{ctx, rate_limit};
    let cx = ctx::request().await?;
    let me = cx.officer_at(&req.unit).await?;
    let db = &cx.state.db;
    let key = format!("counter:{}:{}", req.unit, req.idempotency_key);
    if req.idempotency_key.len() < 8 || req.idempotency_key.len() > 64 {
        return Err(AppError::field("idempotency_key", FieldCode::Format));
    }
    if let Some(code) = db.dossier_by_counter_key(&key).await.or_internal(&cx)? {
        return Ok(code);
    }
    rate_limit::check(&cx.state, rate_limit::SUBMIT_PER_USER, &me.user_id).await?;
    let mut errors = Vec::new();
    let cccd = match Cccd::parse(&req.cccd) {
        Ok(c) => Some(c),
        Err(e) => {
            errors.push(FieldError::new("cccd", e.code()));
            None
        }
    };
    let name = match crate::domain::text::clean_line(&req.name, 200) {
        Ok(n) if n.is_empty() => {
            errors.push(FieldError::new("name", FieldCode::Required));
            n
        }
        Ok(n) => n,
        Err(e) => {
            errors.push(FieldError::new("name", e.code()));
            String::new()
        }
    };
    let procedure = db
        .procedure_by_slug(&req.slug)
        .await
        .or_internal(&cx)?
        .ok_or_else(|| AppError::field("slug", FieldCode::Unknown))?;
    // The consent: confirmed on the applicant's own phone for this very intake, or shown to
    // them to sign on the printed receipt.
    use crate::domain::intake::CounterConsent;
    let mut consent_by = None;
    match &req.consent {
        CounterConsent::Signature { shown: true } => {}
        CounterConsent::Signature { shown: false } => {
            errors.push(FieldError::new("consent", FieldCode::ConsentRequired))
        }
        CounterConsent::Phone { token } => {
            let given = db
                .intake_consent(token)
                .await
                .or_internal(&cx)?
                .filter(|c| {
                    c.unit_code == req.unit
                        && Some(c.cccd.as_str()) == cccd.as_ref().map(Cccd::as_str)
                        && c.procedure_code == procedure.code
                        && c.dossier_id.is_none()
                });
            match given {
                Some(c) if c.confirmed_at.is_some() => consent_by = c.confirmed_by,
                Some(_) => errors.push(FieldError::new("consent", FieldCode::ConsentNotConfirmed)),
                None => errors.push(FieldError::new("consent", FieldCode::ConsentNotFound)),
            }
        }
    }
    let mut papers = Vec::new();
    for (i, n) in req.papers.iter().enumerate() {
        match procedure.documents.get(*n as usize) {
            Some(d)
                if !papers
                    .iter()
                    .any(|p: &crate::domain::intake::PaperReceived| p.name_vi == d.name_vi) =>
            {
                papers.push(crate::domain::intake::PaperReceived {
                    name_vi: d.name_vi.clone(),
                    name_en: d.name_en.clone(),
                    originals: d.originals,
                    copies: d.copies,
                })
            }
            _ => errors.push(FieldError::new(format!("papers.{i}"), FieldCode::Invalid)),
        }
    }
    // The counter receives for its own ward, whatever the form says.
    let mut answers = req.answers.clone();
    crate::domain::form::set_value_at(
        &mut answers,
        "receiving_unit",
        serde_json::Value::String(req.unit.clone()),
    );
    let owner = match &cccd {
        Some(c) => db
            .user_by_cccd(c.as_str())
            .await
            .or_internal(&cx)?
            .map(|u| u.id),
        None => None,
    };
    let now = cx.state.clock.now();
    let counter = cccd.as_ref().map(|c| CounterIntake {
        officer_id: me.user_id.clone(),
        applicant_cccd: c.as_str().to_string(),
        consent_at: now,
        consent_version: crate::domain::intake::CONSENT_VERSION.into(),
        consent_method: req.consent.method(),
        consent_token: match &req.consent {
            CounterConsent::Phone { token } => Some(token.clone()),
            CounterConsent::Signature { .. } => None,
        },
        consent_by,
        papers,
    });
    let filing = Filing {
        procedure,
        answers,
        found: errors,
        applicant: cccd
            .map(|cccd| Applicant { name, cccd })
            // Without a valid ID number `found` says why, and nothing is filed.
            .ok_or(AppError::Validation { fields: Vec::new() }),
        owner,
        channel: crate::domain::filing::Channel::Counter,
        counter,
        idempotency_key: key,
        draft_id: None,
    };
    file_dossier(&cx, filing).await
}
