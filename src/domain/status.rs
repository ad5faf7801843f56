//! The national dossier status list and who may move a dossier between statuses.

use serde::{Deserialize, Serialize};

/// The ten statuses of the national public-service status list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum DossierStatus {
    /// 1 — Mới đăng ký.
    Submitted,
    /// 2 — Được tiếp nhận.
    Accepted,
    /// 3 — Không được tiếp nhận.
    NotAccepted,
    /// 4 — Đang xử lý.
    Processing,
    /// 5 — Yêu cầu bổ sung giấy tờ.
    SupplementRequested,
    /// 6 — Yêu cầu thực hiện nghĩa vụ tài chính.
    PaymentRequested,
    /// 7 — Công dân yêu cầu rút hồ sơ.
    WithdrawalRequested,
    /// 8 — Dừng xử lý.
    Stopped,
    /// 9 — Đã xử lý xong.
    Processed,
    /// 10 — Đã trả kết quả.
    ResultReturned,
}

/// Who asks for a transition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Actor {
    /// The resident who owns the dossier (or their authorised representative).
    Resident,
    /// One-stop counter officer of the receiving ward.
    Officer,
    /// Ward leader who approves results.
    Leader,
    /// The portal itself (e.g. a payment confirmed by the gateway).
    System,
}

use Actor::*;
use DossierStatus::*;

/// Every allowed transition and who may make it. Anything not listed is refused.
pub const TRANSITIONS: &[(DossierStatus, DossierStatus, &[Actor])] = &[
    // Intake at the one-stop counter.
    (Submitted, Accepted, &[Officer]),
    (Submitted, NotAccepted, &[Officer]),
    (Submitted, SupplementRequested, &[Officer]),
    (Submitted, WithdrawalRequested, &[Resident]),
    // After acceptance.
    (Accepted, Processing, &[Officer]),
    (Accepted, PaymentRequested, &[Officer]),
    (Accepted, WithdrawalRequested, &[Resident]),
    // While processing.
    (Processing, SupplementRequested, &[Officer, Leader]),
    (Processing, PaymentRequested, &[Officer]),
    (Processing, Processed, &[Leader]),
    (Processing, Stopped, &[Leader]),
    (Processing, WithdrawalRequested, &[Resident]),
    // Supplement: the resident completes it, the dossier returns to where it was.
    (SupplementRequested, Submitted, &[Resident, Officer]),
    (SupplementRequested, Processing, &[Resident, Officer]),
    (SupplementRequested, Stopped, &[Leader]),
    (SupplementRequested, WithdrawalRequested, &[Resident]),
    // Payment requested later: confirmed by the gateway, or paid at the counter.
    (PaymentRequested, Processing, &[System, Officer]),
    (PaymentRequested, WithdrawalRequested, &[Resident]),
    // Withdrawal: the ward stops processing, or refuses the withdrawal and carries on.
    (WithdrawalRequested, Stopped, &[Officer, Leader]),
    (WithdrawalRequested, Processing, &[Officer, Leader]),
    // Result.
    (Processed, ResultReturned, &[Officer]),
];

impl DossierStatus {
    /// All statuses in national-code order.
    pub const ALL: [DossierStatus; 10] = [
        Submitted,
        Accepted,
        NotAccepted,
        Processing,
        SupplementRequested,
        PaymentRequested,
        WithdrawalRequested,
        Stopped,
        Processed,
        ResultReturned,
    ];

    /// National code, 1–10.
    pub fn code(self) -> u8 {
        match self {
            Submitted => 1,
            Accepted => 2,
            NotAccepted => 3,
            Processing => 4,
            SupplementRequested => 5,
            PaymentRequested => 6,
            WithdrawalRequested => 7,
            Stopped => 8,
            Processed => 9,
            ResultReturned => 10,
        }
    }

    /// The status with national code `code`.
    pub fn from_code(code: u8) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.code() == code)
    }

    /// Official Vietnamese name.
    pub fn name_vi(self) -> &'static str {
        match self {
            Submitted => "Mới đăng ký",
            Accepted => "Được tiếp nhận",
            NotAccepted => "Không được tiếp nhận",
            Processing => "Đang xử lý",
            SupplementRequested => "Yêu cầu bổ sung giấy tờ",
            PaymentRequested => "Yêu cầu thực hiện nghĩa vụ tài chính",
            WithdrawalRequested => "Công dân yêu cầu rút hồ sơ",
            Stopped => "Dừng xử lý",
            Processed => "Đã xử lý xong",
            ResultReturned => "Đã trả kết quả",
        }
    }

    /// English name.
    pub fn name_en(self) -> &'static str {
        match self {
            Submitted => "Submitted",
            Accepted => "Accepted",
            NotAccepted => "Not accepted",
            Processing => "Processing",
            SupplementRequested => "Supplement requested",
            PaymentRequested => "Payment requested",
            WithdrawalRequested => "Withdrawal requested",
            Stopped => "Processing stopped",
            Processed => "Processed (result ready)",
            ResultReturned => "Result returned",
        }
    }

    /// No transition leaves a terminal status.
    pub fn is_terminal(self) -> bool {
        matches!(self, NotAccepted | Stopped | ResultReturned)
    }

    /// The deadline clock does not run while the ward waits for the resident.
    pub fn pauses_clock(self) -> bool {
        matches!(self, SupplementRequested)
    }

    /// Checks that `actor` may move a dossier from `self` to `to`.
    pub fn transition(
        self,
        to: DossierStatus,
        actor: Actor,
    ) -> Result<DossierStatus, TransitionError> {
        match TRANSITIONS.iter().find(|(f, t, _)| *f == self && *t == to) {
            None => Err(TransitionError::NotAllowed),
            Some((_, _, actors)) if !actors.contains(&actor) => Err(TransitionError::WrongActor),
            Some(_) => Ok(to),
        }
    }

    /// Statuses `actor` may move a dossier to from `self`.
    pub fn next_for(self, actor: Actor) -> Vec<DossierStatus> {
        TRANSITIONS
            .iter()
            .filter(|(f, _, a)| *f == self && a.contains(&actor))
            .map(|(_, t, _)| *t)
            .collect()
    }
}

