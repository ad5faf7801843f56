//! Attachments: what a stored file may be. Files are recognised by their content, never by
//! name or declared type, and anything that could run in a browser or a PDF reader is refused.

use crate::domain::form::FileKind;
use crate::domain::text::nfc;
use serde::{Deserialize, Serialize};

/// Uploads are sent in pieces of at most this many bytes, so a dropped connection loses
/// little and the upload resumes where it stopped.
pub const CHUNK_BYTES: usize = 512 * 1024;

/// A file size as people read it: `12 KB`, `1,5 MB` (`1.5 MB` in English).
pub fn size_label(bytes: i64, decimal_comma: bool) -> String {
    if bytes < 1_048_576 {
        format!("{} KB", (bytes.max(0) + 1023) / 1024)
    } else {
        let mb = format!("{:.1} MB", bytes as f64 / 1_048_576.0);
        if decimal_comma {
            mb.replace('.', ",")
        } else {
            mb
        }
    }
}

/// Largest electronic result a ward attaches, in KB (a PDF).
pub const RESULT_MAX_KB: u32 = 20 * 1024;

/// Longest stored file name, in characters.
pub const NAME_MAX: usize = 120;

/// An uploaded file as the form shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadView {
    /// Upload id.
    pub id: String,
    /// Document slot.
    pub slot: String,
    /// Sanitised original name.
    pub name: String,
    /// Size in bytes.
    pub size: i64,
    /// Bytes received so far.
    pub received: i64,
    /// Recognised type, once the first bytes arrived.
    pub kind: Option<FileKind>,
    /// All bytes received and checked.
    pub complete: bool,
    /// Where it came from, when the resident did not upload it themselves.
    #[serde(default)]
    pub origin: Option<FileOrigin>,
}

/// The systems a document can be fetched from instead of uploaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OriginSystem {
    /// The health system: a document a facility issued, from the resident's own health
    /// record (the electronic birth certificate).
    Health,
}

impl OriginSystem {
    /// Stable code, as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            OriginSystem::Health => "health",
        }
    }

    /// The system with this stored code.
    pub fn parse(s: &str) -> Option<OriginSystem> {
        (s == "health").then_some(OriginSystem::Health)
    }
}

/// A document fetched from the system that issued it, as the dossier and the ward officer
/// show it: from where, by whom, which one, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileOrigin {
    /// The system it came from.
    pub system: OriginSystem,
    /// The facility that issued it.
    pub issuer: Option<String>,
    /// The document's own number.
    pub number: Option<String>,
    /// The day it was issued.
    pub issued: Option<chrono::NaiveDate>,
    /// When the portal fetched it from the system.
    pub fetched_at: chrono::DateTime<chrono::Utc>,
}

/// Why a file was refused (the code goes to the browser as a field error).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not one of the types this slot accepts (or not a PDF, JPEG or PNG at all).
    Type,
    /// Zero bytes.
    Empty,
    /// Larger than the slot allows.
    TooBig,
    /// An image that also carries web-page or script markup.
    Polyglot,
    /// A PDF with scripts, launch actions or embedded files.
    ActiveContent,
    /// Truncated or extra bytes after the end of the image or document.
    Broken,
    /// A PDF locked with a password (its content cannot be checked).
    Encrypted,
    /// The malware scanner found something.
    Malware,
}

