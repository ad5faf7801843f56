//! Attachment transfer: `PUT /files/uploads/{id}` receives one piece at a time (resumable
//! after a dropped connection), `GET /files/uploads/{id}` sends a file back to its owner.
//!
//! Files live under `DVC_FILES_DIR` (default `var/files`), never inside a served folder, named
//! by a random id. A piece is appended to `partial/<id>` and flushed to disk before the
//! database records it; the last piece triggers the content check, then an atomic rename to
//! `stored/<id>`, then the row is marked complete.
//!
//! Finishing is idempotent, so a crash anywhere after the last piece is recorded loses
//! nothing: the next request for the upload (the browser resuming, on any instance) finishes
//! it, and so does every server at start-up and the periodic sweep.

use crate::domain::form::FileKind;
use crate::domain::upload::{CHUNK_BYTES, Refusal, UploadView, check_content};
use crate::server::AppState;
use crate::server::ctx::OrInternal;
use crate::server::policy::Principal;
use axum::Extension;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sha2::Digest;
use std::path::PathBuf;
use tokio::io::AsyncWriteExt;

/// Header carrying the byte offset of the piece being sent.
pub const OFFSET_HEADER: &str = "upload-offset";

/// Where files are kept: a local folder (default) or an S3-compatible bucket
/// (`DVC_FILES_S3_ENDPOINT`, for several server instances sharing the files).
///
/// Local: pieces are appended to `partial/<id>` (flushed to disk before the row moves) and
/// the finished file is renamed to `stored/<id>`. S3: each piece is its own object
/// `partial/<id>/<offset>`, so any instance can take the next piece; the finished file is
/// written as `stored/<id>` and the pieces are deleted.
#[derive(Debug, Clone)]
pub enum FileStore {
    /// A folder on this machine.
    Local {
        /// The folder.
        root: PathBuf,
    },
    /// An S3-compatible bucket.
    S3(crate::server::s3::S3),
}

fn safe_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

type StoreResult<T> = Result<T, String>;

impl FileStore {
    /// A store under `root` (created if missing).
    pub fn local(root: PathBuf) -> std::io::Result<FileStore> {
        std::fs::create_dir_all(root.join("partial"))?;
        std::fs::create_dir_all(root.join("stored"))?;
        Ok(FileStore::Local { root })
    }

    fn partial_path(root: &std::path::Path, id: &str) -> PathBuf {
        root.join("partial").join(id)
    }

    fn stored_path(root: &std::path::Path, id: &str) -> PathBuf {
        root.join("stored").join(id)
    }

    /// Keeps the piece starting at `offset`.
    pub async fn append(&self, id: &str, offset: i64, bytes: &[u8]) -> StoreResult<()> {
        match self {
            FileStore::Local { root } => {
                let path = Self::partial_path(root, id);
                let write = async {
                    let mut f = tokio::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(&path)
                        .await?;
                    // A piece written before a crash but never recorded is cut off again.
                    f.set_len(offset as u64).await?;
                    f.write_all(bytes).await?;
                    f.sync_all().await
                };
                write.await.map_err(|e| e.to_string())
            }
            FileStore::S3(s3) => s3
                .put(&format!("partial/{id}/{offset:012}"), bytes.to_vec())
                .await
                .map_err(|e| e.to_string()),
        }
    }

