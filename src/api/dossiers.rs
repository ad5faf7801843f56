//! "Hồ sơ của tôi": a resident's dossiers, one dossier with its countdown and who accessed it,
//! withdrawing, answering a supplement request and attaching files to a filed dossier. Every
//! query is filtered by the caller as owner.

use crate::api::AppError;
use crate::domain::upload::UploadView;
use crate::domain::workflow::{DossierLine, OwnDossier};
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Filters of the list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MineRequest {
    /// `dang-xu-ly` (in progress), `can-bo-sung` (waiting for me), `da-xong` (finished); empty: all.
    pub filter: String,
    /// Search by code or procedure name.
    pub q: String,
}

/// The caller's dossiers, newest first.
#[server(endpoint = "dossiers/mine", input = Json)]
pub async fn my_dossiers(req: MineRequest) -> Result<Vec<DossierLine>, AppError> {
    use crate::domain::status::DossierStatus::*;
    use crate::domain::text::{fold, folded_matches};
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let all = cx.state.db.own_lines(&me.user_id).await.or_internal(&cx)?;
    let needle = fold(req.q.trim());
    Ok(all
        .into_iter()
        .filter(|l| match req.filter.as_str() {
            "dang-xu-ly" => matches!(
                l.status,
                Submitted | Accepted | Processing | WithdrawalRequested
            ),
            "can-bo-sung" => matches!(l.status, SupplementRequested | PaymentRequested | Processed),
            "da-xong" => l.status.is_terminal(),
            _ => true,
        })
        .filter(|l| {
            needle.is_empty()
                || folded_matches(
                    &needle,
                    &fold(&format!("{} {} {}", l.code, l.procedure_vi, l.procedure_en)),
                )
        })
        .collect())
}

/// A dossier by code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CodeRequest {
    /// Dossier code.
    pub code: String,
}

/// One of the caller's dossiers with countdown, supplement request, results and access log.
#[server(endpoint = "dossiers/mine/detail", input = Json)]
pub async fn my_dossier(req: CodeRequest) -> Result<OwnDossier, AppError> {
    use crate::server::{console, ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let row = own_row(&cx, &me.user_id, &req.code).await?;
    console::own_view(&cx.state, &me.user_id, &row, cx.state.clock.now())
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)
}

#[cfg(feature = "ssr")]
async fn own_row(
    cx: &crate::server::ctx::RequestCtx,
    user_id: &str,
    code: &str,
) -> Result<crate::server::db::workflow::WorkRow, AppError> {
    if code.len() > 40 {
        return Err(AppError::NotFound);
    }
    cx.state
        .db
        .own_work_row(user_id, code)
        .await
        .or_internal(cx)?
        .ok_or(AppError::NotFound)
}

/// Withdrawing a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WithdrawRequest {
    /// Dossier code.
    pub code: String,
    /// Why.
    pub reason: String,
}

/// Asks the ward to stop processing one of the caller's dossiers (status 7).
#[server(endpoint = "dossiers/withdraw", input = Json)]
pub async fn withdraw(req: WithdrawRequest) -> Result<OwnDossier, AppError> {
    use crate::domain::status::{Actor, DossierStatus};
    use crate::server::db::workflow::Sets;
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let row = own_row(&cx, &me.user_id, &req.code).await?;
    let reason = crate::domain::text::clean_multiline(&req.reason, 1000)
        .map_err(|e| AppError::field("reason", e.code()))?;
    if reason.is_empty() {
        return Err(AppError::field("reason", "required"));
    }
    let status = row.status().or_internal(&cx)?;
    status
        .transition(DossierStatus::WithdrawalRequested, Actor::Resident)
        .map_err(|_| AppError::Conflict)?;
    resident_change(
        &cx,
        &row,
        DossierStatus::WithdrawalRequested,
        "withdraw",
        Some(reason),
        None,
        Sets::default(),
        false,
    )
    .await
}

/// Makes a resident's own change to their dossier and answers the dossier as it now is.
#[cfg(feature = "ssr")]
#[allow(clippy::too_many_arguments)]
async fn resident_change(
    cx: &crate::server::ctx::RequestCtx,
    row: &crate::server::db::workflow::WorkRow,
    to: crate::domain::status::DossierStatus,
    act: &str,
    note: Option<String>,
    said: Option<crate::domain::filing::Said>,
    sets: crate::server::db::workflow::Sets,
    complete_supplement: bool,
) -> Result<OwnDossier, AppError> {
    use crate::server::console;
    use crate::server::db::workflow::{Change, ChangeError};
    let me = cx.user()?;
    let db = &cx.state.db;
    let now = cx.state.clock.now();
    let change = Change {
        dossier: row,
        to: Some(to),
        actor_role: "resident",
        actor_id: Some(&me.user_id),
        act,
        note,
        said,
        sets,
        supplement: None,
        complete_supplement,
        now,
    };
    match db.change_dossier(&change).await {
        Ok(()) => cx.state.hub.kick(),
        Err(ChangeError::Conflict) => return Err(AppError::Conflict),
        Err(ChangeError::Db(e)) => return Err(cx.internal(e)),
    }
    let row = own_row(cx, &me.user_id, &row.code).await?;
    console::own_view(&cx.state, &me.user_id, &row, now)
        .await
        .or_internal(cx)?
        .ok_or(AppError::NotFound)
}

