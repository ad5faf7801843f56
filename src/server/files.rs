//! Documents served to the browser outside the server functions: the receipt PDF. Every
//! download checks the same ownership as the dossier and is sent as an attachment.

use crate::server::AppState;
use crate::server::policy::Principal;
use axum::Extension;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

fn plain(status: StatusCode, msg: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
        .into_response()
}

/// `GET /files/receipts/{code}.pdf`: the receipt and appointment slip of one of the caller's
/// dossiers. Another person's dossier answers exactly like a missing one.
pub async fn receipt(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(file): Path<String>,
) -> Response {
    let Principal::User(user) = principal else {
        return plain(
            StatusCode::UNAUTHORIZED,
            "Vui lòng đăng nhập để tải giấy tiếp nhận.",
        );
    };
    let not_found = || plain(StatusCode::NOT_FOUND, "Không tìm thấy hồ sơ.");
    let Some(code) = file.strip_suffix(".pdf").filter(|c| c.len() <= 40) else {
        return not_found();
    };
    let internal = |e: &dyn std::fmt::Display| {
        tracing::error!(error = %e, "receipt failed");
        plain(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Chưa tạo được giấy tiếp nhận. Vui lòng thử lại.",
        )
    };
    let db = &state.db;
    let dossier = match db.own_dossier(&user.user_id, code).await {
        Ok(Some(d)) => d,
        Ok(None) => return not_found(),
        Err(e) => return internal(&e),
    };
    let procedure = match db.procedure_by_slug(&dossier.procedure_slug).await {
        Ok(Some(p)) => p,
        Ok(None) => return not_found(),
        Err(e) => return internal(&e),
    };
    let id_number = match db.user(&user.user_id).await {
        Ok(u) => u.and_then(|u| u.cccd),
        Err(e) => return internal(&e),
    };
    let documents: Vec<(String, u32)> = match db.dossier_uploads(&dossier.code).await {
        Ok(files) => procedure
            .form
            .documents
            .iter()
            .filter_map(|slot| {
                let n = files.iter().filter(|f| f.slot == slot.id).count() as u32;
                (n > 0).then(|| (slot.label.vi.clone(), n))
            })
            .collect(),
        Err(e) => return internal(&e),
    };
    let lookup_url = format!(
        "{}/tra-cuu?ma={}",
        state.config.public_origin.trim_end_matches('/'),
        dossier.code
    );
    let pdf = tokio::task::spawn_blocking(move || {
        crate::server::receipt::receipt_pdf(&crate::server::receipt::SlipInput {
            dossier: &dossier,
            procedure: &procedure,
            id_number: id_number.as_deref(),
            documents: &documents,
            lookup_url,
        })
    })
    .await;
    let bytes = match pdf {
        Ok(Ok(b)) => b,
        Ok(Err(e)) => return internal(&e),
        Err(e) => return internal(&e),
    };
    attachment(
        bytes,
        "application/pdf",
        &format!("giay-tiep-nhan-{code}.pdf"),
        None,
    )
}

/// A download: sent as an attachment (never displayed inline), never cached, never sniffed.
/// `utf8_name` adds the RFC 6266 `filename*` form for names beyond ASCII.
pub fn attachment(
    bytes: Vec<u8>,
    mime: &'static str,
    ascii_name: &str,
    utf8_name: Option<&str>,
) -> Response {
    let mut resp = (StatusCode::OK, bytes).into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(mime));
    let mut disposition = format!("attachment; filename=\"{ascii_name}\"");
    if let Some(n) = utf8_name {
        disposition.push_str(&format!(
            "; filename*=UTF-8''{}",
            crate::ui::routes::encode(n)
        ));
    }
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    resp
}
