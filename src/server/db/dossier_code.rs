//! Dossier-code allocation: gap-free, duplicate-free sequence numbers per unit per day.

use super::{Db, DbError};
use crate::domain::dossier_code::DossierCode;
use chrono::NaiveDate;
use sqlx::{Postgres, Sqlite, Transaction};

/// An open transaction on either engine. Work that must be all-or-nothing (creating a
/// dossier with its code, answers and first timeline event) runs inside one.
pub enum DbTx {
    /// SQLite transaction.
    Sqlite(Transaction<'static, Sqlite>),
    /// PostgreSQL transaction.
    Pg(Transaction<'static, Postgres>),
}

const NEXT_SEQ: &str = "INSERT INTO dossier_code_counters (unit_id, day, last_seq) VALUES ($1, $2, 1) \
     ON CONFLICT (unit_id, day) DO UPDATE SET last_seq = dossier_code_counters.last_seq + 1 \
     RETURNING last_seq";

impl Db {
    /// Starts a transaction.
    pub async fn begin(&self) -> Result<DbTx, DbError> {
        Ok(match self {
            Db::Sqlite(p) => DbTx::Sqlite(p.begin().await?),
            Db::Pg(p) => DbTx::Pg(p.begin().await?),
        })
    }
}

impl DbTx {
    /// Commits.
    pub async fn commit(self) -> Result<(), DbError> {
        match self {
            DbTx::Sqlite(t) => t.commit().await?,
            DbTx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls back (also what dropping does).
    pub async fn rollback(self) -> Result<(), DbError> {
        match self {
            DbTx::Sqlite(t) => t.rollback().await?,
            DbTx::Pg(t) => t.rollback().await?,
        }
        Ok(())
    }

    /// Allocates the next dossier code of `unit` for local date `day`. The counter row stays
    /// locked until this transaction ends, so concurrent submissions queue rather than collide,
    /// and a rolled-back submission gives its number back.
    pub async fn next_dossier_code(
        &mut self,
        unit: &str,
        day: NaiveDate,
    ) -> Result<DossierCode, DbError> {
        let seq: i64 = match self {
            DbTx::Sqlite(t) => {
                sqlx::query_scalar(NEXT_SEQ)
                    .bind(unit)
                    .bind(day)
                    .fetch_one(&mut **t)
                    .await?
            }
            DbTx::Pg(t) => {
                sqlx::query_scalar(NEXT_SEQ)
                    .bind(unit)
                    .bind(day)
                    .fetch_one(&mut **t)
                    .await?
            }
        };
        let seq = u32::try_from(seq).map_err(|e| DbError::Decode(e.to_string()))?;
        DossierCode::new(unit, day, seq).ok_or_else(|| DbError::Decode(format!("unit id {unit:?}")))
    }
}
