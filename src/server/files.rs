//! Documents served to the browser outside the server functions: receipts, slips and attached
//! files of a dossier. Every
//! download checks the same ownership as the dossier and is sent as an attachment.

use crate::server::AppState;
use crate::server::db::workflow::WorkRow;
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
    let Some(code) = file.strip_suffix(".pdf") else {
        return not_found();
    };
    document(
        &state,
        &principal,
        code,
        crate::domain::workflow::SlipKind::Receipt.file_name(),
    )
    .await
}

/// `GET /files/dossiers/{code}/{file}`: a document of a dossier — the receipt
/// (`giay-tiep-nhan.pdf`), a companion slip (`phieu-tu-choi.pdf`, `phieu-bo-sung.pdf`,
/// `phieu-xin-loi.pdf`) or an attached file by id — to its owner or to staff of its ward.
/// Staff downloads are audited; anyone else gets the same answer as for a missing dossier.
pub async fn dossier_file(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path((code, file)): Path<(String, String)>,
) -> Response {
    document(&state, &principal, &code, &file).await
}

fn not_found() -> Response {
    plain(StatusCode::NOT_FOUND, "Không tìm thấy hồ sơ.")
}

fn internal(e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "dossier document failed");
    plain(
        StatusCode::INTERNAL_SERVER_ERROR,
        "Chưa tạo được tài liệu. Vui lòng thử lại.",
    )
}

async fn document(state: &AppState, principal: &Principal, code: &str, file: &str) -> Response {
    let Principal::User(user) = principal else {
        return plain(
            StatusCode::UNAUTHORIZED,
            "Vui lòng đăng nhập để tải tài liệu của hồ sơ.",
        );
    };
    if code.len() > 40 || file.len() > 80 {
        return not_found();
    }
    let db = &state.db;
    // The owner first; otherwise staff of the dossier's ward.
    let (row, staff) = match db.own_work_row(&user.user_id, code).await {
        Ok(Some(r)) => (r, false),
        Ok(None) => {
            let mut found = None;
            for unit in user.roles.iter().map(|r| r.unit_code.as_str()) {
                match db.unit_work_row(unit, code).await {
                    Ok(Some(r)) => {
                        found = Some(r);
                        break;
                    }
                    Ok(None) => {}
                    Err(e) => return internal(&e),
                }
            }
            match found {
                Some(r) => (r, true),
                None => {
                    if user.staff {
                        let _ = db
                            .audit(&crate::server::db::audit::AuditEvent {
                                actor: Some(user.user_id.clone()),
                                actor_role: "staff".into(),
                                actor_unit: None,
                                action: "dossier_download".into(),
                                object: None,
                                outcome: "denied",
                                detail: Some("not_in_ward".into()),
                            })
                            .await;
                    }
                    return not_found();
                }
            }
        }
        Err(e) => return internal(&e),
    };
    use crate::domain::workflow::SlipKind;
    let response = match SlipKind::from_file(file) {
        Some(SlipKind::Receipt) => receipt_pdf(state, &row).await,
        Some(kind) => slip_pdf(state, &row, kind).await,
        None => stored_file(state, &row, file, staff).await,
    };
    if staff && response.status() == StatusCode::OK {
        let detail = Some(file.chars().take(40).collect());
        if let Err(e) =
            crate::server::console::audit_staff(db, user, &row, "download", detail).await
        {
            return internal(&e);
        }
    }
    response
}

