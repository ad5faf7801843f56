//! Public dossier look-up: the dossier code from the receipt plus the last four digits of the
//! submitter's ID number. Answers only what the receipt already shows.

use crate::domain::dossier_code::DossierCode;
use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::status::DossierStatus;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Digits of the ID number asked for with a dossier code.
pub const ID_SUFFIX_DIGITS: usize = 4;

/// What a person types to look a dossier up.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackQuery {
    /// Dossier code as printed on the receipt.
    pub code: String,
    /// Last four digits of the submitter's ID number.
    pub id_suffix: String,
}

impl TrackQuery {
    /// Validates both fields (same rules in the browser and on the server).
    pub fn validate(&self) -> Result<(DossierCode, String), Vec<FieldError>> {
        let mut errors = Vec::new();
        let code = if self.code.trim().is_empty() {
            errors.push(FieldError::new("code", FieldCode::Required));
            None
        } else {
            DossierCode::parse(&self.code)
                .map_err(|e| errors.push(FieldError::new("code", e.code())))
                .ok()
        };
        let suffix: String = self.id_suffix.chars().filter(|c| *c != ' ').collect();
        if suffix.is_empty() {
            errors.push(FieldError::new("id_suffix", FieldCode::Required));
        } else if suffix.len() != ID_SUFFIX_DIGITS || !suffix.bytes().all(|b| b.is_ascii_digit()) {
            errors.push(FieldError::new("id_suffix", FieldCode::IdSuffixFormat));
        }
        match code {
            Some(code) if errors.is_empty() => Ok((code, suffix)),
            _ => Err(errors),
        }
    }
}

/// What the public look-up shows: no name, no address, no documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrackResult {
    /// Dossier code.
    pub code: String,
    /// Procedure name (Vietnamese).
    pub procedure_vi: String,
    /// Procedure name (English).
    pub procedure_en: String,
    /// Current status.
    pub status: DossierStatus,
    /// When it was received.
    pub received_at: DateTime<Utc>,
    /// Appointment for the result.
    pub due_at: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(code: &str, suffix: &str) -> TrackQuery {
        TrackQuery {
            code: code.into(),
            id_suffix: suffix.into(),
        }
    }

    #[test]
    fn validation_table() {
        assert!(q("00004-261123-0001", "2389").validate().is_ok());
        assert!(q(" 00004-261123-0001 ", "23 89").validate().is_ok());
        let codes = |r: Result<_, Vec<FieldError>>| {
            r.unwrap_err()
                .into_iter()
                .map(|e| (e.field, e.code.as_str().to_string()))
                .collect::<Vec<_>>()
        };
        let s = |a: &str, b: &str| (a.to_string(), b.to_string());
        assert_eq!(
            codes(q("", "").validate()),
            vec![s("code", "required"), s("id_suffix", "required")]
        );
        assert_eq!(
            codes(q("abc", "1234").validate()),
            vec![s("code", "dossier_code_format")]
        );
        assert_eq!(
            codes(q("00004-250229-0001", "1234").validate()),
            vec![s("code", "dossier_code_date")]
        );
        assert_eq!(
            codes(q("00004-261123-0001", "123").validate()),
            vec![s("id_suffix", "id_suffix_format")]
        );
        assert_eq!(
            codes(q("00004-261123-0001", "12a4").validate()),
            vec![s("id_suffix", "id_suffix_format")]
        );
    }
}
