//! Upload rows: one per attached file, owned by a person, first on a draft, then on a dossier.

use super::{Db, DbError, with_db};
use crate::domain::form::FileKind;
use crate::domain::upload::{FileOrigin, OriginSystem, UploadView};
use chrono::{DateTime, NaiveDate, Utc};

/// An upload's row as the pages need it.
#[derive(sqlx::FromRow)]
struct UploadRow {
    id: String,
    slot: String,
    name: String,
    size: i64,
    received: i64,
    kind: Option<String>,
    complete: bool,
    #[sqlx(flatten)]
    origin: OriginCols,
}

/// The origin columns of an upload, with its creation time (when a fetched document was
/// fetched).
#[derive(sqlx::FromRow)]
pub(crate) struct OriginCols {
    origin: Option<String>,
    origin_issuer: Option<String>,
    origin_number: Option<String>,
    origin_issued: Option<NaiveDate>,
    created_at: DateTime<Utc>,
}

impl OriginCols {
    /// When the row was made.
    pub(crate) fn created_at(&self) -> DateTime<Utc> {
        self.created_at
    }

    /// Where the file came from, if not from the resident's own device.
    pub(crate) fn origin(self) -> Option<FileOrigin> {
        Some(FileOrigin {
            system: OriginSystem::parse(self.origin.as_deref()?)?,
            issuer: self.origin_issuer,
            number: self.origin_number,
            issued: self.origin_issued,
            fetched_at: self.created_at,
        })
    }
}

fn view(r: UploadRow) -> UploadView {
    UploadView {
        id: r.id,
        slot: r.slot,
        name: r.name,
        size: r.size,
        received: r.received,
        kind: r.kind.as_deref().and_then(FileKind::parse),
        complete: r.complete,
        origin: r.origin.origin(),
    }
}

/// The origin columns, as [`OriginCols`] reads them.
pub(crate) const ORIGIN_COLUMNS: &str =
    "origin, origin_issuer, origin_number, origin_issued, created_at";

const COLUMNS: &str = "id, slot, name, size, received, kind, complete, origin, origin_issuer, origin_number, origin_issued, created_at";

/// A new upload.
pub struct NewUpload<'a> {
    /// Owner.
    pub user_id: &'a str,
    /// Draft it belongs to.
    pub draft_id: &'a str,
    /// Document slot.
    pub slot: &'a str,
    /// Sanitised name.
    pub name: &'a str,
    /// Declared size.
    pub size: i64,
    /// The system it is fetched from, when the resident does not upload it.
    pub origin: Option<NewOrigin<'a>>,
}

/// Where a fetched document comes from.
pub struct NewOrigin<'a> {
    /// The system.
    pub system: OriginSystem,
    /// The facility that issued it.
    pub issuer: Option<&'a str>,
    /// The document's own number.
    pub number: Option<&'a str>,
    /// The day it was issued.
    pub issued: Option<NaiveDate>,
    /// Its reference at the source (`DocumentReference/<id>`).
    pub reference: &'a str,
}

