//! Dossier codes: `{receiving unit id}-{yyMMdd}-{NNNN}`.
//!
//! NNNN counts per receiving unit per day (local date in Hà Nội), starting at 0001. The
//! number itself is allocated by the server inside the transaction that creates the dossier,
//! so a failed submission never leaves a gap and two submissions never share a number.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::fmt;

/// A parsed dossier code.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DossierCode {
    /// Receiving unit id, e.g. `000.00.27.H26` or a ward code such as `00004`.
    pub unit: String,
    /// Local date of receipt.
    pub date: NaiveDate,
    /// Sequence number for the unit and day, from 1.
    pub seq: u32,
}

/// Why a dossier code was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DossierCodeError {
    /// Does not have the `{unit}-{yyMMdd}-{NNNN}` shape.
    Format,
    /// The date part is not a real date.
    Date,
}

impl DossierCodeError {
    /// Stable code used in field errors.
    pub fn code(self) -> crate::domain::field_error::FieldCode {
        use crate::domain::field_error::FieldCode;
        match self {
            DossierCodeError::Format => FieldCode::DossierCodeFormat,
            DossierCodeError::Date => FieldCode::DossierCodeDate,
        }
    }
}

/// True when `unit` is a usable receiving-unit id: 1–32 characters of `A-Z`, `0-9` and `.`.
pub fn valid_unit_id(unit: &str) -> bool {
    !unit.is_empty()
        && unit.len() <= 32
        && unit
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'.')
}

impl DossierCode {
    /// Builds a code; `seq` must be at least 1.
    pub fn new(unit: &str, date: NaiveDate, seq: u32) -> Option<Self> {
        (valid_unit_id(unit) && seq >= 1).then(|| DossierCode {
            unit: unit.to_string(),
            date,
            seq,
        })
    }

    /// Parses a code typed or scanned by a person (surrounding spaces ignored, letters
    /// upper-cased).
    pub fn parse(input: &str) -> Result<Self, DossierCodeError> {
        let s = input.trim().to_ascii_uppercase();
        if s.len() > 64 {
            return Err(DossierCodeError::Format);
        }
        let mut parts = s.rsplitn(3, '-');
        let (seq, date, unit) = match (parts.next(), parts.next(), parts.next()) {
            (Some(q), Some(d), Some(u)) => (q, d, u),
            _ => return Err(DossierCodeError::Format),
        };
        if !valid_unit_id(unit)
            || date.len() != 6
            || !date.bytes().all(|b| b.is_ascii_digit())
            || seq.len() < 4
            || seq.len() > 6
            || !seq.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(DossierCodeError::Format);
        }
        let seq: u32 = seq.parse().map_err(|_| DossierCodeError::Format)?;
        if seq == 0 {
            return Err(DossierCodeError::Format);
        }
        let date = NaiveDate::parse_from_str(&format!("20{date}"), "%Y%m%d")
            .map_err(|_| DossierCodeError::Date)?;
        Ok(DossierCode {
            unit: unit.to_string(),
            date,
            seq,
        })
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}-{}-{:04}",
            self.unit,
            self.date.format("%y%m%d"),
            self.seq
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn formats_with_four_digits() {
        let c = DossierCode::new("000.00.27.H26", d(2026, 11, 22), 7).unwrap();
        assert_eq!(c.to_string(), "000.00.27.H26-261122-0007");
        let big = DossierCode::new("00004", d(2026, 1, 5), 12345).unwrap();
        assert_eq!(big.to_string(), "00004-260105-12345");
    }

    #[test]
    fn parse_table() {
        let ok = [
            (
                "000.00.27.H26-261122-0007",
                ("000.00.27.H26", d(2026, 11, 22), 7),
            ),
            ("  00004-240229-0001 ", ("00004", d(2024, 2, 29), 1)),
            ("h26.1-260101-9999", ("H26.1", d(2026, 1, 1), 9999)),
        ];
        for (input, (u, date, seq)) in ok {
            let c = DossierCode::parse(input).unwrap();
            assert_eq!((c.unit.as_str(), c.date, c.seq), (u, date, seq), "{input}");
        }
        let bad = [
            ("", DossierCodeError::Format),
            ("00004-261122", DossierCodeError::Format),
            ("00004-2611-0001", DossierCodeError::Format),
            ("00004-261122-001", DossierCodeError::Format),
            ("00004-261122-0000", DossierCodeError::Format),
            ("a b-261122-0001", DossierCodeError::Format),
            ("00004-250229-0001", DossierCodeError::Date),
            ("00004-261340-0001", DossierCodeError::Date),
            ("00004-261122-00x1", DossierCodeError::Format),
        ];
        for (input, want) in bad {
            assert_eq!(DossierCode::parse(input), Err(want), "{input:?}");
        }
    }

    proptest! {
        #[test]
        fn display_then_parse_round_trips(unit in "[A-Z0-9][A-Z0-9.]{0,20}", days in 0i64..36_000, seq in 1u32..999_999) {
            let date = d(2000, 1, 1) + chrono::Duration::days(days % 36_500);
            let c = DossierCode::new(&unit, date, seq).unwrap();
            prop_assert_eq!(DossierCode::parse(&c.to_string()), Ok(c));
        }
    }
}
