//! Personal identification number (số định danh cá nhân, printed on the CCCD card).
//!
//! Twelve digits: a 3-digit code of the province (the 63-province list in force when the
//! numbering was defined) or of the country where the birth was registered, one digit for
//! century and sex, two digits of the birth year, six random digits
//! (Decree 137/2015/NĐ-CP art. 7, Circular 07/2016/TT-BCA and its amendments).
//!
//! The prefix is never mapped to a post-2025 province: it records where the birth was
//! registered under the old list, nothing more.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Sex as encoded in the ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sex {
    /// Nam.
    Male,
    /// Nữ.
    Female,
}

/// Why a string is not a valid ID number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CccdError {
    /// Not exactly 12 ASCII digits.
    Format,
    /// The first three digits are not a known place code.
    UnknownPlace,
    /// The stated birth year does not match the digits.
    BirthYearMismatch,
    /// The stated sex does not match the digits.
    SexMismatch,
    /// The encoded birth year lies in the future.
    FutureBirthYear,
}

impl CccdError {
    /// Stable code used in field errors.
    pub fn code(self) -> crate::domain::field_error::FieldCode {
        use crate::domain::field_error::FieldCode;
        match self {
            CccdError::Format => FieldCode::CccdFormat,
            CccdError::UnknownPlace => FieldCode::CccdPlace,
            CccdError::BirthYearMismatch => FieldCode::CccdBirthYear,
            CccdError::SexMismatch => FieldCode::CccdSex,
            CccdError::FutureBirthYear => FieldCode::CccdFuture,
        }
    }
}

/// Province codes of the 63-province list used by the numbering (001 Hà Nội … 096 Cà Mau).
const PROVINCE_CODES: [u16; 63] = [
    1, 2, 4, 6, 8, 10, 11, 12, 14, 15, 17, 19, 20, 22, 24, 25, 26, 27, 30, 31, 33, 34, 35, 36, 37,
    38, 40, 42, 44, 45, 46, 48, 49, 51, 52, 54, 56, 58, 60, 62, 64, 66, 67, 68, 70, 72, 74, 75, 77,
    79, 80, 82, 83, 84, 86, 87, 89, 91, 92, 93, 94, 95, 96,
];

/// A syntactically valid personal ID number.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Cccd(String);

impl Cccd {
    /// Parses a 12-digit ID number. Spaces and dots that people type for readability are
    /// ignored; anything else is an error.
    pub fn parse(input: &str) -> Result<Self, CccdError> {
        let digits: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '\u{00A0}'))
            .collect();
        if digits.len() != 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(CccdError::Format);
        }
        let place: u16 = digits[0..3].parse().map_err(|_| CccdError::Format)?;
        // Births registered abroad carry a country code, which lies above the province range.
        if !(PROVINCE_CODES.contains(&place) || place >= 100) {
            return Err(CccdError::UnknownPlace);
        }
        Ok(Cccd(digits))
    }

    /// The 12 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 3-digit place-of-birth-registration code.
    pub fn place_code(&self) -> &str {
        &self.0[0..3]
    }

    /// True when the birth was registered in Hà Nội (code 001).
    pub fn registered_in_hanoi(&self) -> bool {
        self.place_code() == "001"
    }

    fn century_digit(&self) -> u8 {
        self.0.as_bytes()[3] - b'0'
    }

    /// Sex encoded by the fourth digit (even = male, odd = female).
    pub fn sex(&self) -> Sex {
        if self.century_digit().is_multiple_of(2) {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Full birth year: digits 0/1 → 1900s, 2/3 → 2000s, 4/5 → 2100s, 6/7 → 2200s, 8/9 → 2300s.
    pub fn birth_year(&self) -> i32 {
        let century = 1900 + 100 * i32::from(self.century_digit() / 2);
        let yy: i32 = self.0[4..6].parse().unwrap_or(0);
        century + yy
    }

    /// Checks the number against the person's stated birth year and sex, and that the birth
    /// year is not after `current_year`.
    pub fn check_consistent(
        &self,
        birth_year: i32,
        sex: Sex,
        current_year: i32,
    ) -> Result<(), CccdError> {
        if self.birth_year() > current_year {
            return Err(CccdError::FutureBirthYear);
        }
        if self.birth_year() != birth_year {
            return Err(CccdError::BirthYearMismatch);
        }
        if self.sex() != sex {
            return Err(CccdError::SexMismatch);
        }
        Ok(())
    }

    /// The number with all but the first three and last two digits hidden: `001*******89`.
    pub fn masked(&self) -> String {
        format!("{}*******{}", &self.0[0..3], &self.0[10..12])
    }

    /// The last `n` digits (used with a dossier code for public look-up).
    pub fn suffix(&self, n: usize) -> &str {
        &self.0[12 - n.min(12)..]
    }
}

impl fmt::Debug for Cccd {
    // Never print the full number in logs or panics.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cccd({})", self.masked())
    }
}

