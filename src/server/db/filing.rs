//! Drafts and submitted dossiers.
//!
//! Every query is scoped to the owner (`user_id`): another person's draft or dossier is
//! indistinguishable from one that does not exist.

use super::events::Event;
use super::{Db, DbError, DbTx, with_db, with_tx};
use crate::domain::filing::Said;
use crate::domain::filing::{
    Channel, DossierView, Draft, DraftSummary, PaymentView, Saved, TimelineEvent, draft_expiry,
};
use crate::domain::form::Answers;
use crate::domain::outbox::Message;
use crate::domain::status::{Actor, DossierStatus};
use chrono::{DateTime, NaiveDateTime, Utc};
use sqlx::types::Json;

type SummaryRow = (String, String, String, String, DateTime<Utc>, DateTime<Utc>);

type DraftRow = (
    String,
    String,
    Json<Answers>,
    i64,
    String,
    DateTime<Utc>,
    DateTime<Utc>,
);

fn draft_from_row(r: DraftRow) -> Draft {
    let (id, procedure_slug, answers, revision, idempotency_key, updated_at, expires_at) = r;
    Draft {
        id,
        procedure_slug,
        answers: answers.0,
        revision,
        idempotency_key,
        updated_at,
        expires_at,
        from_identity: Answers::new(),
    }
}

const DRAFT_COLUMNS: &str =
    "d.id, p.slug, d.answers, d.revision, d.idempotency_key, d.updated_at, d.expires_at";

/// Everything that goes into a new dossier.
#[derive(Debug, Clone)]
pub struct NewDossier {
    /// Owner (none: filed at the counter for someone without an account yet).
    pub user_id: Option<String>,
    /// Procedure code.
    pub procedure_code: String,
    /// Receiving unit.
    pub unit_code: String,
    /// Channel.
    pub channel: Channel,
    /// Submitter's name.
    pub applicant_name: String,
    /// Last 4 digits of the submitter's ID number (for the public look-up).
    pub applicant_id_suffix: String,
    /// Clean answers.
    pub answers: Answers,
    /// Fee due.
    pub fee_vnd: i64,
    /// The draft's idempotency key.
    pub idempotency_key: String,
    /// Draft to delete with the submission.
    pub draft_id: Option<String>,
    /// Received at.
    pub received_at: DateTime<Utc>,
    /// Appointment, as a function of the code's day (always the receiving day here).
    pub due_at: DateTime<Utc>,
    /// Processing time in working days, fixed at receipt.
    pub working_days: i64,
    /// Filed at the counter on the applicant's behalf.
    pub counter: Option<CounterIntake>,
}

/// Who filed a counter dossier, for whom, and when the applicant consented.
#[derive(Debug, Clone)]
pub struct CounterIntake {
    /// The officer.
    pub officer_id: String,
    /// The applicant's full ID number (their dossier appears in their account once they log in).
    pub applicant_cccd: String,
    /// When the applicant agreed to the officer filing for them.
    pub consent_at: DateTime<Utc>,
    /// Version of the consent text they agreed to.
    pub consent_version: String,
    /// `phone` or `signature`.
    pub consent_method: &'static str,
    /// The confirmation given on their phone, used by this dossier only.
    pub consent_token: Option<String>,
    /// Their account, when they confirmed on their phone.
    pub consent_by: Option<String>,
    /// Paper documents received at the counter.
    pub papers: Vec<crate::domain::intake::PaperReceived>,
}

/// What a submission gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// A new dossier with this code.
    Created(String),
    /// This key was already used: the dossier it made.
    Existing(String),
}

impl Submission {
    /// The dossier code either way.
    pub fn code(&self) -> &str {
        match self {
            Submission::Created(c) | Submission::Existing(c) => c,
        }
    }
}

