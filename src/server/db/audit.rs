//! The audit log: append-only and hash-chained, so an edited or deleted row is detectable.

use super::{Db, DbError, DbTx};
use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// One audit event. Never holds personal values, tokens or health content: ids and codes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// User id of the actor (none for anonymous).
    pub actor: Option<String>,
    /// Role the actor acted in (`anonymous`, `resident`, `officer`, `leader`, `admin`, `system`).
    pub actor_role: String,
    /// Unit the actor acted for.
    pub actor_unit: Option<String>,
    /// What happened (`login`, `logout`, `login_failed`, `role_granted`, `denied:<action>` …).
    pub action: String,
    /// What it happened to (a user id, a dossier id …).
    pub object: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub outcome: &'static str,
    /// A non-personal reason code.
    pub detail: Option<String>,
}

/// A stored audit row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    /// Position in the chain, from 1.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// Actor user id.
    pub actor: Option<String>,
    /// Actor role.
    pub actor_role: String,
    /// Actor unit.
    pub actor_unit: Option<String>,
    /// Action.
    pub action: String,
    /// Object.
    pub object: Option<String>,
    /// Outcome.
    pub outcome: String,
    /// Reason code.
    pub detail: Option<String>,
    /// Hash of the previous row.
    pub prev_hash: String,
    /// Hash of this row.
    pub hash: String,
}

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

fn row_hash(prev: &str, seq: i64, at: &DateTime<Utc>, e: &AuditRowFields<'_>) -> String {
    let mut h = Sha256::new();
    for part in [
        prev,
        &seq.to_string(),
        &at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
        e.actor.unwrap_or(""),
        e.actor_role,
        e.actor_unit.unwrap_or(""),
        e.action,
        e.object.unwrap_or(""),
        e.outcome,
        e.detail.unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    hex::encode(h.finalize())
}

struct AuditRowFields<'a> {
    actor: Option<&'a str>,
    actor_role: &'a str,
    actor_unit: Option<&'a str>,
    action: &'a str,
    object: Option<&'a str>,
    outcome: &'a str,
    detail: Option<&'a str>,
}

impl<'a> From<&'a AuditRow> for AuditRowFields<'a> {
    fn from(r: &'a AuditRow) -> Self {
        AuditRowFields {
            actor: r.actor.as_deref(),
            actor_role: &r.actor_role,
            actor_unit: r.actor_unit.as_deref(),
            action: &r.action,
            object: r.object.as_deref(),
            outcome: &r.outcome,
            detail: r.detail.as_deref(),
        }
    }
}

const INSERT: &str = "INSERT INTO audit_log (seq, at, actor, actor_role, actor_unit, action, object, outcome, detail, prev_hash, hash) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
const LAST: &str = "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1";

/// Reads the chain head and appends after it, on a connection or transaction that already
/// holds the writer's lock. One body for both engines; each use type-checks it on its own.
macro_rules! append {
    ($conn:expr, $at:expr, $fields:expr) => {{
        let last: Option<(i64, String)> = sqlx::query_as(LAST).fetch_optional(&mut *$conn).await?;
        let (seq, prev) = last.map(|(s, h)| (s + 1, h)).unwrap_or((1, GENESIS.into()));
        let hash = row_hash(&prev, seq, &$at, &$fields);
        sqlx::query(INSERT)
            .bind(seq)
            .bind($at)
            .bind($fields.actor)
            .bind($fields.actor_role)
            .bind($fields.actor_unit)
            .bind($fields.action)
            .bind($fields.object)
            .bind($fields.outcome)
            .bind($fields.detail)
            .bind(&prev)
            .bind(&hash)
            .execute(&mut *$conn)
            .await?;
    }};
}

impl AuditEvent {
    fn fields(&self) -> AuditRowFields<'_> {
        AuditRowFields {
            actor: self.actor.as_deref(),
            actor_role: &self.actor_role,
            actor_unit: self.actor_unit.as_deref(),
            action: &self.action,
            object: self.object.as_deref(),
            outcome: self.outcome,
            detail: self.detail.as_deref(),
        }
    }
}

/// Now, at microsecond precision: what both engines store exactly, so hashes re-verify.
fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

impl DbTx {
    /// Appends an event to the chain inside this transaction, so that a change and its audit
    /// row commit or roll back together. On SQLite call it after the transaction's first
    /// write (which took the writer's lock); on PostgreSQL an advisory lock serialises writers.
    pub async fn audit(&mut self, e: &AuditEvent) -> Result<(), DbError> {
        let (at, fields) = (now_micros(), e.fields());
        match self {
            DbTx::Pg(tx) => {
                sqlx::query("SELECT pg_advisory_xact_lock(7242001)")
                    .execute(&mut **tx)
                    .await?;
                append!((*tx), at, fields);
            }
            DbTx::Sqlite(tx) => append!((*tx), at, fields),
        }
        Ok(())
    }
}

impl Db {
    /// Appends an event to the chain. Concurrent writers are serialised (an advisory lock on
    /// PostgreSQL, the single writer on SQLite) and retried on a lost race.
    pub async fn audit(&self, e: &AuditEvent) -> Result<(), DbError> {
        let (at, fields) = (now_micros(), e.fields());
        let mut last_err = None;
        for _ in 0..8 {
            let result = match self {
                Db::Pg(pool) => {
                    async {
                        let mut tx = pool.begin().await?;
                        sqlx::query("SELECT pg_advisory_xact_lock(7242001)")
                            .execute(&mut *tx)
                            .await?;
                        append!(tx, at, fields);
                        tx.commit().await
                    }
                    .await
                }
                Db::Sqlite(pool) => {
                    // BEGIN IMMEDIATE takes the write lock first (waiting up to busy_timeout),
                    // so the read of the chain head and the append cannot interleave.
                    let mut conn = pool.acquire().await?;
                    let result = async {
                        sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
                        append!(conn, at, fields);
                        sqlx::query("COMMIT").execute(&mut *conn).await.map(|_| ())
                    }
                    .await;
                    if result.is_err() {
                        let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
                    }
                    result
                }
            };
            match result {
                Ok(()) => return Ok(()),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err
            .map(DbError::from)
            .unwrap_or_else(|| DbError::Decode("audit".into())))
    }

    /// The audit rows, oldest first.
    pub async fn audit_rows(&self) -> Result<Vec<AuditRow>, DbError> {
        Ok(super::with_db!(self, pool => {
            sqlx::query_as(
                "SELECT seq, at, actor, actor_role, actor_unit, action, object, outcome, detail, prev_hash, hash \
                 FROM audit_log ORDER BY seq",
            )
            .fetch_all(pool).await?
        }))
    }

    /// Re-computes the chain; `Err(seq)` names the first row that does not match.
    pub async fn verify_audit_chain(&self) -> Result<Result<usize, i64>, DbError> {
        let rows = self.audit_rows().await?;
        let mut prev = GENESIS.to_string();
        for (i, r) in rows.iter().enumerate() {
            let expected = row_hash(&prev, r.seq, &r.at, &r.into());
            if r.prev_hash != prev || r.hash != expected || r.seq != i as i64 + 1 {
                return Ok(Err(r.seq));
            }
            prev = r.hash.clone();
        }
        Ok(Ok(rows.len()))
    }
}
