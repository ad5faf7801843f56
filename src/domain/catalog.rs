//! The procedure catalogue: the shapes of `data/procedures/*.json`, of what the catalogue
//! server functions return, and the rules for a catalogue query.

use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::form::FormDef;
use crate::domain::text;
use serde::{Deserialize, Serialize};

/// Where a procedure is carried out after the 2025 two-tier reform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Commune-level unit (phường, xã).
    Commune,
    /// The city (Hà Nội People's Committee or a department).
    Province,
}

impl Level {
    /// Stable code used in URLs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Commune => "commune",
            Level::Province => "province",
        }
    }

    /// Parses [`Level::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "commune" => Some(Level::Commune),
            "province" => Some(Level::Province),
            _ => None,
        }
    }
}

/// Whether the whole procedure can be done online.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnlineMode {
    /// Toàn trình: filed, paid and returned online.
    Full,
    /// Một phần: some step needs the resident in person.
    Partial,
}

impl OnlineMode {
    /// Stable code used in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            OnlineMode::Full => "full",
            OnlineMode::Partial => "partial",
        }
    }

    /// Parses [`OnlineMode::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "full" => Some(OnlineMode::Full),
            "partial" => Some(OnlineMode::Partial),
            _ => None,
        }
    }
}

/// How the result can be returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Delivery {
    /// At the one-stop counter.
    Counter,
    /// By the public postal service.
    Post,
    /// As an electronic document in the resident's account.
    Electronic,
}

/// A piece of text in both languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bilingual {
    /// Vietnamese.
    pub vi: String,
    /// English.
    pub en: String,
}

/// A legal document the procedure rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LegalRef {
    /// Number and symbol, e.g. `Luật Hộ tịch số 60/2014/QH13`.
    #[serde(rename = "ref")]
    pub reference: String,
    /// Short Vietnamese title.
    pub title_vi: String,
    /// Short English title.
    pub title_en: String,
}

/// One required document (thành phần hồ sơ).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentReq {
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Number of originals (bản chính).
    pub originals: u32,
    /// Number of copies (bản sao).
    pub copies: u32,
    /// Whether the dossier is incomplete without it.
    pub required: bool,
    /// Vietnamese note (when it applies, alternatives).
    pub note_vi: Option<String>,
    /// English note.
    pub note_en: Option<String>,
}

/// Fee (lệ phí) and charge (phí).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    /// Lệ phí in đồng.
    pub fee_vnd: i64,
    /// Phí in đồng.
    pub charge_vnd: i64,
    /// Vietnamese explanation.
    pub note_vi: Option<String>,
    /// English explanation.
    pub note_en: Option<String>,
    /// Who is exempt.
    pub exemptions: Vec<Bilingual>,
}

/// A procedure as written in `data/procedures/<slug>.json` and returned by the detail page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Procedure {
    /// National procedure code.
    pub code: String,
    /// URL slug.
    pub slug: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Sector code (see `data/sectors.csv`).
    pub sector: String,
    /// Implementing level.
    pub level: Level,
    /// Fully or partly online.
    pub online: OnlineMode,
    /// Why only partly online (Vietnamese).
    pub partial_reason_vi: Option<String>,
    /// Why only partly online (English).
    pub partial_reason_en: Option<String>,
    /// Shown among the popular procedures on the home page.
    pub popular: bool,
    /// One or two plain sentences (Vietnamese).
    pub summary_vi: String,
    /// Same in English.
    pub summary_en: String,
    /// Implementing agency (Vietnamese).
    pub agency_vi: String,
    /// Implementing agency (English).
    pub agency_en: String,
    /// Who files it (Vietnamese).
    pub eligibility_vi: String,
    /// Who files it (English).
    pub eligibility_en: String,
    /// Legal basis.
    pub legal_basis: Vec<LegalRef>,
    /// Steps of the procedure.
    pub steps: Vec<Bilingual>,
    /// Required documents.
    pub documents: Vec<DocumentReq>,
    /// Fee and charge.
    pub fee: Fee,
    /// Processing time in working days.
    pub processing_working_days: u32,
    /// Note on the processing time (Vietnamese).
    pub processing_note_vi: Option<String>,
    /// Note on the processing time (English).
    pub processing_note_en: Option<String>,
    /// The result (Vietnamese).
    pub result_vi: String,
    /// The result (English).
    pub result_en: String,
    /// How the result can be returned.
    pub delivery: Vec<Delivery>,
    /// Extra search words.
    pub keywords: Vec<String>,
    /// Where the content comes from.
    pub sources: Vec<String>,
    /// The electronic form residents fill in to file online.
    pub form: FormDef,
}

