//! Fee payments of dossiers.

use super::events::Event;
use super::{Db, DbError, with_db, with_tx};
use crate::domain::outbox::Message;
use crate::domain::status::{Actor, DossierStatus};
use chrono::{DateTime, Utc};

/// A payment attempt.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Payment {
    /// Id.
    pub id: String,
    /// Dossier.
    pub dossier_id: String,
    /// Order reference sent to the gateway.
    pub txn_ref: String,
    /// Amount in đồng.
    pub amount_vnd: i64,
    /// `pending`, `paid` or `failed`.
    pub status: String,
    /// `fee` (the dossier's fee at filing) or `requested` (asked for during processing).
    pub purpose: String,
}

/// What the gateway's notice says.
pub struct Settlement<'a> {
    /// Paid (else failed or cancelled).
    pub paid: bool,
    /// The gateway's transaction number.
    pub provider_txn_no: &'a str,
    /// Bank.
    pub bank_code: &'a str,
    /// Gateway response code.
    pub response_code: &'a str,
    /// When the notice arrived.
    pub at: DateTime<Utc>,
}

/// What the gateway's notice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Settled {
    /// The fee is paid.
    Paid,
    /// The attempt failed or was cancelled.
    Failed,
    /// Money taken for a fee no longer owed: kept to refund.
    Duplicate,
    /// The attempt was settled before (a replayed or twin notice).
    AlreadySettled,
}

/// `(status, amount, provider transaction, settled at)` of an attempt.
pub type PaymentRow = (String, i64, Option<String>, Option<DateTime<Utc>>);

