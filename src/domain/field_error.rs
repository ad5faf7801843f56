//! A validation failure tied to one field, with a stable code the UI translates.

use serde::{Deserialize, Serialize};

/// One field that failed validation. `code` is stable and machine-readable; the UI turns it
/// into a Vietnamese or English sentence, the server never sends free text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Name of the field, as the form knows it (`q`, `cccd`, `birth_year` …).
    pub field: String,
    /// Stable error code such as `required`, `too_long`, `control_char`.
    pub code: String,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, code: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code: code.into(),
        }
    }
}
