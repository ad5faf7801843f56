//! What the one-stop console and "Hồ sơ của tôi" server functions share: reading a dossier
//! with its countdown, supplement requests, files and access log, and carrying out an act.

use crate::api::AppError;
use crate::domain::act::{Case, Effect, decide_staff};
use crate::domain::staff::Role;
use crate::domain::status::DossierStatus;
use crate::domain::workflow::{
    ActError, ActKind, Colleague, OwnDossier, SlipKind, StaffAct, StaffDossier, allowed_acts,
    may_assign,
};
use crate::server::ctx::OrInternal;
use crate::server::ctx::RequestCtx;
use crate::server::db::Db;
use crate::server::db::DbError;
use crate::server::db::audit::AuditEvent;
use crate::server::db::workflow::{ChangeError, WorkRow};
use crate::server::policy::{Action, SessionUser};
use chrono::{DateTime, Utc};

/// The caller's roles at `unit`.
pub fn roles_at(me: &SessionUser, unit: &str) -> Vec<Role> {
    me.roles
        .iter()
        .filter(|r| r.unit_code == unit)
        .map(|r| r.role)
        .collect()
}

/// The role to record in the audit log for the caller at `unit`: `leader` for a leader only,
/// `officer` for anyone who is an officer there, `staff` for someone without a role there.
pub fn role_name(me: &SessionUser, unit: &str) -> &'static str {
    let roles = roles_at(me, unit);
    if roles.contains(&Role::Leader) && !roles.contains(&Role::Officer) {
        Role::Leader.as_str()
    } else if roles.is_empty() {
        "staff"
    } else {
        Role::Officer.as_str()
    }
}

/// A ward's dossier by code for a caller allowed into the ward's area. A code of another
/// ward (or none) answers `NotFound`, and the attempt is audited as denied.
pub async fn ward_dossier(
    cx: &RequestCtx,
    unit: &str,
    code: &str,
    action: &str,
) -> Result<WorkRow, AppError> {
    cx.authorize(Action::StaffArea { unit: unit.into() })
        .await?;
    let me = cx.user()?;
    let row = if code.len() <= 40 {
        cx.state
            .db
            .unit_work_row(unit, code)
            .await
            .or_internal(cx)?
    } else {
        None
    };
    match row {
        Some(r) => Ok(r),
        None => {
            let event = AuditEvent {
                actor: Some(me.user_id.clone()),
                actor_role: role_name(me, unit).into(),
                actor_unit: Some(unit.into()),
                action: format!("dossier_{action}"),
                object: None,
                outcome: "denied",
                detail: Some("not_in_ward".into()),
            };
            if let Err(e) = cx.state.db.audit(&event).await {
                tracing::error!(error = %e, "audit write failed");
            }
            Err(AppError::NotFound)
        }
    }
}

/// Records that a staff member looked at or downloaded a dossier.
pub async fn audit_staff(
    db: &Db,
    me: &SessionUser,
    row: &WorkRow,
    action: &str,
    detail: Option<String>,
) -> Result<(), crate::server::db::DbError> {
    db.audit(&AuditEvent {
        actor: Some(me.user_id.clone()),
        actor_role: role_name(me, &row.unit_code).into(),
        actor_unit: Some(row.unit_code.clone()),
        action: format!("dossier_{action}"),
        object: Some(row.id.clone()),
        outcome: "ok",
        detail,
    })
    .await
}

/// A dossier as the ward sees it.
pub async fn staff_view(
    state: &crate::server::AppState,
    me: &SessionUser,
    row: &WorkRow,
    now: DateTime<Utc>,
) -> Result<StaffDossier, crate::server::db::DbError> {
    let db = &state.db;
    let dossier = db
        .dossier_view_by_id(&row.id)
        .await?
        .ok_or_else(|| crate::server::db::DbError::Decode("dossier vanished".into()))?;
    let supplements = db.supplements(&row.id).await?;
    let countdown = row.countdown(
        &state.calendar,
        &crate::domain::act::pauses(&supplements),
        now,
    )?;
    let files = db.dossier_files(&row.id).await?;
    let has_result = files.iter().any(|f| f.slot == "result");
    let roles = roles_at(me, &row.unit_code);
    let state = row.work_state(has_result, now)?;
    let mut allowed = allowed_acts(&state, &roles);
    if !may_assign(&state, &roles, &me.user_id) {
        allowed.retain(|a| *a != ActKind::Assign);
    }
    let staff: Vec<Colleague> = db
        .unit_staff(&row.unit_code)
        .await?
        .into_iter()
        .map(|(user_id, name, roles)| Colleague {
            user_id,
            name,
            roles: roles.iter().filter_map(|r| Role::parse(r)).collect(),
        })
        .collect();
    let assignee = row
        .assignee_id
        .as_deref()
        .and_then(|id| staff.iter().find(|c| c.user_id == id).cloned());
    let colleagues = if allowed.contains(&ActKind::Assign) {
        staff
            .into_iter()
            .filter(|c| row.assignee_id.as_deref() != Some(c.user_id.as_str()))
            .collect()
    } else {
        Vec::new()
    };
    let cccd = row
        .applicant_cccd
        .clone()
        .or(db.owner_cccd(&row.id).await?)
        .unwrap_or_default();
    let status = row.status()?;
    let mut slips = vec![SlipKind::Receipt];
    if status == DossierStatus::NotAccepted {
        slips.push(SlipKind::Refusal);
    }
    if !supplements.is_empty() {
        slips.push(SlipKind::Supplement);
    }
    if row.apology_due_at.is_some() {
        slips.push(SlipKind::Apology);
    }
    Ok(StaffDossier {
        dossier,
        applicant_id_masked: mask(&cccd),
        countdown,
        supplements,
        files,
        stage: state.stage,
        mine: row.assignee_id.as_deref() == Some(me.user_id.as_str()),
        claimed: row.assignee_id.is_some(),
        assignee,
        colleagues,
        allowed,
        slips,
    })
}

