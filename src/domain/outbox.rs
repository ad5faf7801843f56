//! The messages a change to a dossier leaves in the outbox, written in the same transaction as
//! the change and delivered afterwards as notifications and e-mails. Stored as a topic and a
//! JSON payload; these types are the only way either is written or read.

use crate::domain::status::DossierStatus;
use crate::domain::workflow::ActKind;
use serde::{Deserialize, Serialize};

/// What a message is about. The stored topic is [`Topic::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Topic {
    /// A dossier was filed (online or at the counter): tells its owner.
    Submitted,
    /// A dossier's status changed, or a note was added to it (an apology): tells its owner.
    Status,
    /// A dossier was handed to a colleague: tells that colleague.
    Assigned,
    /// A dossier came close to or passed its appointment: tells the ward's staff.
    Deadline,
    /// A fee was paid: tells the owner.
    PaymentConfirmed,
    /// A fee was paid twice: tells the owner the money will be refunded.
    PaymentDuplicate,
    /// The same, for the ward's staff, who refund it.
    RefundDue,
}

impl Topic {
    /// Every topic.
    pub const ALL: [Topic; 7] = [
        Topic::Submitted,
        Topic::Status,
        Topic::Assigned,
        Topic::Deadline,
        Topic::PaymentConfirmed,
        Topic::PaymentDuplicate,
        Topic::RefundDue,
    ];

    /// The stored topic.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Submitted => "dossier.submitted",
            Topic::Status => "dossier.status",
            Topic::Assigned => "dossier.assigned",
            Topic::Deadline => "dossier.deadline",
            Topic::PaymentConfirmed => "payment.confirmed",
            Topic::PaymentDuplicate => "payment.duplicate",
            Topic::RefundDue => "payment.refund_due",
        }
    }

    /// The topic stored as `s`, if it is one.
    pub fn parse(s: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// Whether the ward's staff receive it (rather than the dossier's owner).
    pub fn for_staff(self) -> bool {
        matches!(self, Topic::Assigned | Topic::Deadline | Topic::RefundDue)
    }
}

/// The stored payload: what the notification and the e-mail say. Statuses are the national
/// codes (1–10); absent fields are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payload {
    /// The dossier code.
    pub code: String,
    /// The status the dossier is in after the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u8>,
    /// The status it was in before (a status change only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<u8>,
    /// The act behind the change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub act: Option<ActKind>,
    /// The reason or note the person acting wrote.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// The dossier's ward (where staff open it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The colleague a dossier was handed to (user id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assignee: Option<String>,
    /// `due_soon` or `overdue`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// The payment attempt's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<String>,
    /// The amount paid, in đồng.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount_vnd: Option<i64>,
    /// The gateway's transaction number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub txn: Option<String>,
}

impl Payload {
    /// The status after the change.
    pub fn status(&self) -> Option<DossierStatus> {
        self.status.and_then(DossierStatus::from_code)
    }

    /// Whether the status moved (a note-only step such as an apology does not).
    pub fn status_moved(&self) -> bool {
        self.from != self.status
    }
}

/// One outbox message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// What it is about.
    pub topic: Topic,
    /// What it says.
    pub payload: Payload,
}

impl Message {
    /// A dossier was filed and is now status 1.
    pub fn submitted(code: &str, unit: &str) -> Message {
        Message {
            topic: Topic::Submitted,
            payload: Payload {
                code: code.into(),
                status: Some(DossierStatus::Submitted.code()),
                unit: Some(unit.into()),
                ..Payload::default()
            },
        }
    }

    /// `act` moved a dossier from `from` to `to` (the same for a note-only step).
    pub fn status(
        code: &str,
        unit: &str,
        from: DossierStatus,
        to: DossierStatus,
        act: ActKind,
        note: Option<String>,
    ) -> Message {
        Message {
            topic: Topic::Status,
            payload: Payload {
                code: code.into(),
                status: Some(to.code()),
                from: Some(from.code()),
                act: Some(act),
                note,
                unit: Some(unit.into()),
                ..Payload::default()
            },
        }
    }

