//! The health record's server side: who may read which record, consent, the access log, and
//! each read (fetched from the health-data service, shown, never kept).

use crate::api::AppError;
use crate::api::health::*;
use crate::domain::field_error::FieldCode;
use crate::server::ctx::OrInternal;
use crate::server::ctx::{self, RequestCtx};
use crate::server::db::health::NewHealthAccess;
use crate::server::db::identity::UserRow;
use crate::server::fhir_view::Record;
use crate::server::policy::Action;
use chrono::{Datelike, NaiveDate};
use sha2::{Digest, Sha256};

/// A health request that passed the checks: a resident at level 2 with a recent login (and,
/// when asked for, consent in force).
pub struct HealthCx {
    /// The request.
    pub cx: RequestCtx,
    /// The resident's account.
    pub user: UserRow,
}

/// Whose record a request reads.
#[derive(Debug, Clone)]
pub struct Subject {
    /// As the browser names it.
    pub info: HealthSubject,
    /// Their ID number (the key at the health-data service; never sent to the browser).
    pub cccd: String,
    /// `self` or `parent`: how the reader stands to the record, for its access log.
    pub reader: &'static str,
}

/// Checks the caller for a health read: step-up (level 2, recent login), no staff session,
/// and, with `need_consent`, consent to the current notice.
pub async fn open(need_consent: bool) -> Result<HealthCx, AppError> {
    open_with(ctx::request().await?, need_consent).await
}

/// [`open`] for a request outside the server functions (a download).
pub async fn open_with(cx: RequestCtx, need_consent: bool) -> Result<HealthCx, AppError> {
    let window = cx.state.config.health_window();
    cx.authorize(Action::ReadHealth(window)).await?;
    let me = cx.user()?;
    // The record is open in this session from this read on (or still, since it opened).
    let now = chrono::Utc::now();
    let opened_at = match me.health_opened_at {
        Some(at) if me.health_open(&window, now) => at,
        _ => now,
    };
    cx.state
        .db
        .touch_health_window(&me.session, opened_at, now)
        .await
        .or_internal(&cx)?;
    let user = cx
        .state
        .db
        .user(&me.user_id)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::Unauthenticated)?;
    if need_consent {
        let consent = cx
            .state
            .db
            .health_consent(&user.id)
            .await
            .or_internal(&cx)?;
        if consent.is_none_or(|c| c.version != CONSENT_VERSION) {
            return Err(AppError::ConsentRequired);
        }
    }
    Ok(HealthCx { cx, user })
}

/// The opaque id of a child's record for one parent: stable, unguessable without the
/// parent's account id, and never the child's ID number.
fn child_id(user_id: &str, cccd: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"dvc-health-subject\0");
    h.update(user_id.as_bytes());
    h.update(b"\0");
    h.update(cccd.as_bytes());
    format!("c-{}", &hex::encode(h.finalize())[..20])
}

