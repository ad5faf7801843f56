//! The ward's work on dossiers: status changes (each with its timeline entry, outbox message and
//! audit row in one transaction), supplement requests, queues, the deadline flags, and what a
//! resident may see of who accessed their dossier.

use super::events::Event;
use super::{Db, DbError, with_db, with_tx};
use crate::domain::act::{DossierClock, Effect, SupplementChange};
use crate::domain::calendar::{Calendar, Pause, from_local, to_local};
use crate::domain::outbox::Message;
use crate::domain::staff::Stage;
use crate::domain::status::Actor;
use crate::domain::status::DossierStatus;
use crate::domain::workflow::{
    AccessEntry, ActKind, Countdown, DossierLine, SupplementItem, SupplementView, WorkState,
};
use chrono::{DateTime, Utc};
use sqlx::types::Json;

/// The columns of a dossier the workflow needs.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkRow {
    /// Id.
    pub id: String,
    /// Code.
    pub code: String,
    /// Receiving unit.
    pub unit_code: String,
    /// Status code.
    pub status: i64,
    /// `officer` / `leader`.
    pub stage: String,
    /// Claimed by.
    pub assignee_id: Option<String>,
    /// Owner (none for a counter dossier of someone without an account yet).
    pub user_id: Option<String>,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Appointment.
    pub due_at: DateTime<Utc>,
    /// Processing time fixed at receipt.
    pub working_days: i64,
    /// Supplement requests so far.
    pub supplement_count: i64,
    /// New appointment given with an apology.
    pub apology_due_at: Option<DateTime<Utc>>,
    /// Deadline flag.
    pub deadline_flag: String,
    /// When the result was ready (or the dossier ended).
    pub finished_at: Option<DateTime<Utc>>,
    /// On time, once finished.
    pub on_time: Option<bool>,
    /// Fee requested during processing.
    pub payment_due_vnd: Option<i64>,
    /// Full ID number of a counter applicant.
    pub applicant_cccd: Option<String>,
    /// Why the ward apologised.
    pub apology_reason: Option<String>,
}

const WORK_COLUMNS: &str = "d.id, d.code, d.unit_code, d.status, d.stage, d.assignee_id, d.user_id, \
     d.received_at, d.due_at, CASE WHEN d.working_days > 0 THEN d.working_days ELSE p.processing_working_days END AS working_days, \
     d.supplement_count, d.apology_due_at, d.deadline_flag, d.finished_at, d.on_time, d.payment_due_vnd, d.applicant_cccd, d.apology_reason";

impl WorkRow {
    /// The status.
    pub fn status(&self) -> Result<DossierStatus, DbError> {
        u8::try_from(self.status)
            .ok()
            .and_then(DossierStatus::from_code)
            .ok_or_else(|| DbError::Decode(format!("status {}", self.status)))
    }

    /// The state an act is decided on.
    pub fn work_state(&self, has_result: bool, now: DateTime<Utc>) -> Result<WorkState, DbError> {
        Ok(WorkState {
            status: self.status()?,
            stage: Stage::parse(&self.stage)
                .ok_or_else(|| DbError::Decode(format!("stage {}", self.stage)))?,
            assignee_id: self.assignee_id.clone(),
            has_result,
            overdue: self.deadline_flag == "overdue" || self.due_at < now,
        })
    }

    /// The processing clock.
    pub fn clock(&self) -> DossierClock {
        DossierClock {
            received_at: self.received_at,
            working_days: u32::try_from(self.working_days).unwrap_or(1),
            supplement_count: u32::try_from(self.supplement_count).unwrap_or(u32::MAX),
        }
    }

    /// The countdown as of `now`, supplement pauses excluded.
    pub fn countdown(
        &self,
        calendar: &Calendar,
        pauses: &[Pause],
        now: DateTime<Utc>,
    ) -> Result<Countdown, DbError> {
        let status = self.status()?;
        let finished = status.is_terminal() || status == DossierStatus::Processed;
        let at = if finished {
            self.finished_at.unwrap_or(now)
        } else {
            now
        };
        let d = calendar.deadline(
            to_local(self.received_at),
            u32::try_from(self.working_days).unwrap_or(1),
            pauses,
            to_local(at),
        );
        Ok(Countdown {
            due_at: from_local(d.due),
            paused: d.paused && !finished,
            remaining_minutes: d.remaining_minutes,
            apology_due_at: self.apology_due_at,
            finished,
            on_time: self.on_time,
        })
    }
}