impl Db {
    /// Starts a transaction that will write. On SQLite it takes the writer's lock at once
    /// (`BEGIN IMMEDIATE`), so a read-then-write inside it can never fail half-way on a busy lock.
    pub async fn begin_write(&self) -> Result<DbTx, DbError> {
        Ok(match self {
            Db::Sqlite(p) => DbTx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Db::Pg(p) => DbTx::Pg(p.begin().await?),
        })
    }

    /// Creates a draft with prefilled answers and a fresh idempotency key.
    pub async fn create_draft(
        &self,
        user_id: &str,
        procedure_code: &str,
        answers: &Answers,
        now: DateTime<Utc>,
    ) -> Result<Draft, DbError> {
        let id = uuid::Uuid::now_v7().to_string();
        let key = uuid::Uuid::new_v4().to_string();
        with_db!(self, pool => {
            sqlx::query(
                "INSERT INTO drafts (id, user_id, procedure_code, answers, idempotency_key, revision, \
                 created_at, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6, $7)",
            )
            .bind(&id)
            .bind(user_id)
            .bind(procedure_code)
            .bind(Json(answers))
            .bind(&key)
            .bind(now)
            .bind(draft_expiry(now))
            .execute(pool)
            .await?;
        });
        self.draft(user_id, &id)
            .await?
            .ok_or_else(|| DbError::Decode("draft vanished".into()))
    }