/// Age in whole years on `today`.
fn age(birth: NaiveDate, today: NaiveDate) -> i32 {
    let mut years = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

impl HealthCx {
    fn today(&self) -> NaiveDate {
        (self.cx.state.clock.now() + chrono::Duration::hours(7)).date_naive()
    }

    /// Every record this resident may read: their own, then each child the identity provider
    /// says they represent (relationship `con`) who is under the configured age.
    pub fn subjects(&self) -> Vec<Subject> {
        let mut out = Vec::new();
        if let Some(cccd) = &self.user.cccd {
            out.push(Subject {
                info: HealthSubject {
                    id: SELF.into(),
                    name: self.user.name.clone(),
                    relationship: SELF.into(),
                    birthdate: self.user.birthdate,
                },
                cccd: cccd.clone(),
                reader: "self",
            });
        }
        let limit = self.cx.state.config.health_child_max_age;
        for d in self.user.dependents.0.iter() {
            let birth = d
                .birthdate
                .as_deref()
                .and_then(|b| NaiveDate::parse_from_str(b, "%Y-%m-%d").ok());
            let is_child = d.relationship.as_deref() == Some("con");
            let young = birth.is_some_and(|b| age(b, self.today()) < limit);
            if !(is_child && young) || crate::domain::cccd::Cccd::parse(&d.cccd).is_err() {
                continue;
            }
            out.push(Subject {
                info: HealthSubject {
                    id: child_id(&self.user.id, &d.cccd),
                    name: d.name.clone(),
                    relationship: "con".into(),
                    birthdate: birth,
                },
                cccd: d.cccd.clone(),
                reader: "parent",
            });
        }
        out
    }

    /// The record named `id`; anyone else's answers as a missing one.
    pub fn subject(&self, id: &str) -> Result<Subject, AppError> {
        self.subjects()
            .into_iter()
            .find(|s| s.info.id == id)
            .ok_or(AppError::NotFound)
    }

    /// Records a read in the subject's access log. A failure to log refuses the read: a read
    /// the resident cannot see must not happen.
    pub async fn log(
        &self,
        s: &Subject,
        event: &str,
        object: Option<&str>,
    ) -> Result<(), AppError> {
        self.cx
            .state
            .db
            .log_health_access(
                &NewHealthAccess {
                    subject: &s.cccd,
                    actor_id: Some(&self.user.id),
                    actor_kind: s.reader,
                    event,
                    object,
                    recipient: None,
                },
                self.cx.state.clock.now(),
            )
            .await
            .or_internal(&self.cx)
    }

    /// The subject's record from the health-data service. The service down or slow answers
    /// `Unavailable` within its timeout; no record there answers `NotFound`.
    pub async fn record(&self, s: &Subject) -> Result<Record, AppError> {
        Record::read(self.resources(s).await?).ok_or(AppError::NotFound)
    }

    /// The subject's resources as the service sends them, for the exports and share links.
    pub async fn resources(&self, s: &Subject) -> Result<Vec<serde_json::Value>, AppError> {
        let ehr = self.cx.state.ehr.as_ref().ok_or(AppError::Unavailable)?;
        match ehr.record(&s.cccd).await {
            Ok(Some(resources)) => Ok(resources),
            Ok(None) => Err(AppError::NotFound),
            Err(e) => {
                tracing::warn!(request_id = %self.cx.request_id, error = %e, "health record not read");
                Err(AppError::Unavailable)
            }
        }
    }

    /// The bytes of a document of `record`, as the facility sent them: only the source's own
    /// binaries (`Binary/<id>`, relative or under its base).
    pub async fn document_bytes(
        &self,
        record: &Record,
        id: &str,
    ) -> Result<crate::server::ehr::Binary, AppError> {
        let (_, url, _) = record.document(id).ok_or(AppError::NotFound)?;
        let binary_id = url
            .rsplit_once("Binary/")
            .map(|(_, b)| b)
            .filter(|b| !b.is_empty() && !b.contains('/'))
            .ok_or(AppError::NotFound)?;
        let ehr = self.cx.state.ehr.as_ref().ok_or(AppError::Unavailable)?;
        match ehr.binary(binary_id).await {
            Ok(Some(b)) => Ok(b),
            Ok(None) => Err(AppError::NotFound),
            Err(e) => {
                tracing::warn!(request_id = %self.cx.request_id, error = %e, "facility document not read");
                Err(AppError::Unavailable)
            }
        }
    }

    /// Checks that the login is recent, for what takes the record out of the portal (an
    /// export, a share link): an open record is not enough.
    pub async fn require_fresh(&self) -> Result<(), AppError> {
        self.cx
            .authorize(Action::HealthFresh {
                fresh_secs: self.cx.state.config.health_fresh_secs,
            })
            .await
    }

    /// The checks and the fetch of one read, logged as `event`.
    async fn read(
        &self,
        subject: &str,
        event: &str,
        object: Option<&str>,
    ) -> Result<(Subject, Record), AppError> {
        let s = self.subject(subject)?;
        let record = self.record(&s).await?;
        self.log(&s, event, object).await?;
        Ok((s, record))
    }
}

/// See [`crate::api::health::health_subjects`].
pub async fn subjects(h: &HealthCx) -> Result<Vec<HealthSubject>, AppError> {
    Ok(h.subjects().into_iter().map(|s| s.info).collect())
}

/// See [`crate::api::health::health_consent`].
pub async fn consent(req: ConsentRequest) -> Result<ConsentInfo, AppError> {
    let cx = ctx::request().await?;
    cx.authorize(Action::HealthConsent).await?;
    let me = cx.user()?;
    let now = cx.state.clock.now();
    let mut revoked_shares = 0;
    let own_log = |event: &'static str| {
        let cx = &cx;
        async move {
            let cccd = cx
                .state
                .db
                .user(&me.user_id)
                .await
                .or_internal(cx)?
                .and_then(|u| u.cccd);
            if let Some(cccd) = cccd {
                cx.state
                    .db
                    .log_health_access(
                        &NewHealthAccess {
                            subject: &cccd,
                            actor_id: Some(&me.user_id),
                            actor_kind: "self",
                            event,
                            object: None,
                            recipient: None,
                        },
                        now,
                    )
                    .await
                    .or_internal(cx)?;
            }
            Ok::<(), AppError>(())
        }
    };
    match req.change {
        None => {}
        Some(ConsentChange::Give { version }) => {
            // Consent is given by a verified person who just logged in.
            cx.authorize(Action::HealthFresh {
                fresh_secs: cx.state.config.health_fresh_secs,
            })
            .await?;
            if version != CONSENT_VERSION {
                return Err(AppError::field("version", FieldCode::Outdated));
            }
            cx.state
                .db
                .give_health_consent(&me.user_id, CONSENT_VERSION, now)
                .await
                .or_internal(&cx)?;
            own_log("consent_given").await?;
        }
        // Withdrawing is never blocked by an old login.
        Some(ConsentChange::Withdraw) => {
            revoked_shares = cx
                .state
                .db
                .withdraw_health_consent(&me.user_id, now)
                .await
                .or_internal(&cx)?;
            own_log("consent_withdrawn").await?;
        }
    }
    let current = cx
        .state
        .db
        .health_consent(&me.user_id)
        .await
        .or_internal(&cx)?
        .filter(|c| c.version == CONSENT_VERSION);
    Ok(ConsentInfo {
        version: CONSENT_VERSION.into(),
        given: current.is_some(),
        given_at: current.map(|c| c.given_at),
        revoked_shares,
        fresh_minutes: cx.state.config.health_fresh_secs / 60,
    })
}

