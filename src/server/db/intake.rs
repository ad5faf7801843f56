//! Counter intake's consent confirmations: asked for by the officer, given by the resident on
//! their own phone, used by one dossier.

use super::{Db, DbError, with_db};
use chrono::{DateTime, Utc};

/// A confirmation the counter asked for.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct IntakeConsent {
    /// The code in the QR code.
    pub token: String,
    /// The ward that asked.
    pub unit_code: String,
    /// The officer who asked.
    pub officer_id: String,
    /// Whose consent it is (the ID number the officer typed).
    pub cccd: String,
    /// The procedure being filed.
    pub procedure_code: String,
    /// Version of the consent text shown.
    pub version: String,
    /// When it was asked for.
    pub created_at: DateTime<Utc>,
    /// After this it can no longer be given.
    pub expires_at: DateTime<Utc>,
    /// When the resident gave it.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// Their account.
    pub confirmed_by: Option<String>,
    /// The dossier it was used for.
    pub dossier_id: Option<String>,
}

const COLUMNS: &str = "token, unit_code, officer_id, cccd, procedure_code, version, created_at, \
     expires_at, confirmed_at, confirmed_by, dossier_id";

impl Db {
    /// Records a new confirmation to be given.
    pub async fn create_intake_consent(&self, c: &IntakeConsent) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query(
                "INSERT INTO intake_consents (token, unit_code, officer_id, cccd, procedure_code, version, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&c.token)
            .bind(&c.unit_code)
            .bind(&c.officer_id)
            .bind(&c.cccd)
            .bind(&c.procedure_code)
            .bind(&c.version)
            .bind(c.created_at)
            .bind(c.expires_at)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// A confirmation by its token.
    pub async fn intake_consent(&self, token: &str) -> Result<Option<IntakeConsent>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM intake_consents WHERE token = $1");
        Ok(with_db!(self, pool => {
            sqlx::query_as(&sql).bind(token).fetch_optional(pool).await?
        }))
    }

    /// The resident gives it: once, before it expires. True when given now.
    pub async fn confirm_intake_consent(
        &self,
        token: &str,
        user_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let n = with_db!(self, pool => {
            sqlx::query(
                "UPDATE intake_consents SET confirmed_at = $1, confirmed_by = $2 \
                 WHERE token = $3 AND confirmed_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(user_id)
            .bind(token)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// What a counter dossier's receipt says of its intake: the consent's version, how it was
    /// given and when, who confirmed it on their phone, and the paper documents received.
    pub async fn counter_facts(&self, dossier_id: &str) -> Result<Option<CounterFacts>, DbError> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<DateTime<Utc>>,
            Option<String>,
            Option<sqlx::types::Json<Vec<crate::domain::intake::PaperReceived>>>,
        );
        let row: Option<Row> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT consent_version, consent_method, consent_at, consent_by, paper_documents \
                 FROM dossiers WHERE id = $1 AND channel = 1",
            )
            .bind(dossier_id)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(|(version, method, at, by, papers)| CounterFacts {
            version,
            method,
            at,
            confirmed_by: by,
            papers: papers.map(|p| p.0).unwrap_or_default(),
        }))
    }
}

/// See [`Db::counter_facts`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CounterFacts {
    /// Version of the consent text.
    pub version: Option<String>,
    /// `phone` or `signature`.
    pub method: Option<String>,
    /// When the consent was given.
    pub at: Option<DateTime<Utc>>,
    /// The account that confirmed it on a phone.
    pub confirmed_by: Option<String>,
    /// Paper documents received.
    pub papers: Vec<crate::domain::intake::PaperReceived>,
}
