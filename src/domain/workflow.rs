//! The ward's work on a dossier: what an officer or leader may do next, the queues of the
//! one-stop console, the countdown a resident sees, and the notifications both receive.
//! Pure rules, shared by the server (which enforces them) and the browser (which offers them).

use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::filing::DossierView;
use crate::domain::staff::{Role, Stage};
use crate::domain::status::{Actor, DossierStatus, TransitionError};
use crate::domain::text::{clean_line, clean_multiline};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Longest reason or note, in characters.
pub const REASON_MAX: usize = 2000;
/// Most items in one supplement request.
pub const SUPPLEMENT_ITEMS_MAX: usize = 30;
/// A dossier is "due soon" when this many working minutes or fewer are left (2 working days).
pub const DUE_SOON_MINUTES: i64 = 2 * crate::domain::calendar::MINUTES_PER_WORKING_DAY;

/// One thing a supplement request asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementItem {
    /// Document slot of the procedure's form the resident re-uploads to (empty: not a file).
    pub slot: String,
    /// What it is ("Giấy chứng sinh").
    pub label: String,
    /// What exactly is needed ("bản chụp rõ nét, đủ 4 góc").
    pub note: String,
}

/// An open or completed supplement request, as the resident and the ward see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupplementView {
    /// Requested at.
    pub requested_at: DateTime<Utc>,
    /// Items.
    pub items: Vec<SupplementItem>,
    /// General note.
    pub note: String,
    /// Completed at (none while awaited).
    pub completed_at: Option<DateTime<Utc>>,
}

/// Something an officer or leader does to a dossier of their ward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum StaffAct {
    /// Take the dossier into one's own work.
    Claim,
    /// Hand the dossier to a named colleague of the same ward (the server checks they hold a
    /// role there).
    Assign {
        /// The colleague's user id.
        user_id: String,
    },
    /// Accept at intake (1 → 2).
    Accept,
    /// Refuse at intake, with the reason printed on the refusal slip (1 → 3).
    Refuse {
        /// Reason.
        reason: String,
    },
    /// Ask for missing or corrected documents; the clock pauses (1 or 4 → 5).
    RequestSupplement {
        /// What is needed.
        items: Vec<SupplementItem>,
        /// General note.
        note: String,
    },
    /// The resident brought the supplement to the counter (5 → where it was).
    SupplementReceived,
    /// Start processing an accepted dossier (2 → 4).
    StartProcessing,
    /// Ask for a fee or tax assessed during processing (2 or 4 → 6).
    RequestPayment {
        /// Amount in đồng.
        amount_vnd: i64,
        /// What it is for.
        reason: String,
    },
    /// The fee was paid at the counter (6 → 4).
    ConfirmPaid,
    /// Send the processed dossier to the ward leader for approval (stays 4).
    Forward {
        /// Note for the leader.
        note: String,
    },
    /// Leader approves: the result is ready (4 → 9).
    Approve {
        /// Note.
        note: String,
    },
    /// Leader sends the dossier back to the officer (stays 4).
    SendBack {
        /// Reason.
        reason: String,
    },
    /// Stop processing, or grant a withdrawal (4, 5 or 7 → 8).
    Stop {
        /// Reason.
        reason: String,
    },
    /// Refuse a withdrawal request and carry on (7 → 4).
    RefuseWithdrawal {
        /// Reason.
        reason: String,
    },
    /// The result was handed over (9 → 10).
    MarkReturned,
    /// Apologise for lateness and set a new appointment (status unchanged).
    Apologise {
        /// New appointment day.
        new_due: NaiveDate,
        /// Reason for the delay.
        reason: String,
    },
}

impl StaffAct {
    /// Which act this is.
    pub fn kind(&self) -> ActKind {
        match self {
            StaffAct::Claim => ActKind::Claim,
            StaffAct::Assign { .. } => ActKind::Assign,
            StaffAct::Accept => ActKind::Accept,
            StaffAct::Refuse { .. } => ActKind::Refuse,
            StaffAct::RequestSupplement { .. } => ActKind::RequestSupplement,
            StaffAct::SupplementReceived => ActKind::SupplementReceived,
            StaffAct::StartProcessing => ActKind::StartProcessing,
            StaffAct::RequestPayment { .. } => ActKind::RequestPayment,
            StaffAct::ConfirmPaid => ActKind::ConfirmPaid,
            StaffAct::Forward { .. } => ActKind::Forward,
            StaffAct::Approve { .. } => ActKind::Approve,
            StaffAct::SendBack { .. } => ActKind::SendBack,
            StaffAct::Stop { .. } => ActKind::Stop,
            StaffAct::RefuseWithdrawal { .. } => ActKind::RefuseWithdrawal,
            StaffAct::MarkReturned => ActKind::MarkReturned,
            StaffAct::Apologise { .. } => ActKind::Apologise,
        }
    }
}

