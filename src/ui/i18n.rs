//! Vietnamese first, English second. Messages are generated from `locales/*.json` at build
//! time, so every key a component uses is checked by the compiler.

use crate::api::AppError;
use crate::domain::field_error::FieldError;
use leptos::prelude::*;

include!(concat!(env!("OUT_DIR"), "/messages.rs"));

/// A UI language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Tiếng Việt (default).
    Vi,
    /// English.
    En,
}

impl Lang {
    /// BCP 47 code.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    /// Parses a stored code; anything unknown is Vietnamese.
    pub fn from_code(code: &str) -> Lang {
        if code == "en" { Lang::En } else { Lang::Vi }
    }

    /// The message table.
    pub fn messages(self) -> &'static Messages {
        match self {
            Lang::Vi => &VI,
            Lang::En => &EN,
        }
    }

    /// Picks the Vietnamese or English one of two strings.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

/// The language context.
#[derive(Clone, Copy)]
pub struct I18n {
    lang: RwSignal<Lang>,
}

#[cfg(feature = "csr")]
const STORAGE_KEY: &str = "dvc.lang";

#[cfg(feature = "csr")]
fn stored_lang() -> Lang {
    window()
        .local_storage()
        .ok()
        .flatten()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten())
        .map(|c| Lang::from_code(&c))
        .unwrap_or(Lang::Vi)
}

#[cfg(not(feature = "csr"))]
fn stored_lang() -> Lang {
    Lang::Vi
}

/// Provides the language context: the stored choice, or Vietnamese.
pub fn provide_i18n_context() -> I18n {
    let i18n = I18n {
        lang: RwSignal::new(stored_lang()),
    };
    #[cfg(feature = "csr")]
    Effect::new(move |_| {
        let code = i18n.lang.get().code();
        if let Some(el) = document().document_element() {
            let _ = el.set_attribute("lang", code);
        }
        if let Ok(Some(s)) = window().local_storage() {
            let _ = s.set_item(STORAGE_KEY, code);
        }
    });
    provide_context(i18n);
    i18n
}

/// The language context provided by [`provide_i18n_context`].
pub fn use_i18n() -> I18n {
    expect_context::<I18n>()
}

impl I18n {
    /// Current language (tracked).
    pub fn lang(&self) -> Lang {
        self.lang.get()
    }

    /// Current language, without tracking.
    pub fn lang_untracked(&self) -> Lang {
        self.lang.get_untracked()
    }

    /// Current messages (tracked).
    pub fn t(&self) -> &'static Messages {
        self.lang.get().messages()
    }

    /// Switches between Vietnamese and English.
    pub fn toggle(&self) {
        self.lang.update(|l| {
            *l = match *l {
                Lang::Vi => Lang::En,
                Lang::En => Lang::Vi,
            }
        });
    }
}

/// Replaces `{name}` in `template` with `value`.
pub fn fill(template: &str, name: &str, value: impl std::fmt::Display) -> String {
    template.replace(&format!("{{{name}}}"), &value.to_string())
}