    /// A dossier in `status` was handed to `assignee`.
    pub fn assigned(code: &str, unit: &str, status: DossierStatus, assignee: &str) -> Message {
        Message {
            topic: Topic::Assigned,
            payload: Payload {
                code: code.into(),
                status: Some(status.code()),
                act: Some(ActKind::Assign),
                unit: Some(unit.into()),
                assignee: Some(assignee.into()),
                ..Payload::default()
            },
        }
    }

    /// A dossier in `status` raised its deadline flag.
    pub fn deadline(code: &str, unit: &str, status: DossierStatus, flag: &str) -> Message {
        Message {
            topic: Topic::Deadline,
            payload: Payload {
                code: code.into(),
                status: Some(status.code()),
                unit: Some(unit.into()),
                flag: Some(flag.into()),
                ..Payload::default()
            },
        }
    }

    /// A fee was paid; `resumed` when paying it let processing carry on (6 → 4).
    pub fn paid(code: &str, payment: &str, amount_vnd: i64, resumed: bool) -> Message {
        Message {
            topic: Topic::PaymentConfirmed,
            payload: Payload {
                code: code.into(),
                payment: Some(payment.into()),
                amount_vnd: Some(amount_vnd),
                status: resumed.then_some(DossierStatus::Processing.code()),
                from: resumed.then_some(DossierStatus::PaymentRequested.code()),
                ..Payload::default()
            },
        }
    }

    /// Money taken for a fee already paid: for the owner, or (`unit` given) for the ward.
    pub fn duplicate(
        code: &str,
        payment: &str,
        amount_vnd: i64,
        txn: &str,
        unit: Option<&str>,
    ) -> Message {
        Message {
            topic: if unit.is_some() {
                Topic::RefundDue
            } else {
                Topic::PaymentDuplicate
            },
            payload: Payload {
                code: code.into(),
                payment: Some(payment.into()),
                amount_vnd: Some(amount_vnd),
                txn: Some(txn.into()),
                unit: unit.map(str::to_owned),
                ..Payload::default()
            },
        }
    }

    /// The message stored as `topic` and `payload`, if both are understood.
    pub fn parse(topic: &str, payload: &serde_json::Value) -> Option<Message> {
        Some(Message {
            topic: Topic::parse(topic)?,
            payload: Payload::deserialize(payload).ok()?,
        })
    }

    /// The payload as stored.
    pub fn json(&self) -> serde_json::Value {
        serde_json::to_value(&self.payload).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_payloads_keep_their_shape() {
        let m = Message::status(
            "00070-261123-0001",
            "00070",
            DossierStatus::Processing,
            DossierStatus::SupplementRequested,
            ActKind::RequestSupplement,
            Some("Thiếu giấy".into()),
        );
        assert_eq!(
            m.json(),
            json!({ "code": "00070-261123-0001", "status": 5, "from": 4,
                    "act": "request_supplement", "note": "Thiếu giấy", "unit": "00070" })
        );
        assert_eq!(Message::parse("dossier.status", &m.json()), Some(m));
        // Messages written before this type existed (a null note) still read.
        let old = json!({ "code": "c", "status": 2, "from": 1, "act": "accept", "note": null, "unit": "u" });
        let m = Message::parse("dossier.status", &old).unwrap();
        assert_eq!(m.payload.act, Some(ActKind::Accept));
        assert!(m.payload.status_moved());
        assert_eq!(Message::parse("dossier.unknown", &old), None);
        let paid = Message::paid("c", "p1", 50_000, false);
        assert_eq!(
            paid.json(),
            json!({ "code": "c", "payment": "p1", "amount_vnd": 50_000 })
        );
        for t in Topic::ALL {
            assert_eq!(Topic::parse(t.as_str()), Some(t));
        }
    }
}