/// The name of an act on a dossier, as the audit log, the timeline's notifications and the
/// console's buttons know it. It travels as the stored word ([`ActKind::as_str`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActKind {
    /// [`StaffAct::Claim`].
    Claim,
    /// [`StaffAct::Assign`].
    Assign,
    /// [`StaffAct::Accept`].
    Accept,
    /// [`StaffAct::Refuse`].
    Refuse,
    /// [`StaffAct::RequestSupplement`].
    RequestSupplement,
    /// [`StaffAct::SupplementReceived`].
    SupplementReceived,
    /// [`StaffAct::StartProcessing`].
    StartProcessing,
    /// [`StaffAct::RequestPayment`].
    RequestPayment,
    /// [`StaffAct::ConfirmPaid`].
    ConfirmPaid,
    /// [`StaffAct::Forward`].
    Forward,
    /// [`StaffAct::Approve`].
    Approve,
    /// [`StaffAct::SendBack`].
    SendBack,
    /// [`StaffAct::Stop`].
    Stop,
    /// [`StaffAct::RefuseWithdrawal`].
    RefuseWithdrawal,
    /// [`StaffAct::MarkReturned`].
    MarkReturned,
    /// [`StaffAct::Apologise`].
    Apologise,
    /// [`ResidentAct::Withdraw`].
    Withdraw,
    /// [`ResidentAct::SendSupplement`].
    Supplement,
}

impl ActKind {
    /// Every act, the staff's in the console's order, then the resident's.
    pub const ALL: [ActKind; 18] = [
        ActKind::Claim,
        ActKind::Assign,
        ActKind::Accept,
        ActKind::Refuse,
        ActKind::RequestSupplement,
        ActKind::SupplementReceived,
        ActKind::StartProcessing,
        ActKind::RequestPayment,
        ActKind::ConfirmPaid,
        ActKind::Forward,
        ActKind::Approve,
        ActKind::SendBack,
        ActKind::Stop,
        ActKind::RefuseWithdrawal,
        ActKind::MarkReturned,
        ActKind::Apologise,
        ActKind::Withdraw,
        ActKind::Supplement,
    ];

    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            ActKind::Claim => "claim",
            ActKind::Assign => "assign",
            ActKind::Accept => "accept",
            ActKind::Refuse => "refuse",
            ActKind::RequestSupplement => "request_supplement",
            ActKind::SupplementReceived => "supplement_received",
            ActKind::StartProcessing => "start_processing",
            ActKind::RequestPayment => "request_payment",
            ActKind::ConfirmPaid => "confirm_paid",
            ActKind::Forward => "forward",
            ActKind::Approve => "approve",
            ActKind::SendBack => "send_back",
            ActKind::Stop => "stop",
            ActKind::RefuseWithdrawal => "refuse_withdrawal",
            ActKind::MarkReturned => "mark_returned",
            ActKind::Apologise => "apologise",
            ActKind::Withdraw => "withdraw",
            ActKind::Supplement => "supplement",
        }
    }

    /// The act stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<ActKind> {
        ActKind::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The printable slip that goes with the act, offered once it is done.
    pub fn slip(self) -> Option<SlipKind> {
        match self {
            ActKind::Accept => Some(SlipKind::Receipt),
            ActKind::Refuse => Some(SlipKind::Refusal),
            ActKind::RequestSupplement => Some(SlipKind::Supplement),
            ActKind::Apologise => Some(SlipKind::Apology),
            _ => None,
        }
    }
}

// Debug and serde by hand rather than derived: one copy of the names (`as_str`) in the browser
// bundle.
impl std::fmt::Debug for ActKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::domain::staff::wire_words!(ActKind, as_str, parse);
crate::domain::staff::wire_words!(SlipKind, slug, from_slug);

/// A printable slip of the one-stop counter. It travels as the word the console lists
/// ([`SlipKind::slug`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlipKind {
    /// "Giấy tiếp nhận hồ sơ và hẹn trả kết quả" — the receipt.
    Receipt,
    /// "Phiếu từ chối tiếp nhận giải quyết hồ sơ" — refusal of intake, with the reason.
    Refusal,
    /// "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ" — itemised supplement request.
    Supplement,
    /// "Phiếu xin lỗi và hẹn lại ngày trả kết quả" — apology for lateness with a new appointment.
    Apology,
}

impl SlipKind {
    /// Every slip, the receipt first.
    pub const ALL: [SlipKind; 4] = [
        SlipKind::Receipt,
        SlipKind::Refusal,
        SlipKind::Supplement,
        SlipKind::Apology,
    ];