/// See [`crate::api::health::health_overview`].
pub async fn overview(h: &HealthCx, subject: &str) -> Result<Overview, AppError> {
    let (s, record) = h.read(subject, "read_overview", None).await?;
    Ok(record.overview(s.info, &h.cx.state.schedule, h.today()))
}

/// See [`crate::api::health::health_visits`].
pub async fn visits(h: &HealthCx, req: &VisitsRequest) -> Result<VisitList, AppError> {
    let (_, record) = h.read(&req.subject, "read_visits", None).await?;
    Ok(record.visits(req.year, req.facility.as_deref().filter(|f| !f.is_empty())))
}

/// See [`crate::api::health::health_visit`].
pub async fn visit(h: &HealthCx, req: &VisitRequest) -> Result<Visit, AppError> {
    let s = h.subject(&req.subject)?;
    let record = h.record(&s).await?;
    let visit = record.visit(&req.id).ok_or(AppError::NotFound)?;
    h.log(&s, "read_visit", Some(&req.id)).await?;
    Ok(visit)
}

/// See [`crate::api::health::health_lab_series`].
pub async fn lab_series(h: &HealthCx, req: &LabSeriesRequest) -> Result<LabSeries, AppError> {
    let (_, record) = h.read(&req.subject, "read_lab_series", None).await?;
    Ok(record.lab_series(&req.code))
}

/// See [`crate::api::health::health_vaccinations`].
pub async fn vaccinations(h: &HealthCx, subject: &str) -> Result<Vaccinations, AppError> {
    let (_, record) = h.read(subject, "read_vaccinations", None).await?;
    Ok(record.vaccinations(&h.cx.state.schedule, h.today()))
}

/// See [`crate::api::health::health_access_log`].
pub async fn access_log(h: &HealthCx, subject: &str) -> Result<Vec<AccessEntry>, AppError> {
    let s = h.subject(subject)?;
    let db = &h.cx.state.db;
    let rows = db
        .health_access_log(&s.cccd, 200)
        .await
        .or_internal(&h.cx)?;
    let mut names = std::collections::HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let actor_name = match (&r.actor_id, r.actor_kind.as_str()) {
            (Some(id), "parent") => {
                if !names.contains_key(id) {
                    let name = db.user(id).await.or_internal(&h.cx)?.map(|u| u.name);
                    names.insert(id.clone(), name);
                }
                names[id].clone()
            }
            _ => None,
        };
        out.push(AccessEntry {
            at: r.at,
            actor: r.actor_kind,
            actor_name,
            event: r.event,
            recipient: r.recipient,
        });
    }
    Ok(out)
}

/// The query of a health download.
#[derive(Debug, serde::Deserialize)]
pub struct SubjectQuery {
    /// Subject id.
    #[serde(default)]
    pub subject: String,
}

/// The electronic birth certificates in the resident's own record.
pub async fn birth_certificates(h: &HealthCx) -> Result<Vec<BirthCertificateOffer>, AppError> {
    let (_, record) = h.read(SELF, "read_birth_certificates", None).await?;
    Ok(record.birth_certificates())
}

