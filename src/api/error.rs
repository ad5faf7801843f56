//! The one error type that crosses the wire.

use crate::domain::field_error::FieldError;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What a server function can answer instead of a result. Variants are things a user can act
/// on; everything else is `Internal`, whose detail stays in the server log under `ref_id`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// Some fields are wrong; nothing was changed.
    #[error("validation failed")]
    Validation {
        /// One entry per failing field.
        fields: Vec<FieldError>,
    },
    /// No such thing — or not yours (the two look the same on purpose).
    #[error("not found")]
    NotFound,
    /// Signed in, but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// Allowed only after a fresh login at identity level 2.
    #[error("step-up required")]
    #[serde(rename = "step_up_required")]
    StepUpRequired,
    /// The health record opens only after the resident has consented to its notice.
    #[error("consent required")]
    #[serde(rename = "consent_required")]
    ConsentRequired,
    /// Must sign in first.
    #[error("unauthenticated")]
    Unauthenticated,
    /// The request conflicts with the current state (e.g. a status already changed).
    #[error("conflict")]
    Conflict,
    /// Too many requests; try again after the given number of seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds to wait.
        retry_after: u32,
    },
    /// A peer service (identity provider, payment gateway, mail, the malware scanner) did not
    /// answer.
    #[error("service unavailable")]
    Unavailable,
    /// Something went wrong on our side; `ref_id` finds the log entry.
    #[error("internal error {ref_id}")]
    Internal {
        /// Correlation id shown to the user.
        ref_id: String,
    },
    /// The request never reached the function properly (network, bad encoding).
    #[error("request failed: {0}")]
    Transport(String),
}

impl AppError {
    /// A validation error for a single field.
    pub fn field(field: &str, code: crate::domain::field_error::FieldCode) -> Self {
        AppError::Validation {
            fields: vec![FieldError::new(field, code)],
        }
    }

    /// HTTP status for this error.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Validation { .. } => 422,
            AppError::NotFound => 404,
            AppError::Forbidden | AppError::StepUpRequired | AppError::ConsentRequired => 403,
            AppError::Unauthenticated => 401,
            AppError::Conflict => 409,
            AppError::RateLimited { .. } => 429,
            AppError::Unavailable => 503,
            AppError::Internal { .. } => 500,
            AppError::Transport(_) => 400,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // Network failures and undecodable bodies: never echo server internals.
            ServerFnErrorErr::Request(_) => AppError::Transport("network".into()),
            ServerFnErrorErr::Args(_) | ServerFnErrorErr::MissingArg(_) => {
                AppError::Transport("bad_arguments".into())
            }
            ServerFnErrorErr::Registration(_) => AppError::NotFound,
            _ => AppError::Transport("unexpected".into()),
        }
    }
}