impl TryFrom<String> for Cccd {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Cccd::parse(&value).map_err(|e| e.code().to_string())
    }
}

impl From<Cccd> for String {
    fn from(value: Cccd) -> Self {
        value.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    type Decoded = Result<(&'static str, Sex, i32), CccdError>;

    #[test]
    fn parse_table() {
        let cases: [(&str, Decoded); 12] = [
            ("001089012345", Ok(("001", Sex::Male, 1989))),
            ("001189012389", Ok(("001", Sex::Female, 1989))),
            ("079203001234", Ok(("079", Sex::Male, 2003))),
            ("001310123456", Ok(("001", Sex::Female, 2010))),
            ("001 089 012 345", Ok(("001", Sex::Male, 1989))),
            ("036.095.000.111", Ok(("036", Sex::Male, 1995))),
            ("00108901234", Err(CccdError::Format)),
            ("0010890123456", Err(CccdError::Format)),
            ("00108901234a", Err(CccdError::Format)),
            ("００1089012345", Err(CccdError::Format)),
            ("003089012345", Err(CccdError::UnknownPlace)),
            ("000089012345", Err(CccdError::UnknownPlace)),
        ];
        for (input, want) in cases {
            let got =
                Cccd::parse(input).map(|c| (c.place_code().to_string(), c.sex(), c.birth_year()));
            let want = want.map(|(p, s, y)| (p.to_string(), s, y));
            assert_eq!(got, want, "{input:?}");
        }
    }

    #[test]
    fn all_63_province_codes_parse() {
        for code in PROVINCE_CODES {
            assert!(
                Cccd::parse(&format!("{code:03}090000001")).is_ok(),
                "{code}"
            );
        }
    }

    #[test]
    fn consistency_table() {
        let c = Cccd::parse("001189012389").unwrap();
        assert_eq!(c.check_consistent(1989, Sex::Female, 2026), Ok(()));
        assert_eq!(
            c.check_consistent(1988, Sex::Female, 2026),
            Err(CccdError::BirthYearMismatch)
        );
        assert_eq!(
            c.check_consistent(1989, Sex::Male, 2026),
            Err(CccdError::SexMismatch)
        );
        let future = Cccd::parse("001230012345").unwrap();
        assert_eq!(future.birth_year(), 2030);
        assert_eq!(
            future.check_consistent(2030, Sex::Male, 2026),
            Err(CccdError::FutureBirthYear)
        );
    }

    #[test]
    fn masking_hides_the_middle() {
        let c = Cccd::parse("001089012389").unwrap();
        assert_eq!(c.masked(), "001*******89");
        assert_eq!(format!("{c:?}"), "Cccd(001*******89)");
        assert_eq!(c.suffix(4), "2389");
    }

    proptest! {
        #[test]
        fn round_trips_and_decodes(place in proptest::sample::select(PROVINCE_CODES.to_vec()),
                                   cs in 0u8..=9, yy in 0u32..=99, rest in 0u32..=999_999) {
            let s = format!("{place:03}{cs}{yy:02}{rest:06}");
            let c = Cccd::parse(&s).unwrap();
            prop_assert_eq!(c.as_str(), s.as_str());
            prop_assert_eq!(c.birth_year() % 100, yy as i32);
            prop_assert_eq!(c.sex() == Sex::Female, cs % 2 == 1);
            let m = c.masked();
            prop_assert_eq!(m.len(), 12);
            prop_assert!(m.starts_with(&s[..3]) && m.ends_with(&s[10..]));
        }

        #[test]
        fn never_panics(s in "\\PC{0,20}") {
            let _ = Cccd::parse(&s);
        }
    }
}
