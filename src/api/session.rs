//! The signed-in person: session, profile and staff roles.

use crate::api::AppError;
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A staff role as the browser sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleInfo {
    /// Unit code.
    pub unit_code: String,
    /// Unit name ("Phường Hoàn Kiếm").
    pub unit_name: String,
    /// The same in English ("Hoàn Kiếm Ward").
    #[serde(default)]
    pub unit_name_en: String,
    /// The role.
    pub role: crate::domain::staff::Role,
}

/// Someone the signed-in person legally represents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DependentInfo {
    /// Name.
    pub name: String,
    /// ID number, masked.
    pub cccd_masked: String,
    /// Date of birth (dd/mm/yyyy).
    pub birthdate: Option<String>,
    /// Relationship as stated by the provider.
    pub relationship: Option<String>,
}

impl RoleInfo {
    /// A role at `unit_code`, named after the unit ("Phường Hoàn Kiếm").
    pub fn new(
        units: &[crate::domain::catalog::Unit],
        unit_code: &str,
        role: crate::domain::staff::Role,
    ) -> Self {
        let unit = units.iter().find(|u| u.code == unit_code);
        RoleInfo {
            unit_code: unit_code.to_string(),
            unit_name: unit
                .map(|u| u.full_name_vi())
                .unwrap_or_else(|| unit_code.to_string()),
            unit_name_en: unit
                .map(|u| u.full_name_en())
                .unwrap_or_else(|| unit_code.to_string()),
            role,
        }
    }
}

/// A stored ID number as it may be shown: masked, or nothing when it is not a valid number.
pub fn masked(cccd: &str) -> Option<String> {
    crate::domain::cccd::Cccd::parse(cccd)
        .ok()
        .map(|c| c.masked())
}

/// The current session: who is signed in and until when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    /// Name.
    pub name: String,
    /// ID number, masked (`001*******45`).
    pub cccd_masked: Option<String>,
    /// Date of birth (ISO).
    pub birthdate: Option<String>,
    /// Address.
    pub address: Option<String>,
    /// Identity level of this login.
    pub identity_level: i64,
    /// Staff session.
    pub staff: bool,
    /// Administrator.
    pub is_admin: bool,
    /// Staff roles.
    pub roles: Vec<RoleInfo>,
    /// People this person represents (children under 14 …).
    pub dependents: Vec<DependentInfo>,
    /// Seconds of inactivity after which the server ends the session.
    pub idle_timeout_secs: i64,
    /// Seconds until the session ends at the latest.
    pub absolute_remaining_secs: i64,
}

/// Who is signed in (`None` when nobody is). Also keeps the session alive, and records the
/// language (`vi`, `en`) the person reads the portal in, for their e-mail.
#[server(endpoint = "session/me", input = Json)]
pub async fn current_session(lang: Option<String>) -> Result<Option<SessionInfo>, AppError> {
    use crate::server::{auth, ctx, policy::Action};
    let cx = ctx::request().await?;
    let Ok(u) = cx.user() else {
        return Ok(None);
    };
    cx.authorize(Action::ReadOwnProfile).await?;
    if let Some(lang) = lang.as_deref().filter(|l| matches!(*l, "vi" | "en")) {
        cx.state
            .db
            .set_user_lang(&u.user_id, lang)
            .await
            .or_internal(&cx)?;
    }
    let user = cx
        .state
        .db
        .user(&u.user_id)
        .await
        .or_internal(&cx)?
        .ok_or(AppError::Unauthenticated)?;
    let units = if u.roles.is_empty() {
        Vec::new()
    } else {
        cx.state.db.units().await.or_internal(&cx)?
    };
    let roles = u
        .roles
        .iter()
        .map(|r| RoleInfo::new(&units, &r.unit_code, r.role))
        .collect();
    let idle = if u.staff {
        auth::STAFF_IDLE
    } else {
        auth::RESIDENT_IDLE
    };
    Ok(Some(SessionInfo {
        name: user.name,
        cccd_masked: user.cccd.as_deref().and_then(masked),
        birthdate: user.birthdate.map(|d| d.format("%d/%m/%Y").to_string()),
        address: user.address,
        identity_level: u.identity_level,
        staff: u.staff,
        is_admin: u.is_admin,
        roles,
        dependents: user
            .dependents
            .0
            .iter()
            .filter_map(|d| {
                Some(DependentInfo {
                    name: d.name.clone(),
                    cccd_masked: masked(&d.cccd)?,
                    birthdate: d
                        .birthdate
                        .as_deref()
                        .and_then(|b| chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d").ok())
                        .map(|b| b.format("%d/%m/%Y").to_string()),
                    relationship: d.relationship.clone(),
                })
            })
            .collect(),
        idle_timeout_secs: idle.num_seconds(),
        absolute_remaining_secs: (u.created_at + auth::ABSOLUTE - chrono::Utc::now()).num_seconds(),
    }))
}

/// The full ID number of the signed-in person. Needs a login at identity level 2 within the
/// last ten minutes (step-up); otherwise `StepUpRequired`.
#[server(endpoint = "session/reveal-id", input = Json)]
pub async fn reveal_own_id() -> Result<String, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::RevealOwnId).await?;
    let u = cx.user()?;
    cx.state
        .db
        .user(&u.user_id)
        .await
        .or_internal(&cx)?
        .and_then(|u| u.cccd)
        .ok_or(AppError::NotFound)
}
