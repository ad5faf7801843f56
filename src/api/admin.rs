//! Staff management by an administrator: the staff list, granting and revoking roles at a
//! unit, and disabling an account. Every change is audited.

use crate::api::AppError;
use crate::api::session::RoleInfo;
#[cfg(feature = "ssr")]
use crate::api::session::masked;
#[cfg(feature = "ssr")]
use crate::domain::field_error::FieldCode;
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// A staff member in the administrator's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffMember {
    /// User id.
    pub user_id: String,
    /// Name.
    pub name: String,
    /// Masked ID number.
    pub cccd_masked: Option<String>,
    /// Administrator.
    pub is_admin: bool,
    /// Disabled.
    pub disabled: bool,
    /// Roles.
    pub roles: Vec<RoleInfo>,
}

/// Every staff member and administrator, with their roles.
#[server(endpoint = "admin/staff", input = Json)]
pub async fn list_staff() -> Result<Vec<StaffMember>, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::ManageStaff).await?;
    let units = cx.state.db.units().await.or_internal(&cx)?;
    let staff = cx.state.db.staff().await.or_internal(&cx)?;
    Ok(staff
        .into_iter()
        .map(|(u, roles)| StaffMember {
            user_id: u.id,
            name: u.name,
            cccd_masked: u.cccd.as_deref().and_then(masked),
            is_admin: u.is_admin,
            disabled: u.disabled,
            roles: roles
                .iter()
                .filter_map(|r| {
                    let role = crate::domain::staff::Role::parse(&r.role)?;
                    Some(RoleInfo::new(&units, &r.unit_code, role))
                })
                .collect(),
        })
        .collect())
}

/// A role change made by an administrator.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleChange {
    /// ID number of the person (they must have signed in once).
    pub cccd: String,
    /// Unit code.
    pub unit_code: String,
    /// `officer` or `leader`.
    pub role: String,
    /// Grant (`true`) or revoke.
    pub grant: bool,
}

/// Grants or revokes a staff role at a unit. Audited.
#[server(endpoint = "admin/staff/role", input = Json)]
pub async fn change_role(change: RoleChange) -> Result<(), AppError> {
    use crate::server::db::audit::AuditEvent;
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::ManageStaff).await?;
    let admin = cx.user()?.user_id.clone();
    let mut fields = Vec::new();
    let cccd = crate::domain::cccd::Cccd::parse(&change.cccd)
        .map_err(|e| {
            fields.push(crate::domain::field_error::FieldError::new(
                "cccd",
                e.code(),
            ))
        })
        .ok();
    if crate::domain::staff::Role::parse(&change.role).is_none() {
        fields.push(crate::domain::field_error::FieldError::new(
            "role",
            FieldCode::Invalid,
        ));
    }
    let units = cx.state.db.units().await.or_internal(&cx)?;
    if !units.iter().any(|u| u.code == change.unit_code) {
        fields.push(crate::domain::field_error::FieldError::new(
            "unit_code",
            FieldCode::Invalid,
        ));
    }
    let Some(cccd) = cccd.filter(|_| fields.is_empty()) else {
        return Err(AppError::Validation { fields });
    };
    let user = cx
        .state
        .db
        .user_by_cccd(cccd.as_str())
        .await
        .or_internal(&cx)?
        .ok_or_else(|| AppError::field("cccd", FieldCode::UnknownPerson))?;
    let event = AuditEvent {
        actor: Some(admin),
        actor_role: "admin".into(),
        actor_unit: None,
        action: if change.grant {
            "role_granted"
        } else {
            "role_revoked"
        }
        .into(),
        object: Some(user.id.clone()),
        outcome: "ok",
        detail: Some(format!("{}:{}", change.unit_code, change.role)),
    };
    // The change and its audit row commit together.
    let db = &cx.state.db;
    let done = if change.grant {
        db.grant_role(
            &user.id,
            &change.unit_code,
            &change.role,
            chrono::Utc::now(),
            &event,
        )
        .await
    } else {
        db.revoke_role(&user.id, &change.unit_code, &change.role, &event)
            .await
            .map(|_| ())
    };
    done.or_internal(&cx)
}

/// Disables (ending every session at once) or re-enables an account. Audited.
#[server(endpoint = "admin/users/disable", input = Json)]
pub async fn set_account_disabled(user_id: String, disabled: bool) -> Result<(), AppError> {
    use crate::server::db::audit::AuditEvent;
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::ManageStaff).await?;
    let admin = cx.user()?.user_id.clone();
    if admin == user_id {
        return Err(AppError::Conflict);
    }
    let event = AuditEvent {
        actor: Some(admin),
        actor_role: "admin".into(),
        actor_unit: None,
        action: if disabled {
            "account_disabled"
        } else {
            "account_enabled"
        }
        .into(),
        object: Some(user_id.clone()),
        outcome: "ok",
        detail: None,
    };
    // The change, the end of the sessions and the audit row commit together.
    if cx
        .state
        .db
        .set_disabled(&user_id, disabled, &event)
        .await
        .or_internal(&cx)?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
