//! A validation failure tied to one field, with a stable code the UI translates.

use serde::{Deserialize, Serialize};

/// One field that failed validation. The server never sends free text: the code says what is
/// wrong and the UI words it in the reader's language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// Name of the field, as the form knows it (`q`, `cccd`, `birth_year`, `doc.giay_chung_sinh`,
    /// `items.2.label` …).
    pub field: String,
    /// What is wrong with it.
    pub code: FieldCode,
}

impl FieldError {
    /// Builds a field error.
    pub fn new(field: impl Into<String>, code: FieldCode) -> Self {
        Self {
            field: field.into(),
            code,
        }
    }
}

macro_rules! field_codes {
    ($($(#[$doc:meta])* $variant:ident = $name:literal,)*) => {
        /// What is wrong with a field. It travels as its wire code ([`FieldCode::as_str`]); a
        /// code this build does not know (a newer server) reads as [`FieldCode::Invalid`].
        #[derive(Clone, Copy, PartialEq, Eq, Hash)]
        pub enum FieldCode {
            $($(#[$doc])* $variant,)*
        }

        impl FieldCode {
            /// Every code.
            pub const ALL: &'static [FieldCode] = &[$(FieldCode::$variant,)*];

            /// The wire code.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(FieldCode::$variant => $name,)*
                }
            }
        }
    };
}

field_codes! {
    /// Nothing was given where something is needed.
    Required = "required",
    /// Longer than the field allows.
    TooLong = "too_long",
    /// Shorter than the field needs (a passcode).
    TooShort = "too_short",
    /// A control character.
    ControlChar = "control_char",
    /// A bidirectional-text control character (it could disguise what is shown).
    BidiControl = "bidi_control",
    /// Not of the expected shape (an idempotency key).
    Format = "format",
    /// Not a real date.
    Date = "date",
    /// The notice accepted is no longer the current version.
    Outdated = "outdated",
    /// No such sector in the catalogue.
    UnknownSector = "unknown_sector",
    /// A dossier code not of the `{unit}-{yyMMdd}-{NNNN}` shape.
    DossierCodeFormat = "dossier_code_format",
    /// A dossier code whose date part is not a real day.
    DossierCodeDate = "dossier_code_date",
    /// The last digits of an ID number are not four digits.
    IdSuffixFormat = "id_suffix_format",
    /// The identity service knows nobody by that number.
    UnknownPerson = "unknown_person",
    /// Not 12 digits.
    CccdFormat = "cccd_format",
    /// The first three digits are not a place code.
    CccdPlace = "cccd_place",
    /// The digits say another birth year.
    CccdBirthYear = "cccd_birth_year",
    /// The digits say another sex.
    CccdSex = "cccd_sex",
    /// The digits say a birth year still to come.
    CccdFuture = "cccd_future",
    /// Not a day in `dd/mm/yyyy`.
    DateFormat = "date_format",
    /// A day still to come where a past one is needed.
    DateFuture = "date_future",
    /// A past day where one still to come is needed.
    DatePast = "date_past",
    /// A number outside its limits.
    OutOfRange = "out_of_range",
    /// Not a number.
    NotANumber = "not_a_number",
    /// Not one of the choices offered.
    InvalidChoice = "invalid_choice",
    /// Not a Vietnamese phone number.
    PhoneFormat = "phone_format",
    /// Differs from what the national identity says (the resident cannot change it).
    FromIdentity = "from_identity",
    /// Not an e-mail address.
    EmailFormat = "email_format",
    /// No such ward or commune.
    UnknownUnit = "unknown_unit",
    /// More entries than allowed.
    TooMany = "too_many",
    /// Fewer entries than needed.
    TooFew = "too_few",
    /// A file type the slot does not take.
    FileType = "file_type",
    /// An empty file.
    FileEmpty = "file_empty",
    /// A file over the slot's size limit.
    FileTooBig = "file_too_big",
    /// A file that is two formats at once.
    FilePolyglot = "file_polyglot",
    /// A document with scripts, forms or embedded files.
    FileActiveContent = "file_active_content",
    /// A truncated file, or one with bytes after its end.
    FileBroken = "file_broken",
    /// A PDF locked with a password.
    FileEncrypted = "file_encrypted",
    /// The malware scanner found something.
    FileMalware = "file_malware",
    /// More files than the slot takes.
    TooManyFiles = "too_many_files",
    /// No such document in the procedure's form.
    UnknownSlot = "unknown_slot",
    /// The person named does not work at this ward.
    NotWardStaff = "not_ward_staff",
    /// The dossier is already with that person.
    AlreadyAssigned = "already_assigned",
    /// Handing over needs the electronic result attached first.
    ResultMissing = "result_missing",
    /// An apology is for a late dossier only.
    NotLate = "not_late",
    /// The new appointment must be after today.
    DateNotFuture = "date_not_future",
    /// The new appointment must be a working day.
    NotWorkingDay = "not_working_day",
    /// A fee outside 1,000 đ – 1,000,000,000 đ.
    AmountRange = "amount_range",
    /// Counter intake needs the applicant's consent first.
    ConsentRequired = "consent_required",
    /// The applicant has not confirmed on their phone yet.
    ConsentNotConfirmed = "consent_not_confirmed",
    /// No such consent request (expired or used).
    ConsentNotFound = "consent_not_found",
    /// Something the browser could not name (shown as a general problem).
    Unknown = "unknown",
    /// The file is no longer there.
    FileMissing = "file_missing",
    /// The upload stopped with the network.
    UploadNetwork = "upload_network",
    /// The health record has no such document for the resident.
    NotFromHealth = "not_from_health",
    /// Someone else changed the dossier first.
    Conflict = "conflict",
    /// Malformed in some other way; also any code this build does not know.
    Invalid = "invalid",
}

impl FieldCode {
    /// The code whose wire name is `s`; an unknown name is [`FieldCode::Invalid`].
    pub fn parse(s: &str) -> FieldCode {
        FieldCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .unwrap_or(FieldCode::Invalid)
    }
}

// Serde and Debug by hand rather than derived: one copy of the names (the table above) in the
// browser bundle.
impl Serialize for FieldCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FieldCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<FieldCode, D::Error> {
        let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
        Ok(FieldCode::parse(&s))
    }
}

impl std::fmt::Debug for FieldCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for FieldCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_codes_round_trip_and_unknown_ones_read_as_invalid() {
        for c in FieldCode::ALL {
            let json = serde_json::to_string(c).unwrap();
            assert_eq!(json, format!("\"{}\"", c.as_str()));
            assert_eq!(serde_json::from_str::<FieldCode>(&json).unwrap(), *c);
            assert_eq!(FieldCode::parse(c.as_str()), *c);
        }
        assert_eq!(
            serde_json::from_str::<FieldCode>("\"some_new_code\"").unwrap(),
            FieldCode::Invalid
        );
        let e: FieldError = serde_json::from_str(r#"{"field":"cccd","code":"cccd_sex"}"#).unwrap();
        assert_eq!(e, FieldError::new("cccd", FieldCode::CccdSex));
    }
}
