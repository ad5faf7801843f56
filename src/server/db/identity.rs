//! Users, staff roles, sessions and pending logins.

use super::audit::AuditEvent;
use super::{Db, DbError, with_db, with_tx};
use chrono::{DateTime, NaiveDate, Utc};

/// What the identity provider told us about a person at login.
#[derive(Debug, Clone)]
pub struct ProviderIdentity {
    /// Issuer URL.
    pub issuer: String,
    /// Subject at that issuer.
    pub subject: String,
    /// Full name.
    pub name: String,
    /// Personal ID number, if the provider released it.
    pub cccd: Option<String>,
    /// Date of birth.
    pub birthdate: Option<NaiveDate>,
    /// Address as one line.
    pub address: Option<String>,
    /// Identity level (1 or 2).
    pub identity_level: i64,
    /// People this person legally represents (children under 14 …).
    pub dependents: Vec<Dependent>,
}

/// Someone the person legally represents, as the identity provider states it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Dependent {
    /// Their personal ID number.
    pub cccd: String,
    /// Full name.
    pub name: String,
    /// Date of birth (ISO).
    pub birthdate: Option<String>,
    /// Relationship (`con`, …).
    pub relationship: Option<String>,
}

/// A stored user.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct UserRow {
    /// Our id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Personal ID number.
    pub cccd: Option<String>,
    /// Date of birth.
    pub birthdate: Option<NaiveDate>,
    /// Address.
    pub address: Option<String>,
    /// Identity level at the last login.
    pub identity_level: i64,
    /// Administrator.
    pub is_admin: bool,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// People this person represents.
    pub dependents: sqlx::types::Json<Vec<Dependent>>,
}

/// A staff role at one unit.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleRow {
    /// Unit code.
    pub unit_code: String,
    /// `officer` or `leader`.
    pub role: String,
}

/// A live session joined with its user.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    /// User id.
    pub user_id: String,
    /// Staff session (shorter idle timeout).
    pub staff: bool,
    /// Identity level of this login.
    pub identity_level: i64,
    /// When the person last authenticated at the provider.
    pub auth_time: DateTime<Utc>,
    /// ID token, kept server-side for the provider logout.
    pub id_token: String,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last request.
    pub last_seen_at: DateTime<Utc>,
    /// User's name.
    pub name: String,
    /// Administrator.
    pub is_admin: bool,
    /// Disabled.
    pub disabled: bool,
    /// When the health record last opened in this session.
    pub health_opened_at: Option<DateTime<Utc>>,
    /// The session's last health read.
    pub health_seen_at: Option<DateTime<Utc>>,
}

/// A login begun at `/auth/login`, waiting for the provider's answer.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LoginAttempt {
    /// Hash of the browser-binding cookie.
    pub browser_hash: String,
    /// Nonce sent to the provider.
    pub nonce: String,
    /// PKCE verifier.
    pub pkce_verifier: String,
    /// Where to go afterwards.
    pub return_to: String,
    /// Whether this was a step-up login.
    pub step_up: bool,
    /// Started.
    pub created_at: DateTime<Utc>,
}

impl Db {
    /// Creates or updates the user for `(issuer, subject)` and returns it.
    pub async fn upsert_user(
        &self,
        p: &ProviderIdentity,
        now: DateTime<Utc>,
    ) -> Result<UserRow, DbError> {
        let id = uuid::Uuid::now_v7().to_string();
        let row: UserRow = with_db!(self, pool => {
            sqlx::query_as(
                "INSERT INTO users (id, issuer, subject, name, cccd, birthdate, address, identity_level, \
                   is_admin, disabled, created_at, last_login_at, dependents) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, FALSE, FALSE, $9, $9, $10) \
                 ON CONFLICT (issuer, subject) DO UPDATE SET name = excluded.name, cccd = excluded.cccd, \
                   birthdate = excluded.birthdate, address = excluded.address, \
                   identity_level = excluded.identity_level, last_login_at = excluded.last_login_at, \
                   dependents = excluded.dependents \
                 RETURNING id, name, cccd, birthdate, address, identity_level, is_admin, disabled, dependents",
            )
            .bind(&id).bind(&p.issuer).bind(&p.subject).bind(&p.name).bind(&p.cccd)
            .bind(p.birthdate).bind(&p.address).bind(p.identity_level).bind(now)
            .bind(sqlx::types::Json(&p.dependents))
            .fetch_one(pool).await?
        });
        Ok(row)
    }