impl Procedure {
    /// Checks the data file's own consistency (used when importing the catalogue).
    pub fn check(&self) -> Result<(), String> {
        let all_text = [
            &self.name_vi,
            &self.name_en,
            &self.summary_vi,
            &self.summary_en,
            &self.agency_vi,
            &self.result_vi,
        ];
        if all_text.iter().any(|s| s.trim().is_empty()) {
            return Err(format!(
                "{}: empty name, summary, agency or result",
                self.slug
            ));
        }
        if all_text.iter().any(|s| text::nfc(s) != **s) {
            return Err(format!("{}: text is not NFC", self.slug));
        }
        if self.online == OnlineMode::Partial
            && (self.partial_reason_vi.is_none() || self.partial_reason_en.is_none())
        {
            return Err(format!("{}: partly online without a reason", self.slug));
        }
        if self.processing_working_days == 0 {
            return Err(format!(
                "{}: processing time must be at least one working day",
                self.slug
            ));
        }
        if self.fee.fee_vnd < 0 || self.fee.charge_vnd < 0 {
            return Err(format!("{}: negative fee", self.slug));
        }
        if self.steps.is_empty() || self.documents.is_empty() || self.legal_basis.is_empty() {
            return Err(format!(
                "{}: missing steps, documents or legal basis",
                self.slug
            ));
        }
        if !self
            .slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "{}: slug must be lower-case ASCII and dashes",
                self.slug
            ));
        }
        self.form
            .check()
            .map_err(|e| format!("{}: form: {e}", self.slug))?;
        Ok(())
    }

    /// Folded text the catalogue search looks in: names, summary, keywords and code.
    pub fn search_text(&self) -> String {
        text::fold(&format!(
            "{} {} {} {} {}",
            self.name_vi,
            self.name_en,
            self.summary_vi,
            self.keywords.join(" "),
            self.code
        ))
    }

    /// The list-view summary of this procedure.
    pub fn summary(&self) -> ProcedureSummary {
        ProcedureSummary {
            code: self.code.clone(),
            slug: self.slug.clone(),
            name_vi: self.name_vi.clone(),
            name_en: self.name_en.clone(),
            sector: self.sector.clone(),
            level: self.level,
            online: self.online,
            processing_working_days: self.processing_working_days,
            fee_vnd: self.fee.fee_vnd + self.fee.charge_vnd,
            popular: self.popular,
        }
    }
}

/// A procedure as shown in lists.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureSummary {
    /// National code.
    pub code: String,
    /// URL slug.
    pub slug: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Sector code.
    pub sector: String,
    /// Implementing level.
    pub level: Level,
    /// Fully or partly online.
    pub online: OnlineMode,
    /// Processing time in working days.
    pub processing_working_days: u32,
    /// Fee plus charge, in đồng.
    pub fee_vnd: i64,
    /// Shown on the home page.
    pub popular: bool,
}

/// A sector (lĩnh vực).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sector {
    /// Stable code.
    pub code: String,
    /// Vietnamese name.
    pub name_vi: String,
    /// English name.
    pub name_en: String,
    /// Number of procedures in the sector.
    pub procedures: i64,
}

/// Kind of commune-level unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// Phường (urban ward).
    Phuong,
    /// Xã (rural commune).
    Xa,
}

/// A commune-level administrative unit of Hà Nội.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// Five-digit official code.
    pub code: String,
    /// Name without the Phường/Xã prefix.
    pub name: String,
    /// Phường or xã.
    pub kind: UnitKind,
}

impl Unit {
    /// Full Vietnamese name: "Phường Ba Đình", "Xã Sóc Sơn".
    pub fn full_name_vi(&self) -> String {
        match self.kind {
            UnitKind::Phuong => format!("Phường {}", self.name),
            UnitKind::Xa => format!("Xã {}", self.name),
        }
    }

    /// English name: "Ba Đình Ward", "Sóc Sơn Commune".
    pub fn full_name_en(&self) -> String {
        match self.kind {
            UnitKind::Phuong => format!("{} Ward", self.name),
            UnitKind::Xa => format!("{} Commune", self.name),
        }
    }
}

/// Splits a one-line address ("Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội", as
/// the identity provider gives it) into the Hà Nội commune-level unit it names and the street
/// line before it. `None` when no part is one of `units` or the address is in another province.
pub fn split_hanoi_address(formatted: &str, units: &[Unit]) -> Option<(String, String)> {
    let formatted = crate::domain::text::nfc(formatted);
    let parts: Vec<&str> = formatted
        .split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    let (at, unit) = parts.iter().enumerate().find_map(|(i, p)| {
        let p = p.to_lowercase();
        units
            .iter()
            .find(|u| u.full_name_vi().to_lowercase() == p)
            .map(|u| (i, u))
    })?;
    // What follows the unit is the province: Hà Nội, or nothing.
    let province_ok = parts[at + 1..].iter().all(|p| {
        let p = crate::domain::text::fold(p);
        p.contains("ha noi") || p == "viet nam" || p == "vietnam"
    });
    if !province_ok {
        return None;
    }
    Some((unit.code.clone(), parts[..at].join(", ")))
}

/// Maximum length of a catalogue search, in characters.
pub const MAX_QUERY_CHARS: usize = 100;

