//! The electronic health record, as the resident and the parent of a child read it.
//!
//! Every function here needs a signed-in resident (never a staff session) at identity level
//! 2 with a recent login, or whose record opened so in this session and is still open
//! (`step_up_required` otherwise; share links need the recent login), who has consented to
//! the current notice (`consent_required` otherwise). A record is named by a subject id from
//! [`health_subjects`]: `self`, or an opaque id for a child the identity provider says the
//! resident represents. Another id answers 404, like a missing one. The data comes from the
//! health-data service at each read; the portal keeps none of it.

use crate::api::AppError;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// Version of the health-record notice the resident consents to. A new version asks again.
pub const CONSENT_VERSION: &str = "2026-12-01";

/// Subject id of the signed-in resident's own record.
pub const SELF: &str = "self";

/// Whose record can be read: oneself, or a child one legally represents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HealthSubject {
    /// `self`, or an opaque id (never an ID number).
    pub id: String,
    /// Full name.
    pub name: String,
    /// `self`, or the relationship as the identity provider states it (`con`).
    pub relationship: String,
    /// Date of birth.
    pub birthdate: Option<NaiveDate>,
}

/// The notice and the resident's consent to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentInfo {
    /// The notice's current version.
    pub version: String,
    /// Consent to the current version is in force.
    pub given: bool,
    /// When it was given.
    pub given_at: Option<DateTime<Utc>>,
    /// Share links revoked by a withdrawal just made.
    pub revoked_shares: u64,
    /// Minutes the record stays open after a sign-in.
    pub fresh_minutes: i64,
}

/// A change of consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ConsentChange {
    /// Agree to this version of the notice (it must be the current one).
    Give {
        /// The version read.
        version: String,
    },
    /// Withdraw: the record closes and every share link stops working at once.
    Withdraw,
}

/// Request of [`health_consent`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentRequest {
    /// None only reads the state.
    #[serde(default)]
    pub change: Option<ConsentChange>,
}

/// A request naming one record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRequest {
    /// Subject id from [`health_subjects`].
    pub subject: String,
}

/// Health-insurance (BHYT) card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageInfo {
    /// Card number, masked except its last digits.
    pub number_masked: Option<String>,
    /// Valid from.
    pub valid_from: Option<NaiveDate>,
    /// Valid until.
    pub valid_to: Option<NaiveDate>,
    /// Valid today.
    pub active: bool,
    /// Initial-care facility (nơi đăng ký khám chữa bệnh ban đầu).
    pub initial_facility: Option<String>,
}

/// An allergy or intolerance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllergyInfo {
    /// What to (as the source names it).
    pub substance: String,
    /// Reactions seen.
    pub reactions: Vec<String>,
    /// Confirmed by a clinician (otherwise suspected).
    pub confirmed: bool,
}

/// A diagnosis or a long-term condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnosis {
    /// ICD-10 code (`E11.9`).
    pub code: Option<String>,
    /// Its Vietnamese name, as the source gives it.
    pub name: String,
    /// The main diagnosis of a visit.
    pub main: bool,
    /// Since when (long-term conditions).
    pub onset: Option<NaiveDate>,
    /// The clinician's note.
    pub note: Option<String>,
}

/// A medicine prescribed or being taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Medicine {
    /// Name and strength.
    pub name: String,
    /// Dosage exactly as the doctor wrote it.
    pub dosage: Option<String>,
    /// Route (`Uống`).
    pub route: Option<String>,
    /// Quantity with its unit.
    pub quantity: Option<String>,
    /// Prescribed on, or taken since.
    pub date: Option<NaiveDate>,
}

/// A re-examination appointment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appointment {
    /// When (local time).
    pub start: Option<NaiveDateTime>,
    /// Where.
    pub facility: Option<String>,
    /// What for.
    pub description: Option<String>,
}

/// How the count of vaccination doses stands.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VaccinationSummary {
    /// Doses given.
    pub done: u32,
    /// Doses due now.
    pub due: u32,
    /// Doses past their time.
    pub overdue: u32,
}

/// Kind of visit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum VisitClass {
    /// Khám ngoại trú.
    Outpatient,
    /// Điều trị nội trú.
    Inpatient,
    /// Cấp cứu.
    Emergency,
    /// Anything else the source says.
    Other,
}