    /// Every byte of a fully received file: its pieces, or the stored file when a crash came
    /// after keeping it but before its row said so. `None` when neither is there.
    pub async fn received(&self, id: &str) -> StoreResult<Option<Vec<u8>>> {
        match self {
            FileStore::Local { root } => {
                for path in [Self::partial_path(root, id), Self::stored_path(root, id)] {
                    match tokio::fs::read(&path).await {
                        Ok(bytes) => return Ok(Some(bytes)),
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                Ok(None)
            }
            FileStore::S3(s3) => {
                if let Some(stored) = s3
                    .get(&format!("stored/{id}"))
                    .await
                    .map_err(|e| e.to_string())?
                {
                    return Ok(Some(stored));
                }
                let mut out = Vec::new();
                let keys = s3
                    .list(&format!("partial/{id}/"))
                    .await
                    .map_err(|e| e.to_string())?;
                if keys.is_empty() {
                    return Ok(None);
                }
                for key in keys {
                    let offset: usize = key
                        .rsplit('/')
                        .next()
                        .and_then(|o| o.parse().ok())
                        .unwrap_or(usize::MAX);
                    // Only the pieces that continue the file (a piece re-sent after a lost
                    // answer replaces its own object, so there are no others).
                    if offset != out.len() {
                        return Err(format!("piece {key} does not follow {} bytes", out.len()));
                    }
                    let piece = s3
                        .get(&key)
                        .await
                        .map_err(|e| e.to_string())?
                        .unwrap_or_default();
                    out.extend_from_slice(&piece);
                }
                Ok(Some(out))
            }
        }
    }

    /// Makes the checked file the stored one and drops its pieces (a file already kept
    /// stays as it is).
    pub async fn commit(&self, id: &str, bytes: &[u8]) -> StoreResult<()> {
        match self {
            FileStore::Local { root } => {
                let stored = Self::stored_path(root, id);
                match tokio::fs::rename(Self::partial_path(root, id), &stored).await {
                    Ok(()) => {}
                    Err(e)
                        if e.kind() == std::io::ErrorKind::NotFound
                            && tokio::fs::try_exists(&stored).await.unwrap_or(false) => {}
                    Err(e) => return Err(e.to_string()),
                }
                // The rename itself is made durable by syncing the directory.
                if let Some(dir) = stored.parent()
                    && let Ok(d) = tokio::fs::File::open(dir).await
                {
                    let _ = d.sync_all().await;
                }
                Ok(())
            }
            FileStore::S3(s3) => {
                s3.put(&format!("stored/{id}"), bytes.to_vec())
                    .await
                    .map_err(|e| e.to_string())?;
                self.remove_pieces(s3, id).await;
                Ok(())
            }
        }
    }

    async fn remove_pieces(&self, s3: &crate::server::s3::S3, id: &str) {
        if let Ok(keys) = s3.list(&format!("partial/{id}/")).await {
            for k in keys {
                let _ = s3.delete(&k).await;
            }
        }
    }

    /// A stored file.
    pub async fn read(&self, id: &str) -> Option<Vec<u8>> {
        if !safe_id(id) {
            return None;
        }
        match self {
            FileStore::Local { root } => tokio::fs::read(Self::stored_path(root, id)).await.ok(),
            FileStore::S3(s3) => s3.get(&format!("stored/{id}")).await.ok().flatten(),
        }
    }

    /// Removes a file in any state, if present.
    pub async fn remove(&self, id: &str) {
        if !safe_id(id) {
            return;
        }
        match self {
            FileStore::Local { root } => {
                let _ = tokio::fs::remove_file(Self::partial_path(root, id)).await;
                let _ = tokio::fs::remove_file(Self::stored_path(root, id)).await;
            }
            FileStore::S3(s3) => {
                let _ = s3.delete(&format!("stored/{id}")).await;
                self.remove_pieces(s3, id).await;
            }
        }
    }

    /// Ids of every file kept (partial or stored) — for the orphan sweep.
    pub async fn ids(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            FileStore::Local { root } => {
                for dir in ["partial", "stored"] {
                    if let Ok(mut rd) = tokio::fs::read_dir(root.join(dir)).await {
                        while let Ok(Some(e)) = rd.next_entry().await {
                            if let Some(n) = e.file_name().to_str() {
                                out.push(n.to_string());
                            }
                        }
                    }
                }
            }
            FileStore::S3(s3) => {
                for prefix in ["partial/", "stored/"] {
                    for key in s3.list(prefix).await.unwrap_or_default() {
                        if let Some(id) = key.strip_prefix(prefix).and_then(|r| r.split('/').next())
                        {
                            out.push(id.to_string());
                        }
                    }
                }
                out.dedup();
            }
        }
        out
    }
}

fn json(status: StatusCode, body: serde_json::Value) -> Response {
    let mut r = (status, body.to_string()).into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// An error answered as server functions answer theirs ([`crate::api::AppError`] as JSON).
fn error(e: &crate::api::AppError) -> Response {
    let mut r = crate::server::http::json_error(e);
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn refused(slot: &str, code: crate::domain::field_error::FieldCode) -> Response {
    error(&slot_refusal(slot, code))
}

/// Logs `e` under the request's id and answers that id as the reference.
fn internal(headers: &HeaderMap, e: impl std::fmt::Display) -> Response {
    let ref_id = headers
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    tracing::error!(error = %e, %ref_id, "upload failed");
    error(&crate::api::AppError::Internal { ref_id })
}

/// `PUT /files/uploads/{id}` with `Upload-Offset: n`: appends the body (at most one piece) at
/// byte `n`. Answers the upload's state; `409` with the current offset when `n` is not where
/// the server stands (the browser then resumes from there).
pub async fn put_chunk(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Principal::User(user) = principal else {
        return error(&crate::api::AppError::Unauthenticated);
    };
    if !crate::server::http::same_origin(&headers, &state.config.public_origin) {
        return error(&crate::api::AppError::Forbidden);
    }
    let db = &state.db;
    let Some(up) = (if safe_id(&id) {
        db.upload(&user.user_id, &id).await.unwrap_or(None)
    } else {
        None
    }) else {
        return error(&crate::api::AppError::NotFound);
    };
    // Every byte arrived before, but the server stopped before finishing: whatever this
    // request sends, finish it now.
    if !up.complete && up.received == up.size {
        return match finish(&state, &user.user_id, &id, up.kind).await {
            Ok(()) => json(
                StatusCode::OK,
                serde_json::to_value(UploadView {
                    complete: true,
                    ..up
                })
                .unwrap_or_default(),
            ),
            Err(u) => unfinished(&headers, &up.slot, u),
        };
    }
    let offset: Option<i64> = headers
        .get(OFFSET_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.parse().ok());
    if up.complete || offset != Some(up.received) {
        // Read the piece anyway (the route bounds it): answering before the body is read makes
        // the connection close with data unread, which the browser may see as a reset instead
        // of this answer, and it needs this answer to know where to resume.
        let _ = body.collect().await;
        return json(
            StatusCode::CONFLICT,
            serde_json::to_value(&up).unwrap_or_default(),
        );
    }
    // Read the piece (bounded: the route's body limit stops anything larger).
    let bytes = match body.collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return refused(&up.slot, Refusal::TooBig.code());
        }
    };
    if bytes.is_empty() {
        return refused(&up.slot, Refusal::Empty.code());
    }
    let to = up.received + bytes.len() as i64;
    if to > up.size || bytes.len() > CHUNK_BYTES {
        // More than announced: the file is not what was declared; nothing of it is kept.
        let _ = db.delete_upload(&user.user_id, &id).await;
        state.files.remove(&id).await;
        return refused(&up.slot, Refusal::TooBig.code());
    }
    // The first bytes decide the type, before anything is kept.
    let mut kind = None;
    if up.received == 0 {
        let procedure_slot = slot_rules(&state, &user.user_id, &id).await;
        let Some(accepts) = procedure_slot else {
            return error(&crate::api::AppError::NotFound);
        };
        match FileKind::sniff(&bytes) {
            Some(k) if accepts.contains(&k) => kind = Some(k),
            _ => {
                let _ = db.delete_upload(&user.user_id, &id).await;
                state.files.remove(&id).await;
                return refused(&up.slot, Refusal::Type.code());
            }
        }
    }
    if let Err(e) = state.files.append(&id, up.received, &bytes).await {
        return internal(&headers, e);
    }
    let now = chrono::Utc::now();
    match db.advance_upload(&id, up.received, to, kind, now).await {
        Ok(true) => {}
        Ok(false) => {
            let cur = db.upload(&user.user_id, &id).await.ok().flatten();
            return json(
                StatusCode::CONFLICT,
                serde_json::to_value(&cur).unwrap_or_default(),
            );
        }
        Err(e) => return internal(&headers, e),
    }
    let mut view = UploadView {
        received: to,
        kind: kind.or(up.kind),
        ..up
    };
    if to == view.size {
        crate::server::pause::point("upload.received").await;
        match finish(&state, &user.user_id, &id, view.kind).await {
            Ok(()) => view.complete = true,
            Err(u) => return unfinished(&headers, &view.slot, u),
        }
    }
    json(
        StatusCode::OK,
        serde_json::to_value(&view).unwrap_or_default(),
    )
}

/// The types the upload's document slot accepts, or `None` when the upload, its draft or
/// the slot is unknown.
async fn slot_rules(state: &AppState, user_id: &str, upload_id: &str) -> Option<Vec<FileKind>> {
    let db = &state.db;
    let (draft_id, slot) = db.upload_slot(user_id, upload_id).await.ok()??;
    let p = match draft_id {
        Some(draft_id) => {
            let draft = db.draft(user_id, &draft_id).await.ok()??;
            db.procedure_by_slug(&draft.procedure_slug).await.ok()??
        }
        None => {
            // A file for a filed dossier: the result (a PDF) or a supplement document.
            let dossier = db.upload_dossier(user_id, upload_id).await.ok()??;
            if slot == "result" {
                return Some(vec![FileKind::Pdf]);
            }
            db.procedure_of(&dossier).await.ok()?
        }
    };
    p.form
        .documents
        .iter()
        .find(|d| d.id == slot)
        .map(|d| d.accepts.clone())
}

/// A refusal of a file for document slot `slot`, shown under that document.
pub fn slot_refusal(
    slot: &str,
    code: crate::domain::field_error::FieldCode,
) -> crate::api::AppError {
    crate::api::AppError::Validation {
        fields: vec![crate::domain::field_error::FieldError::new(
            format!("doc.{slot}"),
            code,
        )],
    }
}

/// One of the user's drafts and the document slot `slot` of its procedure, which has room for
/// one more file. Someone else's draft answers as a missing one; an unknown slot
/// (`unknown_slot`) and a full one (`too_many_files`) as a refusal under the document.
pub async fn open_slot(
    cx: &crate::server::ctx::RequestCtx,
    user_id: &str,
    draft_id: &str,
    slot: &str,
) -> Result<
    (
        crate::domain::filing::Draft,
        crate::domain::form::DocumentSlot,
    ),
    crate::api::AppError,
> {
    use crate::api::AppError;
    let db = &cx.state.db;
    let draft = db
        .draft(user_id, draft_id)
        .await
        .or_internal(cx)?
        .ok_or(AppError::NotFound)?;
    let procedure = db
        .procedure_by_slug(&draft.procedure_slug)
        .await
        .or_internal(cx)?
        .ok_or(AppError::NotFound)?;
    let document = procedure
        .form
        .documents
        .into_iter()
        .find(|d| d.id == slot)
        .ok_or_else(|| slot_refusal(slot, crate::domain::field_error::FieldCode::UnknownSlot))?;
    let already = db
        .draft_uploads(user_id, &draft.id)
        .await
        .or_internal(cx)?
        .into_iter()
        .filter(|u| u.slot == document.id)
        .count();
    if already >= document.max_files as usize {
        return Err(slot_refusal(
            slot,
            crate::domain::field_error::FieldCode::TooManyFiles,
        ));
    }
    Ok((draft, document))
}

/// Why an upload whose every byte arrived is not complete.
pub(crate) enum Unfinished {
    /// Its content is refused; the upload and its file are gone.
    Refused(Refusal),
    /// It waits in quarantine for the malware scanner, which cannot be reached now.
    ScanPending,
    /// Storage or database trouble.
    Failed(String),
}

/// Finishes an upload whose every byte has arrived: checks the content (the PDF parsed, the
/// file scanned for malware when a scanner is configured), keeps the file and marks the row
/// complete. Safe to run again after a crash at any step, and again and again while the
/// scanner is away: until then the upload stays unfinished, so it can be neither downloaded
/// nor filed.
async fn finish(
    state: &AppState,
    user_id: &str,
    id: &str,
    kind: Option<FileKind>,
) -> Result<(), Unfinished> {
    let db = &state.db;
    let refuse = |refusal: Refusal| async move {
        let _ = db.delete_upload(user_id, id).await;
        state.files.remove(id).await;
        Err(Unfinished::Refused(refusal))
    };
    let Some(bytes) = state.files.received(id).await.map_err(Unfinished::Failed)? else {
        // The pieces themselves were lost: the browser sends the file again from the start.
        db.restart_upload(id, state.clock.now())
            .await
            .map_err(|e| Unfinished::Failed(e.to_string()))?;
        return Err(Unfinished::Failed(format!(
            "upload {id}: no bytes kept, restarted"
        )));
    };
    let Some(kind) = kind else {
        return refuse(Refusal::Type).await;
    };
    if let Err(refusal) = check_content(kind, &bytes) {
        return refuse(refusal).await;
    }
    let bytes = if kind == FileKind::Pdf {
        // Parsing a large document takes a while: off the request threads.
        let (bytes, inspected) = tokio::task::spawn_blocking(move || {
            let r = crate::server::pdf_check::inspect(&bytes);
            (bytes, r)
        })
        .await
        .map_err(|e| Unfinished::Failed(e.to_string()))?;
        if let Err(refusal) = inspected {
            return refuse(refusal).await;
        }
        bytes
    } else {
        bytes
    };
    if let Some(addr) = &state.config.clamd_addr {
        use crate::server::clamd::{Verdict, scan};
        match scan(addr, &bytes).await {
            Ok(Verdict::Clean) => {}
            Ok(Verdict::Infected(signature)) => {
                tracing::warn!(upload = %id, %signature, "malware refused");
                let event = crate::server::db::audit::AuditEvent {
                    actor: Some(user_id.to_string()),
                    actor_role: "uploader".into(),
                    actor_unit: None,
                    action: "upload_malware".into(),
                    object: Some(id.to_string()),
                    outcome: "denied",
                    detail: Some(signature.chars().take(200).collect()),
                };
                db.audit(&event)
                    .await
                    .map_err(|e| Unfinished::Failed(e.to_string()))?;
                return refuse(Refusal::Malware).await;
            }
            Err(e) => {
                tracing::warn!(upload = %id, error = %e, "upload waits for the malware scanner");
                return Err(Unfinished::ScanPending);
            }
        }
    }
    let sha = hex::encode(sha2::Sha256::digest(&bytes));
    state
        .files
        .commit(id, &bytes)
        .await
        .map_err(Unfinished::Failed)?;
    crate::server::pause::point("upload.stored").await;
    db.complete_upload(id, &sha, state.clock.now())
        .await
        .map_err(|e| Unfinished::Failed(e.to_string()))
}

/// Keeps a document the portal fetched for the resident (from their health record) as the
/// file of the upload row `id`, made for it with nothing received: the whole file as one
/// piece, then the same checks and durable steps as an upload's last piece.
pub(crate) async fn keep_fetched(
    state: &AppState,
    user_id: &str,
    id: &str,
    kind: FileKind,
    bytes: &[u8],
) -> Result<(), Unfinished> {
    let failed = |e: String| Unfinished::Failed(e);
    state.files.append(id, 0, bytes).await.map_err(failed)?;
    let moved = state
        .db
        .advance_upload(id, 0, bytes.len() as i64, Some(kind), state.clock.now())
        .await
        .map_err(|e| failed(e.to_string()))?;
    if !moved {
        return Err(failed(format!("upload {id}: already received")));
    }
    finish(state, user_id, id, Some(kind)).await
}

/// The answer to the browser for an upload that could not be finished.
fn unfinished(headers: &HeaderMap, slot: &str, u: Unfinished) -> Response {
    match u {
        Unfinished::Refused(r) => refused(slot, r.code()),
        // The browser keeps trying, as after a dropped connection.
        Unfinished::ScanPending => error(&crate::api::AppError::Unavailable),
        Unfinished::Failed(e) => internal(headers, e),
    }
}

/// Finishes every upload whose bytes all arrived but which a crash left unfinished, or which
/// waits in quarantine for the malware scanner (run at start-up and by the sweep). Answers
/// how many were finished.
pub async fn finish_interrupted(state: &AppState) -> usize {
    let stuck = match state.db.received_unfinished_uploads().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "interrupted uploads could not be listed");
            return 0;
        }
    };
    let mut finished = 0;
    for (id, user_id, kind) in stuck {
        match finish(state, &user_id, &id, kind).await {
            Ok(()) => finished += 1,
            Err(Unfinished::Refused(refusal)) => {
                tracing::info!(upload = %id, refusal = %refusal.code(), "interrupted upload refused")
            }
            // Logged where the scanner was asked.
            Err(Unfinished::ScanPending) => {}
            Err(Unfinished::Failed(e)) => {
                tracing::warn!(upload = %id, error = %e, "interrupted upload not finished")
            }
        }
    }
    if finished > 0 {
        tracing::info!(finished, "interrupted uploads finished");
    }
    finished
}