async fn receipt_pdf(state: &AppState, row: &WorkRow) -> Response {
    let db = &state.db;
    let (dossier, procedure) = match view_and_procedure(state, row).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let id_number = match &row.applicant_cccd {
        Some(c) => Some(c.clone()),
        None => match db.owner_cccd(&row.id).await {
            Ok(c) => c,
            Err(e) => return internal(&e),
        },
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
    let counter = match db.counter_facts(&row.id).await {
        Ok(c) => c,
        Err(e) => return internal(&e),
    };
    let lookup_url = lookup_url(state, &dossier.code);
    let code = dossier.code.clone();
    let pdf = tokio::task::spawn_blocking(move || {
        crate::server::receipt::receipt_pdf(&crate::server::receipt::SlipInput {
            dossier: &dossier,
            procedure: &procedure,
            id_number: id_number.as_deref(),
            documents: &documents,
            lookup_url,
            counter: counter.as_ref(),
        })
    })
    .await;
    pdf_response(pdf, &format!("giay-tiep-nhan-{code}.pdf"))
}

fn lookup_url(state: &AppState, code: &str) -> String {
    format!(
        "{}/tra-cuu?ma={}",
        state.config.public_origin.trim_end_matches('/'),
        code
    )
}

fn pdf_response(
    pdf: Result<Result<Vec<u8>, String>, tokio::task::JoinError>,
    name: &str,
) -> Response {
    match pdf {
        Ok(Ok(bytes)) => attachment(bytes, "application/pdf", name, None),
        Ok(Err(e)) => internal(&e),
        Err(e) => internal(&e),
    }
}

async fn view_and_procedure(
    state: &AppState,
    row: &WorkRow,
) -> Result<
    (
        crate::domain::filing::DossierView,
        crate::domain::catalog::Procedure,
    ),
    Response,
> {
    let db = &state.db;
    let dossier = match db.dossier_view_by_id(&row.id).await {
        Ok(Some(d)) => d,
        Ok(None) => return Err(not_found()),
        Err(e) => return Err(internal(&e)),
    };
    match db.procedure_by_slug(&dossier.procedure_slug).await {
        Ok(Some(p)) => Ok((dossier, p)),
        Ok(None) => Err(not_found()),
        Err(e) => Err(internal(&e)),
    }
}

async fn slip_pdf(
    state: &AppState,
    row: &WorkRow,
    kind: crate::server::slips::SlipKind,
) -> Response {
    use crate::server::slips::SlipKind;
    let db = &state.db;
    let (dossier, procedure) = match view_and_procedure(state, row).await {
        Ok(v) => v,
        Err(r) => return r,
    };
    let (reason, items, new_due) = match kind {
        SlipKind::Receipt => return receipt_pdf(state, row).await,
        SlipKind::Refusal => match db.latest_note(&row.id, 3).await {
            Ok(Some(n)) => (n, Vec::new(), None),
            Ok(None) => return not_found(),
            Err(e) => return internal(&e),
        },
        SlipKind::Supplement => match db.supplements(&row.id).await {
            Ok(list) => match list.into_iter().last() {
                Some(s) => (
                    s.note,
                    s.items.into_iter().map(|i| (i.label, i.note)).collect(),
                    None,
                ),
                None => return not_found(),
            },
            Err(e) => return internal(&e),
        },
        SlipKind::Apology => match (&row.apology_due_at, &row.apology_reason) {
            (Some(at), reason) => (reason.clone().unwrap_or_default(), Vec::new(), Some(*at)),
            _ => return not_found(),
        },
    };
    let lookup_url = lookup_url(state, &dossier.code);
    let name = format!("phieu-{}-{}.pdf", kind.slug(), dossier.code);
    let pdf = tokio::task::spawn_blocking(move || {
        crate::server::slips::slip_pdf(&crate::server::slips::Slip {
            kind,
            dossier: &dossier,
            procedure: &procedure,
            reason: &reason,
            items: &items,
            new_due,
            issued_at: chrono::Utc::now(),
            lookup_url,
        })
    })
    .await;
    pdf_response(pdf, &name)
}

async fn stored_file(state: &AppState, row: &WorkRow, id: &str, staff: bool) -> Response {
    let db = &state.db;
    let (slot, name) = match db.dossier_upload(&row.id, id).await {
        Ok(Some(f)) => f,
        Ok(None) => return not_found(),
        Err(e) => return internal(&e),
    };
    // The owner gets their own documents and, once ready, the result.
    if !staff
        && slot == "result"
        && !matches!(
            row.status(),
            Ok(crate::domain::status::DossierStatus::Processed
                | crate::domain::status::DossierStatus::ResultReturned)
        )
    {
        return not_found();
    }
    let Some(bytes) = state.files.read(id).await else {
        return internal(&"stored file missing");
    };
    let mime = match crate::domain::form::FileKind::sniff(&bytes) {
        Some(crate::domain::form::FileKind::Pdf) => "application/pdf",
        Some(crate::domain::form::FileKind::Jpeg) => "image/jpeg",
        Some(crate::domain::form::FileKind::Png) => "image/png",
        None => "application/octet-stream",
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    attachment(bytes, mime, &ascii, Some(&name))
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

/// A QR code as SVG: one path of dark modules, a four-module quiet zone.
pub fn qr_svg(data: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M).ok()?;
    let n = code.width();
    let size = n + 8;
    let mut path = String::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % n + 4, i / n + 4));
        }
    }
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {size} {size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{size}\" height=\"{size}\" fill=\"#fff\"/><path d=\"{path}\" fill=\"#000\"/></svg>"
    ))
}

/// `GET /files/intake-consent/{token}.svg?don-vi=<ward>`: the QR code the counter screen
/// shows the resident, to the staff of the ward that asked for the confirmation only.
pub async fn consent_qr(
    State(state): State<AppState>,
    Extension(principal): Extension<Principal>,
    Path(file): Path<String>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
) -> Response {
    let Principal::User(user) = principal else {
        return plain(StatusCode::UNAUTHORIZED, "Vui lòng đăng nhập.");
    };
    let unit = q
        .get(crate::ui::routes::query::UNIT)
        .cloned()
        .unwrap_or_default();
    let Some(token) = file.strip_suffix(".svg").filter(|t| t.len() <= 64) else {
        return not_found();
    };
    if !user.roles.iter().any(|r| r.unit_code == unit) {
        return not_found();
    }
    let consent = match state.db.intake_consent(token).await {
        Ok(Some(c)) if c.unit_code == unit => c,
        Ok(_) => return not_found(),
        Err(e) => return internal(&e),
    };
    let url = format!(
        "{}{}",
        state.config.public_origin.trim_end_matches('/'),
        crate::ui::routes::consent(&consent.token)
    );
    let Some(svg) = qr_svg(&url) else {
        return internal(&"qr code");
    };
    let mut resp = (StatusCode::OK, svg).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("image/svg+xml"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}