/// Why a change did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    /// The dossier moved meanwhile (another officer, a twin request).
    #[error("the dossier changed meanwhile")]
    Conflict,
    /// Database error.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for ChangeError {
    fn from(e: sqlx::Error) -> Self {
        ChangeError::Db(e.into())
    }
}

impl Db {
    async fn work_row_where(
        &self,
        cond: &str,
        a: &str,
        b: &str,
    ) -> Result<Option<WorkRow>, DbError> {
        let sql = format!(
            "SELECT {WORK_COLUMNS} FROM dossiers d JOIN procedures p ON p.code = d.procedure_code WHERE {cond}"
        );
        Ok(with_db!(self, pool => {
            sqlx::query_as(&sql).bind(a).bind(b).fetch_optional(pool).await?
        }))
    }

    /// A dossier of `unit` by code (another ward's dossier answers `None`).
    pub async fn unit_work_row(&self, unit: &str, code: &str) -> Result<Option<WorkRow>, DbError> {
        self.work_row_where("d.unit_code = $1 AND d.code = $2", unit, code)
            .await
    }

    /// One of `user_id`'s dossiers by code.
    pub async fn own_work_row(
        &self,
        user_id: &str,
        code: &str,
    ) -> Result<Option<WorkRow>, DbError> {
        self.work_row_where("d.user_id = $1 AND d.code = $2", user_id, code)
            .await
    }

    /// The working-day calendar with the stored holiday table.
    pub async fn calendar(&self) -> Result<Calendar, DbError> {
        Ok(Calendar::with_holidays(&self.holidays().await?))
    }

