//! The whole effect of an act on a dossier, staff's and resident's alike, decided from what is
//! known of the dossier before anything is written: the new status and stage, the columns set,
//! the supplement request opened or completed, whether and how the step shows on the
//! resident's timeline, and the outbox message. The server reads a [`Case`], calls
//! [`decide_staff`] or [`decide_resident`], and writes the [`Effect`] in one transaction.

use crate::domain::calendar::{Calendar, Pause, from_local, is_on_time, to_local};
use crate::domain::field_error::{FieldCode, FieldError};
use crate::domain::filing::Said;
use crate::domain::outbox::Message;
use crate::domain::staff::{Role, Stage};
use crate::domain::status::{Actor, DossierStatus};
use crate::domain::text::clean_multiline;
use crate::domain::workflow::{
    ActError, ActKind, DossierFile, StaffAct, SupplementItem, SupplementView, WorkState,
    clean_items, may_assign, plan,
};
use chrono::{DateTime, Utc};

/// Longest reason a resident gives for withdrawing, in characters.
pub const WITHDRAW_REASON_MAX: usize = 1000;

/// The processing clock of a dossier: what its appointment is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DossierClock {
    /// When the ward received it (the clock starts then).
    pub received_at: DateTime<Utc>,
    /// The processing time fixed at receipt, in working days.
    pub working_days: u32,
    /// Supplement requests so far (more than one makes a dossier late under the national rule).
    pub supplement_count: u32,
}

impl DossierClock {
    /// The appointment once the open supplement arrives at `now`: the pause is added.
    pub fn resumed_due(
        &self,
        calendar: &Calendar,
        supplements: &[SupplementView],
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let mut pauses = pauses(supplements);
        for p in pauses.iter_mut().filter(|p| p.until.is_none()) {
            p.until = Some(to_local(now));
        }
        let d = calendar.deadline(
            to_local(self.received_at),
            self.working_days,
            &pauses,
            to_local(now),
        );
        from_local(d.due)
    }

    /// Whether finishing at `finished` is on time (supplement time excluded; more than one
    /// supplement request is late).
    pub fn on_time(&self, calendar: &Calendar, pauses: &[Pause], finished: DateTime<Utc>) -> bool {
        let d = calendar.deadline(
            to_local(self.received_at),
            self.working_days,
            pauses,
            to_local(finished),
        );
        is_on_time(to_local(finished), d.due, self.supplement_count)
    }
}

/// The pauses of the clock, in local time, from the supplement requests.
pub fn pauses(supplements: &[SupplementView]) -> Vec<Pause> {
    supplements
        .iter()
        .map(|s| Pause {
            from: to_local(s.requested_at),
            until: s.completed_at.map(to_local),
        })
        .collect()
}

/// A dossier as an act is decided on: everything the rules look at, read before deciding.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// The dossier code.
    pub code: String,
    /// The ward it is filed with.
    pub unit: String,
    /// Status, stage, who handles it, result attached, late.
    pub state: WorkState,
    /// Its processing clock.
    pub clock: DossierClock,
    /// Supplement requests, oldest first.
    pub supplements: Vec<SupplementView>,
    /// The status the open supplement request returns to, if one is awaited.
    pub resume: Option<DossierStatus>,
    /// Its files, oldest first.
    pub files: Vec<DossierFile>,
    /// The document slots of its procedure's form.
    pub slots: Vec<String>,
    /// The user ids of the ward's staff who are not disabled.
    pub staff: Vec<String>,
}

/// Something a resident does to their own dossier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResidentAct {
    /// Ask the ward to stop processing (→ 7), with a reason.
    Withdraw {
        /// Why, as typed.
        reason: String,
    },
    /// Send the supplement asked for: every file item of the open request has a file sent since
    /// it was requested (5 → where it was).
    SendSupplement,
}

/// Column changes that go with an act (none: unchanged).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sets {
    /// Whose desk it moves to.
    pub stage: Option<Stage>,
    /// The user who handles it from now on.
    pub assignee: Option<String>,
    /// A new appointment (the supplement pause added).
    pub due_at: Option<DateTime<Utc>>,
    /// When it finished, and whether on time.
    pub finished: Option<(DateTime<Utc>, bool)>,
    /// A new appointment given with an apology (16:00 of the day chosen), and why.
    pub apology: Option<(DateTime<Utc>, String)>,
    /// A fee asked for during processing, in đồng.
    pub payment_due_vnd: Option<i64>,
}

/// What an act does to the open supplement request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SupplementChange {
    /// Opens one that returns the dossier to `resume` when it arrives.
    Open {
        /// Where the dossier goes back to.
        resume: DossierStatus,
        /// What is asked for.
        items: Vec<SupplementItem>,
        /// General note (may be empty).
        note: String,
    },
    /// Completes the open one.
    Complete,
}

