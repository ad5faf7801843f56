//! "Hồ sơ của tôi": a resident's dossiers, one dossier with its countdown and who accessed it,
//! withdrawing, answering a supplement request and attaching files to a filed dossier. Every
//! query is filtered by the caller as owner.

use crate::api::AppError;
#[cfg(feature = "ssr")]
use crate::domain::field_error::FieldCode;
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
    use crate::domain::act::ResidentAct;
    let act = ResidentAct::Withdraw { reason: req.reason };
    resident_act(&req.code, &act).await
}

/// Sends the supplement: every file item of the open request must have a new file attached
/// since it was requested. The dossier returns to where it was and the clock runs again.
#[server(endpoint = "dossiers/supplement", input = Json)]
pub async fn send_supplement(req: CodeRequest) -> Result<OwnDossier, AppError> {
    resident_act(&req.code, &crate::domain::act::ResidentAct::SendSupplement).await
}

/// Carries out the caller's own act on their dossier `code` and answers the dossier as it now
/// is: the rules decide the whole effect, the database writes it.
#[cfg(feature = "ssr")]
async fn resident_act(
    code: &str,
    act: &crate::domain::act::ResidentAct,
) -> Result<OwnDossier, AppError> {
    use crate::server::{console, ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let row = own_row(&cx, &me.user_id, code).await?;
    let now = cx.state.clock.now();
    let case = console::case_of(&cx.state.db, &row, now)
        .await
        .or_internal(&cx)?;
    let effect = crate::domain::act::decide_resident(act, &case, now, &cx.state.calendar)
        .map_err(console::act_error)?;
    console::apply(&cx, &row, &effect, now).await?;
    let row = own_row(&cx, &me.user_id, code).await?;
    console::own_view(&cx.state, &me.user_id, &row, now)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)
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
            return Err(AppError::field("slot", FieldCode::UnknownSlot));
        }
        let procedure = db.procedure_of(&row.id).await.or_internal(&cx)?;
        let max_kb = procedure
            .form
            .documents
            .iter()
            .find(|d| d.id == req.slot)
            .map(|d| d.max_kb)
            .ok_or_else(|| AppError::field("slot", FieldCode::UnknownSlot))?;
        (row, max_kb)
    } else {
        let row = console::ward_dossier(&cx, &req.unit, &req.code, "attach_result").await?;
        let me = cx.user()?;
        if req.slot != "result"
            || !console::roles_at(me, &req.unit).contains(&crate::domain::staff::Role::Officer)
        {
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
    let refuse = |code: crate::domain::field_error::FieldCode| {
        AppError::field(&format!("doc.{}", req.slot), code)
    };
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