    /// Supplement requests of a dossier, oldest first.
    pub async fn supplements(&self, dossier_id: &str) -> Result<Vec<SupplementView>, DbError> {
        type Row = (
            DateTime<Utc>,
            Json<Vec<SupplementItem>>,
            String,
            Option<DateTime<Utc>>,
        );
        let rows: Vec<Row> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT requested_at, items, note, completed_at FROM supplements \
                 WHERE dossier_id = $1 ORDER BY requested_at, id",
            )
            .bind(dossier_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(requested_at, items, note, completed_at)| SupplementView {
                requested_at,
                items: items.0,
                note,
                completed_at,
            })
            .collect())
    }

    /// The open supplement request's resume status, if one is awaited.
    async fn open_supplement_resume(&self, dossier_id: &str) -> Result<Option<i64>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar(
                "SELECT resume_status FROM supplements WHERE dossier_id = $1 AND completed_at IS NULL",
            )
            .bind(dossier_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The status a dossier goes back to when its open supplement arrives.
    pub async fn supplement_resume_status(
        &self,
        dossier_id: &str,
    ) -> Result<Option<DossierStatus>, DbError> {
        Ok(self
            .open_supplement_resume(dossier_id)
            .await?
            .and_then(|s| u8::try_from(s).ok())
            .and_then(DossierStatus::from_code))
    }

    /// Writes an act's effect on dossier `d` by `actor_id`: the columns, the supplement
    /// request, the timeline step, the outbox message and the audit row, in one transaction.
    /// Fails with `Conflict` if the dossier's status or stage moved since `d` was read.
    pub async fn apply(
        &self,
        d: &WorkRow,
        e: &Effect,
        actor_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(), ChangeError> {
        let (from, to) = (i64::from(e.from.code()), i64::from(e.to.code()));
        let sets = &e.sets;
        let mut tx = self.begin_write().await?;
        let (finished_at, on_time) = match sets.finished {
            Some((at, ok)) => (Some(at), Some(ok)),
            None => (None, None),
        };
        let (apology_at, apology_reason) = match &sets.apology {
            Some((at, reason)) => (Some(*at), Some(reason.as_str())),
            None => (None, None),
        };
        let opens = matches!(e.supplement, Some(SupplementChange::Open { .. }));
        let changed = with_tx!(tx, t => {
            sqlx::query(
                "UPDATE dossiers SET status = $1, updated_at = $2, stage = COALESCE($3, stage), \
                 assignee_id = COALESCE($4, assignee_id), due_at = COALESCE($5, due_at), \
                 finished_at = COALESCE($6, finished_at), on_time = COALESCE($7, on_time), \
                 apology_due_at = COALESCE($8, apology_due_at), payment_due_vnd = COALESCE($9, payment_due_vnd), \
                 supplement_count = supplement_count + $10, apology_reason = COALESCE($14, apology_reason) \
                 WHERE id = $11 AND status = $12 AND stage = $13",
            )
            .bind(to)
            .bind(now)
            .bind(sets.stage.map(Stage::as_str))
            .bind(&sets.assignee)
            .bind(sets.due_at)
            .bind(finished_at)
            .bind(on_time)
            .bind(apology_at)
            .bind(sets.payment_due_vnd)
            .bind(i64::from(opens))
            .bind(&d.id)
            .bind(from)
            .bind(&d.stage)
            .bind(apology_reason)
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        if changed != 1 {
            tx.rollback().await?;
            return Err(ChangeError::Conflict);
        }
        match &e.supplement {
            Some(SupplementChange::Open {
                resume,
                items,
                note,
            }) => with_tx!(tx, t => {
                sqlx::query(
                    "INSERT INTO supplements (id, dossier_id, requested_at, requested_by, resume_status, items, note) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(&d.id)
                .bind(now)
                .bind(actor_id)
                .bind(i64::from(resume.code()))
                .bind(Json(items))
                .bind(note)
                .execute(&mut **t)
                .await?;
            }),
            Some(SupplementChange::Complete) => {
                let done = with_tx!(tx, t => {
                    sqlx::query(
                        "UPDATE supplements SET completed_at = $1 WHERE dossier_id = $2 AND completed_at IS NULL",
                    )
                    .bind(now)
                    .bind(&d.id)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
                });
                if done != 1 {
                    tx.rollback().await?;
                    return Err(ChangeError::Conflict);
                }
            }
            None => {}
        }
        if let Some(step) = &e.timeline {
            tx.append_event(&Event {
                dossier_id: &d.id,
                at: now,
                status: e.to,
                actor: e.actor,
                actor_id,
                note: step.note.as_deref(),
                said: step.said.as_ref(),
            })
            .await?;
        }
        if let Some(m) = &e.message {
            tx.enqueue(&d.id, m, now).await?;
        }
        tx.audit(&super::audit::AuditEvent {
            actor: actor_id.map(str::to_owned),
            actor_role: e.actor.as_str().into(),
            actor_unit: (e.actor != Actor::Resident).then(|| d.unit_code.clone()),
            action: format!("dossier_{}", e.act.as_str()),
            object: Some(d.id.clone()),
            outcome: "ok",
            detail: Some(match (e.act, &sets.assignee) {
                (ActKind::Assign, Some(who)) => format!("{from}->{to} assignee={who}"),
                _ => format!("{from}->{to}"),
            }),
        })
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Lines of the dossiers matching `cond` (with `$1` bound to `key`), newest first.
    async fn lines_where(
        &self,
        cond: &str,
        key: &str,
        me: Option<&str>,
        limit: i64,
    ) -> Result<Vec<DossierLine>, DbError> {
        type Row = (
            String,
            String,
            String,
            String,
            i64,
            i64,
            DateTime<Utc>,
            DateTime<Utc>,
            String,
            String,
            Option<String>,
        );
        let sql = format!(
            "SELECT d.code, p.name_vi, p.name_en, d.applicant_name, d.status, d.channel, d.received_at, \
             d.due_at, d.deadline_flag, d.stage, d.assignee_id \
             FROM dossiers d JOIN procedures p ON p.code = d.procedure_code \
             WHERE {cond} ORDER BY d.received_at DESC, d.code DESC LIMIT $2"
        );
        let rows: Vec<Row> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(key).bind(limit).fetch_all(pool).await?
        });
        rows.into_iter()
            .map(
                |(
                    code,
                    vi,
                    en,
                    name,
                    status,
                    channel,
                    received_at,
                    due_at,
                    flag,
                    stage,
                    assignee,
                )| {
                    Ok(DossierLine {
                        code,
                        procedure_vi: vi,
                        procedure_en: en,
                        applicant_name: name,
                        status: u8::try_from(status)
                            .ok()
                            .and_then(DossierStatus::from_code)
                            .ok_or_else(|| DbError::Decode(format!("status {status}")))?,
                        channel: u8::try_from(channel).unwrap_or(0),
                        received_at,
                        due_at,
                        deadline_flag: flag,
                        stage: Stage::parse(&stage)
                            .ok_or_else(|| DbError::Decode(format!("stage {stage}")))?,
                        mine: me.is_some() && assignee.as_deref() == me,
                        claimed: assignee.is_some(),
                    })
                },
            )
            .collect()
    }

    /// The user's dossiers, newest first.
    pub async fn own_lines(&self, user_id: &str) -> Result<Vec<DossierLine>, DbError> {
        self.lines_where("d.user_id = $1", user_id, None, 1000)
            .await
    }

    /// A ward's open work (everything not yet returned, refused or stopped), newest first.
    pub async fn unit_lines(&self, unit: &str, me: &str) -> Result<Vec<DossierLine>, DbError> {
        self.lines_where(
            "d.unit_code = $1 AND d.status NOT IN (3, 8, 10)",
            unit,
            Some(me),
            2000,
        )
        .await
    }

    /// A ward's dossiers finished so far and how many of them on time, and those received in
    /// the last 30 days.
    pub async fn unit_on_time(
        &self,
        unit: &str,
        now: DateTime<Utc>,
    ) -> Result<(i64, i64, i64), DbError> {
        let (finished, on_time): (i64, i64) = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT COUNT(*), COALESCE(SUM(CASE WHEN on_time THEN 1 ELSE 0 END), 0) \
                 FROM dossiers WHERE unit_code = $1 AND finished_at IS NOT NULL AND on_time IS NOT NULL",
            )
            .bind(unit)
            .fetch_one(pool)
            .await?
        });
        let recent: i64 = with_db!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM dossiers WHERE unit_code = $1 AND received_at >= $2")
                .bind(unit)
                .bind(now - chrono::Duration::days(30))
                .fetch_one(pool)
                .await?
        });
        Ok((finished, on_time, recent))
    }

    /// Who (role and ward) viewed, downloaded or changed a dossier, newest first.
    pub async fn dossier_access(&self, dossier_id: &str) -> Result<Vec<AccessEntry>, DbError> {
        let rows: Vec<(DateTime<Utc>, String, Option<String>, String)> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT a.at, a.actor_role, u.kind || ':' || u.name, a.action FROM audit_log a \
                 LEFT JOIN admin_units u ON u.code = a.actor_unit \
                 WHERE a.object = $1 AND a.outcome = 'ok' AND a.actor_role IN ('officer', 'leader', 'staff') \
                 ORDER BY a.seq DESC LIMIT 200",
            )
            .bind(dossier_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(at, role, unit, action)| AccessEntry {
                at,
                role,
                unit_name: unit.as_deref().map(unit_display).unwrap_or_default(),
                unit_name_en: unit.as_deref().map(unit_display_en).unwrap_or_default(),
                action: action.trim_start_matches("dossier_").to_string(),
            })
            .collect())
    }

    /// Result files of a dossier: (upload id, name).
    pub async fn dossier_results(
        &self,
        dossier_id: &str,
    ) -> Result<Vec<(String, String)>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, name FROM uploads WHERE dossier_id = $1 AND slot = 'result' AND complete \
                 ORDER BY created_at",
            )
            .bind(dossier_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The reason recorded with the latest move into `status`.
    pub async fn latest_note(
        &self,
        dossier_id: &str,
        status: i64,
    ) -> Result<Option<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT note FROM dossier_events WHERE dossier_id = $1 AND status = $2 ORDER BY at DESC, id DESC LIMIT 1",
            )
            .bind(dossier_id)
            .bind(status)
            .fetch_optional(pool)
            .await?
            .flatten()
        }))
    }

    /// Every complete file of a dossier, oldest first.
    pub async fn dossier_files(
        &self,
        dossier_id: &str,
    ) -> Result<Vec<crate::domain::workflow::DossierFile>, DbError> {
        #[derive(sqlx::FromRow)]
        struct Row {
            id: String,
            slot: String,
            name: String,
            size: i64,
            kind: Option<String>,
            #[sqlx(flatten)]
            origin: crate::server::db::uploads::OriginCols,
        }
        let sql = format!(
            "SELECT id, slot, name, size, kind, {} FROM uploads WHERE dossier_id = $1 AND complete \
             ORDER BY created_at, id",
            crate::server::db::uploads::ORIGIN_COLUMNS
        );
        let rows: Vec<Row> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(dossier_id).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|r| {
                let at = r.origin.created_at();
                crate::domain::workflow::DossierFile {
                    id: r.id,
                    slot: r.slot,
                    name: r.name,
                    size: r.size,
                    kind: r
                        .kind
                        .as_deref()
                        .and_then(crate::domain::form::FileKind::parse),
                    at,
                    origin: r.origin.origin(),
                }
            })
            .collect())
    }

    /// Dossiers whose clock runs or is paused (for the deadline job).
    pub async fn running_dossiers(&self) -> Result<Vec<WorkRow>, DbError> {
        let sql = format!(
            "SELECT {WORK_COLUMNS} FROM dossiers d JOIN procedures p ON p.code = d.procedure_code \
             WHERE d.status IN (1, 2, 4, 5, 6, 7)"
        );
        Ok(with_db!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?))
    }

    /// Sets a dossier's deadline flag; a newly raised flag also goes to the outbox for the ward.
    pub async fn set_deadline_flag(
        &self,
        d: &WorkRow,
        flag: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let mut tx = self.begin_write().await?;
        let changed = with_tx!(tx, t => {
            sqlx::query("UPDATE dossiers SET deadline_flag = $1 WHERE id = $2 AND deadline_flag = $3")
                .bind(flag)
                .bind(&d.id)
                .bind(&d.deadline_flag)
                .execute(&mut **t)
                .await?
                .rows_affected()
        });
        if changed == 1 && !flag.is_empty() {
            let m = Message::deadline(&d.code, &d.unit_code, d.status()?, flag);
            tx.enqueue(&d.id, &m, now).await?;
        }
        tx.commit().await?;
        Ok(changed == 1)
    }
}