/// A visit in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitSummary {
    /// The visit's id as in the FHIR export.
    pub id: String,
    /// Admission (local time).
    pub start: Option<NaiveDateTime>,
    /// Discharge (local time).
    pub end: Option<NaiveDateTime>,
    /// The facility.
    pub facility: Option<String>,
    /// Kind of visit.
    pub class: VisitClass,
    /// Type as the source names it.
    pub type_text: Option<String>,
    /// The main diagnosis.
    pub main_diagnosis: Option<Diagnosis>,
}

/// The record at a glance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Overview {
    /// Whose record.
    pub subject: HealthSubject,
    /// Name as the source has it.
    pub name: String,
    /// ID number, masked.
    pub cccd_masked: Option<String>,
    /// Date of birth.
    pub birthdate: Option<NaiveDate>,
    /// `male`, `female`, `other`, `unknown`.
    pub gender: Option<String>,
    /// Health-insurance card.
    pub coverage: Option<CoverageInfo>,
    /// Allergies.
    pub allergies: Vec<AllergyInfo>,
    /// Long-term conditions.
    pub conditions: Vec<Diagnosis>,
    /// Medicines being taken.
    pub medicines: Vec<Medicine>,
    /// The next re-examination.
    pub next_reexam: Option<Appointment>,
    /// Vaccination doses against the schedule.
    pub vaccination: VaccinationSummary,
    /// Visits in the record.
    pub visit_count: u32,
    /// The latest visit.
    pub last_visit: Option<VisitSummary>,
    /// Entries of the source that could not be shown.
    pub skipped: u32,
}

/// Request of [`health_visits`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitsRequest {
    /// Subject id.
    pub subject: String,
    /// Only this year.
    #[serde(default)]
    pub year: Option<i32>,
    /// Only this facility (by name, as listed in `facilities`).
    #[serde(default)]
    pub facility: Option<String>,
}

/// Visits, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitList {
    /// The visits that match.
    pub visits: Vec<VisitSummary>,
    /// Every year with a visit, newest first (for the filter).
    pub years: Vec<i32>,
    /// Every facility visited (for the filter).
    pub facilities: Vec<String>,
    /// Entries of the source that could not be shown.
    pub skipped: u32,
}

/// A lab result's place against its reference range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Flag {
    /// Above the range.
    High,
    /// Below the range.
    Low,
    /// Within the range.
    Normal,
    /// Abnormal, without a direction.
    Abnormal,
}

/// One result (a lab test or a vital sign).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabResult {
    /// LOINC code where the source maps one, else its own code.
    pub code: Option<String>,
    /// Test name.
    pub name: String,
    /// The value as shown (`7.2`, `Âm tính`, `135/85`); none while held back.
    pub value: Option<String>,
    /// The value as a number, for charts.
    pub numeric: Option<f64>,
    /// Unit.
    pub unit: Option<String>,
    /// Reference range as the source gives it; none when it gives none (never invented).
    pub range: Option<String>,
    /// High, low or normal.
    pub flag: Option<Flag>,
    /// Held back by the source until a doctor has talked it through with the patient.
    pub held: bool,
    /// The lab's comment.
    pub note: Option<String>,
    /// When measured (local time).
    pub date: Option<NaiveDateTime>,
}

/// A procedure done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureInfo {
    /// What.
    pub name: String,
    /// When (local time).
    pub date: Option<NaiveDateTime>,
}

/// A referral to another facility.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referral {
    /// To which facility.
    pub to: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// When written.
    pub date: Option<NaiveDate>,
}

/// A document the facility sent (a visit summary, a referral slip, a birth certificate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentInfo {
    /// Its id, for [`crate::ui::routes::health_document`].
    pub id: String,
    /// Title as the source gives it.
    pub title: String,
    /// `visit_summary`, `referral`, `discharge`, `birth_certificate` or `other`.
    pub kind: String,
    /// When.
    pub date: Option<NaiveDate>,
    /// Size in bytes, when the source says.
    pub size: Option<u64>,
}

/// Request of [`health_visit`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct VisitRequest {
    /// Subject id.
    pub subject: String,
    /// The visit's id.
    pub id: String,
}

/// One visit in full.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Visit {
    /// As in the list.
    pub summary: VisitSummary,
    /// The facility's visit number (MA_LK).
    pub ma_lk: Option<String>,
    /// Why the patient came.
    pub reason: Option<String>,
    /// Diagnoses, the main one first.
    pub diagnoses: Vec<Diagnosis>,
    /// Medicines prescribed.
    pub prescriptions: Vec<Medicine>,
    /// Lab results.
    pub labs: Vec<LabResult>,
    /// Vital signs.
    pub vitals: Vec<LabResult>,
    /// Procedures.
    pub procedures: Vec<ProcedureInfo>,
    /// Referral slips.
    pub referrals: Vec<Referral>,
    /// Re-examination slips.
    pub reexams: Vec<Appointment>,
    /// The facility's own documents.
    pub documents: Vec<DocumentInfo>,
    /// Entries of the source that could not be shown.
    pub skipped: u32,
}