    /// The slip's name, as a sentence.
    pub fn title_vi(self) -> &'static str {
        match self {
            SlipKind::Receipt => "Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            SlipKind::Refusal => "Phiếu từ chối tiếp nhận giải quyết hồ sơ",
            SlipKind::Supplement => "Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ",
            SlipKind::Apology => "Phiếu xin lỗi và hẹn lại ngày trả kết quả",
        }
    }

    /// The listed word ("tiep-nhan", "tu-choi", "bo-sung", "xin-loi").
    pub fn slug(self) -> &'static str {
        match self {
            SlipKind::Receipt => "tiep-nhan",
            SlipKind::Refusal => "tu-choi",
            SlipKind::Supplement => "bo-sung",
            SlipKind::Apology => "xin-loi",
        }
    }

    /// The file name it downloads as, under the dossier's files.
    pub fn file_name(self) -> &'static str {
        match self {
            SlipKind::Receipt => "giay-tiep-nhan.pdf",
            SlipKind::Refusal => "phieu-tu-choi.pdf",
            SlipKind::Supplement => "phieu-bo-sung.pdf",
            SlipKind::Apology => "phieu-xin-loi.pdf",
        }
    }

    /// The slip listed as `s`, if it is one.
    pub fn from_slug(s: &str) -> Option<SlipKind> {
        SlipKind::ALL.into_iter().find(|k| k.slug() == s)
    }

    /// The slip downloaded as `name`, if `name` is one.
    pub fn from_file(name: &str) -> Option<SlipKind> {
        SlipKind::ALL.into_iter().find(|k| k.file_name() == name)
    }
}

/// Where a dossier stands, as far as deciding an act goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkState {
    /// Status.
    pub status: DossierStatus,
    /// Whose desk a dossier in processing is on.
    pub stage: Stage,
    /// Who has claimed it.
    pub assignee_id: Option<String>,
    /// An electronic result is attached.
    pub has_result: bool,
    /// The appointment has passed.
    pub overdue: bool,
}

/// What an act does, once allowed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// New status (none: the status stays, a note is still written to the timeline).
    pub to: Option<DossierStatus>,
    /// The role the act is taken in.
    pub actor: Actor,
    /// New stage, if it changes.
    pub stage: Option<Stage>,
    /// Timeline note.
    pub note: Option<String>,
}

/// Why an act was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActError {
    /// Not possible from the current status (someone else acted first, or never).
    Conflict,
    /// Needs the leader role (or the officer role) at this ward.
    Forbidden,
    /// Bad input.
    Invalid(Vec<FieldError>),
}

fn reason(field: &str, s: &str, required: bool) -> Result<Option<String>, ActError> {
    match clean_multiline(s, REASON_MAX) {
        Err(e) => Err(ActError::Invalid(vec![FieldError::new(field, e.code())])),
        Ok(r) if r.is_empty() && required => Err(ActError::Invalid(vec![FieldError::new(
            field,
            FieldCode::Required,
        )])),
        Ok(r) if r.is_empty() => Ok(None),
        Ok(r) => Ok(Some(r)),
    }
}

/// Cleans and checks a supplement request's items.
pub fn clean_items(items: &[SupplementItem]) -> Result<Vec<SupplementItem>, ActError> {
    if items.is_empty() {
        return Err(ActError::Invalid(vec![FieldError::new(
            "items",
            FieldCode::Required,
        )]));
    }
    if items.len() > SUPPLEMENT_ITEMS_MAX {
        return Err(ActError::Invalid(vec![FieldError::new(
            "items",
            FieldCode::TooMany,
        )]));
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (i, it) in items.iter().enumerate() {
        let label = match clean_line(&it.label, 200) {
            Ok(l) if l.is_empty() => {
                errors.push(FieldError::new(
                    format!("items.{i}.label"),
                    FieldCode::Required,
                ));
                String::new()
            }
            Ok(l) => l,
            Err(e) => {
                errors.push(FieldError::new(format!("items.{i}.label"), e.code()));
                String::new()
            }
        };
        let note = clean_multiline(&it.note, 1000).unwrap_or_else(|e| {
            errors.push(FieldError::new(format!("items.{i}.note"), e.code()));
            String::new()
        });
        let slot = it.slot.trim().to_string();
        if slot.len() > 64 || !slot.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            errors.push(FieldError::new(
                format!("items.{i}.slot"),
                FieldCode::UnknownSlot,
            ));
        }
        out.push(SupplementItem { slot, label, note });
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(ActError::Invalid(errors))
    }
}

