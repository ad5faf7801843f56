//! The per-request context of a server function: state, caller and request id.

use crate::api::AppError;
use crate::server::AppState;
use crate::server::policy::{self, Action, Principal};
use leptos::prelude::*;

/// What a server function knows about its request.
pub struct RequestCtx {
    /// Shared state.
    pub state: AppState,
    /// The caller, from the session.
    pub principal: Principal,
    /// The `x-request-id` of this request, used as the reference of internal errors.
    pub request_id: String,
    /// The peer address (for rate limits).
    pub client_ip: Option<std::net::IpAddr>,
}

/// Reads the context Leptos provides for the current server-function call.
pub async fn request() -> Result<RequestCtx, AppError> {
    let state = use_context::<AppState>().ok_or_else(|| AppError::Internal {
        ref_id: "no-state".into(),
    })?;
    let parts = use_context::<axum::http::request::Parts>();
    let request_id = parts
        .as_ref()
        .and_then(|p| p.headers.get("x-request-id"))
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    let client_ip = parts
        .as_ref()
        .and_then(|p| {
            p.extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        })
        .map(|c| c.0.ip());
    let principal = parts
        .as_ref()
        .and_then(|p| p.extensions.get::<Principal>())
        .cloned()
        .unwrap_or(Principal::Anonymous);
    Ok(RequestCtx {
        state,
        principal,
        request_id,
        client_ip,
    })
}

impl RequestCtx {
    /// Asks the policy; a denial is audited and returned as the error to send.
    pub async fn authorize(&self, action: Action) -> Result<(), AppError> {
        let result = policy::check(&self.principal, &action, chrono::Utc::now());
        if let Err(e) = &result
            && !matches!(self.principal, Principal::Anonymous)
        {
            let (actor, role) = match &self.principal {
                Principal::User(u) => (
                    Some(u.user_id.clone()),
                    if u.is_admin {
                        "admin"
                    } else if u.staff {
                        "staff"
                    } else {
                        "resident"
                    },
                ),
                Principal::Anonymous => (None, "anonymous"),
            };
            let unit = match &action {
                Action::StaffArea { unit } => Some(unit.clone()),
                _ => None,
            };
            let event = crate::server::db::audit::AuditEvent {
                actor,
                actor_role: role.into(),
                actor_unit: unit,
                action: action.name().into(),
                object: None,
                outcome: "denied",
                detail: Some(format!("{e}")),
            };
            if let Err(err) = self.state.db.audit(&event).await {
                tracing::error!(error = %err, "audit write failed");
            }
        }
        result
    }

    /// The caller, as an officer of `unit` (the counter's work): any other ward answers as
    /// [`Action::StaffArea`] does (404, audited), a leader without the officer role 403.
    pub async fn officer_at(&self, unit: &str) -> Result<&policy::SessionUser, AppError> {
        self.authorize(Action::StaffArea {
            unit: unit.to_string(),
        })
        .await?;
        let me = self.user()?;
        if !crate::server::console::roles_at(me, unit)
            .contains(&crate::domain::staff::Role::Officer)
        {
            return Err(AppError::Forbidden);
        }
        Ok(me)
    }

    /// The signed-in user, or `Unauthenticated`.
    pub fn user(&self) -> Result<&policy::SessionUser, AppError> {
        match &self.principal {
            Principal::User(u) => Ok(u),
            Principal::Anonymous => Err(AppError::Unauthenticated),
        }
    }

    /// Logs an internal error and returns what the browser may see: only the reference.
    pub fn internal(&self, err: impl std::fmt::Display) -> AppError {
        tracing::error!(request_id = %self.request_id, error = %err, "internal error");
        AppError::Internal {
            ref_id: self.request_id.clone(),
        }
    }
}

/// Turns a failure the caller cannot act on into what the browser may see, as
/// [`RequestCtx::internal`] does: the cause is logged with the request id, the answer carries
/// only that reference.
pub trait OrInternal<T> {
    /// The value, or the failure logged and answered as [`AppError::Internal`].
    fn or_internal(self, cx: &RequestCtx) -> Result<T, AppError>;
}

impl<T, E: std::fmt::Display> OrInternal<T> for Result<T, E> {
    fn or_internal(self, cx: &RequestCtx) -> Result<T, AppError> {
        self.map_err(|e| cx.internal(e))
    }
}