/// The sentence for a field error code.
pub fn field_message(t: &Messages, e: &FieldError) -> &'static str {
    use crate::domain::field_error::FieldCode as C;
    match e.code {
        C::Required => t.field_required,
        C::TooLong => t.field_too_long,
        C::ControlChar => t.field_control_char,
        C::BidiControl => t.field_bidi_control,
        C::UnknownSector => t.field_unknown_sector,
        C::DossierCodeFormat => t.field_dossier_code_format,
        C::DossierCodeDate => t.field_dossier_code_date,
        C::IdSuffixFormat => t.field_id_suffix_format,
        C::UnknownPerson => t.field_unknown_person,
        C::CccdFormat => t.field_cccd_format,
        C::CccdPlace => t.field_cccd_place,
        C::CccdBirthYear => t.field_cccd_birth_year,
        C::CccdSex => t.field_cccd_sex,
        C::CccdFuture => t.field_cccd_future,
        C::DateFormat => t.field_date_format,
        C::DateFuture => t.field_date_future,
        C::DatePast => t.field_date_past,
        C::OutOfRange => t.field_out_of_range,
        C::NotANumber => t.field_not_a_number,
        C::InvalidChoice => t.field_invalid_choice,
        C::PhoneFormat => t.field_phone_format,
        C::FromIdentity => t.field_from_identity,
        C::EmailFormat => t.field_email_format,
        C::UnknownUnit => t.field_unknown_unit,
        C::TooMany => t.field_too_many,
        C::TooFew => t.field_too_few,
        C::FileType => t.field_file_type,
        C::FileEmpty => t.field_file_empty,
        C::FileTooBig => t.field_file_too_big,
        C::FilePolyglot => t.field_file_polyglot,
        C::FileActiveContent => t.field_file_active_content,
        C::FileBroken => t.field_file_broken,
        C::FileEncrypted => t.field_file_encrypted,
        C::FileMalware => t.field_file_malware,
        C::TooManyFiles => t.field_too_many_files,
        C::UnknownSlot => t.field_unknown_slot,
        C::NotWardStaff => t.field_not_ward_staff,
        C::AlreadyAssigned => t.field_already_assigned,
        C::ResultMissing => t.console_error_result_missing,
        C::NotLate => t.console_error_not_late,
        C::DateNotFuture => t.console_error_date_not_future,
        C::NotWorkingDay => t.console_error_not_working_day,
        C::AmountRange => t.console_error_amount_range,
        C::ConsentRequired => t.console_error_consent_required,
        C::ConsentNotConfirmed => t.console_error_consent_not_confirmed,
        C::ConsentNotFound => t.console_error_consent_not_found,
        C::Unknown => t.console_error_unknown,
        C::FileMissing => t.dossier_file_missing,
        C::UploadNetwork => t.upload_network,
        C::Conflict => t.dossier_conflict,
        C::Invalid | C::Format | C::Date | C::Outdated | C::TooShort | C::NotFromHealth => {
            t.field_invalid
        }
    }
}

/// What the portal said on a timeline step, worded in `lang`.
pub fn said_text(lang: Lang, s: &crate::domain::filing::Said) -> String {
    use crate::domain::filing::Said;
    let t = lang.messages();
    match s {
        Said::CounterIntake => t.timeline_counter_intake.to_string(),
        Said::SupplementSent => t.timeline_supplement_sent.to_string(),
        Said::Paid { amount_vnd, txn } => {
            let amount = match lang {
                Lang::Vi => crate::domain::money::Vnd(*amount_vnd).format_vi(),
                Lang::En => crate::domain::money::Vnd(*amount_vnd).format_en(),
            };
            // The transaction number goes in last, so braces in it are never placeholders.
            fill(&fill(t.timeline_paid, "amount", amount), "txn", txn)
        }
        Said::NewDue { date } => fill(t.timeline_new_due, "date", date.format("%d/%m/%Y")),
    }
}

/// A dossier status in plain words, in the current language.
pub fn status_name(lang: Lang, s: crate::domain::status::DossierStatus) -> &'static str {
    match lang {
        Lang::Vi => s.name_vi(),
        Lang::En => s.name_en(),
    }
}

/// The sentence for an error that stopped a page from loading.
pub fn error_message(t: &Messages, e: &AppError) -> String {
    match e {
        AppError::Internal { ref_id } => fill(t.error_internal, "ref", ref_id),
        AppError::Unavailable | AppError::RateLimited { .. } => t.error_busy.to_string(),
        AppError::NotFound => t.notfound_body.to_string(),
        AppError::Validation { fields } => fields
            .iter()
            .map(|f| field_message(t, f))
            .collect::<Vec<_>>()
            .join(" "),
        _ => t.error_network.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::text::nfc;

    #[test]
    fn both_languages_have_every_message_in_nfc() {
        let (vi, en) = (VI.all(), EN.all());
        assert_eq!(vi.len(), en.len());
        for (k, v) in vi.iter().chain(en.iter()) {
            assert_eq!(nfc(v), *v, "{k} is not NFC");
            assert!(!v.contains("  "), "{k} has a double space");
        }
        // Placeholders match between languages.
        for ((k, a), (_, b)) in vi.iter().zip(en.iter()) {
            let holes = |s: &str| s.matches('{').count();
            assert_eq!(holes(a), holes(b), "{k}: placeholders differ");
        }
    }

    #[test]
    fn vietnamese_is_the_default_and_has_diacritics() {
        assert_eq!(Lang::from_code("xx"), Lang::Vi);
        assert_eq!(VI.app_name, "Dịch vụ công Hà Nội");
        assert_eq!(fill(VI.proc_days, "n", 5), "5 ngày làm việc");
    }
}