/// Attaches a document of the resident's own record to a slot of one of their drafts that
/// the health record can provide (see [`crate::domain::form::DocumentSlot::from_health`]).
pub async fn attach(
    h: &HealthCx,
    req: &AttachRequest,
) -> Result<crate::domain::upload::UploadView, AppError> {
    use crate::domain::form::FileKind;
    use crate::domain::upload::{OriginSystem, Refusal, sanitize_name};
    use crate::server::db::uploads::{NewOrigin, NewUpload};
    use crate::server::fhir_view::BIRTH_CERTIFICATE;
    use crate::server::uploads::{Unfinished, keep_fetched, open_slot, slot_refusal};
    let cx = &h.cx;
    let db = &cx.state.db;
    let user = &h.user.id;
    let refuse = |code: FieldCode| slot_refusal(&req.slot, code);
    let reference = format!("DocumentReference/{}", req.document);
    // The same document asked for again (a double tap, a second tab): the file already there.
    if let Some(up) = db
        .draft_upload_from(user, &req.draft_id, &reference)
        .await
        .or_internal(cx)?
        .filter(|u| u.slot == req.slot)
    {
        return Ok(up);
    }
    let (draft, slot) = open_slot(cx, user, &req.draft_id, &req.slot).await?;
    // Only the birth certificate can come from the health record so far.
    if slot.from_health.as_deref() != Some(BIRTH_CERTIFICATE) {
        return Err(refuse(FieldCode::NotFromHealth));
    }
    crate::server::rate_limit::check(&cx.state, crate::server::rate_limit::UPLOADS_PER_USER, user)
        .await?;
    let s = h.subject(SELF)?;
    let record = h.record(&s).await?;
    // Someone else's document, or one that is not a birth certificate, answers as a missing one.
    let certificate = record
        .birth_certificates()
        .into_iter()
        .find(|c| c.id == req.document)
        .ok_or(AppError::NotFound)?;
    let binary = h.document_bytes(&record, &certificate.id).await?;
    h.log(&s, "attach_document", Some(&certificate.id)).await?;
    let bytes = binary.bytes;
    if bytes.is_empty() {
        return Err(refuse(Refusal::Empty.code()));
    }
    let kind = match FileKind::sniff(&bytes) {
        Some(k) if slot.accepts.contains(&k) => k,
        _ => return Err(refuse(Refusal::Type.code())),
    };
    if bytes.len() as u64 > u64::from(slot.max_kb) * 1024 {
        return Err(refuse(Refusal::TooBig.code()));
    }
    let ext = match kind {
        FileKind::Pdf => "pdf",
        FileKind::Jpeg => "jpg",
        FileKind::Png => "png",
    };
    let name = sanitize_name(&match &certificate.number {
        Some(n) if !certificate.title.contains(n.as_str()) => {
            format!("{} {n}.{ext}", certificate.title)
        }
        _ => format!("{}.{ext}", certificate.title),
    });
    let up = db
        .create_upload(
            &NewUpload {
                user_id: user,
                draft_id: &draft.id,
                slot: &slot.id,
                name: &name,
                size: bytes.len() as i64,
                origin: Some(NewOrigin {
                    system: OriginSystem::Health,
                    issuer: certificate.facility.as_deref(),
                    number: certificate.number.as_deref(),
                    issued: certificate.issued,
                    reference: &reference,
                }),
            },
            cx.state.clock.now(),
        )
        .await
        .or_internal(cx)?;
    let Some(up) = up else {
        // Attached by a request at the same moment: that one keeps the file.
        return db
            .draft_upload_from(user, &draft.id, &reference)
            .await
            .or_internal(cx)?
            .ok_or(AppError::Conflict);
    };
    match keep_fetched(&cx.state, user, &up.id, kind, &bytes).await {
        // Waiting for the malware scanner: it is finished when the scanner answers, like an
        // upload.
        Ok(()) | Err(Unfinished::ScanPending) => {}
        Err(Unfinished::Refused(r)) => return Err(refuse(r.code())),
        Err(Unfinished::Failed(e)) => return Err(cx.internal(e)),
    }
    db.upload(user, &up.id)
        .await
        .or_internal(cx)?
        .ok_or(AppError::NotFound)
}

/// A health download's refusal: the error's code as JSON (`{"error":"step_up_required"}`),
/// never cached.
pub fn refusal(e: &AppError) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    use axum::response::IntoResponse;
    let code = match e {
        AppError::StepUpRequired => "step_up_required",
        AppError::ConsentRequired => "consent_required",
        AppError::NotFound => "not_found",
        AppError::Unauthenticated => "unauthenticated",
        AppError::Forbidden => "forbidden",
        AppError::Unavailable => "unavailable",
        _ => "internal",
    };
    let status = StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        serde_json::json!({ "error": code }).to_string(),
    )
        .into_response();
    resp.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// [`refusal`] of a download the browser navigated to (a link clicked): a login that is too
/// old goes to a new sign-in that comes back to the subject's record, instead of a page of
/// JSON.
fn download_refusal(
    headers: &axum::http::HeaderMap,
    subject: &str,
    e: &AppError,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let navigated = headers
        .get("sec-fetch-mode")
        .is_some_and(|m| m.as_bytes() == b"navigate");
    if navigated && matches!(e, AppError::StepUpRequired) {
        let back = crate::ui::routes::health(crate::ui::routes::HEALTH, subject);
        let mut resp =
            axum::response::Redirect::to(&crate::ui::routes::login(&back, true)).into_response();
        resp.headers_mut().insert(
            axum::http::header::CACHE_CONTROL,
            axum::http::HeaderValue::from_static("no-store"),
        );
        return resp;
    }
    refusal(e)
}

/// The request context of a download, as the server functions get it.
fn download_ctx(
    state: crate::server::AppState,
    principal: crate::server::policy::Principal,
    headers: &axum::http::HeaderMap,
) -> RequestCtx {
    RequestCtx {
        state,
        principal,
        request_id: headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        client_ip: None,
    }
}

