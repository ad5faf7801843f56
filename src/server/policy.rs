//! The authorization policy, in one place. Deny by default: an action is allowed only where
//! a match arm below says so. The acting user comes from the session, never from arguments.

use crate::api::AppError;
use chrono::{DateTime, Utc};

/// A staff role at one commune-level unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffRole {
    /// Unit code.
    pub unit_code: String,
    /// The role.
    pub role: crate::domain::staff::Role,
}

/// A signed-in person, as the session says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    /// User id.
    pub user_id: String,
    /// Name.
    pub name: String,
    /// Staff session.
    pub staff: bool,
    /// Administrator.
    pub is_admin: bool,
    /// Identity level of this login (1 or 2).
    pub identity_level: i64,
    /// When the person authenticated at the provider.
    pub auth_time: DateTime<Utc>,
    /// Session start.
    pub created_at: DateTime<Utc>,
    /// This request.
    pub last_seen_at: DateTime<Utc>,
    /// Staff roles.
    pub roles: Vec<StaffRole>,
    /// The session (the hash of its cookie), where the health record's open window is kept.
    pub session: String,
    /// When the health record last opened in this session (a read after a recent login).
    pub health_opened_at: Option<DateTime<Utc>>,
    /// The last health read of this session.
    pub health_seen_at: Option<DateTime<Utc>>,
}

/// How long the health record stays open in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthWindow {
    /// A login this recent opens it (`DVC_HEALTH_FRESH_SECS`).
    pub fresh_secs: i64,
    /// Once open, it stays open while read at least this often (`DVC_HEALTH_IDLE_SECS`)…
    pub idle_secs: i64,
    /// …and at most this long after it opened (`DVC_HEALTH_OPEN_SECS`).
    pub open_secs: i64,
}

impl SessionUser {
    /// Whether the login is at most `secs` old.
    pub fn logged_in_within(&self, secs: i64, now: DateTime<Utc>) -> bool {
        (now - self.auth_time).num_seconds() <= secs
    }

    /// Whether the health record opened in this session is still open at `now`.
    pub fn health_open(&self, w: &HealthWindow, now: DateTime<Utc>) -> bool {
        self.health_opened_at
            .is_some_and(|o| (now - o).num_seconds() <= w.open_secs)
            && self
                .health_seen_at
                .is_some_and(|s| (now - s).num_seconds() <= w.idle_secs)
    }
}

/// Who is calling.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Not signed in.
    Anonymous,
    /// Signed in.
    User(Box<SessionUser>),
}

/// Something a caller wants to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Read the public procedure catalogue, sectors and administrative units.
    ReadCatalog,
    /// Look a dossier up by its code and the submitter's ID-number suffix.
    TrackDossier,
    /// Read one's own session and profile.
    ReadOwnProfile,
    /// See one's own full ID number: needs a recent login at identity level 2.
    RevealOwnId,
    /// Use the staff area of a unit (any staff role there).
    StaffArea {
        /// The unit.
        unit: String,
    },
    /// Grant and revoke staff roles, disable accounts.
    ManageStaff,
    /// Work on one's own drafts and read one's own dossiers.
    OwnFiling,
    /// File a dossier: needs an identity-level-2 login.
    SubmitDossier,
    /// Read one's health record or a represented child's: a resident (never a staff
    /// session) at identity level 2 who logged in recently, or whose record opened so in this
    /// session and is still open.
    ReadHealth(HealthWindow),
    /// Take the record out of the portal (an export, a share link) or consent to show it:
    /// as [`Action::ReadHealth`], but only with a recent login, never on an open window alone.
    HealthFresh {
        /// The freshness window (`DVC_HEALTH_FRESH_SECS`).
        fresh_secs: i64,
    },
    /// See or withdraw one's consent to the health record: a resident, never staff.
    HealthConsent,
}

impl Action {
    /// Short name for the audit log.
    pub fn name(&self) -> &'static str {
        match self {
            Action::ReadCatalog => "read_catalog",
            Action::TrackDossier => "track_dossier",
            Action::ReadOwnProfile => "read_own_profile",
            Action::RevealOwnId => "reveal_own_id",
            Action::StaffArea { .. } => "staff_area",
            Action::ManageStaff => "manage_staff",
            Action::OwnFiling => "own_filing",
            Action::SubmitDossier => "submit_dossier",
            Action::ReadHealth(_) => "read_health",
            Action::HealthFresh { .. } => "health_fresh",
            Action::HealthConsent => "health_consent",
        }
    }
}

