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
    Ok(RequestCtx {
        state,
        principal: Principal::Anonymous,
        request_id,
        client_ip,
    })
}

impl RequestCtx {
    /// Asks the policy; a denial is returned as the error to send.
    pub fn authorize(&self, action: Action) -> Result<(), AppError> {
        policy::check(&self.principal, action)
    }

    /// Logs an internal error and returns what the browser may see: only the reference.
    pub fn internal(&self, err: impl std::fmt::Display) -> AppError {
        tracing::error!(request_id = %self.request_id, error = %err, "internal error");
        AppError::Internal {
            ref_id: self.request_id.clone(),
        }
    }
}