/// Decides whether someone with `roles` at the dossier's ward may do `act` to a dossier in
/// `state`, and what it does to its status and stage. The status rules come from the national
/// list.
pub fn plan(act: &StaffAct, state: &WorkState, roles: &[Role]) -> Result<Plan, ActError> {
    use DossierStatus::*;
    let officer = roles.contains(&Role::Officer);
    let leader = roles.contains(&Role::Leader);
    let as_officer = || {
        if officer {
            Ok(Actor::Officer)
        } else {
            Err(ActError::Forbidden)
        }
    };
    let as_leader = || {
        if leader {
            Ok(Actor::Leader)
        } else {
            Err(ActError::Forbidden)
        }
    };
    let as_either = || {
        if officer {
            Ok(Actor::Officer)
        } else if leader {
            Ok(Actor::Leader)
        } else {
            Err(ActError::Forbidden)
        }
    };
    let step = |to: DossierStatus, actor: Actor, note: Option<String>| {
        state
            .status
            .transition(to, actor)
            .map(|to| Plan {
                to: Some(to),
                actor,
                stage: None,
                note,
            })
            .map_err(|e| match e {
                TransitionError::NotAllowed => ActError::Conflict,
                TransitionError::WrongActor => ActError::Forbidden,
            })
    };
    match act {
        StaffAct::Claim => {
            let actor = as_either()?;
            if state.status.is_terminal() {
                return Err(ActError::Conflict);
            }
            Ok(Plan {
                to: None,
                actor,
                stage: None,
                note: None,
            })
        }
        StaffAct::Assign { user_id } => {
            let actor = as_either()?;
            if state.status.is_terminal() {
                return Err(ActError::Conflict);
            }
            if user_id.is_empty() || user_id.len() > 64 {
                return Err(ActError::Invalid(vec![FieldError::new(
                    "user_id",
                    FieldCode::Required,
                )]));
            }
            if state.assignee_id.as_deref() == Some(user_id.as_str()) {
                return Err(ActError::Invalid(vec![FieldError::new(
                    "user_id",
                    FieldCode::AlreadyAssigned,
                )]));
            }
            Ok(Plan {
                to: None,
                actor,
                stage: None,
                note: None,
            })
        }
        StaffAct::Accept => step(Accepted, as_officer()?, None),
        StaffAct::Refuse { reason: r } => {
            step(NotAccepted, as_officer()?, reason("reason", r, true)?)
        }
        StaffAct::RequestSupplement { items, note } => {
            clean_items(items)?;
            let note = reason("note", note, false)?;
            step(SupplementRequested, as_either()?, note)
        }
        StaffAct::SupplementReceived => {
            // Back to where it was: the caller resolves Submitted vs Processing from the
            // open request; both edges are Officer edges.
            if state.status != SupplementRequested {
                return Err(ActError::Conflict);
            }
            Ok(Plan {
                to: None,
                actor: as_officer()?,
                stage: None,
                note: None,
            })
        }
        StaffAct::StartProcessing => step(Processing, as_officer()?, None),
        StaffAct::RequestPayment {
            amount_vnd,
            reason: r,
        } => {
            if !(1_000..=1_000_000_000).contains(amount_vnd) {
                return Err(ActError::Invalid(vec![FieldError::new(
                    "amount_vnd",
                    FieldCode::AmountRange,
                )]));
            }
            step(PaymentRequested, as_officer()?, reason("reason", r, true)?)
        }
        StaffAct::ConfirmPaid => step(Processing, as_officer()?, None),
        StaffAct::Forward { note } => {
            let actor = as_officer()?;
            if state.status != Processing || state.stage == Stage::Leader {
                return Err(ActError::Conflict);
            }
            Ok(Plan {
                to: None,
                actor,
                stage: Some(Stage::Leader),
                note: reason("note", note, false)?,
            })
        }
        StaffAct::Approve { note } => {
            let actor = as_leader()?;
            if state.stage != Stage::Leader {
                return Err(ActError::Conflict);
            }
            let mut p = step(Processed, actor, reason("note", note, false)?)?;
            p.stage = Some(Stage::Officer);
            Ok(p)
        }
        StaffAct::SendBack { reason: r } => {
            let actor = as_leader()?;
            if state.status != Processing || state.stage != Stage::Leader {
                return Err(ActError::Conflict);
            }
            Ok(Plan {
                to: None,
                actor,
                stage: Some(Stage::Officer),
                note: reason("reason", r, true)?,
            })
        }
        StaffAct::Stop { reason: r } => {
            let r = reason("reason", r, true)?;
            // A withdrawal may be granted by either role; stopping processing is the leader's.
            let actor = if state.status == WithdrawalRequested {
                as_either()?
            } else {
                as_leader()?
            };
            step(Stopped, actor, r)
        }
        StaffAct::RefuseWithdrawal { reason: r } => {
            step(Processing, as_either()?, reason("reason", r, true)?)
        }
        StaffAct::MarkReturned => {
            let actor = as_officer()?;
            if state.status == Processed && !state.has_result {
                return Err(ActError::Invalid(vec![FieldError::new(
                    "result",
                    FieldCode::ResultMissing,
                )]));
            }
            step(ResultReturned, actor, None)
        }
        StaffAct::Apologise { reason: r, .. } => {
            let actor = as_either()?;
            if state.status.is_terminal() || state.status == Processed {
                return Err(ActError::Conflict);
            }
            if !state.overdue {
                return Err(ActError::Invalid(vec![FieldError::new(
                    "new_due",
                    FieldCode::NotLate,
                )]));
            }
            Ok(Plan {
                to: None,
                actor,
                stage: None,
                note: reason("reason", r, true)?,
            })
        }
    }
}