/// `GET /files/health/documents/{id}?subject=<id>`: a document the facility sent (a visit
/// summary, a referral slip, a birth certificate), as the facility made it.
pub async fn document_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::Extension(principal): axum::Extension<crate::server::policy::Principal>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<SubjectQuery>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let cx = download_ctx(state, principal, &headers);
    match facility_document(cx, &q.subject, &id).await {
        Ok((bytes, mime, name)) => crate::server::files::attachment(bytes, mime, &name, None),
        Err(e) => download_refusal(&headers, &q.subject, &e),
    }
}

async fn facility_document(
    cx: RequestCtx,
    subject: &str,
    id: &str,
) -> Result<(Vec<u8>, &'static str, String), AppError> {
    let h = open_with(cx, true).await?;
    let s = h.subject(subject)?;
    let record = h.record(&s).await?;
    let binary = h.document_bytes(&record, id).await?;
    h.log(&s, "document", Some(id)).await?;
    let (mime, ext) = if binary.content_type == "application/pdf" {
        ("application/pdf", "pdf")
    } else {
        ("application/octet-stream", "bin")
    };
    Ok((
        binary.bytes,
        mime,
        format!(
            "tai-lieu-{}.{ext}",
            id.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                .collect::<String>()
        ),
    ))
}

/// `GET /files/health/visits/{id}.pdf?subject=<id>`: one visit as a PDF the portal makes.
pub async fn visit_pdf_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::Extension(principal): axum::Extension<crate::server::policy::Principal>,
    axum::extract::Path(file): axum::extract::Path<String>,
    axum::extract::Query(q): axum::extract::Query<SubjectQuery>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    let cx = download_ctx(state, principal, &headers);
    let Some(id) = file.strip_suffix(".pdf") else {
        return refusal(&AppError::NotFound);
    };
    match visit_pdf(cx, &q.subject, id).await {
        Ok(bytes) => crate::server::files::attachment(
            bytes,
            "application/pdf",
            &format!(
                "lan-kham-{}.pdf",
                id.chars()
                    .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect::<String>()
            ),
            None,
        ),
        Err(e) => download_refusal(&headers, &q.subject, &e),
    }
}

async fn visit_pdf(cx: RequestCtx, subject: &str, id: &str) -> Result<Vec<u8>, AppError> {
    let h = open_with(cx, true).await?;
    let s = h.subject(subject)?;
    let record = h.record(&s).await?;
    let visit = record.visit(id).ok_or(AppError::NotFound)?;
    let overview = record.overview(s.info.clone(), &h.cx.state.schedule, h.today());
    let pdf = crate::server::health_pdf::visit_pdf(&overview, &visit, h.cx.state.clock.now())
        .or_internal(&h.cx)?;
    h.log(&s, "visit_pdf", Some(id)).await?;
    Ok(pdf)
}

/// The longest a share link may work: 30 days.
const SHARE_MAX_SECS: i64 = 30 * 24 * 3600;

/// What a share link's file holds, as FHIR: the IPS document, or a collection of the
/// Patient and their immunizations (with the places named).
fn share_content(
    origin: &str,
    scope: &str,
    e: &crate::server::fhir_export::Exportable,
    now: chrono::DateTime<chrono::Utc>,
) -> serde_json::Value {
    if scope == "summary" {
        return crate::server::fhir_export::patient_summary(origin, e, now);
    }
    let picked = crate::server::fhir_export::Exportable {
        resources: e
            .resources
            .iter()
            .filter(|v| {
                matches!(
                    v["resourceType"].as_str(),
                    Some("Patient" | "Immunization" | "Location" | "Organization")
                )
            })
            .cloned()
            .collect(),
        skipped: e.skipped,
    };
    let mut b = crate::server::fhir_export::everything(origin, &picked, now);
    b["type"] = serde_json::json!("collection");
    if let Some(o) = b.as_object_mut() {
        o.remove("total");
        o.remove("link");
    }
    if let Some(entries) = b["entry"].as_array_mut() {
        for x in entries {
            if let Some(o) = x.as_object_mut() {
                o.remove("search");
            }
        }
    }
    b
}

