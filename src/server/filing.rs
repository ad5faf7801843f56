//! Filing a dossier, online or at the counter: one path checks the answers with the
//! procedure's form, fixes the appointment and the fee, writes the dossier with its first
//! timeline step and outbox message, and wakes the notifier.

use crate::api::AppError;
use crate::domain::calendar::{from_local, to_local};
use crate::domain::catalog::Procedure;
use crate::domain::cccd::Cccd;
use crate::domain::field_error::{FieldCode, FieldError};
use crate::domain::filing::Channel;
use crate::domain::form::{Answers, Ctx, validate};
use crate::server::ctx::{OrInternal, RequestCtx};
use crate::server::db::DbError;
use crate::server::db::filing::{CounterIntake, NewDossier};

/// The person a dossier is filed for.
#[derive(Debug, Clone)]
pub struct Applicant {
    /// Name as the identity provider (or the officer, from the ID card) gives it.
    pub name: String,
    /// Their ID number.
    pub cccd: Cccd,
}

/// A dossier about to be filed, as its channel received it.
#[derive(Debug, Clone)]
pub struct Filing {
    /// Its procedure.
    pub procedure: Procedure,
    /// The answers as received (checked here); `receiving_unit` names the ward.
    pub answers: Answers,
    /// What the channel's own checks found wrong: the documents and the identity online; the
    /// applicant, the consent and the papers at the counter.
    pub found: Vec<FieldError>,
    /// The applicant, or why there is none (a level-1 identity without an ID number).
    pub applicant: Result<Applicant, AppError>,
    /// The account it belongs to (none: filed at the counter for someone without one yet).
    pub owner: Option<String>,
    /// How it arrives.
    pub channel: Channel,
    /// At the counter: the officer, the consent and the papers received.
    pub counter: Option<CounterIntake>,
    /// Makes a retry answer the same dossier.
    pub idempotency_key: String,
    /// The draft it was filled in (deleted with the filing, its files kept with the dossier).
    pub draft_id: Option<String>,
}

/// Files `f`, answering the new dossier's code. Every problem with the answers comes back as
/// one list of field errors: online after the form's own fields (the documents follow the
/// form), at the counter before them (the applicant is entered first).
pub async fn file_dossier(cx: &RequestCtx, f: Filing) -> Result<String, AppError> {
    let db = &cx.state.db;
    let units = db.units().await.or_internal(cx)?;
    let now = cx.state.clock.now();
    let local = to_local(now);
    let unit_exists = |c: &str| units.iter().any(|u| u.code == c);
    let vctx = Ctx {
        today: local.date(),
        unit_exists: &unit_exists,
    };
    let checked = validate(&f.procedure.form, &f.answers, &vctx);
    let counter = f.channel == Channel::Counter;
    let (clean, mut errors) = match checked {
        Ok(clean) => (Some(clean), Vec::new()),
        Err(fields) => (None, fields),
    };
    if counter {
        errors.splice(0..0, f.found);
    } else {
        errors.extend(f.found);
    }
    let (Some(clean), true) = (clean, errors.is_empty()) else {
        return Err(AppError::Validation { fields: errors });
    };
    let applicant = f.applicant?;
    let unit_code = clean
        .get("receiving_unit")
        .and_then(|v| v.as_str())
        .map(str::to_owned)
        .ok_or_else(|| cx.internal("form without receiving_unit"))?;
    let procedure = &f.procedure;
    let new = NewDossier {
        user_id: f.owner,
        procedure_code: procedure.code.clone(),
        unit_code,
        channel: f.channel,
        applicant_name: applicant.name,
        applicant_id_suffix: applicant.cccd.suffix(4).to_string(),
        fee_vnd: procedure.form.fee(&clean).total.0,
        answers: clean,
        idempotency_key: f.idempotency_key,
        draft_id: f.draft_id,
        received_at: now,
        due_at: from_local(
            cx.state
                .calendar
                .due(local, procedure.processing_working_days),
        ),
        working_days: i64::from(procedure.processing_working_days),
        counter: f.counter,
    };
    let done = match db.submit_dossier(&new, local.date()).await {
        Ok(done) => done,
        // The phone confirmation went to another dossier a moment ago.
        Err(DbError::Taken(_)) => {
            return Err(AppError::field("consent", FieldCode::ConsentNotFound));
        }
        Err(e) => return Err(cx.internal(e)),
    };
    // The receipt's notification goes out now, not at the delivery task's next round.
    cx.state.hub.kick();
    Ok(done.code().to_string())
}