/// Request of [`health_lab_series`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabSeriesRequest {
    /// Subject id.
    pub subject: String,
    /// The test's code; empty picks the first test measured more than once.
    #[serde(default)]
    pub code: String,
}

/// A test that has been measured, for the picker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabTest {
    /// Code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Times measured.
    pub count: u32,
}

/// One test over time, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LabSeries {
    /// The test shown.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its unit.
    pub unit: Option<String>,
    /// The results with a number, oldest first.
    pub points: Vec<LabResult>,
    /// Every test measured with a number, most measured first.
    pub tests: Vec<LabTest>,
    /// Entries of the source that could not be shown.
    pub skipped: u32,
}

/// Where a dose of the schedule stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DoseState {
    /// Given.
    Done,
    /// Its time has come.
    Due,
    /// Past its time and not given.
    Overdue,
    /// Not yet time.
    Upcoming,
}

/// One dose, of the schedule or recorded outside it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dose {
    /// Vaccine, in Vietnamese.
    pub vaccine: String,
    /// Vaccine, in English.
    pub vaccine_en: String,
    /// Dose number in its series.
    pub dose: Option<u32>,
    /// Where it stands.
    pub state: DoseState,
    /// Given on.
    pub date: Option<NaiveDate>,
    /// Given at.
    pub place: Option<String>,
    /// Lot number.
    pub lot: Option<String>,
    /// Due from (schedule doses).
    pub due_from: Option<NaiveDate>,
    /// Overdue after (schedule doses).
    pub due_until: Option<NaiveDate>,
}

/// Vaccinations against the national immunisation schedule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vaccinations {
    /// Date of birth the schedule is computed from.
    pub birthdate: Option<NaiveDate>,
    /// The schedule's doses in order.
    pub schedule: Vec<Dose>,
    /// Doses recorded that are not in the schedule.
    pub other: Vec<Dose>,
    /// The counts.
    pub summary: VaccinationSummary,
    /// Entries of the source that could not be shown.
    pub skipped: u32,
}

/// One row of a record's access log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// `self`, `parent` or `share`.
    pub actor: String,
    /// Who (for a parent: their name; for a share: none).
    pub actor_name: Option<String>,
    /// What happened.
    pub event: String,
    /// For a share opened: the name the recipient gave.
    pub recipient: Option<String>,
}

/// Who may read which records: oneself and the children the identity provider says one
/// legally represents.
#[server(endpoint = "health/subjects", input = Json)]
pub async fn health_subjects() -> Result<Vec<HealthSubject>, AppError> {
    let cx = crate::server::health::open(false).await?;
    crate::server::health::subjects(&cx).await
}

/// The notice's version and the resident's consent; gives or withdraws it. Withdrawing
/// revokes every share link at once.
#[server(endpoint = "health/consent", input = Json)]
pub async fn health_consent(req: ConsentRequest) -> Result<ConsentInfo, AppError> {
    crate::server::health::consent(req).await
}

/// The record at a glance.
#[server(endpoint = "health/overview", input = Json)]
pub async fn health_overview(req: SubjectRequest) -> Result<Overview, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::overview(&cx, &req.subject).await
}

/// The visits, newest first, by year and facility.
#[server(endpoint = "health/visits", input = Json)]
pub async fn health_visits(req: VisitsRequest) -> Result<VisitList, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::visits(&cx, &req).await
}

/// One visit in full.
#[server(endpoint = "health/visit", input = Json)]
pub async fn health_visit(req: VisitRequest) -> Result<Visit, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::visit(&cx, &req).await
}

/// One lab test over time.
#[server(endpoint = "health/lab-series", input = Json)]
pub async fn health_lab_series(req: LabSeriesRequest) -> Result<LabSeries, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::lab_series(&cx, &req).await
}

/// Vaccinations against the national schedule.
#[server(endpoint = "health/vaccinations", input = Json)]
pub async fn health_vaccinations(req: SubjectRequest) -> Result<Vaccinations, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::vaccinations(&cx, &req.subject).await
}

/// Who read the record, newest first.
#[server(endpoint = "health/access-log", input = Json)]
pub async fn health_access_log(req: SubjectRequest) -> Result<Vec<AccessEntry>, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::access_log(&cx, &req.subject).await
}