/// See [`crate::api::health::health_share_create`].
pub async fn share_create(h: &HealthCx, req: ShareRequest) -> Result<ShareCreated, AppError> {
    h.require_fresh().await?;
    let s = h.subject(&req.subject)?;
    let config = &h.cx.state.config;
    let mut fields = Vec::new();
    if !SHARE_SCOPES.contains(&req.scope.as_str()) {
        fields.push(crate::domain::field_error::FieldError::new(
            "scope",
            FieldCode::Invalid,
        ));
    }
    if req.expires_in_secs < config.health_share_min_secs || req.expires_in_secs > SHARE_MAX_SECS {
        fields.push(crate::domain::field_error::FieldError::new(
            "expires_in_secs",
            FieldCode::OutOfRange,
        ));
    }
    let passcode = req.passcode.trim();
    if passcode.chars().count() < 6 || passcode.chars().count() > 64 {
        fields.push(crate::domain::field_error::FieldError::new(
            "passcode",
            FieldCode::TooShort,
        ));
    }
    let label: String = req
        .label
        .trim()
        .chars()
        .filter(|c| !c.is_control())
        .collect();
    if label.chars().count() > 80 {
        fields.push(crate::domain::field_error::FieldError::new(
            "label",
            FieldCode::TooLong,
        ));
    }
    if !fields.is_empty() {
        return Err(AppError::Validation { fields });
    }
    let label = if label.is_empty() {
        "Sổ sức khỏe".to_string()
    } else {
        label
    };
    crate::server::rate_limit::check(
        &h.cx.state,
        crate::server::rate_limit::SHARES_PER_USER,
        &h.user.id,
    )
    .await?;
    let resources = h.resources(&s).await?;
    let now = h.cx.state.clock.now();
    let origin = config.public_origin.trim_end_matches('/');
    let exportable = crate::server::fhir_export::exportable(resources);
    let content = share_content(origin, &req.scope, &exportable, now);
    let key: [u8; 32] = rand::random();
    let file = crate::server::shl::jwe_encrypt(
        &key,
        "application/fhir+json",
        content.to_string().as_bytes(),
    )
    .or_internal(&h.cx)?;
    let token = crate::server::shl::random_b64();
    let expires_at = now + chrono::Duration::seconds(req.expires_in_secs);
    let share = crate::server::db::health::HealthShare {
        id: uuid::Uuid::now_v7().to_string(),
        user_id: h.user.id.clone(),
        subject: s.cccd.clone(),
        scope: req.scope.clone(),
        label: label.clone(),
        manifest_hash: crate::server::shl::token_hash(&token),
        passcode_hash: crate::server::shl::hash_passcode(passcode),
        attempts_left: config.health_share_attempts,
        created_at: now,
        expires_at,
        revoked_at: None,
        file_jwe: file,
    };
    h.cx.state
        .db
        .create_health_share(&share)
        .await
        .or_internal(&h.cx)?;
    h.log(&s, "share_created", Some(&share.id)).await?;
    use base64::Engine as _;
    let payload = crate::server::shl::payload(
        &format!("{origin}/shl/{token}"),
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key),
        expires_at.timestamp(),
        &label,
    );
    let link = format!(
        "{origin}{}#{payload}",
        crate::ui::routes::HEALTH_SHARE_VIEWER
    );
    Ok(ShareCreated {
        id: share.id,
        qr_svg: crate::server::files::qr_svg(&link).unwrap_or_default(),
        link,
        expires_at,
    })
}

/// See [`crate::api::health::health_shares_list`].
pub async fn shares_list(h: &HealthCx) -> Result<Vec<ShareInfo>, AppError> {
    let now = h.cx.state.clock.now();
    let names: std::collections::HashMap<String, String> = h
        .subjects()
        .into_iter()
        .map(|s| (s.cccd, s.info.name))
        .collect();
    let rows =
        h.cx.state
            .db
            .health_shares_of(&h.user.id)
            .await
            .or_internal(&h.cx)?;
    Ok(rows
        .into_iter()
        .map(|r| ShareInfo {
            active: r.revoked_at.is_none() && r.expires_at > now && r.attempts_left > 0,
            subject_name: names.get(&r.subject).cloned().unwrap_or_default(),
            id: r.id,
            label: r.label,
            scope: r.scope,
            created_at: r.created_at,
            expires_at: r.expires_at,
            revoked_at: r.revoked_at,
            attempts_left: r.attempts_left,
        })
        .collect())
}

/// See [`crate::api::health::health_share_revoke`].
pub async fn share_revoke(h: &HealthCx, id: &str) -> Result<Vec<ShareInfo>, AppError> {
    let now = h.cx.state.clock.now();
    let subject =
        h.cx.state
            .db
            .revoke_health_share(&h.user.id, id, now)
            .await
            .or_internal(&h.cx)?
            .ok_or(AppError::NotFound)?;
    if let Some(s) = h.subjects().into_iter().find(|s| s.cccd == subject) {
        h.log(&s, "share_revoked", Some(id)).await?;
    }
    shares_list(h).await
}

/// A manifest request (SMART Health Links): who is asking, and the passcode.
#[derive(Debug, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ManifestRequest {
    /// The recipient's own description of themselves (untrusted text).
    #[serde(default)]
    pub recipient: String,
    /// The link's passcode.
    #[serde(default)]
    pub passcode: Option<String>,
    /// The longest file the viewer takes embedded.
    #[serde(default)]
    pub embedded_length_max: Option<usize>,
}