    /// One of the user's drafts.
    pub async fn draft(&self, user_id: &str, id: &str) -> Result<Option<Draft>, DbError> {
        let sql = format!(
            "SELECT {DRAFT_COLUMNS} FROM drafts d JOIN procedures p ON p.code = d.procedure_code \
             WHERE d.id = $1 AND d.user_id = $2"
        );
        let row: Option<DraftRow> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(pool).await?
        });
        Ok(row.map(draft_from_row))
    }

    /// The user's most recently changed draft of a procedure.
    pub async fn latest_draft(
        &self,
        user_id: &str,
        procedure_code: &str,
    ) -> Result<Option<Draft>, DbError> {
        let sql = format!(
            "SELECT {DRAFT_COLUMNS} FROM drafts d JOIN procedures p ON p.code = d.procedure_code \
             WHERE d.user_id = $1 AND d.procedure_code = $2 ORDER BY d.updated_at DESC, d.id DESC LIMIT 1"
        );
        let row: Option<DraftRow> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).bind(procedure_code).fetch_optional(pool).await?
        });
        Ok(row.map(draft_from_row))
    }

    /// Replaces a draft's answers; `None` when the user has no such draft.
    pub async fn save_draft(
        &self,
        user_id: &str,
        id: &str,
        answers: &Answers,
        now: DateTime<Utc>,
    ) -> Result<Option<Saved>, DbError> {
        let expires_at = draft_expiry(now);
        let revision: Option<i64> = with_db!(self, pool => {
            sqlx::query_scalar(
                "UPDATE drafts SET answers = $1, revision = revision + 1, updated_at = $2, expires_at = $3 \
                 WHERE id = $4 AND user_id = $5 RETURNING revision",
            )
            .bind(Json(answers))
            .bind(now)
            .bind(expires_at)
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(revision.map(|revision| Saved {
            revision,
            updated_at: now,
            expires_at,
        }))
    }

    /// The user's drafts, newest first.
    pub async fn drafts(&self, user_id: &str) -> Result<Vec<DraftSummary>, DbError> {
        let rows: Vec<SummaryRow> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT d.id, p.slug, p.name_vi, p.name_en, d.updated_at, d.expires_at \
                 FROM drafts d JOIN procedures p ON p.code = d.procedure_code \
                 WHERE d.user_id = $1 ORDER BY d.updated_at DESC, d.id DESC LIMIT 100",
            )
            .bind(user_id)
            .fetch_all(pool)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(
                |(id, procedure_slug, procedure_vi, procedure_en, updated_at, expires_at)| {
                    DraftSummary {
                        id,
                        procedure_slug,
                        procedure_vi,
                        procedure_en,
                        updated_at,
                        expires_at,
                    }
                },
            )
            .collect())
    }

    /// Deletes one of the user's drafts; true when there was one.
    pub async fn delete_draft(&self, user_id: &str, id: &str) -> Result<bool, DbError> {
        let n = with_db!(self, pool => {
            sqlx::query("DELETE FROM drafts WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Deletes drafts that expired before `now`.
    pub async fn sweep_drafts(&self, now: DateTime<Utc>) -> Result<u64, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query("DELETE FROM drafts WHERE expires_at < $1")
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// The code of the dossier a user's idempotency key made, if any.
    pub async fn dossier_by_key(
        &self,
        user_id: &str,
        key: &str,
    ) -> Result<Option<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar("SELECT code FROM dossiers WHERE idempotency_key = $1 AND user_id = $2")
                .bind(key)
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The code of the dossier a counter intake key made, if any.
    pub async fn dossier_by_counter_key(&self, key: &str) -> Result<Option<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar("SELECT code FROM dossiers WHERE idempotency_key = $1 AND channel = 1")
                .bind(key)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// Gives a person the counter dossiers filed under their ID number before they had an
    /// account (at their login).
    pub async fn claim_counter_dossiers(&self, user_id: &str, cccd: &str) -> Result<u64, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query("UPDATE dossiers SET user_id = $1 WHERE user_id IS NULL AND applicant_cccd = $2")
                .bind(user_id)
                .bind(cccd)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Files a dossier in one transaction: code, dossier row with its answers, first timeline
    /// event, outbox message, and the draft removed. `due` turns the receiving time into the
    /// appointment. The same idempotency key always gives the first dossier back.
    pub async fn submit_dossier(
        &self,
        d: &NewDossier,
        local_day: chrono::NaiveDate,
    ) -> Result<Submission, DbError> {
        let mut tx = self.begin_write().await?;
        // The counter row locks the unit's day: concurrent submissions queue here, so the
        // idempotency check below sees any dossier a twin request has just committed.
        let code = tx
            .next_dossier_code(&d.unit_code, local_day)
            .await?
            .to_string();
        let existing: Option<String> = with_tx!(tx, t => {
            sqlx::query_scalar("SELECT code FROM dossiers WHERE idempotency_key = $1")
                .bind(&d.idempotency_key)
                .fetch_optional(&mut **t)
                .await?
        });
        if let Some(code) = existing {
            tx.rollback().await?;
            return Ok(Submission::Existing(code));
        }
        let id = uuid::Uuid::now_v7().to_string();
        with_tx!(tx, t => {
            sqlx::query(
                "INSERT INTO dossiers (id, code, procedure_code, unit_code, channel, status, \
                 applicant_id_suffix, received_at, due_at, updated_at, user_id, idempotency_key, \
                 applicant_name, answers, fee_vnd, working_days, filed_by, applicant_cccd, consent_at) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8, $7, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
            )
            .bind(&id)
            .bind(&code)
            .bind(&d.procedure_code)
            .bind(&d.unit_code)
            .bind(i64::from(d.channel.code()))
            .bind(&d.applicant_id_suffix)
            .bind(d.received_at)
            .bind(d.due_at)
            .bind(&d.user_id)
            .bind(&d.idempotency_key)
            .bind(&d.applicant_name)
            .bind(Json(&d.answers))
            .bind(d.fee_vnd)
            .bind(d.working_days)
            .bind(d.counter.as_ref().map(|c| &c.officer_id))
            .bind(d.counter.as_ref().map(|c| &c.applicant_cccd))
            .bind(d.counter.as_ref().map(|c| c.consent_at))
            .execute(&mut **t)
            .await?;
        });
        let (actor, actor_id, said) = match &d.counter {
            Some(c) => (
                Actor::Officer,
                Some(&c.officer_id),
                Some(Said::CounterIntake),
            ),
            None => (Actor::Resident, d.user_id.as_ref(), None),
        };
        tx.append_event(&Event {
            dossier_id: &id,
            at: d.received_at,
            status: DossierStatus::Submitted,
            actor,
            actor_id: actor_id.map(String::as_str),
            note: None,
            said: said.as_ref(),
        })
        .await?;
        tx.enqueue(&id, &Message::submitted(&code, &d.unit_code), d.received_at)
            .await?;
        if let Some(c) = &d.counter {
            with_tx!(tx, t => {
                sqlx::query(
                    "UPDATE dossiers SET consent_version = $1, consent_method = $2, consent_by = $3, paper_documents = $4 WHERE id = $5",
                )
                .bind(&c.consent_version)
                .bind(c.consent_method)
                .bind(&c.consent_by)
                .bind(Json(&c.papers))
                .bind(&id)
                .execute(&mut **t)
                .await?;
            });
            // A confirmation given on the applicant's phone serves one dossier only.
            if let Some(token) = &c.consent_token {
                let used = with_tx!(tx, t => {
                    sqlx::query(
                        "UPDATE intake_consents SET dossier_id = $1 WHERE token = $2 AND dossier_id IS NULL AND confirmed_at IS NOT NULL",
                    )
                    .bind(&id)
                    .bind(token)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
                });
                if used != 1 {
                    tx.rollback().await?;
                    return Err(DbError::Taken("consent"));
                }
            }
            tx.audit(&super::audit::AuditEvent {
                actor: Some(c.officer_id.clone()),
                actor_role: Actor::Officer.as_str().into(),
                actor_unit: Some(d.unit_code.clone()),
                action: "counter_intake".into(),
                object: Some(id.clone()),
                outcome: "ok",
                detail: Some(format!(
                    "consent={} version={} papers={}",
                    c.consent_method,
                    c.consent_version,
                    c.papers.len()
                )),
            })
            .await?;
        }
        if let Some(draft) = &d.draft_id {
            // Complete attachments go with the dossier; unfinished ones are left to the sweep.
            with_tx!(tx, t => {
                sqlx::query(
                    "UPDATE uploads SET dossier_id = $1, draft_id = NULL \
                     WHERE draft_id = $2 AND user_id = $3 AND complete",
                )
                .bind(&id)
                .bind(draft)
                .bind(&d.user_id)
                .execute(&mut **t)
                .await?;
            });
            with_tx!(tx, t => {
                sqlx::query("DELETE FROM drafts WHERE id = $1 AND user_id = $2")
                    .bind(draft)
                    .bind(&d.user_id)
                    .execute(&mut **t)
                    .await?;
            });
        }
        crate::server::pause::point("submit.in_transaction").await;
        tx.commit().await?;
        Ok(Submission::Created(code))
    }

    /// One of the user's dossiers, with its timeline.
    pub async fn own_dossier(
        &self,
        user_id: &str,
        code: &str,
    ) -> Result<Option<DossierView>, DbError> {
        self.dossier_view_where("d.code = $1 AND d.user_id = $2", code, user_id)
            .await
    }

    /// A dossier by id, with its timeline (callers check who may see it).
    pub async fn dossier_view_by_id(&self, id: &str) -> Result<Option<DossierView>, DbError> {
        self.dossier_view_where("d.id = $1 AND $2 = $2", id, "")
            .await
    }

    /// The ID number of a dossier's owner, from their account.
    pub async fn owner_cccd(&self, dossier_id: &str) -> Result<Option<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT u.cccd FROM dossiers d JOIN users u ON u.id = d.user_id WHERE d.id = $1",
            )
            .bind(dossier_id)
            .fetch_optional(pool)
            .await?
            .flatten()
        }))
    }

    /// The procedure a dossier was filed under.
    pub async fn procedure_of(
        &self,
        dossier_id: &str,
    ) -> Result<crate::domain::catalog::Procedure, DbError> {
        let slug: String = with_db!(self, pool => {
            sqlx::query_scalar(
                "SELECT p.slug FROM dossiers d JOIN procedures p ON p.code = d.procedure_code WHERE d.id = $1",
            )
            .bind(dossier_id)
            .fetch_one(pool)
            .await?
        });
        self.procedure_by_slug(&slug)
            .await?
            .ok_or_else(|| DbError::Decode(format!("procedure {slug}")))
    }

    async fn dossier_view_where(
        &self,
        cond: &str,
        a: &str,
        b: &str,
    ) -> Result<Option<DossierView>, DbError> {
        type Row = (
            String,
            String,
            String,
            String,
            String,
            String,
            String,
            i64,
            i64,
            String,
            DateTime<Utc>,
            DateTime<Utc>,
            Json<Answers>,
            i64,
        );
        let sql = format!(
            "SELECT d.id, d.code, p.slug, p.name_vi, p.name_en, d.unit_code, u.kind || ':' || u.name, \
             d.status, d.channel, d.applicant_name, d.received_at, d.due_at, d.answers, d.fee_vnd \
             FROM dossiers d JOIN procedures p ON p.code = d.procedure_code \
             JOIN admin_units u ON u.code = d.unit_code WHERE {cond}"
        );
        let row: Option<Row> = with_db!(self, pool => {
            sqlx::query_as(&sql)
            .bind(a)
            .bind(b)
            .fetch_optional(pool)
            .await?
        });
        let Some((
            id,
            code,
            slug,
            name_vi,
            name_en,
            unit_code,
            unit,
            status,
            channel,
            applicant_name,
            received_at,
            due_at,
            answers,
            fee_vnd,
        )) = row
        else {
            return Ok(None);
        };
        type EventRow = (
            DateTime<Utc>,
            i64,
            String,
            Option<String>,
            Option<Json<crate::domain::filing::Said>>,
        );
        let events: Vec<EventRow> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT at, status, actor_role, note, said FROM dossier_events WHERE dossier_id = $1 ORDER BY at, id",
            )
            .bind(&id)
            .fetch_all(pool)
            .await?
        });
        let status_of = |s: i64| {
            u8::try_from(s)
                .ok()
                .and_then(DossierStatus::from_code)
                .ok_or_else(|| DbError::Decode(format!("status {s}")))
        };
        let unit_name = super::workflow::unit_display(&unit);
        let unit_name_en = super::workflow::unit_display_en(&unit);
        let payment_view = |(status, amount_vnd, provider_txn_no, settled_at)| PaymentView {
            status,
            amount_vnd,
            provider_txn_no,
            settled_at,
        };
        let payment = self.dossier_payment(&id).await?.map(payment_view);
        let duplicates = self
            .duplicate_payments(&id)
            .await?
            .into_iter()
            .map(payment_view)
            .collect();
        Ok(Some(DossierView {
            payment,
            duplicates,
            code,
            procedure_slug: slug,
            procedure_vi: name_vi,
            procedure_en: name_en,
            unit_code,
            unit_name,
            unit_name_en,
            status: status_of(status)?,
            channel: u8::try_from(channel)
                .ok()
                .and_then(Channel::from_code)
                .ok_or_else(|| DbError::Decode(format!("channel {channel}")))?,
            applicant_name,
            received_at,
            due_at,
            answers: answers.0,
            fee_vnd,
            events: events
                .into_iter()
                .map(|(at, s, actor_role, note, said)| {
                    Ok(TimelineEvent {
                        at,
                        status: status_of(s)?,
                        actor_role,
                        note,
                        said: said.map(|j| j.0),
                    })
                })
                .collect::<Result<_, DbError>>()?,
        }))
    }
}

/// The local day a UTC instant falls on in Hà Nội.
pub fn local_day(t: DateTime<Utc>) -> chrono::NaiveDate {
    crate::domain::calendar::to_local(t).date()
}

/// A local Hà Nội time as UTC.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    crate::domain::calendar::from_local(t)
}
