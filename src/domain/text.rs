//! Vietnamese text: normalisation, input hygiene and diacritic-insensitive search folding.

use unicode_normalization::{UnicodeNormalization, char::is_combining_mark};

/// Why a piece of user text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextError {
    /// Empty after trimming, but required.
    Empty,
    /// Longer than allowed (counted in characters after NFC).
    TooLong,
    /// Contains a control character (other than newline/tab in multi-line text).
    ControlChar,
    /// Contains a bidirectional override or isolate, which can disguise text (CVE-2021-42574 class).
    BidiControl,
}

impl TextError {
    /// Stable code used in [`crate::domain::field_error::FieldError`].
    pub fn code(self) -> crate::domain::field_error::FieldCode {
        use crate::domain::field_error::FieldCode;
        match self {
            TextError::Empty => FieldCode::Required,
            TextError::TooLong => FieldCode::TooLong,
            TextError::ControlChar => FieldCode::ControlChar,
            TextError::BidiControl => FieldCode::BidiControl,
        }
    }
}

/// Returns the NFC form of `s`. Vietnamese can be typed precomposed or decomposed (macOS and
/// some Android keyboards send NFD); everything stored or compared is NFC.
pub fn nfc(s: &str) -> String {
    s.nfc().collect()
}

fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Cleans one line of user input: NFC, trimmed, no control or bidi characters, at most
/// `max_chars` characters. `Ok("")` is returned for empty input; callers decide if it is required.
pub fn clean_line(s: &str, max_chars: usize) -> Result<String, TextError> {
    clean(s, max_chars, false)
}

/// Like [`clean_line`] but allows newlines and tabs (long text fields).
pub fn clean_multiline(s: &str, max_chars: usize) -> Result<String, TextError> {
    clean(s, max_chars, true)
}

fn clean(s: &str, max_chars: usize, multiline: bool) -> Result<String, TextError> {
    // Refuse huge input before normalising it: NFC of a 10 MB string is wasted work.
    if s.len() > max_chars.saturating_mul(4).saturating_add(16) {
        return Err(TextError::TooLong);
    }
    for c in s.chars() {
        if is_bidi_control(c) {
            return Err(TextError::BidiControl);
        }
        let allowed_ws = multiline && (c == '\n' || c == '\t' || c == '\r');
        if c.is_control() && !allowed_ws {
            return Err(TextError::ControlChar);
        }
    }
    let out = nfc(s.trim());
    if out.chars().count() > max_chars {
        return Err(TextError::TooLong);
    }
    Ok(out)
}

/// Folds text for diacritic-insensitive search: lower case, diacritics removed, `đ` → `d`,
/// runs of non-alphanumeric characters collapsed to one space.
///
/// `fold("Đăng ký khai sinh") == "dang ky khai sinh"`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    for c in s.nfd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = match c {
            'đ' | 'Đ' => 'd',
            _ => c,
        };
        if c.is_alphanumeric() {
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.extend(c.to_lowercase());
        } else {
            pending_space = true;
        }
    }
    out
}

/// True when every word of the folded `query` occurs in the folded `haystack`.
/// Both arguments must already be folded with [`fold`].
pub fn folded_matches(folded_query: &str, folded_haystack: &str) -> bool {
    folded_query
        .split(' ')
        .filter(|w| !w.is_empty())
        .all(|w| folded_haystack.contains(w))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folding_table() {
        let cases = [
            ("Đăng ký khai sinh", "dang ky khai sinh"),
            ("ĐĂNG KÝ KẾT HÔN", "dang ky ket hon"),
            (
                "  Xác nhận   tình trạng hôn nhân ",
                "xac nhan tinh trang hon nhan",
            ),
            ("Phường Hoàn Kiếm", "phuong hoan kiem"),
            ("Lý lịch tư pháp (số 1)", "ly lich tu phap so 1"),
            ("Nguyễn Thị Ánh Tuyết", "nguyen thi anh tuyet"),
            ("đường", "duong"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(fold(input), want, "fold({input:?})");
        }
    }

    #[test]
    fn nfd_and_nfc_fold_the_same() {
        let nfc_s = "Đăng ký thường trú";
        let nfd_s: String = nfc_s.nfd().collect();
        assert_ne!(nfc_s, nfd_s);
        assert_eq!(fold(nfc_s), fold(&nfd_s));
        assert_eq!(nfc(&nfd_s), nfc_s);
    }

    #[test]
    fn search_matches_without_diacritics() {
        let hay = fold("Đăng ký khai sinh");
        assert!(folded_matches(&fold("dang ky khai sinh"), &hay));
        assert!(folded_matches(&fold("khai sinh"), &hay));
        assert!(folded_matches(&fold("KHAI   SINH"), &hay));
        assert!(!folded_matches(&fold("khai tử"), &hay));
    }

    #[test]
    fn clean_line_table() {
        let cases: [(&str, usize, Result<&str, TextError>); 8] = [
            ("  Hà Nội ", 20, Ok("Hà Nội")),
            ("", 20, Ok("")),
            ("abc\u{0007}", 20, Err(TextError::ControlChar)),
            ("line\nbreak", 20, Err(TextError::ControlChar)),
            ("evil\u{202E}gnp.exe", 40, Err(TextError::BidiControl)),
            ("iso\u{2066}late", 40, Err(TextError::BidiControl)),
            ("abcdef", 5, Err(TextError::TooLong)),
            ("Nguyễn", 6, Ok("Nguyễn")),
        ];
        for (input, max, want) in cases {
            assert_eq!(
                clean_line(input, max).as_deref(),
                want.as_deref(),
                "{input:?}"
            );
        }
    }

    #[test]
    fn clean_counts_characters_after_nfc() {
        let nfd: String = "Nguyễn".nfd().collect();
        assert!(nfd.chars().count() > 6);
        assert_eq!(clean_line(&nfd, 6).unwrap(), "Nguyễn");
    }

    #[test]
    fn clean_multiline_keeps_newlines() {
        assert_eq!(clean_multiline("a\nb", 10).unwrap(), "a\nb");
        assert_eq!(
            clean_multiline("a\u{0000}b", 10),
            Err(TextError::ControlChar)
        );
    }

    #[test]
    fn huge_input_is_refused_quickly() {
        let big = "a".repeat(10 * 1024 * 1024);
        assert_eq!(clean_line(&big, 200), Err(TextError::TooLong));
    }

    proptest! {
        #[test]
        fn fold_is_idempotent(s in "\\PC{0,40}") {
            let once = fold(&s);
            prop_assert_eq!(fold(&once), once.clone());
        }

        #[test]
        fn fold_has_no_vietnamese_diacritics(s in "[a-zA-ZàáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵĐ ]{0,40}") {
            let f = fold(&s);
            prop_assert!(f.chars().all(|c| c.is_ascii_lowercase() || c == ' '), "{}", f);
        }

        #[test]
        fn cleaned_text_is_nfc_and_clean(s in "\\PC{0,60}") {
            if let Ok(out) = clean_line(&s, 100) {
                prop_assert_eq!(nfc(&out), out.clone());
                prop_assert!(!out.chars().any(|c| c.is_control()));
            }
        }
    }
}