/// Decides whether `who` may do `action` at `now`.
pub fn check(who: &Principal, action: &Action, now: DateTime<Utc>) -> Result<(), AppError> {
    match (who, action) {
        (_, Action::ReadCatalog | Action::TrackDossier) => Ok(()),
        (Principal::Anonymous, _) => Err(AppError::Unauthenticated),
        (Principal::User(_), Action::ReadOwnProfile | Action::OwnFiling) => Ok(()),
        (Principal::User(u), Action::SubmitDossier) => {
            if u.identity_level >= 2 {
                Ok(())
            } else {
                Err(AppError::StepUpRequired)
            }
        }
        (Principal::User(u), Action::RevealOwnId) => {
            if u.identity_level >= 2 && now - u.auth_time <= crate::server::auth::RECENT_LOGIN {
                Ok(())
            } else {
                Err(AppError::StepUpRequired)
            }
        }
        // Ward staff have no health function at all.
        (
            Principal::User(u),
            Action::ReadHealth(_) | Action::HealthFresh { .. } | Action::HealthConsent,
        ) if u.staff => Err(AppError::Forbidden),
        (Principal::User(_), Action::HealthConsent) => Ok(()),
        (Principal::User(u), Action::ReadHealth(w)) => {
            if u.identity_level >= 2
                && (u.logged_in_within(w.fresh_secs, now) || u.health_open(w, now))
            {
                Ok(())
            } else {
                Err(AppError::StepUpRequired)
            }
        }
        (Principal::User(u), Action::HealthFresh { fresh_secs }) => {
            if u.identity_level >= 2 && u.logged_in_within(*fresh_secs, now) {
                Ok(())
            } else {
                Err(AppError::StepUpRequired)
            }
        }
        (Principal::User(u), Action::StaffArea { unit }) => {
            if u.roles.iter().any(|r| &r.unit_code == unit) {
                Ok(())
            } else {
                // Another ward's area looks like nothing at all.
                Err(AppError::NotFound)
            }
        }
        (Principal::User(u), Action::ManageStaff) => {
            if u.is_admin {
                Ok(())
            } else {
                Err(AppError::Forbidden)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn user(level: i64, login_ago_min: i64, admin: bool, units: &[&str]) -> Principal {
        let now = Utc::now();
        Principal::User(Box::new(SessionUser {
            user_id: "u".into(),
            name: "Nguyễn Văn An".into(),
            staff: admin || !units.is_empty(),
            is_admin: admin,
            identity_level: level,
            auth_time: now - Duration::minutes(login_ago_min),
            created_at: now - Duration::minutes(login_ago_min),
            last_seen_at: now,
            session: "s".into(),
            health_opened_at: None,
            health_seen_at: None,
            roles: units
                .iter()
                .map(|u| StaffRole {
                    unit_code: u.to_string(),
                    role: crate::domain::staff::Role::Officer,
                })
                .collect(),
        }))
    }

    #[test]
    fn policy_table() {
        let now = Utc::now();
        let anon = Principal::Anonymous;
        let resident = user(2, 1, false, &[]);
        let level1 = user(1, 1, false, &[]);
        let stale = user(2, 60, false, &[]);
        let officer = user(2, 1, false, &["00070"]);
        let admin = user(2, 1, true, &[]);
        let ward = |u: &str| Action::StaffArea { unit: u.into() };
        let window = HealthWindow {
            fresh_secs: 600,
            idle_secs: 900,
            open_secs: 3600,
        };
        let health = Action::ReadHealth(window);
        let export = Action::HealthFresh { fresh_secs: 600 };
        // Logged in an hour ago, the record opened 50 minutes ago and read 5 minutes ago.
        let open = |opened_min: i64, seen_min: i64| {
            let Principal::User(mut u) = user(2, 60, false, &[]) else {
                unreachable!()
            };
            u.health_opened_at = Some(now - Duration::minutes(opened_min));
            u.health_seen_at = Some(now - Duration::minutes(seen_min));
            Principal::User(u)
        };
        let (reading, idle, too_long) = (open(50, 5), open(30, 16), open(61, 1));
        let cases = [
            (&anon, Action::ReadCatalog, Ok(())),
            (&anon, Action::TrackDossier, Ok(())),
            (
                &anon,
                Action::ReadOwnProfile,
                Err(AppError::Unauthenticated),
            ),
            (&anon, Action::ManageStaff, Err(AppError::Unauthenticated)),
            (&resident, Action::ReadOwnProfile, Ok(())),
            (&resident, Action::RevealOwnId, Ok(())),
            (&level1, Action::RevealOwnId, Err(AppError::StepUpRequired)),
            (&stale, Action::RevealOwnId, Err(AppError::StepUpRequired)),
            (&resident, ward("00070"), Err(AppError::NotFound)),
            (&officer, ward("00070"), Ok(())),
            (&officer, ward("00004"), Err(AppError::NotFound)),
            (&officer, Action::ManageStaff, Err(AppError::Forbidden)),
            (&admin, Action::ManageStaff, Ok(())),
            (&admin, ward("00070"), Err(AppError::NotFound)),
            (&anon, Action::OwnFiling, Err(AppError::Unauthenticated)),
            (&anon, Action::SubmitDossier, Err(AppError::Unauthenticated)),
            (&level1, Action::OwnFiling, Ok(())),
            (
                &level1,
                Action::SubmitDossier,
                Err(AppError::StepUpRequired),
            ),
            (&stale, Action::SubmitDossier, Ok(())),
            (&resident, health.clone(), Ok(())),
            (&level1, health.clone(), Err(AppError::StepUpRequired)),
            (&stale, health.clone(), Err(AppError::StepUpRequired)),
            (&reading, health.clone(), Ok(())),
            (&idle, health.clone(), Err(AppError::StepUpRequired)),
            (&too_long, health.clone(), Err(AppError::StepUpRequired)),
            (&resident, export.clone(), Ok(())),
            (&reading, export.clone(), Err(AppError::StepUpRequired)),
            (&level1, export.clone(), Err(AppError::StepUpRequired)),
            (&officer, export.clone(), Err(AppError::Forbidden)),
            (&officer, health.clone(), Err(AppError::Forbidden)),
            (&admin, health.clone(), Err(AppError::Forbidden)),
            (&anon, health.clone(), Err(AppError::Unauthenticated)),
            (&level1, Action::HealthConsent, Ok(())),
            (&officer, Action::HealthConsent, Err(AppError::Forbidden)),
            (&anon, Action::HealthConsent, Err(AppError::Unauthenticated)),
        ];
        for (who, action, want) in cases {
            assert_eq!(check(who, &action, now), want, "{action:?}");
        }
    }
}
