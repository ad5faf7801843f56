//! Public dossier look-up and rate-limit counters.

use super::{Db, DbError, with_db};
use crate::domain::dossier_code::DossierCode;
use crate::domain::status::DossierStatus;
use crate::domain::tracking::TrackResult;
use chrono::{DateTime, Utc};

type TrackRow = (String, String, String, i64, DateTime<Utc>, DateTime<Utc>);

impl Db {
    /// The dossier with this code whose submitter's ID number ends in `id_suffix`. A wrong
    /// suffix and an unknown code give the same `None`.
    pub async fn track_dossier(
        &self,
        code: &DossierCode,
        id_suffix: &str,
    ) -> Result<Option<TrackResult>, DbError> {
        let row: Option<TrackRow> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT d.code, p.name_vi, p.name_en, d.status, d.received_at, d.due_at \
                 FROM dossiers d JOIN procedures p ON p.code = d.procedure_code \
                 WHERE d.code = $1 AND d.applicant_id_suffix = $2",
            )
            .bind(code.to_string())
            .bind(id_suffix)
            .fetch_optional(pool)
            .await?
        });
        row.map(
            |(code, procedure_vi, procedure_en, status, received_at, due_at)| {
                let status = u8::try_from(status)
                    .ok()
                    .and_then(DossierStatus::from_code)
                    .ok_or_else(|| DbError::Decode(format!("status {status}")))?;
                Ok(TrackResult {
                    code,
                    procedure_vi,
                    procedure_en,
                    status,
                    received_at,
                    due_at,
                })
            },
        )
        .transpose()
    }

    /// Counts one hit in the fixed window of `window_secs` containing `now` and returns the
    /// hits so far in that window (this one included). Shared by every server instance.
    pub async fn rate_limit_hit(
        &self,
        bucket: &str,
        window_secs: i64,
        now: DateTime<Utc>,
    ) -> Result<(i64, i64), DbError> {
        let window_start = now.timestamp() - now.timestamp().rem_euclid(window_secs);
        let hits: i64 = with_db!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, 1) \
                 ON CONFLICT (bucket, window_start) DO UPDATE SET hits = rate_limits.hits + 1 \
                 RETURNING hits",
            )
            .bind(bucket)
            .bind(window_start)
            .fetch_one(pool)
            .await?
        });
        Ok((hits, window_start + window_secs - now.timestamp()))
    }

    /// Forgets rate-limit windows that ended before `before`.
    pub async fn rate_limit_sweep(&self, before: DateTime<Utc>) -> Result<u64, DbError> {
        let done = with_db!(self, pool => {
            sqlx::query("DELETE FROM rate_limits WHERE window_start < $1")
                .bind(before.timestamp() - 86_400)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(done)
    }
}