/// `GET /files/uploads/{id}`: a complete file, to its owner only, as an attachment.
pub async fn download(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let Principal::User(user) = principal else {
        return (StatusCode::UNAUTHORIZED, "Vui lòng đăng nhập.").into_response();
    };
    let not_found = || (StatusCode::NOT_FOUND, "Không tìm thấy tệp.").into_response();
    if !safe_id(&id) {
        return not_found();
    }
    let up = match state.db.upload(&user.user_id, &id).await {
        Ok(Some(u)) if u.complete => u,
        Ok(_) => return not_found(),
        Err(e) => return internal(&headers, e),
    };
    let Some(bytes) = state.files.read(&id).await else {
        return not_found();
    };
    let mime = up
        .kind
        .map(FileKind::mime)
        .unwrap_or("application/octet-stream");
    let ascii: String = up
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    crate::server::files::attachment(bytes, mime, &ascii, Some(&up.name))
}

/// Deletes abandoned uploads and files without a row, every ten minutes.
pub fn spawn_sweeper(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            sweep(&state).await;
        }
    });
}

/// One sweep: uploads a crash left unfinished, drafts past their thirty days, rows nobody
/// can use any more (those expired drafts' files among them), and files no row knows.
pub async fn sweep(state: &AppState) {
    finish_interrupted(state).await;
    if let Err(e) = state.db.sweep_drafts(state.clock.now()).await {
        tracing::warn!(error = %e, "draft sweep failed");
    }
    match state.db.take_orphan_uploads(state.clock.now()).await {
        Ok(ids) => {
            for id in ids {
                state.files.remove(&id).await;
            }
        }
        Err(e) => tracing::warn!(error = %e, "upload sweep failed"),
    }
    for id in state.files.ids().await {
        if matches!(state.db.upload_exists(&id).await, Ok(false)) {
            state.files.remove(&id).await;
        }
    }
}
