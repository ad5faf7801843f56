//! What the one-stop console and "Hồ sơ của tôi" server functions share: reading a dossier
//! with its countdown, supplement requests, files and access log, and carrying out an act.

use crate::api::AppError;
use crate::domain::status::DossierStatus;
use crate::domain::workflow::{
    ActError, Colleague, OwnDossier, StaffAct, StaffDossier, allowed_acts, clean_items, may_assign,
    plan,
};
use crate::server::ctx::OrInternal;
use crate::server::ctx::RequestCtx;
use crate::server::db::Db;
use crate::server::db::audit::AuditEvent;
use crate::server::db::workflow::{
    Change, ChangeError, NewSupplement, Sets, WorkRow, finished_on_time,
};
use crate::server::policy::{Action, SessionUser};
use chrono::{DateTime, Utc};

/// The caller's roles at `unit` (`officer`, `leader`).
pub fn roles_at<'a>(me: &'a SessionUser, unit: &str) -> Vec<&'a str> {
    me.roles
        .iter()
        .filter(|r| r.unit_code == unit)
        .map(|r| r.role.as_str())
        .collect()
}

/// The role to record for the caller at `unit` (leader if they are one).
pub fn role_name(me: &SessionUser, unit: &str) -> &'static str {
    let roles = roles_at(me, unit);
    if roles.contains(&"leader") && !roles.contains(&"officer") {
        "leader"
    } else if roles.is_empty() {
        "staff"
    } else {
        "officer"
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
    let countdown = row.countdown(&state.calendar, &Db::pauses(&supplements), now)?;
    let files = db.dossier_files(&row.id).await?;
    let has_result = files.iter().any(|f| f.slot == "result");
    let roles = roles_at(me, &row.unit_code);
    let state = row.work_state(has_result, now)?;
    let mut allowed = allowed_acts(&state, &roles);
    if !may_assign(&state, &roles, &me.user_id) {
        allowed.retain(|a| a != "assign");
    }
    let staff: Vec<Colleague> = db
        .unit_staff(&row.unit_code)
        .await?
        .into_iter()
        .map(|(user_id, name, roles)| Colleague {
            user_id,
            name,
            roles,
        })
        .collect();
    let assignee = row
        .assignee_id
        .as_deref()
        .and_then(|id| staff.iter().find(|c| c.user_id == id).cloned());
    let colleagues = if allowed.iter().any(|a| a == "assign") {
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
    let mut slips = vec!["tiep-nhan".to_string()];
    if status == DossierStatus::NotAccepted {
        slips.push("tu-choi".into());
    }
    if !supplements.is_empty() {
        slips.push("bo-sung".into());
    }
    if row.apology_due_at.is_some() {
        slips.push("xin-loi".into());
    }
    Ok(StaffDossier {
        dossier,
        applicant_id_masked: mask(&cccd),
        countdown,
        supplements,
        files,
        stage: row.stage.clone(),
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
    let countdown = row.countdown(&state.calendar, &Db::pauses(&supplements), now)?;
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

fn act_error(e: ActError) -> AppError {
    match e {
        ActError::Conflict => AppError::Conflict,
        ActError::Forbidden => AppError::Forbidden,
        ActError::Invalid(fields) => AppError::Validation { fields },
    }
}

/// Carries out a staff act on a ward's dossier: the plan decides, the change writes status,
/// timeline, outbox and audit together.
pub async fn staff_act(
    cx: &RequestCtx,
    row: &WorkRow,
    act: &StaffAct,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let me = cx.user()?;
    let db = &cx.state.db;
    let has_result = db
        .dossier_results(&row.id)
        .await
        .or_internal(cx)?
        .into_iter()
        .next()
        .is_some();
    let roles = roles_at(me, &row.unit_code);
    let state = row.work_state(has_result, now).or_internal(cx)?;
    let p = plan(act, &state, &roles).map_err(act_error)?;
    let actor_role = match p.actor {
        crate::domain::status::Actor::Leader => "leader",
        _ => "officer",
    };
    let mut change = Change {
        dossier: row,
        to: p.to,
        actor_role,
        actor_id: Some(&me.user_id),
        act: act.name(),
        note: p.note.clone(),
        said: None,
        sets: Sets {
            stage: p.stage,
            ..Sets::default()
        },
        supplement: None,
        complete_supplement: false,
        now,
    };
    let calendar = &*cx.state.calendar;
    let supplements = || async { db.supplements(&row.id).await.or_internal(cx) };
    match act {
        StaffAct::Claim => change.sets.assignee = Some(me.user_id.clone()),
        StaffAct::Assign { user_id } => {
            if !may_assign(&state, &roles, &me.user_id) {
                return Err(AppError::Forbidden);
            }
            // Only someone who works at this ward, and is not disabled.
            let staff = db.unit_staff(&row.unit_code).await.or_internal(cx)?;
            if !staff.iter().any(|(id, _, _)| id == user_id) {
                return Err(AppError::field("user_id", "not_ward_staff"));
            }
            change.sets.assignee = Some(user_id.clone());
        }
        StaffAct::Accept | StaffAct::StartProcessing if row.assignee_id.is_none() => {
            change.sets.assignee = Some(me.user_id.clone());
        }
        StaffAct::RequestSupplement { items, .. } => {
            let items = clean_items(items).map_err(act_error)?;
            let procedure = db.procedure_of(&row.id).await.or_internal(cx)?;
            // A file item must name one of the procedure's document slots.
            for (i, it) in items.iter().enumerate() {
                if !it.slot.is_empty() && !procedure.form.documents.iter().any(|d| d.id == it.slot)
                {
                    return Err(AppError::field(&format!("items.{i}.slot"), "unknown_slot"));
                }
            }
            change.supplement = Some(NewSupplement {
                resume: state.status,
                items,
                note: p.note.clone().unwrap_or_default(),
            });
        }
        StaffAct::SupplementReceived => {
            let resume = db
                .supplement_resume_status(&row.id)
                .await
                .or_internal(cx)?
                .ok_or(AppError::Conflict)?;
            change.to = Some(
                DossierStatus::SupplementRequested
                    .transition(resume, crate::domain::status::Actor::Officer)
                    .map_err(|_| AppError::Conflict)?,
            );
            change.complete_supplement = true;
            change.sets.due_at = Some(resumed_due(row, calendar, &supplements().await?, now));
        }
        StaffAct::RequestPayment { amount_vnd, .. } => {
            change.sets.payment_due_vnd = Some(*amount_vnd);
        }
        StaffAct::Approve { .. } => {
            let on_time = finished_on_time(row, calendar, &Db::pauses(&supplements().await?), now);
            change.sets.finished = Some((now, on_time));
        }
        StaffAct::Apologise { new_due, .. } => {
            let local = crate::domain::calendar::to_local(now).date();
            if *new_due <= local {
                return Err(AppError::field("new_due", "date_not_future"));
            }
            let cal = calendar;
            if !cal.is_working_day(*new_due) {
                return Err(AppError::field("new_due", "not_working_day"));
            }
            let at = new_due
                .and_hms_opt(16, 0, 0)
                .map(crate::domain::calendar::from_local)
                .ok_or_else(|| AppError::field("new_due", "date"))?;
            change.sets.apology_due_at = Some(at);
            change.sets.apology_reason = p.note.clone();
            change.said = Some(crate::domain::filing::Said::NewDue { date: *new_due });
        }
        _ => {}
    }
    match db.change_dossier(&change).await {
        Ok(()) => {
            cx.state.hub.kick();
            Ok(())
        }
        Err(ChangeError::Conflict) => Err(AppError::Conflict),
        Err(ChangeError::Db(e)) => Err(cx.internal(e)),
    }
}

/// The appointment once the open supplement arrives at `now`: the pause is added.
pub fn resumed_due(
    row: &WorkRow,
    calendar: &crate::domain::calendar::Calendar,
    supplements: &[crate::domain::workflow::SupplementView],
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    let mut pauses = Db::pauses(supplements);
    for p in pauses.iter_mut().filter(|p| p.until.is_none()) {
        p.until = Some(crate::domain::calendar::to_local(now));
    }
    let d = calendar.deadline(
        crate::domain::calendar::to_local(row.received_at),
        u32::try_from(row.working_days).unwrap_or(1),
        &pauses,
        crate::domain::calendar::to_local(now),
    );
    crate::domain::calendar::from_local(d.due)
}