    /// The user with this id.
    pub async fn user(&self, id: &str) -> Result<Option<UserRow>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, cccd, birthdate, address, identity_level, is_admin, disabled, dependents FROM users WHERE id = $1",
            )
            .bind(id).fetch_optional(pool).await?
        }))
    }

    /// The user with this ID number (staff management looks people up by it).
    pub async fn user_by_cccd(&self, cccd: &str) -> Result<Option<UserRow>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, cccd, birthdate, address, identity_level, is_admin, disabled, dependents FROM users \
                 WHERE cccd = $1 ORDER BY last_login_at DESC LIMIT 1",
            )
            .bind(cccd).fetch_optional(pool).await?
        }))
    }

    /// Staff roles of a user.
    pub async fn roles(&self, user_id: &str) -> Result<Vec<RoleRow>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as("SELECT unit_code, role FROM staff_roles WHERE user_id = $1 ORDER BY unit_code, role")
                .bind(user_id).fetch_all(pool).await?
        }))
    }

    /// Grants a staff role at a unit (idempotent), with its audit row, in one transaction.
    pub async fn grant_role(
        &self,
        user_id: &str,
        unit: &str,
        role: &str,
        now: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> Result<(), DbError> {
        let by = audit.actor.as_deref().unwrap_or("system");
        let mut tx = self.begin().await?;
        with_tx!(tx, t => {
            sqlx::query(
                "INSERT INTO staff_roles (user_id, unit_code, role, granted_by, granted_at) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (user_id, unit_code, role) DO NOTHING",
            )
            .bind(user_id).bind(unit).bind(role).bind(by).bind(now)
            .execute(&mut **t).await?.rows_affected()
        });
        tx.audit(audit).await?;
        tx.commit().await
    }

    /// Removes a staff role, with its audit row, in one transaction; true when there was one.
    pub async fn revoke_role(
        &self,
        user_id: &str,
        unit: &str,
        role: &str,
        audit: &AuditEvent,
    ) -> Result<bool, DbError> {
        let mut tx = self.begin().await?;
        let n = with_tx!(tx, t => {
            sqlx::query("DELETE FROM staff_roles WHERE user_id = $1 AND unit_code = $2 AND role = $3")
                .bind(user_id).bind(unit).bind(role).execute(&mut **t).await?.rows_affected()
        });
        tx.audit(audit).await?;
        tx.commit().await?;
        Ok(n > 0)
    }

    /// Sets the administrator flag.
    pub async fn set_admin(&self, user_id: &str, admin: bool) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE users SET is_admin = $2 WHERE id = $1").bind(user_id).bind(admin).execute(pool).await?.rows_affected()
        });
        Ok(())
    }

    /// Disables or re-enables an account, with its audit row, in one transaction. Disabling
    /// ends all its sessions in that same transaction. False when there is no such user.
    pub async fn set_disabled(
        &self,
        user_id: &str,
        disabled: bool,
        audit: &AuditEvent,
    ) -> Result<bool, DbError> {
        let mut tx = self.begin().await?;
        let n = with_tx!(tx, t => {
            let n = sqlx::query("UPDATE users SET disabled = $2 WHERE id = $1")
                .bind(user_id).bind(disabled).execute(&mut **t).await?.rows_affected();
            if disabled {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut **t).await?;
            }
            n
        });
        if n == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.audit(audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The enabled staff of one unit, in alphabetical order without regard to diacritics
    /// (the same on either engine): (user id, name, roles there).
    pub async fn unit_staff(
        &self,
        unit: &str,
    ) -> Result<Vec<(String, String, Vec<String>)>, DbError> {
        let rows: Vec<(String, String, String)> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT u.id, u.name, r.role FROM staff_roles r JOIN users u ON u.id = r.user_id \
                 WHERE r.unit_code = $1 AND NOT u.disabled ORDER BY u.id, r.role",
            )
            .bind(unit).fetch_all(pool).await?
        });
        let mut out: Vec<(String, String, Vec<String>)> = Vec::new();
        for (id, name, role) in rows {
            match out.last_mut() {
                Some(last) if last.0 == id => last.2.push(role),
                _ => out.push((id, name, vec![role])),
            }
        }
        out.sort_by_cached_key(|(id, name, _)| {
            (crate::domain::text::fold(name), name.clone(), id.clone())
        });
        Ok(out)
    }

    /// Every user with a staff role or the administrator flag, with their roles.
    pub async fn staff(&self) -> Result<Vec<(UserRow, Vec<RoleRow>)>, DbError> {
        let users: Vec<UserRow> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, name, cccd, birthdate, address, identity_level, is_admin, disabled, dependents FROM users u \
                 WHERE is_admin OR EXISTS (SELECT 1 FROM staff_roles r WHERE r.user_id = u.id) ORDER BY name",
            )
            .fetch_all(pool).await?
        });
        let mut out = Vec::with_capacity(users.len());
        for u in users {
            let roles = self.roles(&u.id).await?;
            out.push((u, roles));
        }
        Ok(out)
    }

    /// Stores a new session under the hash of its id.
    #[allow(clippy::too_many_arguments)] // one column each; a struct would only rename them
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: &str,
        staff: bool,
        identity_level: i64,
        auth_time: DateTime<Utc>,
        id_token: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query(
                "INSERT INTO sessions (id_hash, user_id, staff, identity_level, auth_time, id_token, created_at, last_seen_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
            )
            .bind(id_hash).bind(user_id).bind(staff).bind(identity_level).bind(auth_time).bind(id_token).bind(now)
            .execute(pool).await?.rows_affected()
        });
        Ok(())
    }

    /// The session with this id hash, with its user.
    pub async fn session(&self, id_hash: &str) -> Result<Option<SessionRow>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT s.user_id, s.staff, s.identity_level, s.auth_time, s.id_token, s.created_at, s.last_seen_at, \
                   u.name, u.is_admin, u.disabled, s.health_opened_at, s.health_seen_at \
                 FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1",
            )
            .bind(id_hash).fetch_optional(pool).await?
        }))
    }

    /// Records a health read of a session: the record open since `opened_at`, read at `now`.
    pub async fn touch_health_window(
        &self,
        id_hash: &str,
        opened_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE sessions SET health_opened_at = $2, health_seen_at = $3 WHERE id_hash = $1")
                .bind(id_hash)
                .bind(opened_at)
                .bind(now)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records activity on a session.
    pub async fn touch_session(&self, id_hash: &str, now: DateTime<Utc>) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id_hash = $1").bind(id_hash).bind(now).execute(pool).await?.rows_affected()
        });
        Ok(())
    }

    /// Ends a session; returns its ID token (for the provider logout) if it existed.
    pub async fn delete_session(&self, id_hash: &str) -> Result<Option<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar("DELETE FROM sessions WHERE id_hash = $1 RETURNING id_token")
                .bind(id_hash).fetch_optional(pool).await?
        }))
    }

    /// Records the provider's session id (`sid`) of a login's session.
    pub async fn set_session_provider_sid(&self, id_hash: &str, sid: &str) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE sessions SET provider_sid = $1 WHERE id_hash = $2")
                .bind(sid)
                .bind(id_hash)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Ends every session of one user (sign-out on every device); answers how many.
    pub async fn delete_user_sessions(&self, user_id: &str) -> Result<u64, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Ends the sessions a provider's logout names: those of its session `sid`, or with no
    /// `sid` every session of its subject. Answers the users whose sessions ended.
    pub async fn end_provider_sessions(
        &self,
        issuer: &str,
        subject: Option<&str>,
        sid: Option<&str>,
    ) -> Result<Vec<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar(
                "DELETE FROM sessions WHERE user_id IN \
                 (SELECT id FROM users WHERE issuer = $1 AND (CAST($2 AS TEXT) IS NULL OR subject = $2)) \
                 AND (CAST($3 AS TEXT) IS NULL OR provider_sid = $3) RETURNING user_id",
            )
            .bind(issuer)
            .bind(subject)
            .bind(sid)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Remembers a logout token's `jti`; false when it was seen before (a replay).
    pub async fn first_use_of_logout_token(
        &self,
        jti: &str,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let n = with_db!(self, pool => {
            sqlx::query("INSERT INTO logout_tokens (jti, issuer, seen_at) VALUES ($1, $2, $3) ON CONFLICT (jti) DO NOTHING")
                .bind(jti)
                .bind(issuer)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Forgets logout tokens older than `before` (their `iat` is long refused by then).
    pub async fn sweep_logout_tokens(&self, before: DateTime<Utc>) -> Result<u64, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query("DELETE FROM logout_tokens WHERE seen_at < $1")
                .bind(before)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Number of sessions (tests and monitoring).
    pub async fn session_count(&self) -> Result<i64, DbError> {
        Ok(
            with_db!(self, pool => sqlx::query_scalar("SELECT COUNT(*) FROM sessions").fetch_one(pool).await?),
        )
    }

    /// Remembers a login begun in this browser.
    pub async fn create_login_attempt(&self, state: &str, a: &LoginAttempt) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query(
                "INSERT INTO login_attempts (state, browser_hash, nonce, pkce_verifier, return_to, step_up, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(state).bind(&a.browser_hash).bind(&a.nonce).bind(&a.pkce_verifier).bind(&a.return_to)
            .bind(a.step_up).bind(a.created_at)
            .execute(pool).await?.rows_affected()
        });
        Ok(())
    }

    /// Takes (and deletes) the login attempt for `state`: each one can be used once.
    pub async fn take_login_attempt(&self, state: &str) -> Result<Option<LoginAttempt>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "DELETE FROM login_attempts WHERE state = $1 \
                 RETURNING browser_hash, nonce, pkce_verifier, return_to, step_up, created_at",
            )
            .bind(state).fetch_optional(pool).await?
        }))
    }

    /// Deletes sessions and login attempts older than the given instants.
    pub async fn sweep_sessions(
        &self,
        idle_before: DateTime<Utc>,
        created_before: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
                .bind(idle_before).bind(created_before).execute(pool).await?;
            sqlx::query("DELETE FROM login_attempts WHERE created_at < $1").bind(idle_before).execute(pool).await?.rows_affected()
        });
        Ok(())
    }
}