/// An answer of the manifest route: JSON, to any origin without credentials, never cached.
fn manifest_answer(
    status: axum::http::StatusCode,
    body: serde_json::Value,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "cross-origin-resource-policy",
        HeaderValue::from_static("cross-origin"),
    );
    resp
}

/// `GET /shl/file/{share}/{until}/{signature}`: a link's encrypted file at the location its
/// manifest handed out: no cookies, any origin, `application/jose`, while the location and the
/// link both still work.
pub async fn share_file(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::extract::Path((id, until, sig)): axum::extract::Path<(String, i64, String)>,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let now = state.clock.now();
    let gone = || {
        manifest_answer(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": "not_found" }),
        )
    };
    if until < now.timestamp() || until > now.timestamp() + crate::server::shl::LOCATION_SECS {
        return gone();
    }
    let share = match state.db.active_health_share_by_id(&id, now).await {
        Ok(Some(s)) => s,
        Ok(None) => return gone(),
        Err(e) => {
            tracing::error!(error = %e, "share file failed");
            return manifest_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": "unavailable" }),
            );
        }
    };
    if !crate::server::shl::location_valid(&share.manifest_hash, &share.id, until, &sig) {
        return gone();
    }
    let mut r = manifest_answer(StatusCode::OK, serde_json::Value::Null);
    *r.body_mut() = axum::body::Body::from(share.file_jwe);
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jose"),
    );
    r
}

/// `OPTIONS /shl/{token}`: the CORS preflight of a viewer on another origin.
pub async fn manifest_preflight() -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let mut resp = manifest_answer(StatusCode::NO_CONTENT, serde_json::Value::Null);
    *resp.body_mut() = axum::body::Body::empty();
    let h = resp.headers_mut();
    h.remove(header::CONTENT_TYPE);
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("POST"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        HeaderValue::from_static("content-type"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("600"),
    );
    resp
}