/// Why a transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionError {
    /// No such step in the workflow.
    NotAllowed,
    /// The step exists but this actor may not take it.
    WrongActor,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_match_the_national_list() {
        let names = [
            (1, "Mới đăng ký"),
            (2, "Được tiếp nhận"),
            (3, "Không được tiếp nhận"),
            (4, "Đang xử lý"),
            (5, "Yêu cầu bổ sung giấy tờ"),
            (6, "Yêu cầu thực hiện nghĩa vụ tài chính"),
            (7, "Công dân yêu cầu rút hồ sơ"),
            (8, "Dừng xử lý"),
            (9, "Đã xử lý xong"),
            (10, "Đã trả kết quả"),
        ];
        for (code, name) in names {
            let s = DossierStatus::from_code(code).unwrap();
            assert_eq!(s.code(), code);
            assert_eq!(s.name_vi(), name);
        }
        assert_eq!(DossierStatus::from_code(0), None);
        assert_eq!(DossierStatus::from_code(11), None);
    }

    #[test]
    fn transition_table() {
        let cases = [
            (Submitted, Accepted, Officer, Ok(Accepted)),
            (
                Submitted,
                Accepted,
                Resident,
                Err(TransitionError::WrongActor),
            ),
            (
                Submitted,
                Processed,
                Leader,
                Err(TransitionError::NotAllowed),
            ),
            (Processing, Processed, Leader, Ok(Processed)),
            (
                Processing,
                Processed,
                Officer,
                Err(TransitionError::WrongActor),
            ),
            (SupplementRequested, Processing, Resident, Ok(Processing)),
            (PaymentRequested, Processing, System, Ok(Processing)),
            (
                PaymentRequested,
                Processing,
                Resident,
                Err(TransitionError::WrongActor),
            ),
            (Processed, ResultReturned, Officer, Ok(ResultReturned)),
            (
                ResultReturned,
                Processing,
                Officer,
                Err(TransitionError::NotAllowed),
            ),
            (
                Accepted,
                WithdrawalRequested,
                Resident,
                Ok(WithdrawalRequested),
            ),
            (
                Processed,
                WithdrawalRequested,
                Resident,
                Err(TransitionError::NotAllowed),
            ),
        ];
        for (from, to, actor, want) in cases {
            assert_eq!(
                from.transition(to, actor),
                want,
                "{from:?} → {to:?} by {actor:?}"
            );
        }
    }

    #[test]
    fn terminal_statuses_have_no_way_out() {
        for s in DossierStatus::ALL.into_iter().filter(|s| s.is_terminal()) {
            for to in DossierStatus::ALL {
                for actor in [Resident, Officer, Leader, System] {
                    assert!(s.transition(to, actor).is_err(), "{s:?} → {to:?}");
                }
            }
        }
    }

    #[test]
    fn residents_never_decide_the_outcome() {
        for (_, to, actors) in TRANSITIONS {
            if actors.contains(&Resident) {
                assert!(
                    matches!(to, WithdrawalRequested | Submitted | Processing),
                    "resident may reach {to:?}"
                );
            }
        }
    }

    #[test]
    fn every_non_terminal_status_can_progress_and_is_reachable() {
        for s in DossierStatus::ALL {
            let reachable = s == Submitted || TRANSITIONS.iter().any(|(_, t, _)| *t == s);
            assert!(reachable, "{s:?} unreachable");
            if !s.is_terminal() {
                assert!(
                    TRANSITIONS.iter().any(|(f, _, _)| *f == s),
                    "{s:?} is stuck"
                );
            }
        }
    }

    #[test]
    fn no_duplicate_edges() {
        for (i, (f, t, _)) in TRANSITIONS.iter().enumerate() {
            for (g, u, _) in &TRANSITIONS[i + 1..] {
                assert!(!(f == g && t == u), "{f:?} → {t:?} listed twice");
            }
        }
    }

    #[test]
    fn next_for_lists_officer_choices() {
        assert_eq!(
            Submitted.next_for(Officer),
            vec![Accepted, NotAccepted, SupplementRequested]
        );
        assert!(Processed.next_for(Resident).is_empty());
    }
}