impl Refusal {
    /// Stable code.
    pub fn code(self) -> crate::domain::field_error::FieldCode {
        use crate::domain::field_error::FieldCode;
        match self {
            Refusal::Type => FieldCode::FileType,
            Refusal::Empty => FieldCode::FileEmpty,
            Refusal::TooBig => FieldCode::FileTooBig,
            Refusal::Polyglot => FieldCode::FilePolyglot,
            Refusal::ActiveContent => FieldCode::FileActiveContent,
            Refusal::Broken => FieldCode::FileBroken,
            Refusal::Encrypted => FieldCode::FileEncrypted,
            Refusal::Malware => FieldCode::FileMalware,
        }
    }
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

const MARKUP: &[&[u8]] = &[
    b"<html",
    b"<script",
    b"<svg",
    b"<!doctype",
    b"<?xml",
    b"<iframe",
    b"<body",
    b"<object",
    b"<embed",
    b"javascript:",
];

const PDF_ACTIVE: &[&[u8]] = &[
    b"/JavaScript",
    b"/JS",
    b"/Launch",
    b"/EmbeddedFile",
    b"/RichMedia",
    b"/XFA",
];

/// Checks a complete file of the recognised `kind`: the format ends where it should and
/// carries nothing active.
pub fn check_content(kind: FileKind, bytes: &[u8]) -> Result<(), Refusal> {
    if bytes.is_empty() {
        return Err(Refusal::Empty);
    }
    if FileKind::sniff(bytes) != Some(kind) {
        return Err(Refusal::Type);
    }
    match kind {
        FileKind::Png | FileKind::Jpeg => {
            if MARKUP.iter().any(|m| contains_ci(bytes, m)) {
                return Err(Refusal::Polyglot);
            }
            let ends = match kind {
                FileKind::Png => bytes.ends_with(b"IEND\xAE\x42\x60\x82"),
                _ => bytes.ends_with(&[0xFF, 0xD9]),
            };
            if !ends {
                return Err(Refusal::Broken);
            }
        }
        FileKind::Pdf => {
            if PDF_ACTIVE
                .iter()
                .any(|m| bytes.windows(m.len()).any(|w| w == *m))
            {
                return Err(Refusal::ActiveContent);
            }
            if MARKUP[..3].iter().any(|m| contains_ci(bytes, m)) {
                return Err(Refusal::Polyglot);
            }
            let tail = &bytes[bytes.len().saturating_sub(1024)..];
            if !tail.windows(5).any(|w| w == b"%%EOF") {
                return Err(Refusal::Broken);
            }
        }
    }
    Ok(())
}

/// The original file name made safe to store and show: the last path component, NFC, no
/// control or bidi characters, only letters, digits, spaces and `._-()`, at most
/// [`NAME_MAX`] characters.
pub fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = nfc(base)
        .chars()
        .filter(|c| !c.is_control())
        .filter(|c| !matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}'))
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '_' | '(' | ')') {
                c
            } else {
                '_'
            }
        })
        .take(NAME_MAX)
        .collect();
    let trimmed = cleaned.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "tep-dinh-kem".into()
    } else {
        trimmed.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(size_label(0, true), "0 KB");
        assert_eq!(size_label(10_782, true), "11 KB");
        assert_eq!(size_label(1_572_864, true), "1,5 MB");
        assert_eq!(size_label(1_572_864, false), "1.5 MB");
    }

    fn png() -> Vec<u8> {
        let mut v = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        v.extend_from_slice(&[0; 17]);
        v.extend_from_slice(b"\0\0\0\0IEND\xAE\x42\x60\x82");
        v
    }

    #[test]
    fn real_files_pass() {
        assert_eq!(check_content(FileKind::Png, &png()), Ok(()));
        assert_eq!(
            check_content(FileKind::Jpeg, b"\xFF\xD8\xFF\xE0\0\x10JFIF\0....\xFF\xD9"),
            Ok(())
        );
        assert_eq!(
            check_content(
                FileKind::Pdf,
                b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
            ),
            Ok(())
        );
    }

    #[test]
    fn disguised_and_dangerous_files_are_refused() {
        let mut polyglot = b"\xFF\xD8\xFF\xFE\0\x20<html><script>alert(1)</script>".to_vec();
        polyglot.extend_from_slice(b"\xFF\xD9");
        assert_eq!(
            check_content(FileKind::Jpeg, &polyglot),
            Err(Refusal::Polyglot)
        );
        let mut appended = png();
        appended.extend_from_slice(b"PK\x03\x04 zip after the image");
        assert_eq!(
            check_content(FileKind::Png, &appended),
            Err(Refusal::Broken)
        );
        assert_eq!(
            check_content(
                FileKind::Pdf,
                b"%PDF-1.4\n<< /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >>\n%%EOF"
            ),
            Err(Refusal::ActiveContent)
        );
        assert_eq!(
            check_content(FileKind::Pdf, b"%PDF-1.4\nno end"),
            Err(Refusal::Broken)
        );
        assert_eq!(
            check_content(FileKind::Png, b"MZ\x90\0"),
            Err(Refusal::Type)
        );
        assert_eq!(check_content(FileKind::Png, b""), Err(Refusal::Empty));
    }

    #[test]
    fn names_are_made_safe() {
        assert_eq!(
            sanitize_name("C:\\Users\\an\\Giấy chứng sinh.jpg"),
            "Giấy chứng sinh.jpg"
        );
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name("a\u{202E}gpj.exe"), "agpj.exe");
        assert_eq!(sanitize_name("<script>.png"), "_script_.png");
        assert_eq!(sanitize_name("..."), "tep-dinh-kem");
        assert_eq!(sanitize_name("Gia\u{0301}y.pdf"), "Giáy.pdf");
        assert_eq!(sanitize_name(&"x".repeat(500)).chars().count(), NAME_MAX);
    }
}