impl Db {
    /// Creates an upload row with nothing received yet; `None` when it is fetched from a
    /// document the draft already holds.
    pub async fn create_upload(
        &self,
        u: &NewUpload<'_>,
        now: DateTime<Utc>,
    ) -> Result<Option<UploadView>, DbError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let o = u.origin.as_ref();
        let inserted = with_db!(self, pool => {
            sqlx::query(
                "INSERT INTO uploads (id, user_id, draft_id, slot, name, size, received, complete, created_at, updated_at, \
                 origin, origin_issuer, origin_number, origin_issued, origin_ref) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, FALSE, $7, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (draft_id, origin_ref) WHERE origin_ref IS NOT NULL DO NOTHING",
            )
            .bind(&id)
            .bind(u.user_id)
            .bind(u.draft_id)
            .bind(u.slot)
            .bind(u.name)
            .bind(u.size)
            .bind(now)
            .bind(o.map(|o| o.system.as_str()))
            .bind(o.and_then(|o| o.issuer))
            .bind(o.and_then(|o| o.number))
            .bind(o.and_then(|o| o.issued))
            .bind(o.map(|o| o.reference))
            .execute(pool)
            .await?
            .rows_affected()
        });
        if inserted == 0 {
            return Ok(None);
        }
        Ok(Some(UploadView {
            id,
            slot: u.slot.into(),
            name: u.name.into(),
            size: u.size,
            received: 0,
            kind: None,
            complete: false,
            origin: o.map(|o| FileOrigin {
                system: o.system,
                issuer: o.issuer.map(str::to_string),
                number: o.number.map(str::to_string),
                issued: o.issued,
                fetched_at: now,
            }),
        }))
    }

    /// The upload of one of the user's drafts fetched from `reference` at the source, if the
    /// same document was already attached.
    pub async fn draft_upload_from(
        &self,
        user_id: &str,
        draft_id: &str,
        reference: &str,
    ) -> Result<Option<UploadView>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM uploads WHERE draft_id = $1 AND user_id = $2 AND origin_ref = $3"
        );
        let row: Option<UploadRow> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(draft_id).bind(user_id).bind(reference).fetch_optional(pool).await?
        });
        Ok(row.map(view))
    }

    /// Creates an upload row for a filed dossier (a supplement document or the result).
    pub async fn create_dossier_upload(
        &self,
        user_id: &str,
        dossier_id: &str,
        slot: &str,
        name: &str,
        size: i64,
        now: DateTime<Utc>,
    ) -> Result<UploadView, DbError> {
        let id = uuid::Uuid::new_v4().simple().to_string();
        with_db!(self, pool => {
            sqlx::query(
                "INSERT INTO uploads (id, user_id, dossier_id, slot, name, size, received, complete, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, 0, FALSE, $7, $7)",
            )
            .bind(&id)
            .bind(user_id)
            .bind(dossier_id)
            .bind(slot)
            .bind(name)
            .bind(size)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(UploadView {
            id,
            slot: slot.into(),
            name: name.into(),
            size,
            received: 0,
            kind: None,
            complete: false,
            origin: None,
        })
    }

    /// The dossier an upload of the user's was announced for, if it was not for a draft.
    pub async fn upload_dossier(&self, user_id: &str, id: &str) -> Result<Option<String>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT dossier_id FROM uploads WHERE id = $1 AND user_id = $2 AND draft_id IS NULL",
            )
            .bind(id)
            .bind(user_id)
            .fetch_optional(pool)
            .await?
            .flatten()
        }))
    }

    /// A complete file of a dossier: (slot, name).
    pub async fn dossier_upload(
        &self,
        dossier_id: &str,
        id: &str,
    ) -> Result<Option<(String, String)>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as("SELECT slot, name FROM uploads WHERE id = $1 AND dossier_id = $2 AND complete")
                .bind(id)
                .bind(dossier_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// One of the user's uploads.
    pub async fn upload(&self, user_id: &str, id: &str) -> Result<Option<UploadView>, DbError> {
        let sql = format!("SELECT {COLUMNS} FROM uploads WHERE id = $1 AND user_id = $2");
        let row: Option<UploadRow> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(id).bind(user_id).fetch_optional(pool).await?
        });
        Ok(row.map(view))
    }

    /// The draft and document slot of one of the user's uploads.
    pub async fn upload_slot(
        &self,
        user_id: &str,
        id: &str,
    ) -> Result<Option<(Option<String>, String)>, DbError> {
        Ok(with_db!(self, pool => {
            sqlx::query_as("SELECT draft_id, slot FROM uploads WHERE id = $1 AND user_id = $2")
                .bind(id)
                .bind(user_id)
                .fetch_optional(pool)
                .await?
        }))
    }

    /// The uploads of one of the user's drafts, oldest first.
    pub async fn draft_uploads(
        &self,
        user_id: &str,
        draft_id: &str,
    ) -> Result<Vec<UploadView>, DbError> {
        let sql = format!(
            "SELECT {COLUMNS} FROM uploads WHERE draft_id = $1 AND user_id = $2 ORDER BY created_at, id"
        );
        let rows: Vec<UploadRow> = with_db!(self, pool => {
            sqlx::query_as(&sql).bind(draft_id).bind(user_id).fetch_all(pool).await?
        });
        Ok(rows.into_iter().map(view).collect())
    }

    /// The complete files of a dossier, for the receipt and downloads.
    pub async fn dossier_uploads(&self, dossier_code: &str) -> Result<Vec<UploadView>, DbError> {
        let rows: Vec<UploadRow> = with_db!(self, pool => {
            sqlx::query_as(
                "SELECT u.id, u.slot, u.name, u.size, u.received, u.kind, u.complete, u.origin, u.origin_issuer, \
                 u.origin_number, u.origin_issued, u.created_at FROM uploads u JOIN dossiers d ON d.id = u.dossier_id WHERE d.code = $1 AND u.complete ORDER BY u.created_at, u.id",
            )
            .bind(dossier_code)
            .fetch_all(pool)
            .await?
        });
        Ok(rows.into_iter().map(view).collect())
    }

    /// Records a received piece: `received` moves from `from` to `to` only if it was `from`
    /// (two tabs sending the same piece cannot both count). True when it moved.
    pub async fn advance_upload(
        &self,
        id: &str,
        from: i64,
        to: i64,
        kind: Option<FileKind>,
        now: DateTime<Utc>,
    ) -> Result<bool, DbError> {
        let n = with_db!(self, pool => {
            sqlx::query(
                "UPDATE uploads SET received = $1, kind = COALESCE($2, kind), updated_at = $3 \
                 WHERE id = $4 AND received = $5 AND NOT complete",
            )
            .bind(to)
            .bind(kind.map(FileKind::as_str))
            .bind(now)
            .bind(id)
            .bind(from)
            .execute(pool)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Marks an upload complete with its checksum.
    pub async fn complete_upload(
        &self,
        id: &str,
        sha256: &str,
        now: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE uploads SET complete = TRUE, sha256 = $1, updated_at = $2 WHERE id = $3")
                .bind(sha256)
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Uploads whose every byte was recorded but which are not complete (a crash between the
    /// last piece and the end of the check): `(id, owner, kind)`.
    pub async fn received_unfinished_uploads(
        &self,
    ) -> Result<Vec<(String, String, Option<FileKind>)>, DbError> {
        let rows: Vec<(String, String, Option<String>)> = with_db!(self, pool => {
            sqlx::query_as("SELECT id, user_id, kind FROM uploads WHERE received = size AND NOT complete ORDER BY id")
                .fetch_all(pool)
                .await?
        });
        Ok(rows
            .into_iter()
            .map(|(id, user, kind)| (id, user, kind.as_deref().and_then(FileKind::parse)))
            .collect())
    }

    /// Starts an upload over from its first byte (its pieces were lost).
    pub async fn restart_upload(&self, id: &str, now: DateTime<Utc>) -> Result<(), DbError> {
        with_db!(self, pool => {
            sqlx::query("UPDATE uploads SET received = 0, kind = NULL, updated_at = $1 WHERE id = $2 AND NOT complete")
                .bind(now)
                .bind(id)
                .execute(pool)
                .await?;
        });
        Ok(())
    }

    /// Deletes one of the user's uploads that is not yet part of a dossier; true when deleted.
    pub async fn delete_upload(&self, user_id: &str, id: &str) -> Result<bool, DbError> {
        let n = with_db!(self, pool => {
            sqlx::query("DELETE FROM uploads WHERE id = $1 AND user_id = $2 AND dossier_id IS NULL")
                .bind(id)
                .bind(user_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Ids of uploads nobody can finish or file any more: unfinished for a day, or left
    /// without draft and dossier (the draft expired or was deleted). Their rows are deleted;
    /// the caller deletes the files.
    pub async fn take_orphan_uploads(&self, now: DateTime<Utc>) -> Result<Vec<String>, DbError> {
        let stale = now - chrono::Duration::hours(24);
        let ids: Vec<String> = with_db!(self, pool => {
            sqlx::query_scalar(
                "DELETE FROM uploads WHERE dossier_id IS NULL AND (draft_id IS NULL OR (NOT complete AND updated_at < $1)) \
                 RETURNING id",
            )
            .bind(stale)
            .fetch_all(pool)
            .await?
        });
        Ok(ids)
    }

    /// Whether an upload id is known at all (the orphan-file sweep keeps those).
    pub async fn upload_exists(&self, id: &str) -> Result<bool, DbError> {
        let n: i64 = with_db!(self, pool => {
            sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE id = $1").bind(id).fetch_one(pool).await?
        });
        Ok(n > 0)
    }
}