/// A step on the resident's timeline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The reason or note as the person acting wrote it.
    pub note: Option<String>,
    /// What the portal says of the step, worded in each reader's language.
    pub said: Option<Said>,
}

/// Everything an allowed act does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Effect {
    /// Which act.
    pub act: ActKind,
    /// Who acts, as the status list knows them.
    pub actor: Actor,
    /// The status before.
    pub from: DossierStatus,
    /// The status after (the same for an act that does not move it).
    pub to: DossierStatus,
    /// Columns set.
    pub sets: Sets,
    /// The supplement request opened or completed.
    pub supplement: Option<SupplementChange>,
    /// The step the resident reads on the timeline; none for the ward's own business (who
    /// handles a dossier is kept in the audit log, not shown).
    pub timeline: Option<Step>,
    /// The message for the outbox.
    pub message: Option<Message>,
}

fn invalid(field: &str, code: FieldCode) -> ActError {
    ActError::Invalid(vec![FieldError::new(field, code)])
}

fn transition(
    from: DossierStatus,
    to: DossierStatus,
    actor: Actor,
) -> Result<DossierStatus, ActError> {
    from.transition(to, actor).map_err(|_| ActError::Conflict)
}

/// The effect of a staff act by user `me`, holding `roles` at the dossier's ward, at `now`.
pub fn decide_staff(
    act: &StaffAct,
    case: &Case,
    me: &str,
    roles: &[Role],
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<Effect, ActError> {
    let state = &case.state;
    let p = plan(act, state, roles)?;
    let from = state.status;
    let mut to = p.to.unwrap_or(from);
    let mut sets = Sets {
        stage: p.stage,
        ..Sets::default()
    };
    let mut supplement = None;
    let mut said = None;
    match act {
        StaffAct::Claim => sets.assignee = Some(me.into()),
        StaffAct::Assign { user_id } => {
            if !may_assign(state, roles, me) {
                return Err(ActError::Forbidden);
            }
            // Only someone who works at this ward, and is not disabled.
            if !case.staff.iter().any(|id| id == user_id) {
                return Err(invalid("user_id", FieldCode::NotWardStaff));
            }
            sets.assignee = Some(user_id.clone());
        }
        StaffAct::Accept | StaffAct::StartProcessing if state.assignee_id.is_none() => {
            sets.assignee = Some(me.into());
        }
        StaffAct::RequestSupplement { items, .. } => {
            let items = clean_items(items)?;
            // A file item must name one of the procedure's document slots.
            for (i, it) in items.iter().enumerate() {
                if !it.slot.is_empty() && !case.slots.contains(&it.slot) {
                    return Err(invalid(&format!("items.{i}.slot"), FieldCode::UnknownSlot));
                }
            }
            supplement = Some(SupplementChange::Open {
                resume: from,
                items,
                note: p.note.clone().unwrap_or_default(),
            });
        }
        StaffAct::SupplementReceived => {
            let resume = case.resume.ok_or(ActError::Conflict)?;
            to = transition(from, resume, Actor::Officer)?;
            supplement = Some(SupplementChange::Complete);
            sets.due_at = Some(case.clock.resumed_due(calendar, &case.supplements, now));
        }
        StaffAct::RequestPayment { amount_vnd, .. } => sets.payment_due_vnd = Some(*amount_vnd),
        StaffAct::Approve { .. } => {
            let on_time = case
                .clock
                .on_time(calendar, &pauses(&case.supplements), now);
            sets.finished = Some((now, on_time));
        }
        StaffAct::Apologise { new_due, .. } => {
            if *new_due <= to_local(now).date() {
                return Err(invalid("new_due", FieldCode::DateNotFuture));
            }
            if !calendar.is_working_day(*new_due) {
                return Err(invalid("new_due", FieldCode::NotWorkingDay));
            }
            // The new appointment is in the afternoon of the day given, as on the receipt.
            let at = new_due
                .and_hms_opt(16, 0, 0)
                .map(from_local)
                .ok_or_else(|| invalid("new_due", FieldCode::Date))?;
            sets.apology = Some((at, p.note.clone().unwrap_or_default()));
            said = Some(Said::NewDue { date: *new_due });
        }
        _ => {}
    }
    let kind = act.kind();
    let (timeline, message) = match (kind, &sets.assignee) {
        // Who handles a dossier inside the ward is not a step of the dossier: the audit log
        // keeps it, the timeline the resident reads does not. An assignment tells the colleague.
        (ActKind::Claim, _) => (None, None),
        (ActKind::Assign, Some(who)) => (
            None,
            Some(Message::assigned(&case.code, &case.unit, to, who)),
        ),
        _ => (
            Some(Step {
                note: p.note.clone(),
                said,
            }),
            Some(Message::status(
                &case.code, &case.unit, from, to, kind, p.note,
            )),
        ),
    };
    Ok(Effect {
        act: kind,
        actor: p.actor,
        from,
        to,
        sets,
        supplement,
        timeline,
        message,
    })
}

/// The effect of the owner's own act on their dossier at `now`.
pub fn decide_resident(
    act: &ResidentAct,
    case: &Case,
    now: DateTime<Utc>,
    calendar: &Calendar,
) -> Result<Effect, ActError> {
    let from = case.state.status;
    let mut sets = Sets::default();
    let (kind, to, note, said, supplement) = match act {
        ResidentAct::Withdraw { reason } => {
            let reason = clean_multiline(reason, WITHDRAW_REASON_MAX)
                .map_err(|e| invalid("reason", e.code()))?;
            if reason.is_empty() {
                return Err(invalid("reason", FieldCode::Required));
            }
            let to = transition(from, DossierStatus::WithdrawalRequested, Actor::Resident)?;
            (ActKind::Withdraw, to, Some(reason), None, None)
        }
        ResidentAct::SendSupplement => {
            if from != DossierStatus::SupplementRequested {
                return Err(ActError::Conflict);
            }
            let open = case
                .supplements
                .iter()
                .find(|s| s.completed_at.is_none())
                .ok_or(ActError::Conflict)?;
            let missing: Vec<FieldError> = open
                .items
                .iter()
                .filter(|it| !it.slot.is_empty())
                .filter(|it| {
                    !case
                        .files
                        .iter()
                        .any(|f| f.slot == it.slot && f.at >= open.requested_at)
                })
                .map(|it| FieldError::new(format!("doc.{}", it.slot), FieldCode::Required))
                .collect();
            if !missing.is_empty() {
                return Err(ActError::Invalid(missing));
            }
            let resume = case.resume.ok_or(ActError::Conflict)?;
            let to = transition(from, resume, Actor::Resident)?;
            sets.due_at = Some(case.clock.resumed_due(calendar, &case.supplements, now));
            (
                ActKind::Supplement,
                to,
                None,
                Some(Said::SupplementSent),
                Some(SupplementChange::Complete),
            )
        }
    };
    Ok(Effect {
        act: kind,
        actor: Actor::Resident,
        from,
        to,
        sets,
        supplement,
        timeline: Some(Step {
            note: note.clone(),
            said,
        }),
        message: Some(Message::status(
            &case.code, &case.unit, from, to, kind, note,
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn case(status: DossierStatus) -> Case {
        Case {
            code: "00070-261123-0001".into(),
            unit: "00070".into(),
            state: WorkState {
                status,
                stage: Stage::Officer,
                assignee_id: None,
                has_result: false,
                overdue: false,
            },
            clock: DossierClock {
                received_at: from_local(
                    NaiveDate::from_ymd_opt(2026, 11, 23)
                        .unwrap()
                        .and_hms_opt(9, 0, 0)
                        .unwrap(),
                ),
                working_days: 5,
                supplement_count: 0,
            },
            supplements: Vec::new(),
            resume: None,
            files: Vec::new(),
            slots: vec!["giay_chung_sinh".into()],
            staff: vec!["u1".into(), "u2".into()],
        }
    }

    fn now() -> DateTime<Utc> {
        from_local(
            NaiveDate::from_ymd_opt(2026, 11, 24)
                .unwrap()
                .and_hms_opt(10, 0, 0)
                .unwrap(),
        )
    }

    #[test]
    fn accepting_claims_shows_on_the_timeline_and_tells_the_owner() {
        let cal = Calendar::with_holidays(&[]);
        let e = decide_staff(
            &StaffAct::Accept,
            &case(DossierStatus::Submitted),
            "u1",
            &[Role::Officer],
            now(),
            &cal,
        )
        .unwrap();
        assert_eq!(e.to, DossierStatus::Accepted);
        assert_eq!(e.sets.assignee.as_deref(), Some("u1"));
        assert!(e.timeline.is_some());
        let m = e.message.unwrap();
        assert_eq!(m.payload.status, Some(2));
        assert_eq!(m.payload.from, Some(1));
        assert_eq!(m.payload.act, Some(ActKind::Accept));
    }

    #[test]
    fn claims_stay_inside_the_ward_and_assignments_tell_the_colleague() {
        let cal = Calendar::with_holidays(&[]);
        let c = case(DossierStatus::Processing);
        let claim =
            decide_staff(&StaffAct::Claim, &c, "u1", &[Role::Officer], now(), &cal).unwrap();
        assert_eq!((claim.timeline, claim.message), (None, None));
        let assign = StaffAct::Assign {
            user_id: "u2".into(),
        };
        let e = decide_staff(&assign, &c, "u1", &[Role::Officer], now(), &cal).unwrap();
        assert!(e.timeline.is_none());
        assert_eq!(e.message.unwrap().payload.assignee.as_deref(), Some("u2"));
        let stranger = StaffAct::Assign {
            user_id: "u9".into(),
        };
        assert!(matches!(
            decide_staff(&stranger, &c, "u1", &[Role::Officer], now(), &cal),
            Err(ActError::Invalid(f)) if f[0].code == FieldCode::NotWardStaff
        ));
    }

    #[test]
    fn a_supplement_names_a_document_of_the_form_and_its_return_adds_the_pause() {
        let cal = Calendar::with_holidays(&[]);
        let ask = |slot: &str| StaffAct::RequestSupplement {
            items: vec![SupplementItem {
                slot: slot.into(),
                label: "Giấy chứng sinh".into(),
                note: String::new(),
            }],
            note: String::new(),
        };
        let c = case(DossierStatus::Processing);
        assert!(matches!(
            decide_staff(&ask("ho_chieu"), &c, "u1", &[Role::Officer], now(), &cal),
            Err(ActError::Invalid(f)) if f[0].field == "items.0.slot"
        ));
        let e = decide_staff(
            &ask("giay_chung_sinh"),
            &c,
            "u1",
            &[Role::Officer],
            now(),
            &cal,
        )
        .unwrap();
        assert!(matches!(
            e.supplement,
            Some(SupplementChange::Open {
                resume: DossierStatus::Processing,
                ..
            })
        ));
        // The resident sends it two days later: the appointment moves by the pause.
        let mut c = case(DossierStatus::SupplementRequested);
        c.resume = Some(DossierStatus::Processing);
        c.supplements = vec![SupplementView {
            requested_at: now(),
            items: vec![SupplementItem {
                slot: "giay_chung_sinh".into(),
                label: "Giấy chứng sinh".into(),
                note: String::new(),
            }],
            note: String::new(),
            completed_at: None,
        }];
        let later = now() + chrono::Duration::days(2);
        assert!(matches!(
            decide_resident(&ResidentAct::SendSupplement, &c, later, &cal),
            Err(ActError::Invalid(f)) if f[0].field == "doc.giay_chung_sinh"
        ));
        c.files.push(DossierFile {
            id: "f".into(),
            slot: "giay_chung_sinh".into(),
            name: "a.pdf".into(),
            size: 1,
            kind: None,
            at: later,
            origin: None,
        });
        let e = decide_resident(&ResidentAct::SendSupplement, &c, later, &cal).unwrap();
        assert_eq!(e.to, DossierStatus::Processing);
        assert_eq!(e.supplement, Some(SupplementChange::Complete));
        let plain = c.clock.resumed_due(&cal, &[], later);
        assert!(e.sets.due_at.unwrap() > plain);
    }

    #[test]
    fn an_apology_sets_the_afternoon_of_a_future_working_day() {
        let cal = Calendar::with_holidays(&[]);
        let mut c = case(DossierStatus::Processing);
        c.state.overdue = true;
        let apologise = |d: NaiveDate| StaffAct::Apologise {
            new_due: d,
            reason: "Chờ xác minh".into(),
        };
        let day = |d| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        let run = |d| decide_staff(&apologise(d), &c, "u1", &[Role::Officer], now(), &cal);
        assert!(
            matches!(run(day(24)), Err(ActError::Invalid(f)) if f[0].code == FieldCode::DateNotFuture)
        );
        assert!(
            matches!(run(day(28)), Err(ActError::Invalid(f)) if f[0].code == FieldCode::NotWorkingDay)
        );
        let e = run(day(26)).unwrap();
        let (at, reason) = e.sets.apology.unwrap();
        assert_eq!(
            to_local(at).format("%d/%m %H:%M").to_string(),
            "26/11 16:00"
        );
        assert_eq!(reason, "Chờ xác minh");
        assert_eq!(
            e.timeline.unwrap().said,
            Some(Said::NewDue { date: day(26) })
        );
        assert_eq!(e.to, e.from);
    }

    #[test]
    fn a_withdrawal_needs_a_reason_and_a_live_dossier() {
        let cal = Calendar::with_holidays(&[]);
        let w = |r: &str| ResidentAct::Withdraw { reason: r.into() };
        let c = case(DossierStatus::Processing);
        assert!(matches!(
            decide_resident(&w(" "), &c, now(), &cal),
            Err(ActError::Invalid(f)) if f[0].code == FieldCode::Required
        ));
        let e = decide_resident(&w("Nộp nhầm"), &c, now(), &cal).unwrap();
        assert_eq!(e.to, DossierStatus::WithdrawalRequested);
        assert_eq!(e.message.unwrap().payload.note.as_deref(), Some("Nộp nhầm"));
        assert_eq!(
            decide_resident(
                &w("Nộp nhầm"),
                &case(DossierStatus::ResultReturned),
                now(),
                &cal
            ),
            Err(ActError::Conflict)
        );
    }
}