/// The working-day countdown to the appointment, computed on the server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Countdown {
    /// The appointment (extended by supplement time so far).
    pub due_at: DateTime<Utc>,
    /// Frozen while a supplement is awaited.
    pub paused: bool,
    /// Working minutes left (negative: late by that much).
    pub remaining_minutes: i64,
    /// A new appointment the ward gave with an apology, if any.
    pub apology_due_at: Option<DateTime<Utc>>,
    /// The clock no longer runs (result ready, returned, refused, stopped).
    pub finished: bool,
    /// Finished on time under the national rule (once finished).
    pub on_time: Option<bool>,
}

impl Countdown {
    /// Whole working days and remaining hours, rounded up to the hour.
    pub fn days_hours(&self) -> (i64, i64) {
        let m = self.remaining_minutes.abs();
        let per_day = crate::domain::calendar::MINUTES_PER_WORKING_DAY;
        let hours = (m % per_day + 59) / 60;
        if hours == 8 {
            (m / per_day + 1, 0)
        } else {
            (m / per_day, hours)
        }
    }
}

/// Who looked at or changed a dossier, as its owner sees it: role and ward, never a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessEntry {
    /// When.
    pub at: DateTime<Utc>,
    /// `officer`, `leader`, `staff`.
    pub role: String,
    /// Ward name.
    pub unit_name: String,
    /// Ward name in English.
    #[serde(default)]
    pub unit_name_en: String,
    /// `view`, `download`, or the act's name.
    pub action: String,
}

/// The acts possible now (for the buttons).
pub type Allowed = Vec<ActKind>;

/// A dossier as its owner sees it on "Hồ sơ của tôi": everything on the confirmation page plus
/// the countdown, supplement request, results and who accessed it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OwnDossier {
    /// The dossier.
    pub dossier: DossierView,
    /// Countdown.
    pub countdown: Countdown,
    /// The open supplement request, if one is awaited; else the latest completed one.
    pub supplement: Option<SupplementView>,
    /// Result files: (upload id, file name).
    pub results: Vec<(String, String)>,
    /// Who accessed it.
    pub access: Vec<AccessEntry>,
    /// A payment requested during processing: amount in đồng.
    pub payment_due_vnd: Option<i64>,
    /// Files sent for the open supplement request so far: (upload id, slot, name).
    pub supplement_files: Vec<(String, String, String)>,
    /// The documents filed with the dossier and sent since (the result aside), oldest first.
    #[serde(default)]
    pub documents: Vec<DossierFile>,
}

/// A file kept with a dossier.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierFile {
    /// Upload id (the download address is made of the dossier code and this).
    pub id: String,
    /// Document slot of the procedure's form, or `result`.
    pub slot: String,
    /// The file's name as the sender gave it (sanitised).
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Type, recognised from the content.
    pub kind: Option<crate::domain::form::FileKind>,
    /// When it was sent.
    pub at: DateTime<Utc>,
    /// Where it came from, when the resident did not upload it themselves.
    #[serde(default)]
    pub origin: Option<crate::domain::upload::FileOrigin>,
}

/// One line of a list of dossiers (resident list and console queues).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DossierLine {
    /// Code.
    pub code: String,
    /// Procedure name (Vietnamese).
    pub procedure_vi: String,
    /// Procedure name (English).
    pub procedure_en: String,
    /// Applicant name.
    pub applicant_name: String,
    /// Status.
    pub status: DossierStatus,
    /// Channel code (1 counter, 2 online).
    pub channel: u8,
    /// Received.
    pub received_at: DateTime<Utc>,
    /// Appointment.
    pub due_at: DateTime<Utc>,
    /// `''`, `due_soon` or `overdue`.
    pub deadline_flag: String,
    /// Whose desk it is on.
    pub stage: Stage,
    /// Claimed by the caller (console only).
    pub mine: bool,
    /// Claimed by someone.
    pub claimed: bool,
}

/// The console's queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Queue {
    /// Handled by the caller (claimed or assigned to them), not yet finished.
    Mine,
    /// Online dossiers nobody has claimed yet.
    NewOnline,
    /// Submitted (any channel), awaiting the intake decision.
    ToAccept,
    /// Accepted, processing, payment or withdrawal requested.
    Processing,
    /// With the leader for approval.
    ToApprove,
    /// Waiting for the resident's supplement.
    Supplement,
    /// Due within 2 working days.
    DueSoon,
    /// Past the appointment.
    Overdue,
    /// Result ready to hand over.
    Ready,
}

