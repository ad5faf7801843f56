//! Attachments of a draft: announce a file, list what is there, remove one. The bytes travel
//! over `PUT /files/uploads/{id}` (see `server::uploads`).

use crate::api::AppError;
use crate::domain::upload::UploadView;
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A file about to be sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadRequest {
    /// Draft it belongs to.
    pub draft_id: String,
    /// Document slot.
    pub slot: String,
    /// Original file name (sanitised before it is kept).
    pub name: String,
    /// Size in bytes.
    pub size: i64,
}

/// Announces a file for a document slot of one of the caller's drafts. Size and count are
/// checked here; the type is checked on the first bytes received, the content on the last.
#[server(endpoint = "uploads/start", input = Json)]
pub async fn start_upload(req: UploadRequest) -> Result<UploadView, AppError> {
    use crate::domain::upload::{Refusal, sanitize_name};
    use crate::server::db::uploads::NewUpload;
    use crate::server::uploads::{open_slot, slot_refusal};
    use crate::server::{ctx, policy::Action, rate_limit};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    let (draft, slot) = open_slot(&cx, &me.user_id, &req.draft_id, &req.slot).await?;
    if req.size <= 0 {
        return Err(slot_refusal(&slot.id, Refusal::Empty.code()));
    }
    if req.size > i64::from(slot.max_kb) * 1024 {
        return Err(slot_refusal(&slot.id, Refusal::TooBig.code()));
    }
    rate_limit::check(&cx.state, rate_limit::UPLOADS_PER_USER, &me.user_id).await?;
    let name = sanitize_name(&req.name);
    db.create_upload(
        &NewUpload {
            user_id: &me.user_id,
            draft_id: &draft.id,
            slot: &slot.id,
            name: &name,
            size: req.size,
            origin: None,
        },
        cx.state.clock.now(),
    )
    .await
    .or_internal(&cx)?
    // Only a fetched document can already be there.
    .ok_or(AppError::Conflict)
}

/// Which draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftUploads {
    /// Draft id.
    pub draft_id: String,
}

/// The files of one of the caller's drafts, with how much of each has arrived.
#[server(endpoint = "uploads/list", input = Json)]
pub async fn list_uploads(req: DraftUploads) -> Result<Vec<UploadView>, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    // Someone else's draft answers like a missing one, not like an empty one.
    db.draft(&me.user_id, &req.draft_id)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::NotFound)?;
    db.draft_uploads(&me.user_id, &req.draft_id)
        .await
        .or_internal(&cx)
}

/// Which upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadId {
    /// Upload id.
    pub id: String,
}

/// Removes one of the caller's files that is not yet part of a filed dossier.
#[server(endpoint = "uploads/delete", input = Json)]
pub async fn delete_upload(req: UploadId) -> Result<(), AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    if cx
        .state
        .db
        .delete_upload(&me.user_id, &req.id)
        .await
        .or_internal(&cx)?
    {
        cx.state.files.remove(&req.id).await;
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
