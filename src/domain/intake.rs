//! Filing at the one-stop counter on a resident's behalf: the consent they give (its text and
//! version, shown to them and printed on the receipt), how they gave it, and the paper
//! documents the officer received.

use serde::{Deserialize, Serialize};

/// Version of [`CONSENT_VI`] / [`CONSENT_EN`]; a new wording gets a new version, and each
/// dossier keeps the one its applicant agreed to.
pub const CONSENT_VERSION: &str = "2026-12-01";

/// What the resident agrees to (Decree 13/2023/NĐ-CP on personal data protection, art. 11:
/// consent is given for stated purposes, in a form that can be printed or copied).
pub const CONSENT_VI: &str = "Tôi đồng ý để cán bộ Bộ phận một cửa tiếp nhận và nộp hồ sơ này thay tôi trên Cổng Dịch vụ công Hà Nội, và để các cơ quan giải quyết thủ tục xử lý thông tin cá nhân của tôi ghi trong hồ sơ chỉ cho việc giải quyết thủ tục này, lưu trữ theo quy định và trả kết quả cho tôi. Tôi đã được biết quyền xem, yêu cầu sửa và biết ai đã truy cập hồ sơ của mình trên Cổng.";

/// [`CONSENT_VI`] in English.
pub const CONSENT_EN: &str = "I agree that the one-stop counter officer receives this application and files it for me on the Hà Nội Public Services portal, and that the authorities handling it process the personal data in it only to decide this procedure, keep it as the law requires and return the result to me. I have been told of my right to see my data, ask for it to be corrected and see who has accessed my application on the portal.";

/// How the applicant gave their consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum CounterConsent {
    /// On their own phone, signed in with VNeID, through the code the counter showed.
    Phone {
        /// The confirmation's token.
        token: String,
    },
    /// The officer showed them the text; they sign the printed receipt.
    Signature {
        /// The officer confirms the text was shown.
        shown: bool,
    },
}

impl CounterConsent {
    /// The name kept with the dossier: `phone` or `signature`.
    pub fn method(&self) -> &'static str {
        match self {
            CounterConsent::Phone { .. } => "phone",
            CounterConsent::Signature { .. } => "signature",
        }
    }
}

/// A paper document received at the counter, with the counts the procedure asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PaperReceived {
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Originals (bản chính).
    pub originals: u32,
    /// Copies (bản sao).
    pub copies: u32,
}

impl PaperReceived {
    /// "01 bản chính, 02 bản sao" as the receipt writes it.
    pub fn counts_vi(&self) -> String {
        let mut parts = Vec::new();
        if self.originals > 0 {
            parts.push(format!("{:02} bản chính", self.originals));
        }
        if self.copies > 0 {
            parts.push(format!("{:02} bản sao", self.copies));
        }
        parts.join(", ")
    }
}

/// What the resident's phone shows before they confirm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentShown {
    /// Procedure name (Vietnamese).
    pub procedure_vi: String,
    /// Procedure name (English).
    pub procedure_en: String,
    /// Ward (Vietnamese).
    pub unit_vi: String,
    /// Ward (English).
    pub unit_en: String,
    /// Version of the text.
    pub version: String,
    /// Already confirmed.
    pub confirmed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_as_the_receipt_writes_them() {
        let p = |o, c| PaperReceived {
            name_vi: "x".into(),
            name_en: "x".into(),
            originals: o,
            copies: c,
        };
        assert_eq!(p(1, 0).counts_vi(), "01 bản chính");
        assert_eq!(p(1, 2).counts_vi(), "01 bản chính, 02 bản sao");
        assert_eq!(p(0, 1).counts_vi(), "01 bản sao");
    }

    #[test]
    fn consent_travels_as_tagged_json() {
        let c: CounterConsent =
            serde_json::from_str(r#"{"method":"phone","token":"abc"}"#).unwrap();
        assert_eq!(
            c,
            CounterConsent::Phone {
                token: "abc".into()
            }
        );
        assert_eq!(c.method(), "phone");
        let s: CounterConsent =
            serde_json::from_str(r#"{"method":"signature","shown":true}"#).unwrap();
        assert_eq!(s.method(), "signature");
    }
}
