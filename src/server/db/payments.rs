//! Fee payments of dossiers.

use super::{Db, DbError, with_db, with_tx};
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

    /// A new pending attempt for the dossier with this code; `purpose` is `fee` or `requested`.
    pub async fn create_payment(
        &self,
        dossier_code: &str,
        amount_vnd: i64,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Payment, DbError> {
        let dossier_id: String = with_db!(self, pool => {
            sqlx::query_scalar("SELECT id FROM dossiers WHERE code = $1")
                .bind(dossier_code)
                .fetch_one(pool)
                .await?
        });
        let p = Payment {
            id: uuid::Uuid::now_v7().to_string(),
            dossier_id,
            // Letters and digits only, as gateways expect of an order reference.
            txn_ref: uuid::Uuid::new_v4().simple().to_string()[..20].to_string(),
            amount_vnd,
            status: "pending".into(),
            purpose: purpose.into(),
        };
        with_db!(self, pool => {
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
            .execute(pool)
            .await?;
        });
        Ok(p)
    }

    /// Settles a pending payment in one transaction with its timeline note and outbox message.
    /// False when it was no longer pending (a replayed or twin notice).
    pub async fn settle_payment(&self, p: &Payment, s: &Settlement<'_>) -> Result<bool, DbError> {
        let mut tx = self.begin_write().await?;
        let status = if s.paid { "paid" } else { "failed" };
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
            return Ok(false);
        }
        // A fee asked for during processing: paying it lets processing carry on (6 → 4).
        let resumed = if s.paid && p.purpose == "requested" {
            with_tx!(tx, t => {
                sqlx::query("UPDATE dossiers SET status = 4, updated_at = $1 WHERE id = $2 AND status = 6")
                    .bind(s.at)
                    .bind(&p.dossier_id)
                    .execute(&mut **t)
                    .await?
                    .rows_affected()
            }) == 1
        } else {
            false
        };
        if s.paid {
            let note = format!(
                "Đã thanh toán phí, lệ phí {} qua cổng thanh toán (mã giao dịch {}).",
                crate::domain::money::Vnd(p.amount_vnd).format_vi(),
                s.provider_txn_no
            );
            with_tx!(tx, t => {
                sqlx::query(
                    "INSERT INTO dossier_events (id, dossier_id, at, status, actor_role, actor_id, note) \
                     SELECT $1, id, $2, status, 'system', NULL, $3 FROM dossiers WHERE id = $4",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(s.at)
                .bind(&note)
                .bind(&p.dossier_id)
                .execute(&mut **t)
                .await?;
            });
            let code: String = with_tx!(tx, t => {
                sqlx::query_scalar("SELECT code FROM dossiers WHERE id = $1")
                    .bind(&p.dossier_id)
                    .fetch_one(&mut **t)
                    .await?
            });
            let payload = if resumed {
                serde_json::json!({ "payment": p.id, "amount_vnd": p.amount_vnd, "code": code, "status": 4, "from": 6 })
            } else {
                serde_json::json!({ "payment": p.id, "amount_vnd": p.amount_vnd, "code": code })
            };
            with_tx!(tx, t => {
                sqlx::query(
                    "INSERT INTO outbox (id, topic, dossier_id, payload, created_at) VALUES ($1, 'payment.confirmed', $2, $3, $4)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(&p.dossier_id)
                .bind(sqlx::types::Json(&payload))
                .bind(s.at)
                .execute(&mut **t)
                .await?;
            });
        }
        tx.commit().await?;
        Ok(true)
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

    /// The latest payment attempt of a dossier, and the paid one if any:
    /// `(status, amount, provider transaction, settled at)`.
    pub async fn dossier_payment(
        &self,
        dossier_id: &str,
    ) -> Result<Option<(String, i64, Option<String>, Option<DateTime<Utc>>)>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as(
                "SELECT status, amount_vnd, provider_txn_no, settled_at FROM payments WHERE dossier_id = $1 \
                 ORDER BY CASE status WHEN 'paid' THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 1",
            )
            .bind(dossier_id)
            .fetch_optional(pool)
            .await?
        }))
    }
}