/// Sends the supplement: every file item of the open request must have a new file attached
/// since it was requested. The dossier returns to where it was and the clock runs again.
#[server(endpoint = "dossiers/supplement", input = Json)]
pub async fn send_supplement(req: CodeRequest) -> Result<OwnDossier, AppError> {
    use crate::domain::field_error::FieldError;
    use crate::domain::status::{Actor, DossierStatus};
    use crate::server::db::workflow::Sets;
    use crate::server::{console, ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    let row = own_row(&cx, &me.user_id, &req.code).await?;
    if row.status().or_internal(&cx)? != DossierStatus::SupplementRequested {
        return Err(AppError::Conflict);
    }
    let supplements = db.supplements(&row.id).await.or_internal(&cx)?;
    let open = supplements
        .iter()
        .find(|s| s.completed_at.is_none())
        .ok_or(AppError::Conflict)?;
    let files = db.dossier_files(&row.id).await.or_internal(&cx)?;
    let missing: Vec<FieldError> = open
        .items
        .iter()
        .filter(|it| !it.slot.is_empty())
        .filter(|it| {
            !files
                .iter()
                .any(|f| f.slot == it.slot && f.at >= open.requested_at)
        })
        .map(|it| FieldError::new(format!("doc.{}", it.slot), "required"))
        .collect();
    if !missing.is_empty() {
        return Err(AppError::Validation { fields: missing });
    }
    let resume = db
        .supplement_resume_status(&row.id)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::Conflict)?;
    let to = DossierStatus::SupplementRequested
        .transition(resume, Actor::Resident)
        .map_err(|_| AppError::Conflict)?;
    let now = cx.state.clock.now();
    let sets = Sets {
        due_at: Some(console::resumed_due(
            &row,
            &cx.state.calendar,
            &supplements,
            now,
        )),
        ..Sets::default()
    };
    let said = Some(crate::domain::filing::Said::SupplementSent);
    resident_change(&cx, &row, to, "supplement", None, said, sets, true).await
}

/// A file for a filed dossier: a supplement document from its owner, or the electronic result
/// from an officer of its ward (`unit` set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierUploadRequest {
    /// Dossier code.
    pub code: String,
    /// Ward code when an officer attaches the result; empty for the owner.
    pub unit: String,
    /// Document slot (`result` for the result).
    pub slot: String,
    /// Original file name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
}

/// Announces a file for a filed dossier; the bytes follow over `PUT /files/uploads/{id}`.
#[server(endpoint = "uploads/start-dossier", input = Json)]
pub async fn start_dossier_upload(req: DossierUploadRequest) -> Result<UploadView, AppError> {
    use crate::domain::status::DossierStatus;
    use crate::domain::upload::{Refusal, sanitize_name};
    use crate::server::{console, ctx, policy::Action, rate_limit};
    let cx = ctx::request().await?;
    let db = &cx.state.db;
    let (row, max_kb) = if req.unit.is_empty() {
        cx.authorize(Action::OwnFiling).await?;
        let me = cx.user()?;
        let row = own_row(&cx, &me.user_id, &req.code).await?;
        if row.status().or_internal(&cx)? != DossierStatus::SupplementRequested {
            return Err(AppError::Conflict);
        }
        let open = db
            .supplements(&row.id)
            .await
            .or_internal(&cx)?
            .into_iter()
            .find(|s| s.completed_at.is_none())
            .ok_or(AppError::Conflict)?;
        if !open.items.iter().any(|i| i.slot == req.slot) {
            return Err(AppError::field("slot", "unknown_slot"));
        }
        let procedure = db.procedure_of(&row.id).await.or_internal(&cx)?;
        let max_kb = procedure
            .form
            .documents
            .iter()
            .find(|d| d.id == req.slot)
            .map(|d| d.max_kb)
            .ok_or_else(|| AppError::field("slot", "unknown_slot"))?;
        (row, max_kb)
    } else {
        let row = console::ward_dossier(&cx, &req.unit, &req.code, "attach_result").await?;
        let me = cx.user()?;
        if req.slot != "result" || !console::roles_at(me, &req.unit).contains(&"officer") {
            return Err(AppError::Forbidden);
        }
        if !matches!(
            row.status().or_internal(&cx)?,
            DossierStatus::Processing | DossierStatus::Processed
        ) {
            return Err(AppError::Conflict);
        }
        console::audit_staff(db, me, &row, "attach_result", None)
            .await
            .or_internal(&cx)?;
        (row, crate::domain::upload::RESULT_MAX_KB)
    };
    let me = cx.user()?;
    let refuse = |code: &str| AppError::field(&format!("doc.{}", req.slot), code);
    if req.size <= 0 {
        return Err(refuse(Refusal::Empty.code()));
    }
    if req.size > i64::from(max_kb) * 1024 {
        return Err(refuse(Refusal::TooBig.code()));
    }
    rate_limit::check(&cx.state, rate_limit::UPLOADS_PER_USER, &me.user_id).await?;
    db.create_dossier_upload(
        &me.user_id,
        &row.id,
        &req.slot,
        &sanitize_name(&req.name),
        req.size,
        cx.state.clock.now(),
    )
    .await
    .or_internal(&cx)
}
