//! Delivery of the outbox: each message becomes notification rows for the people it concerns
//! (and queued e-mail), in one transaction that also marks it delivered, so that a message is
//! delivered exactly once even with several server instances and restarts in between.

use super::{Db, DbError, with_db, with_tx};
use crate::domain::workflow::Notification;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use sqlx::types::Json;

/// An e-mail waiting to be sent.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QueuedMail {
    /// Id.
    pub id: String,
    /// Recipient.
    pub to_addr: String,
    /// Subject.
    pub subject: String,
    /// Body.
    pub body: String,
    /// Attempts so far.
    pub attempts: i64,
}

/// How an outbox message turns into e-mail text: `(subject, body)`, or none for no mail.
pub type MailText<'a> = &'a (
        dyn Fn(&str, &serde_json::Value, crate::ui::i18n::Lang) -> Option<(String, String)> + Sync
    );

/// What one delivery pass did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Delivered {
    /// Outbox messages delivered by this pass.
    pub messages: usize,
    /// People who got a new notification.
    pub users: Vec<String>,
}

type OutboxRow = (
    String,
    String,
    Option<String>,
    Json<serde_json::Value>,
    DateTime<Utc>,
);

impl Db {
    /// Delivers up to `limit` pending outbox messages. Another instance delivering the same
    /// message at the same moment makes this one skip it.
    pub async fn deliver_outbox(
        &self,
        limit: i64,
        mail_text: MailText<'_>,
        now: DateTime<Utc>,
    ) -> Result<Delivered, DbError> {
        let pending: Vec<OutboxRow> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, topic, dossier_id, payload, created_at FROM outbox \
                 WHERE delivered_at IS NULL ORDER BY created_at, id LIMIT $1",
            )
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut out = Delivered::default();
        for (id, topic, dossier_id, payload, created_at) in pending {
            let mut tx = self.begin_write().await?;
            let claimed = with_tx!(tx, t => {
                sqlx::query("UPDATE outbox SET delivered_at = $1 WHERE id = $2 AND delivered_at IS NULL")
                    .bind(now)
                    .bind(&id)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            });
            if claimed != 1 {
                tx.rollback().await?;
                continue;
            }
            // Who it concerns: the dossier's owner, or for deadline flags the ward's staff.
            let recipients: Vec<(String, Option<String>, Option<String>)> = match (
                &dossier_id,
                topic.as_str(),
            ) {
                (Some(d), "dossier.deadline" | "payment.refund_due") => with_tx!(tx, t => {
                    sqlx::query_as(
                        "SELECT DISTINCT u.id, u.email, u.lang FROM staff_roles r JOIN users u ON u.id = r.user_id \
                         JOIN dossiers d ON d.unit_code = r.unit_code WHERE d.id = $1 AND NOT u.disabled",
                    )
                    .bind(d)
                    .fetch_all(&mut **t)
                    .await?
                }),
                // An assignment: the named colleague, while they still work at the ward.
                (Some(d), "dossier.assigned") => with_tx!(tx, t => {
                    sqlx::query_as(
                        "SELECT DISTINCT u.id, u.email, u.lang FROM staff_roles r JOIN users u ON u.id = r.user_id \
                         JOIN dossiers d ON d.unit_code = r.unit_code WHERE d.id = $1 AND u.id = $2 AND NOT u.disabled",
                    )
                    .bind(d)
                    .bind(
                        crate::domain::outbox::Payload::deserialize(&payload.0)
                            .ok()
                            .and_then(|p| p.assignee),
                    )
                    .fetch_all(&mut **t)
                    .await?
                }),
                (Some(d), _) => with_tx!(tx, t => {
                    sqlx::query_as(
                        "SELECT u.id, u.email, u.lang FROM dossiers d JOIN users u ON u.id = d.user_id WHERE d.id = $1",
                    )
                    .bind(d)
                    .fetch_all(&mut **t)
                    .await?
                }),
                (None, _) => Vec::new(),
            };
            for (user, email, lang) in &recipients {
                let mail = mail_text(
                    &topic,
                    &payload.0,
                    crate::ui::i18n::Lang::from_code(lang.as_deref().unwrap_or("vi")),
                );
                with_tx!(tx, t => {
                    sqlx::query(
                        "INSERT INTO notifications (user_id, outbox_id, dossier_id, topic, payload, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (outbox_id, user_id) DO NOTHING",
                    )
                    .bind(user)
                    .bind(&id)
                    .bind(&dossier_id)
                    .bind(&topic)
                    .bind(&payload)
                    .bind(created_at)
                    .execute(&mut **t)
                    .await?;
                });
                if let (Some((subject, body)), Some(to)) =
                    (&mail, email.as_deref().filter(|e| !e.is_empty()))
                {
                    with_tx!(tx, t => {
                        sqlx::query(
                            "INSERT INTO mail_queue (id, outbox_id, to_addr, subject, body, attempts, next_attempt_at, created_at) \
                             VALUES ($1, $2, $3, $4, $5, 0, $6, $6) ON CONFLICT (outbox_id, to_addr) DO NOTHING",
                        )
                        .bind(uuid::Uuid::now_v7().to_string())
                        .bind(&id)
                        .bind(to)
                        .bind(subject)
                        .bind(body)
                        .bind(now)
                        .execute(&mut **t)
                        .await?;
                    });
                }
                if let super::DbTx::Pg(t) = &mut tx {
                    // Delivered to every instance's listener when this transaction commits.
                    sqlx::query("SELECT pg_notify('dvc_notifications', $1)")
                        .bind(user)
                        .execute(&mut **t)
                        .await?;
                }
            }
            tx.commit().await?;
            out.messages += 1;
            out.users.extend(recipients.into_iter().map(|(u, _, _)| u));
        }
        Ok(out)
    }

    /// A person's notifications after `after` (oldest first), at most `limit`.
    pub async fn notifications_after(
        &self,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, DbError> {
        self.notifications_query(
            "WHERE n.user_id = $1 AND n.seq > $2 ORDER BY n.seq LIMIT $3",
            user_id,
            after,
            limit,
        )
        .await
    }

    /// A person's latest notifications (newest first).
    pub async fn notifications_latest(
        &self,
        user_id: &str,
        limit: i64,
    ) -> Result<Vec<Notification>, DbError> {
        self.notifications_query(
            "WHERE n.user_id = $1 AND n.seq > $2 ORDER BY n.seq DESC LIMIT $3",
            user_id,
            0,
            limit,
        )
        .await
    }

    async fn notifications_query(
        &self,
        tail: &str,
        user_id: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<Notification>, DbError> {
        type Row = (
            i64,
            String,
            Json<serde_json::Value>,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
        );
        let sql = format!(
            "SELECT n.seq, n.topic, n.payload, n.created_at, n.read_at FROM notifications n {tail}"
        );
        let rows: Vec<Row> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(user_id).bind(after).bind(limit).fetch_all(pool).await?
        });
        Ok(rows
            .into_iter()
            .map(|(seq, topic, payload, at, read_at)| {
                notification(seq, topic, &payload.0, at, read_at)
            })
            .collect())
    }

    /// The newest notification number of a person (0 if none).
    pub async fn last_notification(&self, user_id: &str) -> Result<i64, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM notifications WHERE user_id = $1")
                .bind(user_id)
                .fetch_one(pool)
                .await?
        }))
    }

    /// How many unread notifications a person has.
    pub async fn unread_notifications(&self, user_id: &str) -> Result<i64, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL")
                .bind(user_id)
                .fetch_one(pool)
                .await?
        }))
    }

    /// Marks a person's notifications up to `seq` read.
    pub async fn mark_notifications_read(
        &self,
        user_id: &str,
        up_to: i64,
        now: DateTime<Utc>,
    ) -> Result<u64, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query("UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND seq <= $3 AND read_at IS NULL")
                .bind(now)
                .bind(user_id)
                .bind(up_to)
                .execute(pool)
                .await?
                .rows_affected()
        }))
    }

    /// Takes up to `limit` e-mails due now, leasing each for `lease` so that no other instance
    /// sends it meanwhile.
    pub async fn take_due_mail(
        &self,
        now: DateTime<Utc>,
        lease: chrono::Duration,
        limit: i64,
    ) -> Result<Vec<QueuedMail>, DbError> {
        let due: Vec<QueuedMail> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT id, to_addr, subject, body, attempts FROM mail_queue \
                 WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1 \
                 ORDER BY next_attempt_at LIMIT $2",
            )
            .bind(now)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        let mut taken = Vec::new();
        for m in due {
            let got = with_db!(self, pool => {
                sqlx::query(
                    "UPDATE mail_queue SET next_attempt_at = $1 WHERE id = $2 AND sent_at IS NULL \
                     AND failed_at IS NULL AND next_attempt_at <= $3",
                )
                .bind(now + lease)
                .bind(&m.id)
                .bind(now)
                .execute(pool)
                .await?
                .rows_affected()
            });
            if got == 1 {
                taken.push(m);
            }
        }
        Ok(taken)
    }

    /// Records the outcome of one sending attempt: sent, retry at `retry_at`, or given up.
    pub async fn mail_attempted(
        &self,
        id: &str,
        outcome: MailOutcome<'_>,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        let (sent, failed, next, err) = match outcome {
            MailOutcome::Sent => (Some(now), None, now, None),
            MailOutcome::Retry { at, error } => (None, None, at, Some(error)),
            MailOutcome::GiveUp { error } => (None, Some(now), now, Some(error)),
        };
        with_db!(self, pool => {
            sqlx::query(
                "UPDATE mail_queue SET attempts = attempts + 1, sent_at = $1, failed_at = $2, \
                 next_attempt_at = $3, last_error = $4 WHERE id = $5",
            )
            .bind(sent)
            .bind(failed)
            .bind(next)
            .bind(err)
            .bind(id)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Records a person's e-mail address and phone number from their identity provider.
    pub async fn set_user_contact(
        &self,
        user_id: &str,
        email: Option<&str>,
        phone: Option<&str>,
    ) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE users SET email = $1, phone = $2 WHERE id = $3")
                .bind(email)
                .bind(phone)
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Records the language (`vi`, `en`) a person reads the portal in, when it changed.
    pub async fn set_user_lang(&self, user_id: &str, lang: &str) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE users SET lang = $1 WHERE id = $2 AND (lang IS NULL OR lang <> $1)")
                .bind(lang)
                .bind(user_id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// The e-mail address and phone number the identity provider last gave for a user.
    pub async fn user_contact(
        &self,
        user_id: &str,
    ) -> Result<(Option<String>, Option<String>), DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as("SELECT email, phone FROM users WHERE id = $1")
                .bind(user_id)
                .fetch_optional(pool)
                .await?
                .unwrap_or((None, None))
        }))
    }
}

/// The result of sending one e-mail.
#[derive(Debug, Clone, Copy)]
pub enum MailOutcome<'a> {
    /// Accepted by the mail server.
    Sent,
    /// Try again at `at`.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// Why it failed this time.
        error: &'a str,
    },
    /// Refused for good.
    GiveUp {
        /// Why.
        error: &'a str,
    },
}

fn notification(
    seq: i64,
    topic: String,
    p: &serde_json::Value,
    at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
) -> Notification {
    let p = crate::domain::outbox::Payload::deserialize(p).unwrap_or_default();
    Notification {
        seq,
        status: p.status(),
        note: p.note.or(p.flag),
        act: p.act,
        unit: p.unit,
        code: p.code,
        topic,
        at,
        read: read_at.is_some(),
    }
}