/// The deadline flag of a running dossier as of `now`.
pub fn deadline_flag(countdown: &Countdown) -> &'static str {
    if countdown.paused {
        ""
    } else if countdown.remaining_minutes < 0 {
        "overdue"
    } else if countdown.remaining_minutes <= crate::domain::workflow::DUE_SOON_MINUTES {
        "due_soon"
    } else {
        ""
    }
}

/// `phuong:Ba Đình` → `Phường Ba Đình`.
pub fn unit_display(kind_and_name: &str) -> String {
    match kind_and_name.split_once(':') {
        Some(("phuong", n)) => format!("Phường {n}"),
        Some((_, n)) => format!("Xã {n}"),
        None => kind_and_name.to_string(),
    }
}

/// The same in English: "Ba Đình Ward", "Sóc Sơn Commune".
pub fn unit_display_en(kind_and_name: &str) -> String {
    match kind_and_name.split_once(':') {
        Some(("phuong", n)) => format!("{n} Ward"),
        Some((_, n)) => format!("{n} Commune"),
        None => kind_and_name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, NaiveDate};
    use proptest::prelude::*;

    fn calendar() -> Calendar {
        let rows =
            crate::domain::calendar::parse_holidays(include_str!("../../../data/holidays.csv"))
                .unwrap();
        Calendar::with_holidays(&rows)
    }

    fn local(y: i32, m: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        from_local(
            NaiveDate::from_ymd_opt(y, m, d)
                .unwrap()
                .and_hms_opt(h, mi, 0)
                .unwrap(),
        )
    }

    fn row(received: DateTime<Utc>, days: i64, status: i64, supplements: i64) -> WorkRow {
        WorkRow {
            id: "d".into(),
            code: "c".into(),
            unit_code: "00070".into(),
            status,
            stage: "officer".into(),
            assignee_id: None,
            user_id: None,
            received_at: received,
            due_at: received,
            working_days: days,
            supplement_count: supplements,
            apology_due_at: None,
            deadline_flag: String::new(),
            finished_at: None,
            on_time: None,
            payment_due_vnd: None,
            applicant_cccd: None,
            apology_reason: None,
        }
    }

    #[test]
    fn flags_around_the_tet_holiday() {
        let cal = calendar();
        // Received Wednesday 03/02/2027 09:00, three working days, with Tết off 04–10/02:
        // 6 h that day, 8 h on 11/02 and 12/02, then 2 h on Monday: due 15/02 09:00.
        let r = row(local(2027, 2, 3, 9, 0), 3, 4, 0);
        let at = |t| r.countdown(&cal, &[], t).unwrap();
        assert_eq!(at(local(2027, 2, 3, 9, 0)).due_at, local(2027, 2, 15, 9, 0));
        assert_eq!(deadline_flag(&at(local(2027, 2, 3, 9, 0))), "");
        assert_eq!(
            deadline_flag(&at(local(2027, 2, 8, 9, 0))),
            "",
            "Tết: nothing counts"
        );
        assert_eq!(deadline_flag(&at(local(2027, 2, 11, 9, 0))), "due_soon");
        assert_eq!(deadline_flag(&at(local(2027, 2, 15, 9, 1))), "overdue");
        // Paused since Thursday: never flagged, however long the resident takes.
        let open = [Pause {
            from: to_local(local(2027, 2, 11, 9, 0)),
            until: None,
        }];
        let c = r.countdown(&cal, &open, local(2027, 3, 30, 9, 0)).unwrap();
        assert!(c.paused);
        assert_eq!(deadline_flag(&c), "");
        assert_eq!(c.remaining_minutes, 2 * 480);
    }

    #[test]
    fn two_supplement_requests_are_late_even_when_early() {
        let cal = calendar();
        let r = row(local(2026, 11, 23, 9, 0), 5, 4, 2);
        assert!(!r.clock().on_time(&cal, &[], local(2026, 11, 23, 10, 0)));
        let r = row(local(2026, 11, 23, 9, 0), 5, 4, 1);
        assert!(r.clock().on_time(&cal, &[], local(2026, 11, 23, 10, 0)));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// With one supplement request, a dossier finished within the supplement-extended
        /// appointment is on time and one finished a working minute later is late, whatever
        /// the dates, holidays and length of the pause.
        #[test]
        fn on_time_is_the_extended_appointment(start in 0i64..(3 * 365 * 1440), days in 1i64..15,
                                               pause_at in 0i64..5000, pause_len in 0i64..20_000) {
            let cal = calendar();
            let received = local(2026, 1, 1, 0, 0) + Duration::minutes(start);
            let r = row(received, days, 4, 1);
            let from = to_local(received) + Duration::minutes(pause_at);
            let pauses = [Pause { from, until: Some(from + Duration::minutes(pause_len)) }];
            let due = r.countdown(&cal, &pauses, received).unwrap().due_at;
            let skipped = cal.working_minutes_between(from, from + Duration::minutes(pause_len));
            prop_assert_eq!(
                to_local(due),
                cal.add_working_minutes(to_local(received), days * 480 + skipped)
            );
            prop_assert!(r.clock().on_time(&cal, &pauses, due));
            let later = from_local(cal.add_working_minutes(to_local(due), 1));
            prop_assert!(!r.clock().on_time(&cal, &pauses, later));
        }
    }
}