impl Queue {
    /// In console order.
    pub const ALL: [Queue; 9] = [
        Queue::Mine,
        Queue::NewOnline,
        Queue::ToAccept,
        Queue::Processing,
        Queue::ToApprove,
        Queue::Supplement,
        Queue::DueSoon,
        Queue::Overdue,
        Queue::Ready,
    ];

    /// URL value.
    pub fn slug(self) -> &'static str {
        match self {
            Queue::Mine => "cua-toi",
            Queue::NewOnline => "moi",
            Queue::ToAccept => "tiep-nhan",
            Queue::Processing => "dang-xu-ly",
            Queue::ToApprove => "cho-duyet",
            Queue::Supplement => "bo-sung",
            Queue::DueSoon => "sap-den-han",
            Queue::Overdue => "qua-han",
            Queue::Ready => "tra-ket-qua",
        }
    }

    /// From a URL value.
    pub fn from_slug(s: &str) -> Option<Queue> {
        Queue::ALL.into_iter().find(|q| q.slug() == s)
    }

    /// Whether a dossier line belongs to this queue.
    pub fn holds(self, l: &DossierLine) -> bool {
        use DossierStatus::*;
        let active = !l.status.is_terminal() && l.status != Processed;
        match self {
            Queue::Mine => l.mine && !l.status.is_terminal(),
            Queue::NewOnline => l.status == Submitted && l.channel == 2 && !l.claimed,
            Queue::ToAccept => l.status == Submitted,
            Queue::Processing => {
                matches!(
                    l.status,
                    Accepted | Processing | PaymentRequested | WithdrawalRequested
                ) && l.stage != Stage::Leader
            }
            Queue::ToApprove => l.status == Processing && l.stage == Stage::Leader,
            Queue::Supplement => l.status == SupplementRequested,
            Queue::DueSoon => active && l.deadline_flag == "due_soon",
            Queue::Overdue => active && l.deadline_flag == "overdue",
            Queue::Ready => l.status == Processed,
        }
    }
}

/// The ward dashboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Dashboard {
    /// Ward name.
    pub unit_name: String,
    /// Dossiers per queue.
    pub queues: Vec<(Queue, i64)>,
    /// Finished dossiers (result ready or returned).
    pub finished: i64,
    /// Of which on time under the national rule.
    pub on_time: i64,
    /// Received in the last 30 days.
    pub received_30d: i64,
}

impl Dashboard {
    /// On-time rate in per cent (none before anything is finished).
    pub fn on_time_percent(&self) -> Option<f64> {
        (self.finished > 0).then(|| self.on_time as f64 * 100.0 / self.finished as f64)
    }
}

/// A dossier as the ward sees it in the console.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StaffDossier {
    /// The dossier (answers, timeline, payment).
    pub dossier: DossierView,
    /// ID number of the applicant, masked except the last 4 digits.
    pub applicant_id_masked: String,
    /// Countdown.
    pub countdown: Countdown,
    /// Supplement requests, oldest first.
    pub supplements: Vec<SupplementView>,
    /// Attachments, the result included, oldest first.
    pub files: Vec<DossierFile>,
    /// Whose desk it is on.
    pub stage: Stage,
    /// Claimed by the caller.
    pub mine: bool,
    /// Claimed by someone.
    pub claimed: bool,
    /// Who handles it, if anyone.
    pub assignee: Option<Colleague>,
    /// The ward's staff it can be handed to (empty unless `assign` is allowed).
    pub colleagues: Vec<Colleague>,
    /// The acts the caller may take now.
    pub allowed: Allowed,
    /// Slips that can be printed.
    pub slips: Vec<SlipKind>,
}

/// A member of a ward's staff, as their colleagues see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Colleague {
    /// User id.
    pub user_id: String,
    /// Name from the identity provider.
    pub name: String,
    /// Roles at the ward.
    pub roles: Vec<Role>,
}

/// One entry of the notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notification {
    /// Sequence number (also the SSE event id).
    pub seq: i64,
    /// Topic (`dossier.status`, `dossier.submitted`, `payment.confirmed`, `dossier.deadline`).
    pub topic: String,
    /// Dossier code.
    pub code: String,
    /// Status the dossier entered, if any.
    pub status: Option<DossierStatus>,
    /// Reason or note attached.
    pub note: Option<String>,
    /// The act behind a status notification, if any.
    pub act: Option<ActKind>,
    /// The dossier's ward (where staff open it in the console).
    pub unit: Option<String>,
    /// When.
    pub at: DateTime<Utc>,
    /// Read by the person.
    pub read: bool,
}

/// Who may hand a dossier on: a leader always; an officer only a dossier nobody handles yet or
/// one they handle themselves (taking over a colleague's work is the leader's call).
pub fn may_assign(state: &WorkState, roles: &[Role], me: &str) -> bool {
    roles.contains(&Role::Leader) || state.assignee_id.as_deref().is_none_or(|a| a == me)
}