/// What a share link gives: the summary (IPS) or only the vaccinations.
pub const SHARE_SCOPES: [&str; 2] = ["summary", "vaccinations"];

/// Request of [`health_share_create`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareRequest {
    /// Subject id.
    pub subject: String,
    /// `summary` or `vaccinations`.
    pub scope: String,
    /// How long the link works, in seconds (24 hours by default, 30 days at most).
    pub expires_in_secs: i64,
    /// The passcode the recipient must enter (6 characters at least).
    pub passcode: String,
    /// The resident's own name for the link ("Cho bác sĩ Lan").
    #[serde(default)]
    pub label: String,
}

/// A link just made. The link holds the key: it is shown once and never kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareCreated {
    /// The link's id.
    pub id: String,
    /// The viewer address with the `shlink:/…` payload after `#`.
    pub link: String,
    /// The link stops working at.
    pub expires_at: DateTime<Utc>,
    /// The link as a QR code (SVG made by the server).
    pub qr_svg: String,
}

/// A link in the resident's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareInfo {
    /// Its id.
    pub id: String,
    /// The resident's name for it.
    pub label: String,
    /// `summary` or `vaccinations`.
    pub scope: String,
    /// Whose record.
    pub subject_name: String,
    /// Made at.
    pub created_at: DateTime<Utc>,
    /// Works until.
    pub expires_at: DateTime<Utc>,
    /// Revoked at.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Wrong passcodes it still survives.
    pub attempts_left: i64,
    /// Still opens.
    pub active: bool,
}

/// Names one share link.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShareId {
    /// The link's id.
    pub id: String,
}

/// Makes a SMART Health Link to the summary or the vaccinations of a record: encrypted with a
/// key only the link holds, opened with a passcode, working until it expires or is revoked.
#[server(endpoint = "health/shares/create", input = Json)]
pub async fn health_share_create(req: ShareRequest) -> Result<ShareCreated, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::share_create(&cx, req).await
}

/// The links the resident made, newest first.
#[server(endpoint = "health/shares/list", input = Json)]
pub async fn health_shares_list() -> Result<Vec<ShareInfo>, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::shares_list(&cx).await
}

/// Revokes one of the resident's links at once.
#[server(endpoint = "health/shares/revoke", input = Json)]
pub async fn health_share_revoke(req: ShareId) -> Result<Vec<ShareInfo>, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::share_revoke(&cx, &req.id).await
}

/// An electronic birth certificate in the resident's own record, as the birth-registration
/// form offers it in place of a photo.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BirthCertificateOffer {
    /// The document's id at the source (for [`health_attach`]).
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its number.
    pub number: Option<String>,
    /// When the child was born (Hà Nội time).
    pub born_at: Option<NaiveDateTime>,
    /// The child's sex: `female` or `male`.
    pub sex: Option<String>,
    /// Weight at birth, in grams.
    pub weight_grams: Option<f64>,
    /// Place of birth.
    pub place: Option<String>,
    /// The facility that issued it.
    pub facility: Option<String>,
    /// Issued on.
    pub issued: Option<NaiveDate>,
}

/// The electronic birth certificates the resident's own record holds (the mother's: the
/// facility issues it to her). Read like any other part of the record, and logged.
#[server(endpoint = "health/birth-certificates", input = Json)]
pub async fn health_birth_certificates() -> Result<Vec<BirthCertificateOffer>, AppError> {
    let cx = crate::server::health::open(true).await?;
    crate::server::health::birth_certificates(&cx).await
}

/// Request of [`health_attach`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachRequest {
    /// One of the caller's drafts.
    pub draft_id: String,
    /// Its document slot that the health record can provide.
    pub slot: String,
    /// The document's id, from [`health_birth_certificates`].
    pub document: String,
}

/// Attaches a document from the resident's own health record to a document slot of one of
/// their drafts, fetched from the health-data service and checked like an upload: the
/// dossier and the ward officer show it as coming from the health system, with its issuer and
/// time. The same document asked for again answers the file already attached.
#[server(endpoint = "health/attach", input = Json)]
pub async fn health_attach(
    req: AttachRequest,
) -> Result<crate::domain::upload::UploadView, AppError> {
    let cx = crate::server::ctx::request().await?;
    cx.authorize(crate::server::policy::Action::OwnFiling)
        .await?;
    let h = crate::server::health::open_with(cx, true).await?;
    crate::server::health::attach(&h, &req).await
}
