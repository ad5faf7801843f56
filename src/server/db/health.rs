//! What the portal keeps of the health record: the resident's consent, the access log they
//! read, and their share links. Never a clinical value.

use super::{Db, DbError, with_db};
use chrono::{DateTime, Utc};

/// The resident's current consent, if they gave one and have not withdrawn it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HealthConsent {
    /// Version of the notice they agreed to.
    pub version: String,
    /// When.
    pub given_at: DateTime<Utc>,
}

/// One row of a record's access log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HealthAccess {
    /// Position in the log.
    pub seq: i64,
    /// When.
    pub at: DateTime<Utc>,
    /// The account that acted (none for someone who opened a share link).
    pub actor_id: Option<String>,
    /// `self`, `parent` or `share`.
    pub actor_kind: String,
    /// What happened (`read_overview`, `export_fhir`, `share_opened` …).
    pub event: String,
    /// What it happened to (a visit id, a share id).
    pub object: Option<String>,
    /// For a share opened: the name the recipient gave (their own words).
    pub recipient: Option<String>,
}

/// A row to add to a record's access log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewHealthAccess<'a> {
    /// Whose record (their ID number).
    pub subject: &'a str,
    /// The account that acted.
    pub actor_id: Option<&'a str>,
    /// `self`, `parent` or `share`.
    pub actor_kind: &'a str,
    /// What happened.
    pub event: &'a str,
    /// What it happened to.
    pub object: Option<&'a str>,
    /// The recipient's stated name.
    pub recipient: Option<&'a str>,
}

/// Ends the consent in force of user `$2` at `$1`.
const END_CONSENT: &str =
    "UPDATE health_consents SET withdrawn_at = $1 WHERE user_id = $2 AND withdrawn_at IS NULL";

impl Db {
    /// The resident's consent in force (the latest one given and not withdrawn).
    pub async fn health_consent(&self, user_id: &str) -> Result<Option<HealthConsent>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT version, given_at FROM health_consents \
                 WHERE user_id = $1 AND withdrawn_at IS NULL ORDER BY given_at DESC LIMIT 1",
            )
            .bind(user_id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// Records consent to `version` of the notice (ending any earlier one).
    pub async fn give_health_consent(
        &self,
        user_id: &str,
        version: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                END_CONSENT,
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO health_consents (id, user_id, version, given_at) VALUES ($1, $2, $3, $4)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(user_id)
            .bind(version)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
        });
        Ok(())
    }

    /// Withdraws the resident's consent and revokes every share link they made that still
    /// works, at once and together. Answers how many links were revoked.
    pub async fn withdraw_health_consent(
        &self,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, DbError> {
        Ok(with_db!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query(
                END_CONSENT,
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            let revoked = sqlx::query(
                "UPDATE health_shares SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL \
                 AND expires_at > $1 AND attempts_left > 0",
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            tx.commit().await?;
            revoked
        }))
    }

    /// Adds a row to a record's access log.
    pub async fn log_health_access(
        &self,
        row: &NewHealthAccess<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query(
                "INSERT INTO health_access (subject, at, actor_id, actor_kind, event, object, recipient) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(row.subject)
            .bind(now)
            .bind(row.actor_id)
            .bind(row.actor_kind)
            .bind(row.event)
            .bind(row.object)
            .bind(row.recipient)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The latest `limit` rows of a record's access log, newest first.
    pub async fn health_access_log(
        &self,
        subject: &str,
        limit: i64,
    ) -> Result<Vec<HealthAccess>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT seq, at, actor_id, actor_kind, event, object, recipient FROM health_access \
                 WHERE subject = $1 ORDER BY seq DESC LIMIT $2",
            )
            .bind(subject)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }))
    }
}

/// A share link as the server keeps it: never its key.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct HealthShare {
    /// Its id (shown in the resident's list, used to revoke it).
    pub id: String,
    /// Who made it.
    pub user_id: String,
    /// Whose record (ID number).
    pub subject: String,
    /// `summary` or `vaccinations`.
    pub scope: String,
    /// The resident's own name for it.
    pub label: String,
    /// Hash of the manifest token.
    pub manifest_hash: String,
    /// Salted, stretched hash of the passcode.
    pub passcode_hash: String,
    /// Wrong passcodes it still survives.
    pub attempts_left: i64,
    /// Made at.
    pub created_at: DateTime<Utc>,
    /// Dead after.
    pub expires_at: DateTime<Utc>,
    /// Revoked at.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The encrypted file (JWE compact).
    pub file_jwe: String,
}

const SHARE_COLUMNS: &str = "id, user_id, subject, scope, label, manifest_hash, passcode_hash, \
     attempts_left, created_at, expires_at, revoked_at, file_jwe";

impl Db {
    /// Keeps a new share link.
    pub async fn create_health_share(&self, s: &HealthShare) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query(&format!(
                "INSERT INTO health_shares ({SHARE_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            ))
            .bind(&s.id)
            .bind(&s.user_id)
            .bind(&s.subject)
            .bind(&s.scope)
            .bind(&s.label)
            .bind(&s.manifest_hash)
            .bind(&s.passcode_hash)
            .bind(s.attempts_left)
            .bind(s.created_at)
            .bind(s.expires_at)
            .bind(s.revoked_at)
            .bind(&s.file_jwe)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// The share links a resident made, newest first.
    pub async fn health_shares_of(&self, user_id: &str) -> Result<Vec<HealthShare>, DbError> {
        let sql = format!(
            "SELECT {SHARE_COLUMNS} FROM health_shares WHERE user_id = $1 ORDER BY created_at DESC"
        );
        Ok(with_db!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).fetch_all(pool).await?
        }))
    }

    /// Revokes one of a resident's links at once; `None` when they have no such link, else
    /// its subject.
    pub async fn revoke_health_share(
        &self,
        user_id: &str,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar(
                "UPDATE health_shares SET revoked_at = COALESCE(revoked_at, $1) \
                 WHERE user_id = $2 AND id = $3 RETURNING subject",
            )
            .bind(now)
            .bind(user_id)
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// A link by its manifest token's hash, if it is still active at `now`.
    pub async fn active_health_share(
        &self,
        manifest_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HealthShare>, DbError> {
        self.active_share_where("manifest_hash", manifest_hash, now)
            .await
    }

    /// A link by its id, if it is still active at `now` (a file location handed out by its
    /// manifest).
    pub async fn active_health_share_by_id(
        &self,
        id: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HealthShare>, DbError> {
        self.active_share_where("id", id, now).await
    }

    /// The link whose `column` (`id` or `manifest_hash`) is `value`, if not revoked, expired or
    /// out of attempts.
    async fn active_share_where(
        &self,
        column: &'static str,
        value: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<HealthShare>, DbError> {
        let sql = format!(
            "SELECT {SHARE_COLUMNS} FROM health_shares WHERE {column} = $1 \
             AND revoked_at IS NULL AND expires_at > $2 AND attempts_left > 0"
        );
        Ok(with_db!(self, pool => {
            sqlx::query_as(&sql).bind(value).bind(now).fetch_optional(pool).await?
        }))
    }

    /// Counts a wrong passcode against a link, atomically (parallel attempts each cost one);
    /// answers the attempts left, or `None` when none were left to spend.
    pub async fn spend_health_share_attempt(&self, id: &str) -> Result<Option<i64>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar(
                "UPDATE health_shares SET attempts_left = attempts_left - 1 \
                 WHERE id = $1 AND attempts_left > 0 RETURNING attempts_left",
            )
            .bind(id)
            .fetch_optional(pool)
            .await?
        }))
    }
}