impl Db {
    /// A payment by its order reference.
    pub async fn payment_by_ref(&self, txn_ref: &str) -> Result<Option<Payment>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as("SELECT id, dossier_id, txn_ref, amount_vnd, status, purpose FROM payments WHERE txn_ref = $1")
                .bind(txn_ref)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The attempt to send the browser to the gateway with: the dossier's live pending attempt
    /// for the same fee (opened a moment ago in another tab, so both tabs pay one order), else
    /// a new one. `live_since`: attempts created before it may have expired at the gateway.
    /// Answers the attempt and when it was created (the payment page's start and expiry).
    pub async fn payment_attempt(
        &self,
        dossier_code: &str,
        amount_vnd: i64,
        purpose: &str,
        live_since: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<(Payment, DateTime<Utc>), DbError> {
        let mut tx = self.begin_write().await?;
        // Two tabs asking at the same instant queue on the dossier row (SQLite: the writer's
        // lock taken by `begin_write`).
        let dossier_id: String = match &mut tx {
            super::DbTx::Sqlite(t) => {
                sqlx::query_scalar("SELECT id FROM dossiers WHERE code = $1")
                    .bind(dossier_code)
                    .fetch_one(&mut **t)
                    .await?
            }
            super::DbTx::Pg(t) => {
                sqlx::query_scalar("SELECT id FROM dossiers WHERE code = $1 FOR UPDATE")
                    .bind(dossier_code)
                    .fetch_one(&mut **t)
                    .await?
            }
        };
        let live: Option<(String, String, DateTime<Utc>)> = with_tx!(tx, t => {
            sqlx::query_as(
                "SELECT id, txn_ref, created_at FROM payments WHERE dossier_id = $1 AND purpose = $2 \
                 AND amount_vnd = $3 AND status = 'pending' AND created_at > $4 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(&dossier_id)
            .bind(purpose)
            .bind(amount_vnd)
            .bind(live_since)
            .fetch_optional(&mut **t)
            .await?
        });
        if let Some((id, txn_ref, created_at)) = live {
            tx.rollback().await?;
            let p = Payment {
                id,
                dossier_id,
                txn_ref,
                amount_vnd,
                status: "pending".into(),
                purpose: purpose.into(),
            };
            return Ok((p, created_at));
        }
        let p = Payment {
            id: uuid::Uuid::now_v7().to_string(),
            dossier_id,
            // Letters and digits only, as gateways expect of an order reference.
            txn_ref: uuid::Uuid::new_v4().simple().to_string()[..20].to_string(),
            amount_vnd,
            status: "pending".into(),
            purpose: purpose.into(),
        };
        with_tx!(tx, t => {
            sqlx::query(
                "INSERT INTO payments (id, dossier_id, txn_ref, amount_vnd, status, created_at, purpose) \
                 VALUES ($1, $2, $3, $4, 'pending', $5, $6)",
            )
            .bind(&p.id)
            .bind(&p.dossier_id)
            .bind(&p.txn_ref)
            .bind(p.amount_vnd)
            .bind(now)
            .bind(&p.purpose)
            .execute(&mut **t)
            .await?;
        });
        tx.commit().await?;
        Ok((p, now))
    }

    /// Settles a pending attempt in one transaction with its timeline note and outbox message.
    ///
    /// Money taken for a fee that is no longer owed — the filing fee already paid by another
    /// attempt, or a fee asked for during processing that the dossier no longer waits for — is
    /// recorded as a duplicate to refund, never as a second payment.
    pub async fn settle_payment(
        &self,
        p: &Payment,
        s: &Settlement<'_>,
    ) -> Result<Settled, DbError> {
        let mut tx = self.begin_write().await?;
        // Notices for two attempts of one dossier queue on the dossier row.
        let dossier_status: i64 = match &mut tx {
            super::DbTx::Sqlite(t) => {
                sqlx::query_scalar("SELECT status FROM dossiers WHERE id = $1")
                    .bind(&p.dossier_id)
                    .fetch_one(&mut **t)
                    .await?
            }
            super::DbTx::Pg(t) => {
                sqlx::query_scalar("SELECT status FROM dossiers WHERE id = $1 FOR UPDATE")
                    .bind(&p.dossier_id)
                    .fetch_one(&mut **t)
                    .await?
            }
        };
        let owed = match p.purpose.as_str() {
            "requested" => {
                dossier_status
                    == i64::from(crate::domain::status::DossierStatus::PaymentRequested.code())
            }
            _ => {
                let paid: i64 = with_tx!(tx, t => {
                    sqlx::query_scalar(
                        "SELECT COUNT(*) FROM payments WHERE dossier_id = $1 AND purpose = 'fee' AND status = 'paid' AND id <> $2",
                    )
                    .bind(&p.dossier_id)
                    .bind(&p.id)
                    .fetch_one(&mut **t)
                    .await?
                });
                paid == 0
            }
        };
        let outcome = match (s.paid, owed) {
            (false, _) => Settled::Failed,
            (true, true) => Settled::Paid,
            (true, false) => Settled::Duplicate,
        };
        let status = match outcome {
            Settled::Paid => "paid",
            Settled::Duplicate => "duplicate",
            _ => "failed",
        };
        let txn_no = (!s.provider_txn_no.is_empty()).then_some(s.provider_txn_no);
        let moved = with_tx!(tx, t => {
            sqlx::query(
                "UPDATE payments SET status = $1, provider_txn_no = $2, bank_code = $3, response_code = $4, settled_at = $5 \
                 WHERE id = $6 AND status = 'pending'",
            )
            .bind(status)
            .bind(if s.paid { txn_no } else { None })
            .bind(s.bank_code)
            .bind(s.response_code)
            .bind(s.at)
            .bind(&p.id)
            .execute(&mut **t)
            .await?
            .rows_affected()
        });
        if moved != 1 {
            tx.rollback().await?;
            return Ok(Settled::AlreadySettled);
        }
        if outcome == Settled::Failed {
            tx.commit().await?;
            return Ok(outcome);
        }
        let (code, unit): (String, String) = with_tx!(tx, t => {
            sqlx::query_as("SELECT code, unit_code FROM dossiers WHERE id = $1")
                .bind(&p.dossier_id)
                .fetch_one(&mut **t)
                .await?
        });
        if outcome == Settled::Duplicate {
            // The resident and the ward's staff are told; the dossier itself does not move.
            let txn = s.provider_txn_no;
            let owner = Message::duplicate(&code, &p.id, p.amount_vnd, txn, None);
            tx.enqueue(&p.dossier_id, &owner, s.at).await?;
            let ward = Message::duplicate(&code, &p.id, p.amount_vnd, txn, Some(&unit));
            tx.enqueue(&p.dossier_id, &ward, s.at).await?;
            tx.commit().await?;
            return Ok(outcome);
        }
        // A fee asked for during processing: paying it lets processing carry on (6 → 4).
        let resumed = p.purpose == "requested"
            && with_tx!(tx, t => {
                sqlx::query("UPDATE dossiers SET status = 4, updated_at = $1 WHERE id = $2 AND status = 6")
                    .bind(s.at)
                    .bind(&p.dossier_id)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            }) == 1;
        let said = crate::domain::filing::Said::Paid {
            amount_vnd: p.amount_vnd,
            txn: s.provider_txn_no.to_string(),
        };
        let status: i64 = with_tx!(tx, t => {
            sqlx::query_scalar("SELECT status FROM dossiers WHERE id = $1")
                .bind(&p.dossier_id)
                .fetch_one(&mut **t)
                .await?
        });
        tx.append_event(&Event {
            dossier_id: &p.dossier_id,
            at: s.at,
            status: u8::try_from(status)
                .ok()
                .and_then(DossierStatus::from_code)
                .ok_or_else(|| DbError::Decode(format!("status {status}")))?,
            actor: Actor::System,
            actor_id: None,
            note: None,
            said: Some(&said),
        })
        .await?;
        let m = Message::paid(&code, &p.id, p.amount_vnd, resumed);
        tx.enqueue(&p.dossier_id, &m, s.at).await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// Money the gateway took for a fee already paid, to be refunded, oldest first.
    pub async fn duplicate_payments(&self, dossier_id: &str) -> Result<Vec<PaymentRow>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT status, amount_vnd, provider_txn_no, settled_at FROM payments \
                 WHERE dossier_id = $1 AND status = 'duplicate' ORDER BY settled_at, id",
            )
            .bind(dossier_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Whether the dossier's filing fee has been paid.
    pub async fn fee_paid(&self, dossier_id: &str) -> Result<bool, DbError> {
        let n: i64 = with_db!(self, pool => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM payments WHERE dossier_id = $1 AND purpose = 'fee' AND status = 'paid'",
            )
            .bind(dossier_id)
            .fetch_one(pool)
            .await?
        });
        Ok(n > 0)
    }

    /// The paid attempt of a dossier, else its latest attempt (duplicates aside).
    pub async fn dossier_payment(&self, dossier_id: &str) -> Result<Option<PaymentRow>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT status, amount_vnd, provider_txn_no, settled_at FROM payments WHERE dossier_id = $1 \
                 AND status <> 'duplicate' ORDER BY CASE status WHEN 'paid' THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1",
            )
            .bind(dossier_id)
            .fetch_optional(pool)
            .await?
        }))
    }
}