/// A catalogue search as the browser sends it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogQuery {
    /// Free text, matched without diacritics.
    pub q: String,
    /// Only this sector.
    pub sector: Option<String>,
    /// Only this level.
    pub level: Option<Level>,
    /// Only the popular ones (home page).
    #[serde(default)]
    pub popular_only: bool,
}

/// A catalogue query after validation: text folded for search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCatalogQuery {
    /// Folded query text (may be empty: no text filter).
    pub folded: String,
    /// Sector code filter.
    pub sector: Option<String>,
    /// Level filter.
    pub level: Option<Level>,
    /// Popular only.
    pub popular_only: bool,
}

impl CatalogQuery {
    /// Validates the query: same rules in the browser and on the server.
    pub fn validate(&self) -> Result<ValidCatalogQuery, Vec<FieldError>> {
        let mut errors = Vec::new();
        let q = match text::clean_line(&self.q, MAX_QUERY_CHARS) {
            Ok(q) => q,
            Err(e) => {
                errors.push(FieldError::new("q", e.code()));
                String::new()
            }
        };
        let sector = match self.sector.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(s) if s.len() <= 40 && s.bytes().all(|b| b.is_ascii_lowercase() || b == b'-') => {
                Some(s.to_string())
            }
            Some(_) => {
                errors.push(FieldError::new("sector", FieldCode::UnknownSector));
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(ValidCatalogQuery {
            folded: text::fold(&q),
            sector,
            level: self.level,
            popular_only: self.popular_only,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hanoi_address_splits_into_its_ward_and_street() {
        let units = [
            Unit {
                code: "00070".into(),
                name: "Hoàn Kiếm".into(),
                kind: UnitKind::Phuong,
            },
            Unit {
                code: "00004".into(),
                name: "Ba Đình".into(),
                kind: UnitKind::Phuong,
            },
            Unit {
                code: "09999".into(),
                name: "Sóc Sơn".into(),
                kind: UnitKind::Xa,
            },
        ];
        let split = |s: &str| split_hanoi_address(s, &units);
        let got = |code: &str, street: &str| Some((code.to_string(), street.to_string()));
        for (input, want) in [
            (
                "Số 12 phố Hàng Bạc, Phường Hoàn Kiếm, Thành phố Hà Nội",
                got("00070", "Số 12 phố Hàng Bạc"),
            ),
            (
                "Ngõ 5, số 3 Đội Cấn, phường Ba Đình, TP. Hà Nội, Việt Nam",
                got("00004", "Ngõ 5, số 3 Đội Cấn"),
            ),
            // Decomposed diacritics, as some systems send them.
            (
                "Thôn Đông, Xa\u{303} Sóc Sơn, Hà Nội",
                got("09999", "Thôn Đông"),
            ),
            ("Phường Hoàn Kiếm, Hà Nội", got("00070", "")),
            (
                "Số 1 Lý Thái Tổ, Phường Hoàn Kiếm",
                got("00070", "Số 1 Lý Thái Tổ"),
            ),
            // Another province, or no ward of the list: nothing to prefill.
            ("Số 2 Trần Phú, Phường Ba Đình, Tỉnh Thanh Hóa", None),
            ("Số 9 phố Huế, Quận Hai Bà Trưng, Hà Nội", None),
            ("", None),
        ] {
            assert_eq!(split(input), want, "{input}");
        }
    }

    #[test]
    fn query_validation_table() {
        let q = |s: &str| CatalogQuery {
            q: s.into(),
            ..Default::default()
        };
        assert_eq!(
            q("Đăng ký Khai sinh").validate().unwrap().folded,
            "dang ky khai sinh"
        );
        assert_eq!(q("").validate().unwrap().folded, "");
        let err = q(&"x".repeat(101)).validate().unwrap_err();
        assert_eq!(err, vec![FieldError::new("q", FieldCode::TooLong)]);
        let err = q("a\u{202E}b").validate().unwrap_err();
        assert_eq!(err, vec![FieldError::new("q", FieldCode::BidiControl)]);
        let bad_sector = CatalogQuery {
            sector: Some("'; drop".into()),
            ..Default::default()
        };
        assert_eq!(
            bad_sector.validate().unwrap_err(),
            vec![FieldError::new("sector", FieldCode::UnknownSector)]
        );
        let sector = CatalogQuery {
            sector: Some("ho-tich".into()),
            ..Default::default()
        };
        assert_eq!(
            sector.validate().unwrap().sector.as_deref(),
            Some("ho-tich")
        );
    }

    #[test]
    fn every_catalogue_file_is_valid() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/procedures");
        let mut count = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            let p: Procedure =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
            p.check().unwrap();
            assert_eq!(path.file_stem().unwrap().to_str().unwrap(), p.slug);
            count += 1;
        }
        assert!(count >= 10, "only {count} procedures");
    }

    #[test]
    fn unit_names() {
        let u = Unit {
            code: "00004".into(),
            name: "Ba Đình".into(),
            kind: UnitKind::Phuong,
        };
        assert_eq!(u.full_name_vi(), "Phường Ba Đình");
        assert_eq!(u.full_name_en(), "Ba Đình Ward");
    }
}