/// The acts `roles` can take on a dossier in `state` (for the console's buttons).
pub fn allowed_acts(state: &WorkState, roles: &[Role]) -> Allowed {
    let samples = [
        StaffAct::Claim,
        StaffAct::Assign {
            user_id: "?".into(),
        },
        StaffAct::Accept,
        StaffAct::Refuse { reason: "x".into() },
        StaffAct::RequestSupplement {
            items: vec![SupplementItem {
                slot: String::new(),
                label: "x".into(),
                note: String::new(),
            }],
            note: String::new(),
        },
        StaffAct::SupplementReceived,
        StaffAct::StartProcessing,
        StaffAct::RequestPayment {
            amount_vnd: 10_000,
            reason: "x".into(),
        },
        StaffAct::ConfirmPaid,
        StaffAct::Forward {
            note: String::new(),
        },
        StaffAct::Approve {
            note: String::new(),
        },
        StaffAct::SendBack { reason: "x".into() },
        StaffAct::Stop { reason: "x".into() },
        StaffAct::RefuseWithdrawal { reason: "x".into() },
        StaffAct::MarkReturned,
        StaffAct::Apologise {
            new_due: NaiveDate::MIN,
            reason: "x".into(),
        },
    ];
    samples
        .iter()
        .filter(|a| {
            // Result-missing is a reminder, not a reason to hide the button.
            match plan(a, state, roles) {
                Ok(_) => true,
                Err(ActError::Invalid(f)) => f.iter().any(|e| e.code == FieldCode::ResultMissing),
                Err(_) => false,
            }
        })
        .filter(|a| !(matches!(a, StaffAct::Claim) && state.assignee_id.is_some()))
        .map(StaffAct::kind)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use DossierStatus::*;

    fn st(status: DossierStatus, stage: &str) -> WorkState {
        WorkState {
            status,
            stage: Stage::parse(stage).unwrap(),
            assignee_id: None,
            has_result: false,
            overdue: false,
        }
    }

    #[test]
    fn officers_take_intake_and_leaders_approve() {
        let o = [Role::Officer];
        let l = [Role::Leader];
        assert_eq!(
            plan(&StaffAct::Accept, &st(Submitted, "officer"), &o)
                .unwrap()
                .to,
            Some(Accepted)
        );
        assert_eq!(
            plan(&StaffAct::Accept, &st(Submitted, "officer"), &l),
            Err(ActError::Forbidden)
        );
        assert_eq!(
            plan(&StaffAct::Accept, &st(Processing, "officer"), &o),
            Err(ActError::Conflict)
        );
        let approve = StaffAct::Approve {
            note: String::new(),
        };
        assert_eq!(
            plan(&approve, &st(Processing, "officer"), &l),
            Err(ActError::Conflict),
            "not forwarded yet"
        );
        let p = plan(&approve, &st(Processing, "leader"), &l).unwrap();
        assert_eq!(p.to, Some(Processed));
        assert_eq!(p.actor, Actor::Leader);
        assert_eq!(
            plan(&approve, &st(Processing, "leader"), &o),
            Err(ActError::Forbidden)
        );
    }

    #[test]
    fn reasons_are_required_and_cleaned() {
        let o = [Role::Officer];
        let refuse = |r: &str| StaffAct::Refuse { reason: r.into() };
        assert!(matches!(
            plan(&refuse("  "), &st(Submitted, "officer"), &o),
            Err(ActError::Invalid(f)) if f[0].code == FieldCode::Required
        ));
        assert!(matches!(
            plan(&refuse("a\u{202e}b"), &st(Submitted, "officer"), &o),
            Err(ActError::Invalid(_))
        ));
        let p = plan(&refuse(" Thiếu giấy tờ "), &st(Submitted, "officer"), &o).unwrap();
        assert_eq!(p.note.as_deref(), Some("Thiếu giấy tờ"));
    }

    #[test]
    fn supplement_items_are_checked() {
        let item = |label: &str, slot: &str| SupplementItem {
            slot: slot.into(),
            label: label.into(),
            note: String::new(),
        };
        assert!(clean_items(&[]).is_err());
        assert!(clean_items(&[item("", "a")]).is_err());
        assert!(clean_items(&[item("Giấy", "../x")]).is_err());
        assert!(clean_items(&vec![item("Giấy", "a"); SUPPLEMENT_ITEMS_MAX + 1]).is_err());
        assert_eq!(
            clean_items(&[item(" Giấy ", "giay_chung_sinh")]).unwrap()[0].label,
            "Giấy"
        );
    }

    #[test]
    fn returning_needs_a_result_and_apology_needs_lateness() {
        let o = [Role::Officer];
        let mut s = st(Processed, "officer");
        assert!(matches!(
            plan(&StaffAct::MarkReturned, &s, &o),
            Err(ActError::Invalid(_))
        ));
        s.has_result = true;
        assert_eq!(
            plan(&StaffAct::MarkReturned, &s, &o).unwrap().to,
            Some(ResultReturned)
        );
        let apologise = StaffAct::Apologise {
            new_due: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            reason: "Chờ xác minh".into(),
        };
        let mut p = st(Processing, "officer");
        assert!(matches!(
            plan(&apologise, &p, &o),
            Err(ActError::Invalid(_))
        ));
        p.overdue = true;
        assert!(plan(&apologise, &p, &o).is_ok());
    }

    #[test]
    fn allowed_acts_follow_the_plan() {
        let s = st(Submitted, "officer");
        let a = allowed_acts(&s, &[Role::Officer]);
        assert!(a.contains(&ActKind::Accept));
        assert!(a.contains(&ActKind::Claim));
        assert!(!a.contains(&ActKind::Approve));
        assert!(
            allowed_acts(
                &st(ResultReturned, "officer"),
                &[Role::Officer, Role::Leader]
            )
            .is_empty()
        );
        let l = allowed_acts(&st(Processing, "leader"), &[Role::Leader]);
        assert!(l.contains(&ActKind::Approve) && l.contains(&ActKind::SendBack));
        assert!(allowed_acts(&s, &[]).is_empty());
        assert!(a.contains(&ActKind::Assign));
    }

    #[test]
    fn assign_needs_a_role_a_live_dossier_and_a_new_person() {
        let assign = |id: &str| StaffAct::Assign { user_id: id.into() };
        let mut s = st(Processing, "officer");
        assert!(plan(&assign("u2"), &s, &[Role::Leader]).is_ok());
        assert_eq!(plan(&assign("u2"), &s, &[]), Err(ActError::Forbidden));
        s.assignee_id = Some("u2".into());
        assert!(matches!(
            plan(&assign("u2"), &s, &[Role::Officer]),
            Err(ActError::Invalid(f)) if f[0].code == FieldCode::AlreadyAssigned
        ));
        assert!(matches!(
            plan(&assign(""), &s, &[Role::Officer]),
            Err(ActError::Invalid(f)) if f[0].code == FieldCode::Required
        ));
        assert_eq!(
            plan(
                &assign("u3"),
                &st(ResultReturned, "officer"),
                &[Role::Officer]
            ),
            Err(ActError::Conflict)
        );
        // An officer hands on only what is theirs or nobody's; a leader anything.
        assert!(may_assign(&s, &[Role::Officer], "u2"));
        assert!(!may_assign(&s, &[Role::Officer], "u3"));
        assert!(may_assign(&s, &[Role::Leader], "u3"));
        assert!(may_assign(
            &st(Submitted, "officer"),
            &[Role::Officer],
            "u3"
        ));
        // Claim is offered only while nobody handles the dossier; assign always.
        let a = allowed_acts(&s, &[Role::Officer]);
        assert!(!a.contains(&ActKind::Claim) && a.contains(&ActKind::Assign));
    }

    #[test]
    fn countdown_rounds_to_hours() {
        let c = |m| Countdown {
            due_at: Utc::now(),
            paused: false,
            remaining_minutes: m,
            apology_due_at: None,
            finished: false,
            on_time: None,
        };
        assert_eq!(c(960).days_hours(), (2, 0));
        assert_eq!(c(961).days_hours(), (2, 1));
        assert_eq!(c(479).days_hours(), (1, 0));
        assert_eq!(c(-90).days_hours(), (0, 2));
    }

    #[test]
    fn queues_partition_the_work() {
        let line = |status, channel, stage: &str, claimed| DossierLine {
            code: "c".into(),
            procedure_vi: String::new(),
            procedure_en: String::new(),
            applicant_name: String::new(),
            status,
            channel,
            received_at: Utc::now(),
            due_at: Utc::now(),
            deadline_flag: String::new(),
            stage: Stage::parse(stage).unwrap(),
            mine: false,
            claimed,
        };
        assert!(Queue::NewOnline.holds(&line(Submitted, 2, "officer", false)));
        assert!(!Queue::NewOnline.holds(&line(Submitted, 1, "officer", false)));
        assert!(Queue::ToAccept.holds(&line(Submitted, 1, "officer", true)));
        assert!(Queue::ToApprove.holds(&line(Processing, 2, "leader", true)));
        assert!(!Queue::Processing.holds(&line(Processing, 2, "leader", true)));
        assert!(Queue::Ready.holds(&line(Processed, 2, "officer", true)));
        let mine = |status| DossierLine {
            mine: true,
            ..line(status, 2, "officer", true)
        };
        assert!(Queue::Mine.holds(&mine(Processed)));
        assert!(!Queue::Mine.holds(&mine(ResultReturned)));
        assert!(!Queue::Mine.holds(&line(Processing, 2, "officer", true)));
        for q in Queue::ALL {
            assert_eq!(Queue::from_slug(q.slug()), Some(q));
        }
    }
}
