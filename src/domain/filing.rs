//! Filing a dossier online: drafts, submission and what the resident sees afterwards.
//! Shared by the browser and the server.

use crate::domain::form::Answers;
use crate::domain::status::DossierStatus;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// A draft is kept this many days after its last change, then deleted.
pub const DRAFT_LIFETIME_DAYS: i64 = 30;

/// When a draft changed at `updated_at` expires.
pub fn draft_expiry(updated_at: DateTime<Utc>) -> DateTime<Utc> {
    updated_at + Duration::days(DRAFT_LIFETIME_DAYS)
}

/// Channel a dossier came in through (national list).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Channel {
    /// 1 — at the one-stop counter.
    Counter,
    /// 2 — online.
    Online,
    /// 3 — by public postal service.
    Post,
}

impl Channel {
    /// National code.
    pub fn code(self) -> u8 {
        match self {
            Channel::Counter => 1,
            Channel::Online => 2,
            Channel::Post => 3,
        }
    }

    /// From the national code.
    pub fn from_code(c: u8) -> Option<Self> {
        match c {
            1 => Some(Channel::Counter),
            2 => Some(Channel::Online),
            3 => Some(Channel::Post),
            _ => None,
        }
    }
}

/// A draft as the form page loads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Draft {
    /// Draft id.
    pub id: String,
    /// Procedure slug.
    pub procedure_slug: String,
    /// Answers as typed so far.
    pub answers: Answers,
    /// Increases with every save.
    pub revision: i64,
    /// Key that makes submitting this draft happen once, however often it is retried.
    pub idempotency_key: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Deleted after this unless changed again.
    pub expires_at: DateTime<Utc>,
    /// What the identity provider gives for the form's prefilled fields now (shown as "from
    /// VNeID"; the fields it may not change are read-only).
    #[serde(default)]
    pub from_identity: Answers,
}

/// One line of "my drafts".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DraftSummary {
    /// Draft id.
    pub id: String,
    /// Procedure slug.
    pub procedure_slug: String,
    /// Procedure name (Vietnamese).
    pub procedure_vi: String,
    /// Procedure name (English).
    pub procedure_en: String,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Deleted after this unless changed again.
    pub expires_at: DateTime<Utc>,
}

/// What a save returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Saved {
    /// New revision.
    pub revision: i64,
    /// Time of the save.
    pub updated_at: DateTime<Utc>,
    /// New expiry.
    pub expires_at: DateTime<Utc>,
}

/// One step of a dossier's timeline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimelineEvent {
    /// When.
    pub at: DateTime<Utc>,
    /// Status entered.
    pub status: DossierStatus,
    /// Role of who did it (`resident`, `officer`, `leader`, `system`).
    pub actor_role: String,
    /// Reason or note, as the person who acted wrote it.
    pub note: Option<String>,
    /// What the portal itself says of this step, in the reader's language.
    #[serde(default)]
    pub said: Option<Said>,
}

/// A sentence the portal writes on a timeline step, kept as a code with its parameters and
/// worded in the reader's language when shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Said {
    /// Received in person at the one-stop counter.
    CounterIntake,
    /// A fee paid online: its amount and the gateway's transaction number.
    Paid {
        /// Amount in đồng.
        amount_vnd: i64,
        /// The gateway's transaction number.
        txn: String,
    },
    /// The resident sent what a supplement request asked for.
    SupplementSent,
    /// A new appointment, after the ward apologised for the delay.
    NewDue {
        /// The new day.
        date: chrono::NaiveDate,
    },
}

/// A dossier as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DossierView {
    /// Dossier code.
    pub code: String,
    /// Procedure slug.
    pub procedure_slug: String,
    /// Procedure name (Vietnamese).
    pub procedure_vi: String,
    /// Procedure name (English).
    pub procedure_en: String,
    /// Receiving unit code.
    pub unit_code: String,
    /// Receiving unit, full Vietnamese name (`Phường Ba Đình`).
    pub unit_name: String,
    /// The same in English (`Ba Đình Ward`).
    #[serde(default)]
    pub unit_name_en: String,
    /// Current status.
    pub status: DossierStatus,
    /// Channel.
    pub channel: Channel,
    /// Submitter's name.
    pub applicant_name: String,
    /// Received at.
    pub received_at: DateTime<Utc>,
    /// Appointment for the result.
    pub due_at: DateTime<Utc>,
    /// Clean answers.
    pub answers: Answers,
    /// Fee due, in đồng.
    pub fee_vnd: i64,
    /// Timeline, oldest first.
    pub events: Vec<TimelineEvent>,
    /// The fee payment: the paid one, else the latest attempt.
    pub payment: Option<PaymentView>,
    /// Money the gateway took for a fee already paid (two tabs, or paid at the counter too),
    /// to be refunded.
    #[serde(default)]
    pub duplicates: Vec<PaymentView>,
}

/// Where a fee payment stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaymentView {
    /// `pending` (sent to the gateway, no notice yet), `paid`, `failed`, or `duplicate`
    /// (taken for a fee already paid: to be refunded).
    pub status: String,
    /// Amount in đồng.
    pub amount_vnd: i64,
    /// The gateway's transaction number, once paid.
    pub provider_txn_no: Option<String>,
    /// When the gateway's notice arrived.
    pub settled_at: Option<DateTime<Utc>>,
}