/// A dossier as its owner sees it.
pub async fn own_view(
    state: &crate::server::AppState,
    user_id: &str,
    row: &WorkRow,
    now: DateTime<Utc>,
) -> Result<Option<OwnDossier>, crate::server::db::DbError> {
    let db = &state.db;
    let Some(dossier) = db.own_dossier(user_id, &row.code).await? else {
        return Ok(None);
    };
    let supplements = db.supplements(&row.id).await?;
    let countdown = row.countdown(
        &state.calendar,
        &crate::domain::act::pauses(&supplements),
        now,
    )?;
    let documents: Vec<_> = db
        .dossier_files(&row.id)
        .await?
        .into_iter()
        .filter(|f| f.slot != "result")
        .collect();
    let supplement_files = match supplements.iter().find(|s| s.completed_at.is_none()) {
        Some(open) => documents
            .iter()
            .filter(|f| f.at >= open.requested_at)
            .map(|f| (f.id.clone(), f.slot.clone(), f.name.clone()))
            .collect(),
        None => Vec::new(),
    };
    let results = if matches!(
        row.status()?,
        DossierStatus::Processed | DossierStatus::ResultReturned
    ) {
        db.dossier_results(&row.id).await?
    } else {
        Vec::new()
    };
    Ok(Some(OwnDossier {
        dossier,
        countdown,
        supplement: supplements.into_iter().last(),
        results,
        access: db.dossier_access(&row.id).await?,
        payment_due_vnd: (row.status()? == DossierStatus::PaymentRequested)
            .then_some(row.payment_due_vnd)
            .flatten(),
        supplement_files,
        documents,
    }))
}

/// `0010********45` style: all but the last four digits hidden.
pub fn mask(cccd: &str) -> String {
    let n = cccd.chars().count();
    cccd.chars()
        .enumerate()
        .map(|(i, c)| if i + 4 < n { '•' } else { c })
        .collect()
}

/// The answer for an act the rules refused.
pub fn act_error(e: ActError) -> AppError {
    match e {
        ActError::Conflict => AppError::Conflict,
        ActError::Forbidden => AppError::Forbidden,
        ActError::Invalid(fields) => AppError::Validation { fields },
    }
}

/// Reads what an act on `row` is decided on.
pub async fn case_of(db: &Db, row: &WorkRow, now: DateTime<Utc>) -> Result<Case, DbError> {
    let files = db.dossier_files(&row.id).await?;
    let has_result = files.iter().any(|f| f.slot == "result");
    Ok(Case {
        code: row.code.clone(),
        unit: row.unit_code.clone(),
        state: row.work_state(has_result, now)?,
        clock: row.clock(),
        supplements: db.supplements(&row.id).await?,
        resume: db.supplement_resume_status(&row.id).await?,
        files,
        slots: db
            .procedure_of(&row.id)
            .await?
            .form
            .documents
            .into_iter()
            .map(|d| d.id)
            .collect(),
        staff: db
            .unit_staff(&row.unit_code)
            .await?
            .into_iter()
            .map(|(id, _, _)| id)
            .collect(),
    })
}

/// Writes an act's effect and wakes the notifier.
pub async fn apply(
    cx: &RequestCtx,
    row: &WorkRow,
    effect: &Effect,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let me = cx.user()?;
    match cx.state.db.apply(row, effect, Some(&me.user_id), now).await {
        Ok(()) => {
            cx.state.hub.kick();
            Ok(())
        }
        Err(ChangeError::Conflict) => Err(AppError::Conflict),
        Err(ChangeError::Db(e)) => Err(cx.internal(e)),
    }
}

/// Carries out a staff act on a ward's dossier: the rules decide the whole effect, the
/// database writes it.
pub async fn staff_act(
    cx: &RequestCtx,
    row: &WorkRow,
    act: &StaffAct,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let me = cx.user()?;
    let case = case_of(&cx.state.db, row, now).await.or_internal(cx)?;
    let roles = roles_at(me, &row.unit_code);
    let effect = decide_staff(act, &case, &me.user_id, &roles, now, &cx.state.calendar)
        .map_err(act_error)?;
    apply(cx, row, &effect, now).await
}