/// `POST /shl/{token}`: the manifest of a share link. Takes no cookies. An inactive link
/// (expired, revoked, out of attempts, unknown) answers 404; a wrong passcode 401 with the
/// attempts left over the link's whole life; the right one the encrypted file, embedded.
pub async fn manifest(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    axum::extract::Path(token): axum::extract::Path<String>,
    body: axum::body::Bytes,
) -> axum::response::Response {
    use axum::http::{HeaderValue, StatusCode, header};
    let limit =
        crate::server::rate_limit::SHARE_OPENS_PER_IP.scaled(state.config.address_limit_scale);
    if let Err(AppError::RateLimited { retry_after }) =
        crate::server::rate_limit::check(&state, limit, &peer.ip().to_string()).await
    {
        let mut r = manifest_answer(
            StatusCode::TOO_MANY_REQUESTS,
            serde_json::json!({ "error": "rate_limited" }),
        );
        if let Ok(v) = HeaderValue::from_str(&retry_after.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let Ok(req) = serde_json::from_slice::<ManifestRequest>(&body) else {
        return manifest_answer(
            StatusCode::BAD_REQUEST,
            serde_json::json!({ "error": "bad_request" }),
        );
    };
    let now = state.clock.now();
    let gone = || {
        manifest_answer(
            StatusCode::NOT_FOUND,
            serde_json::json!({ "error": "not_found" }),
        )
    };
    let share = match state
        .db
        .active_health_share(&crate::server::shl::token_hash(&token), now)
        .await
    {
        Ok(Some(s)) => s,
        Ok(None) => return gone(),
        Err(e) => {
            tracing::error!(error = %e, "share manifest failed");
            return manifest_answer(
                StatusCode::SERVICE_UNAVAILABLE,
                serde_json::json!({ "error": "unavailable" }),
            );
        }
    };
    // The recipient's words, kept short and printable for the resident's log.
    let recipient: String = req
        .recipient
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let recipient = recipient.trim().to_string();
    let log = |event: &'static str| {
        let (state, share, recipient) = (&state, &share, &recipient);
        async move {
            let row = NewHealthAccess {
                subject: &share.subject,
                actor_id: None,
                actor_kind: "share",
                event,
                object: Some(&share.id),
                recipient: (!recipient.is_empty()).then_some(recipient.as_str()),
            };
            state.db.log_health_access(&row, now).await
        }
    };
    let right = req
        .passcode
        .as_deref()
        .is_some_and(|p| crate::server::shl::passcode_matches(&share.passcode_hash, p.trim()));
    if !right {
        let left = state.db.spend_health_share_attempt(&share.id).await;
        if let Err(e) = log("share_wrong_passcode").await {
            tracing::error!(error = %e, "health access log failed");
        }
        return match left {
            Ok(Some(n)) => manifest_answer(
                StatusCode::UNAUTHORIZED,
                serde_json::json!({ "remainingAttempts": n }),
            ),
            Ok(None) => gone(),
            Err(e) => {
                tracing::error!(error = %e, "share attempt not counted");
                manifest_answer(
                    StatusCode::SERVICE_UNAVAILABLE,
                    serde_json::json!({ "error": "unavailable" }),
                )
            }
        };
    }
    if let Err(e) = log("share_opened").await {
        // A read the resident cannot see must not happen.
        tracing::error!(error = %e, "health access log failed");
        return manifest_answer(
            StatusCode::SERVICE_UNAVAILABLE,
            serde_json::json!({ "error": "unavailable" }),
        );
    }
    // A viewer that takes shorter embedded files gets a location, good for an hour.
    let file = match req.embedded_length_max {
        Some(max) if share.file_jwe.len() > max => {
            let until = (now + chrono::Duration::seconds(crate::server::shl::LOCATION_SECS))
                .timestamp()
                .min(share.expires_at.timestamp());
            let sig =
                crate::server::shl::location_signature(&share.manifest_hash, &share.id, until);
            let origin = state.config.public_origin.trim_end_matches('/');
            serde_json::json!({ "contentType": "application/fhir+json", "location": format!("{origin}/shl/file/{}/{until}/{sig}", share.id) })
        }
        _ => {
            serde_json::json!({ "contentType": "application/fhir+json", "embedded": share.file_jwe })
        }
    };
    manifest_answer(StatusCode::OK, serde_json::json!({ "files": [file] }))
}

/// The record as it may leave the portal, logged as `event`.
async fn exportable(
    cx: RequestCtx,
    subject: &str,
    event: &str,
) -> Result<(HealthCx, crate::server::fhir_export::Exportable), AppError> {
    let h = open_with(cx, true).await?;
    h.require_fresh().await?;
    let s = h.subject(subject)?;
    let resources = h.resources(&s).await?;
    let e = crate::server::fhir_export::exportable(resources);
    if e.resources
        .first()
        .is_none_or(|p| p["resourceType"] != "Patient")
    {
        return Err(AppError::NotFound);
    }
    h.log(&s, event, None).await?;
    Ok((h, e))
}

/// Which export a download is.
#[derive(Clone, Copy)]
enum ExportKind {
    /// The whole record, shaped like `Patient/$everything`.
    Everything,
    /// The International Patient Summary document.
    Summary,
}

/// The two exports' download: checks, fetch, build, logged, sent as FHIR JSON.
async fn export(
    state: crate::server::AppState,
    principal: crate::server::policy::Principal,
    headers: &axum::http::HeaderMap,
    subject: &str,
    kind: ExportKind,
) -> axum::response::Response {
    use crate::server::fhir_export::{everything, patient_summary};
    let origin = state.config.public_origin.clone();
    let cx = download_ctx(state, principal, headers);
    let (event, name) = match kind {
        ExportKind::Everything => ("export_fhir", "ho-so-suc-khoe.fhir.json"),
        ExportKind::Summary => ("export_ips", "tom-tat-suc-khoe-ips.fhir.json"),
    };
    match exportable(cx, subject, event).await {
        Ok((h, e)) => {
            let now = h.cx.state.clock.now();
            let bundle = match kind {
                ExportKind::Everything => everything(&origin, &e, now),
                ExportKind::Summary => patient_summary(&origin, &e, now),
            };
            crate::server::files::attachment(
                bundle.to_string().into_bytes(),
                "application/fhir+json; fhirVersion=4.0.1",
                name,
                None,
            )
        }
        Err(e) => download_refusal(headers, subject, &e),
    }
}

/// `GET /files/health/export?subject=<id>`: the whole record as a FHIR R4 Bundle shaped like
/// `Patient/$everything`.
pub async fn export_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::Extension(principal): axum::Extension<crate::server::policy::Principal>,
    axum::extract::Query(q): axum::extract::Query<SubjectQuery>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    export(
        state,
        principal,
        &headers,
        &q.subject,
        ExportKind::Everything,
    )
    .await
}

/// `GET /files/health/ips?subject=<id>`: the International Patient Summary document.
pub async fn ips_download(
    axum::extract::State(state): axum::extract::State<crate::server::AppState>,
    axum::Extension(principal): axum::Extension<crate::server::policy::Principal>,
    axum::extract::Query(q): axum::extract::Query<SubjectQuery>,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    export(state, principal, &headers, &q.subject, ExportKind::Summary).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_childs_id_is_opaque_and_differs_between_parents() {
        let a = child_id("user-1", "001315000777");
        assert!(a.starts_with("c-") && a.len() == 22);
        assert!(!a.contains("001315000777"));
        assert_ne!(a, child_id("user-2", "001315000777"));
        assert_eq!(a, child_id("user-1", "001315000777"));
    }

    #[test]
    fn age_counts_whole_years() {
        let d = |s| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert_eq!(age(d("2015-06-01"), d("2026-12-01")), 11);
        assert_eq!(age(d("2012-12-02"), d("2026-12-01")), 13);
        assert_eq!(age(d("2012-12-01"), d("2026-12-01")), 14);
    }
}
