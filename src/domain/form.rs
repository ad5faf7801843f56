//! Procedure forms: the definition each procedure carries in `data/procedures/*.json`, and the
//! one validation that both the browser (instant feedback) and the server (authoritative) run.
//!
//! Answers are kept as JSON, exactly as typed, so a draft can hold anything, even invalid input.
//! [`validate`] turns them into clean answers (NFC, trimmed, only the fields that apply) or a list
//! of [`FieldError`]s whose `field` is a path such as `child.birth_date` or `witnesses.1.name`.

use crate::domain::catalog::Bilingual;
use crate::domain::cccd::{Cccd, Sex};
use crate::domain::field_error::FieldCode;
use crate::domain::field_error::FieldError;
use crate::domain::money::Vnd;
use crate::domain::text;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;

/// The answers to a form, keyed by field id.
pub type Answers = Map<String, Value>;

/// Largest number of characters in a one-line text field unless the form says otherwise.
pub const DEFAULT_TEXT_MAX: usize = 200;
/// Largest number of characters in a long text field unless the form says otherwise.
pub const DEFAULT_LONG_TEXT_MAX: usize = 2000;
/// Longest street line of an address.
pub const STREET_MAX: usize = 200;
/// Longest person name.
pub const NAME_MAX: usize = 100;

/// A procedure's electronic form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormDef {
    /// Pages of the form, in order.
    pub sections: Vec<Section>,
    /// Document slots: what the resident uploads.
    #[serde(default)]
    pub documents: Vec<DocumentSlot>,
    /// How the fee is computed from the answers.
    #[serde(default)]
    pub fee: FeeRules,
}

/// One page of the form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Section {
    /// Stable id (used in URLs).
    pub id: String,
    /// Page heading.
    pub title: Bilingual,
    /// Optional explanation under the heading.
    #[serde(default)]
    pub intro: Option<Bilingual>,
    /// Fields on this page.
    pub fields: Vec<Field>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Field {
    /// Stable id, lower-case ASCII and underscores.
    pub id: String,
    /// Label.
    pub label: Bilingual,
    /// Help text under the label.
    #[serde(default)]
    pub hint: Option<Bilingual>,
    /// Type and its settings.
    #[serde(rename = "type")]
    pub kind: Kind,
    /// Must be answered (when it applies).
    #[serde(default)]
    pub required: bool,
    /// Only asked when another answer has a given value.
    #[serde(default)]
    pub when: Option<Condition>,
    /// Filled from the signed-in person's identity ("provide once").
    #[serde(default)]
    pub prefill: Option<Prefill>,
    /// Settings of the type (lengths, bounds, choices, sub-fields).
    #[serde(default, flatten)]
    pub opts: Opts,
}

/// Field types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// One line of text.
    Text,
    /// Several lines of text.
    LongText,
    /// A whole number between `min` and `max`.
    Number,
    /// A calendar date `YYYY-MM-DD`.
    Date,
    /// One of `options`, as a drop-down list.
    Select,
    /// One of `options`, as radio buttons.
    Radio,
    /// A single yes/no tick box.
    Checkbox,
    /// Any number of `options`, as tick boxes.
    Checkboxes,
    /// A 12-digit personal identification number.
    IdNumber,
    /// A Vietnamese phone number.
    Phone,
    /// An e-mail address.
    Email,
    /// One of Hà Nội's commune-level units.
    Unit,
    /// A Hà Nội address: commune-level unit and street line.
    Address,
    /// A person: name, date of birth, sex and (optionally) ID number.
    Person,
    /// A repeatable group of `fields`.
    Group,
}

/// Settings of a field type; which ones apply depends on [`Kind`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opts {
    /// Longest text in characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_len: Option<usize>,
    /// Smallest number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    /// Which dates are allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<DateRule>,
    /// Choices of a select, radio or checkboxes field.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub options: Vec<Choice>,
    /// A person's ID number must be given (otherwise optional, e.g. for a newborn).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub id_required: bool,
    /// Sub-fields of a group.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<Field>,
    /// Fewest entries of a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_items: Option<u32>,
    /// Most entries of a group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_items: Option<u32>,
    /// Heading of one entry of a group ("Người làm chứng").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub item_label: Option<Bilingual>,
}

/// Which dates a date field (or a person's date of birth) accepts, relative to today.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DateRule {
    /// Today or earlier.
    Past,
    /// Today or later.
    Future,
}

/// One choice of a select, radio or checkboxes field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Choice {
    /// Stored value.
    pub value: String,
    /// Label.
    pub label: Bilingual,
}

/// "Ask this only when `field` equals `equals`" (`"true"`/`"false"` for a tick box). The field
/// is looked up in the same group entry first, then at the top level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    /// Id of the field the condition reads.
    pub field: String,
    /// Value that makes the condition true.
    pub equals: String,
}

/// What the portal already knows about the signed-in person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prefill {
    /// Full name.
    Name,
    /// ID number.
    IdNumber,
    /// Date of birth.
    BirthDate,
    /// Sex, from the ID number.
    Sex,
    /// The whole person (for a person field).
    Me,
    /// The permanent address (for an address field), when it is in Hà Nội.
    Address,
    /// The phone number.
    Phone,
    /// The e-mail address.
    Email,
}

impl Prefill {
    /// Whether the resident may change a value the identity provider gave. Name, ID number,
    /// date of birth and sex come from the national population database and are used as they
    /// are (Decree 104/2022/NĐ-CP: residents are not asked again for what the database holds,
    /// and a wrong entry is corrected there, not on a form); address and contact details may
    /// differ from the filing's needs, so they are only a starting point.
    pub fn locked(self) -> bool {
        matches!(
            self,
            Prefill::Name | Prefill::IdNumber | Prefill::BirthDate | Prefill::Sex | Prefill::Me
        )
    }
}

/// A document the resident uploads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSlot {
    /// Stable id.
    pub id: String,
    /// What it is.
    pub label: Bilingual,
    /// Help (which alternatives count, what to photograph).
    #[serde(default)]
    pub hint: Option<Bilingual>,
    /// File types accepted, checked by content.
    pub accepts: Vec<FileKind>,
    /// Largest file, in KiB.
    pub max_kb: u32,
    /// Most files in this slot (several pages).
    #[serde(default = "one")]
    pub max_files: u32,
    /// Must be uploaded (when it applies).
    #[serde(default)]
    pub required: bool,
    /// Only needed when another answer has a given value.
    #[serde(default)]
    pub when: Option<Condition>,
    /// The type of document in the resident's health record that stands for this one
    /// (`giay-chung-sinh`): the form offers to attach it from there instead of a photo.
    #[serde(default)]
    pub from_health: Option<String>,
}

fn one() -> u32 {
    1
}

/// File types a document slot can accept. Nothing else is ever stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileKind {
    /// PDF document.
    Pdf,
    /// JPEG photo.
    Jpeg,
    /// PNG image.
    Png,
}

impl FileKind {
    /// MIME type sent on download.
    pub fn mime(self) -> &'static str {
        match self {
            FileKind::Pdf => "application/pdf",
            FileKind::Jpeg => "image/jpeg",
            FileKind::Png => "image/png",
        }
    }

    /// Stable code stored in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            FileKind::Pdf => "pdf",
            FileKind::Jpeg => "jpeg",
            FileKind::Png => "png",
        }
    }

    /// Parses [`FileKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pdf" => Some(FileKind::Pdf),
            "jpeg" => Some(FileKind::Jpeg),
            "png" => Some(FileKind::Png),
            _ => None,
        }
    }

    /// Recognises a file by its first bytes (never by name or declared type).
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if head.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
            Some(FileKind::Png)
        } else {
            None
        }
    }
}

/// Fee rules of a form.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRules {
    /// Fee lines; a line counts when its condition holds.
    #[serde(default)]
    pub items: Vec<FeeItem>,
    /// Answers that exempt the resident from every line.
    #[serde(default)]
    pub exemptions: Vec<Exemption>,
}

/// One fee line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeeItem {
    /// Stable id.
    pub id: String,
    /// What it is for.
    pub label: Bilingual,
    /// Amount in đồng (per unit when `per` is set).
    pub amount_vnd: i64,
    /// Only charged when this holds.
    #[serde(default)]
    pub when: Option<Condition>,
    /// Multiplied by this number field (e.g. number of copies).
    #[serde(default)]
    pub per: Option<String>,
}

/// An answer that exempts the resident from the fee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exemption {
    /// The answer.
    pub when: Condition,
    /// Shown on the quote and the receipt.
    pub label: Bilingual,
}

/// The fee computed from clean answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeQuote {
    /// Lines that apply: label, quantity, amount.
    pub lines: Vec<FeeLine>,
    /// Why nothing is due, if exempt.
    pub exempt: Option<Bilingual>,
    /// What is due.
    pub total: Vnd,
}

/// One line of a [`FeeQuote`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    /// Fee item id.
    pub id: String,
    /// Label.
    pub label: Bilingual,
    /// Quantity.
    pub quantity: i64,
    /// Quantity × unit amount.
    pub amount: Vnd,
}

/// What validation needs to know about the world.
pub struct Ctx<'a> {
    /// Today in Hà Nội.
    pub today: NaiveDate,
    /// Whether a commune-level unit code exists.
    pub unit_exists: &'a (dyn Fn(&str) -> bool + Sync),
}

/// What the portal knows about the person filing, for prefilling.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// Full name.
    pub name: String,
    /// ID number.
    pub id_number: Option<String>,
    /// Date of birth `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// Permanent address split into a Hà Nội commune-level unit code and the street line
    /// (`None` outside Hà Nội or when the provider gave none).
    pub address: Option<(String, String)>,
    /// Phone number, normalised.
    pub phone: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
}

impl FormDef {
    /// Every field of the form, with the section it is on (top level only).
    pub fn fields(&self) -> impl Iterator<Item = (&Section, &Field)> {
        self.sections
            .iter()
            .flat_map(|s| s.fields.iter().map(move |f| (s, f)))
    }

    /// The section a field path (`child.name`, `witnesses.0.name`) belongs to.
    pub fn section_of(&self, path: &str) -> Option<usize> {
        let top = path.split('.').next().unwrap_or(path);
        self.sections
            .iter()
            .position(|s| s.fields.iter().any(|f| f.id == top))
    }

    /// Checks the definition itself (used when importing the catalogue).
    pub fn check(&self) -> Result<(), String> {
        if self.sections.is_empty() {
            return Err("form has no sections".into());
        }
        let mut section_ids = HashSet::new();
        for s in &self.sections {
            check_id(&s.id)?;
            check_text(&s.title)?;
            if !section_ids.insert(s.id.as_str()) {
                return Err(format!("section {} appears twice", s.id));
            }
            if s.fields.is_empty() {
                return Err(format!("section {} has no fields", s.id));
            }
        }
        // Field ids are unique across the whole form; conditions only look backwards.
        let mut seen: Vec<&Field> = Vec::new();
        for (_, f) in self.fields() {
            check_field(f, &seen, &[])?;
            if seen.iter().any(|g| g.id == f.id) {
                return Err(format!("field {} appears twice", f.id));
            }
            seen.push(f);
        }
        let mut slot_ids = HashSet::new();
        for d in &self.documents {
            check_id(&d.id)?;
            check_text(&d.label)?;
            if !slot_ids.insert(d.id.as_str()) {
                return Err(format!("document {} appears twice", d.id));
            }
            if d.accepts.is_empty() || d.max_kb == 0 || d.max_files == 0 {
                return Err(format!("document {}: no types, size or count", d.id));
            }
            if let Some(c) = &d.when {
                check_condition(c, &seen, &[])?;
            }
        }
        for item in &self.fee.items {
            check_text(&item.label)?;
            if item.amount_vnd < 0 {
                return Err(format!("fee {}: negative amount", item.id));
            }
            if let Some(c) = &item.when {
                check_condition(c, &seen, &[])?;
            }
            if let Some(per) = &item.per
                && !seen.iter().any(|f| &f.id == per && f.kind == Kind::Number)
            {
                return Err(format!("fee {}: `per` is not a number field", item.id));
            }
        }
        for e in &self.fee.exemptions {
            check_text(&e.label)?;
            check_condition(&e.when, &seen, &[])?;
        }
        Ok(())
    }

    /// Answers filled from what the portal knows about the person ("provide once").
    pub fn prefill(&self, me: &Profile) -> Answers {
        let mut out = Answers::new();
        let sex = me
            .id_number
            .as_deref()
            .and_then(|n| Cccd::parse(n).ok())
            .map(|c| sex_code(c.sex()));
        for (_, f) in self.fields() {
            let v = match f.prefill {
                Some(Prefill::Name) => Some(Value::from(me.name.clone())),
                Some(Prefill::IdNumber) => me.id_number.clone().map(Value::from),
                Some(Prefill::BirthDate) => me.birth_date.clone().map(Value::from),
                Some(Prefill::Sex) => sex.map(Value::from),
                Some(Prefill::Me) => {
                    let mut p = Map::new();
                    p.insert("name".into(), me.name.clone().into());
                    if let Some(d) = &me.birth_date {
                        p.insert("birth_date".into(), d.clone().into());
                    }
                    if let Some(s) = sex {
                        p.insert("sex".into(), s.into());
                    }
                    if let Some(n) = &me.id_number {
                        p.insert("id_number".into(), n.clone().into());
                    }
                    Some(Value::Object(p))
                }
                Some(Prefill::Address) => me.address.as_ref().map(|(unit, street)| {
                    let mut a = Map::new();
                    a.insert("unit".into(), unit.clone().into());
                    if !street.is_empty() {
                        a.insert("street".into(), street.clone().into());
                    }
                    Value::Object(a)
                }),
                Some(Prefill::Phone) => me.phone.clone().map(Value::from),
                Some(Prefill::Email) => me.email.clone().map(Value::from),
                None => None,
            };
            if let Some(v) = v {
                out.insert(f.id.clone(), v);
            }
        }
        out
    }

    /// The answers that differ from what the identity provider gave for a field the resident
    /// may not change (`from_identity` as [`FormDef::prefill`] made it): one `from_identity`
    /// error per differing value. A value the provider did not give is the resident's to fill.
    pub fn check_identity(&self, answers: &Answers, from_identity: &Answers) -> Vec<FieldError> {
        let mut out = Vec::new();
        for (_, f) in self.fields() {
            if !f.prefill.is_some_and(Prefill::locked) {
                continue;
            }
            let Some(given) = from_identity.get(&f.id) else {
                continue;
            };
            let answer = answers.get(&f.id);
            match (given, answer) {
                (Value::Object(g), a) => {
                    let a = a.and_then(Value::as_object);
                    for (k, v) in g {
                        if a.and_then(|a| a.get(k)) != Some(v) {
                            out.push(FieldError::new(
                                format!("{}.{k}", f.id),
                                FieldCode::FromIdentity,
                            ));
                        }
                    }
                }
                (g, a) if a != Some(g) => out.push(FieldError::new(&f.id, FieldCode::FromIdentity)),
                _ => {}
            }
        }
        out
    }

    /// Document slots that apply to these answers.
    pub fn documents_for<'a>(
        &'a self,
        answers: &'a Answers,
    ) -> impl Iterator<Item = &'a DocumentSlot> {
        self.documents
            .iter()
            .filter(move |d| d.when.as_ref().is_none_or(|c| holds(c, answers, None)))
    }

    /// The fee due for clean answers.
    pub fn fee(&self, answers: &Answers) -> FeeQuote {
        let exempt = self
            .fee
            .exemptions
            .iter()
            .find(|e| holds(&e.when, answers, None))
            .map(|e| e.label.clone());
        let mut lines = Vec::new();
        for item in &self.fee.items {
            if item.when.as_ref().is_some_and(|c| !holds(c, answers, None)) {
                continue;
            }
            let quantity = match &item.per {
                Some(f) => answers
                    .get(f)
                    .and_then(|v| v.as_str())
                    .and_then(|s| s.parse::<i64>().ok())
                    .unwrap_or(0),
                None => 1,
            };
            if quantity <= 0 {
                continue;
            }
            lines.push(FeeLine {
                id: item.id.clone(),
                label: item.label.clone(),
                quantity,
                amount: Vnd(item.amount_vnd.saturating_mul(quantity)),
            });
        }
        let total = if exempt.is_some() {
            Vnd(0)
        } else {
            Vnd(lines.iter().map(|l| l.amount.0).sum())
        };
        FeeQuote {
            lines,
            exempt,
            total,
        }
    }
}

fn check_id(id: &str) -> Result<(), String> {
    let ok = !id.is_empty()
        && id.len() <= 40
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!("`{id}` is not a lower-case snake_case id"))
    }
}

fn check_text(t: &Bilingual) -> Result<(), String> {
    for s in [&t.vi, &t.en] {
        if s.trim().is_empty() || text::nfc(s) != *s {
            return Err(format!("label `{s}` is empty or not NFC"));
        }
    }
    Ok(())
}

fn check_condition(c: &Condition, top: &[&Field], local: &[&Field]) -> Result<(), String> {
    let target = local
        .iter()
        .chain(top.iter())
        .find(|f| f.id == c.field)
        .ok_or_else(|| format!("condition reads `{}`, which is not asked before", c.field))?;
    let ok = match target.kind {
        Kind::Checkbox => c.equals == "true" || c.equals == "false",
        Kind::Select | Kind::Radio => target.opts.options.iter().any(|o| o.value == c.equals),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "condition on `{}` = `{}` can never hold",
            c.field, c.equals
        ))
    }
}

fn check_field(f: &Field, top: &[&Field], local: &[&Field]) -> Result<(), String> {
    check_id(&f.id)?;
    check_text(&f.label)?;
    if let Some(h) = &f.hint {
        check_text(h)?;
    }
    if let Some(c) = &f.when {
        check_condition(c, top, local)?;
    }
    let o = &f.opts;
    let choice = matches!(f.kind, Kind::Select | Kind::Radio | Kind::Checkboxes);
    if choice == o.options.is_empty() {
        return Err(format!("{}: options belong to choice fields only", f.id));
    }
    let mut values = HashSet::new();
    for c in &o.options {
        check_text(&c.label)?;
        if c.value.is_empty() || !values.insert(c.value.as_str()) {
            return Err(format!("{}: empty or repeated option value", f.id));
        }
    }
    if (o.min.is_some() || o.max.is_some()) && f.kind != Kind::Number {
        return Err(format!("{}: min/max belong to number fields", f.id));
    }
    if f.kind == Kind::Number && (o.min.is_none() || o.max.is_none() || o.min > o.max) {
        return Err(format!("{}: a number field needs min ≤ max", f.id));
    }
    if o.max_len.is_some() && !matches!(f.kind, Kind::Text | Kind::LongText) {
        return Err(format!("{}: max_len belongs to text fields", f.id));
    }
    if o.max_len == Some(0) {
        return Err(format!("{}: max_len is 0", f.id));
    }
    if o.dates.is_some() && !matches!(f.kind, Kind::Date | Kind::Person) {
        return Err(format!("{}: dates belongs to date and person fields", f.id));
    }
    if o.id_required && f.kind != Kind::Person {
        return Err(format!("{}: id_required belongs to person fields", f.id));
    }
    let prefill_ok = match f.prefill {
        None => true,
        Some(Prefill::Name) => f.kind == Kind::Text,
        Some(Prefill::IdNumber) => f.kind == Kind::IdNumber,
        Some(Prefill::BirthDate) => f.kind == Kind::Date,
        Some(Prefill::Sex) => {
            matches!(f.kind, Kind::Radio | Kind::Select)
                && o.options.iter().any(|c| c.value == "male")
                && o.options.iter().any(|c| c.value == "female")
        }
        Some(Prefill::Me) => f.kind == Kind::Person,
        Some(Prefill::Address) => f.kind == Kind::Address,
        Some(Prefill::Phone) => f.kind == Kind::Phone,
        Some(Prefill::Email) => f.kind == Kind::Email,
    };
    if !prefill_ok {
        return Err(format!("{}: prefill does not fit the field type", f.id));
    }
    if f.kind == Kind::Group {
        if o.fields.is_empty() || o.item_label.is_none() {
            return Err(format!("{}: a group needs fields and item_label", f.id));
        }
        let (min, max) = (o.min_items.unwrap_or(0), o.max_items.unwrap_or(0));
        if max == 0 || min > max || max > 20 {
            return Err(format!("{}: a group needs 0 ≤ min ≤ max ≤ 20", f.id));
        }
        let mut inner: Vec<&Field> = Vec::new();
        for g in &o.fields {
            if g.kind == Kind::Group {
                return Err(format!("{}: groups do not nest", f.id));
            }
            if g.prefill.is_some() {
                return Err(format!("{}: no prefill inside a group", f.id));
            }
            check_field(g, top, &inner)?;
            if inner.iter().any(|h| h.id == g.id) {
                return Err(format!("{}.{} appears twice", f.id, g.id));
            }
            inner.push(g);
        }
    } else if !o.fields.is_empty() || o.min_items.is_some() || o.max_items.is_some() {
        return Err(format!("{}: sub-fields belong to groups", f.id));
    }
    Ok(())
}

/// The string an answer compares as in a [`Condition`].
fn as_condition_value(v: &Value) -> Option<String> {
    match v {
        Value::Bool(b) => Some(b.to_string()),
        Value::String(s) => Some(s.clone()),
        _ => None,
    }
}

/// Whether a condition holds, looking in the group entry first, then at the top level.
pub fn holds(c: &Condition, top: &Answers, local: Option<&Answers>) -> bool {
    let v = local
        .and_then(|l| l.get(&c.field))
        .or_else(|| top.get(&c.field));
    // An unticked box counts as false.
    let v = v
        .and_then(as_condition_value)
        .unwrap_or_else(|| "false".into());
    v == c.equals
}

/// Stable code of a sex in answers.
pub fn sex_code(s: Sex) -> &'static str {
    match s {
        Sex::Male => "male",
        Sex::Female => "female",
    }
}

/// Whether an answer counts as empty.
pub fn is_blank(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.trim().is_empty(),
        Some(Value::Bool(b)) => !b,
        Some(Value::Array(a)) => a.is_empty(),
        Some(Value::Object(o)) => o.values().all(|v| is_blank(Some(v))),
        Some(Value::Number(_)) => false,
    }
}

/// Validates answers against the form: `Ok` with the clean answers (only the fields that apply,
/// NFC, trimmed) or every error found.
pub fn validate(form: &FormDef, answers: &Answers, ctx: &Ctx) -> Result<Answers, Vec<FieldError>> {
    let mut out = Answers::new();
    let mut errors = Vec::new();
    for (_, f) in form.fields() {
        if f.when.as_ref().is_some_and(|c| !holds(c, &out, None)) {
            continue;
        }
        if let Some(v) = check_value(f, answers.get(&f.id), &f.id, &out, None, ctx, &mut errors) {
            out.insert(f.id.clone(), v);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// Checks the attachments these answers call for: each required document has a file, and no
/// document has more files than it allows. `files(slot)` counts the complete files of a slot.
pub fn check_documents(
    form: &FormDef,
    answers: &Answers,
    files: &dyn Fn(&str) -> usize,
) -> Vec<FieldError> {
    form.documents_for(answers)
        .filter_map(|d| {
            let n = files(&d.id);
            let path = format!("doc.{}", d.id);
            if d.required && n == 0 {
                Some(FieldError::new(path, FieldCode::Required))
            } else if n > d.max_files as usize {
                Some(FieldError::new(path, FieldCode::TooManyFiles))
            } else {
                None
            }
        })
        .collect()
}

/// Validates only the fields of one section (the page the resident is on).
pub fn validate_section(
    form: &FormDef,
    section: usize,
    answers: &Answers,
    ctx: &Ctx,
) -> Vec<FieldError> {
    match validate(form, answers, ctx) {
        Ok(_) => Vec::new(),
        Err(errs) => errs
            .into_iter()
            .filter(|e| form.section_of(&e.field) == Some(section))
            .collect(),
    }
}

fn text_of<'v>(v: Option<&'v Value>, path: &str, errors: &mut Vec<FieldError>) -> Option<&'v str> {
    match v {
        None | Some(Value::Null) => Some(""),
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push(FieldError::new(path, FieldCode::Invalid));
            None
        }
    }
}

fn clean_text(
    s: &str,
    max: usize,
    multiline: bool,
    path: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let r = if multiline {
        text::clean_multiline(s, max)
    } else {
        text::clean_line(s, max)
    };
    r.map_err(|e| errors.push(FieldError::new(path, e.code())))
        .ok()
}

fn parse_date(s: &str, rule: Option<DateRule>, today: NaiveDate) -> Result<NaiveDate, FieldCode> {
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| FieldCode::DateFormat)?;
    if s.len() != 10 || d.year() < 1900 {
        return Err(FieldCode::DateFormat);
    }
    match rule {
        Some(DateRule::Past) if d > today => Err(FieldCode::DateFuture),
        Some(DateRule::Future) if d < today => Err(FieldCode::DatePast),
        _ => Ok(d),
    }
}

/// Strips spaces, dots and dashes people type in phone and ID numbers.
fn digits_only(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect()
}

/// A Vietnamese mobile or landline number: `0` + 9–10 digits, or `+84` + 9–10 digits.
pub fn normalize_phone(s: &str) -> Option<String> {
    let d = digits_only(s);
    let rest = d.strip_prefix("+84").or_else(|| d.strip_prefix('0'))?;
    (matches!(rest.len(), 9 | 10)
        && rest.bytes().all(|b| b.is_ascii_digit())
        && !rest.starts_with('0'))
    .then(|| format!("0{rest}"))
}

/// A plain e-mail address check: one `@`, a dotted domain, no spaces, at most 254 characters.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    s.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && s.chars().all(|c| c.is_ascii_graphic())
}

#[allow(clippy::too_many_arguments)]
fn check_value(
    f: &Field,
    v: Option<&Value>,
    path: &str,
    top: &Answers,
    local: Option<&Answers>,
    ctx: &Ctx,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let _ = local;
    let before = errors.len();
    let required = |errors: &mut Vec<FieldError>| {
        if f.required {
            errors.push(FieldError::new(path, FieldCode::Required));
        }
    };
    let o = &f.opts;
    match f.kind {
        Kind::Text | Kind::LongText => {
            let long = f.kind == Kind::LongText;
            let max = o.max_len.unwrap_or(if long {
                DEFAULT_LONG_TEXT_MAX
            } else {
                DEFAULT_TEXT_MAX
            });
            let s = clean_text(text_of(v, path, errors)?, max, long, path, errors)?;
            if s.is_empty() {
                required(errors);
                return None;
            }
            Some(s.into())
        }
        Kind::Number => {
            let s = text_of(v, path, errors)?.trim();
            if s.is_empty() {
                required(errors);
                return None;
            }
            match s.parse::<i64>() {
                Ok(n) if s.len() <= 18 => {
                    if n < o.min.unwrap_or(i64::MIN) || n > o.max.unwrap_or(i64::MAX) {
                        errors.push(FieldError::new(path, FieldCode::OutOfRange));
                        None
                    } else {
                        Some(n.to_string().into())
                    }
                }
                _ => {
                    errors.push(FieldError::new(path, FieldCode::NotANumber));
                    None
                }
            }
        }
        Kind::Date => {
            let s = text_of(v, path, errors)?.trim();
            if s.is_empty() {
                required(errors);
                return None;
            }
            match parse_date(s, o.dates, ctx.today) {
                Ok(d) => Some(d.format("%Y-%m-%d").to_string().into()),
                Err(code) => {
                    errors.push(FieldError::new(path, code));
                    None
                }
            }
        }
        Kind::Select | Kind::Radio => {
            let s = text_of(v, path, errors)?;
            if s.is_empty() {
                required(errors);
                return None;
            }
            if o.options.iter().any(|c| c.value == s) {
                Some(s.into())
            } else {
                errors.push(FieldError::new(path, FieldCode::InvalidChoice));
                None
            }
        }
        Kind::Checkbox => match v {
            None | Some(Value::Null) | Some(Value::Bool(false)) => {
                required(errors);
                Some(false.into())
            }
            Some(Value::Bool(true)) => Some(true.into()),
            Some(_) => {
                errors.push(FieldError::new(path, FieldCode::Invalid));
                None
            }
        },
        Kind::Checkboxes => {
            let list: Vec<&str> = match v {
                None | Some(Value::Null) => Vec::new(),
                Some(Value::Array(a)) if a.len() <= o.options.len() => {
                    let strs: Option<Vec<&str>> = a.iter().map(|x| x.as_str()).collect();
                    let Some(strs) = strs else {
                        errors.push(FieldError::new(path, FieldCode::Invalid));
                        return None;
                    };
                    strs
                }
                Some(_) => {
                    errors.push(FieldError::new(path, FieldCode::Invalid));
                    return None;
                }
            };
            if list
                .iter()
                .any(|s| !o.options.iter().any(|c| c.value == *s))
            {
                errors.push(FieldError::new(path, FieldCode::InvalidChoice));
                return None;
            }
            if list.is_empty() {
                required(errors);
                return None;
            }
            // Keep the form's order and drop repeats.
            let picked: Vec<Value> = o
                .options
                .iter()
                .filter(|c| list.contains(&c.value.as_str()))
                .map(|c| Value::from(c.value.clone()))
                .collect();
            Some(Value::Array(picked))
        }
        Kind::IdNumber => {
            let s = text_of(v, path, errors)?;
            let d = digits_only(s.trim());
            if d.is_empty() {
                required(errors);
                return None;
            }
            match Cccd::parse(&d) {
                Ok(c) if c.birth_year() <= ctx.today.year() => Some(c.as_str().to_string().into()),
                Ok(_) => {
                    errors.push(FieldError::new(path, FieldCode::CccdFuture));
                    None
                }
                Err(e) => {
                    errors.push(FieldError::new(path, e.code()));
                    None
                }
            }
        }
        Kind::Phone => {
            let s = text_of(v, path, errors)?.trim();
            if s.is_empty() {
                required(errors);
                return None;
            }
            match normalize_phone(s) {
                Some(p) => Some(p.into()),
                None => {
                    errors.push(FieldError::new(path, FieldCode::PhoneFormat));
                    None
                }
            }
        }
        Kind::Email => {
            let s = text_of(v, path, errors)?.trim();
            if s.is_empty() {
                required(errors);
                return None;
            }
            if is_email(s) {
                Some(s.to_ascii_lowercase().into())
            } else {
                errors.push(FieldError::new(path, FieldCode::EmailFormat));
                None
            }
        }
        Kind::Unit => {
            let s = text_of(v, path, errors)?.trim();
            if s.is_empty() {
                required(errors);
                return None;
            }
            if s.len() <= 10 && (ctx.unit_exists)(s) {
                Some(s.into())
            } else {
                errors.push(FieldError::new(path, FieldCode::UnknownUnit));
                None
            }
        }
        Kind::Address => {
            let obj = match v {
                None | Some(Value::Null) => Map::new(),
                Some(Value::Object(m)) => m.clone(),
                Some(_) => {
                    errors.push(FieldError::new(path, FieldCode::Invalid));
                    return None;
                }
            };
            if is_blank(Some(&Value::Object(obj.clone()))) {
                required(errors);
                return None;
            }
            let unit_path = format!("{path}.unit");
            let street_path = format!("{path}.street");
            let unit = text_of(obj.get("unit"), &unit_path, errors).map(str::trim);
            let street = text_of(obj.get("street"), &street_path, errors)
                .and_then(|s| clean_text(s, STREET_MAX, false, &street_path, errors));
            let unit = match unit {
                Some("") => {
                    errors.push(FieldError::new(&unit_path, FieldCode::Required));
                    None
                }
                Some(u) if u.len() <= 10 && (ctx.unit_exists)(u) => Some(u.to_string()),
                Some(_) => {
                    errors.push(FieldError::new(&unit_path, FieldCode::UnknownUnit));
                    None
                }
                None => None,
            };
            if street.as_deref() == Some("") {
                errors.push(FieldError::new(&street_path, FieldCode::Required));
            }
            if errors.len() > before {
                return None;
            }
            let mut m = Map::new();
            m.insert("unit".into(), unit?.into());
            m.insert("street".into(), street?.into());
            Some(Value::Object(m))
        }
        Kind::Person => check_person(f, v, path, ctx, errors),
        Kind::Group => {
            let items: &[Value] = match v {
                None | Some(Value::Null) => &[],
                Some(Value::Array(a)) if a.len() <= o.max_items.unwrap_or(0) as usize => a,
                Some(Value::Array(_)) => {
                    errors.push(FieldError::new(path, FieldCode::TooMany));
                    return None;
                }
                Some(_) => {
                    errors.push(FieldError::new(path, FieldCode::Invalid));
                    return None;
                }
            };
            let min = o.min_items.unwrap_or(0).max(u32::from(f.required)) as usize;
            if items.len() < min {
                errors.push(FieldError::new(
                    path,
                    if items.is_empty() {
                        FieldCode::Required
                    } else {
                        FieldCode::TooFew
                    },
                ));
                return None;
            }
            let mut clean = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                let Some(entry) = item.as_object() else {
                    errors.push(FieldError::new(format!("{path}.{i}"), FieldCode::Invalid));
                    continue;
                };
                let mut out = Answers::new();
                for g in &o.fields {
                    if g.when.as_ref().is_some_and(|c| !holds(c, top, Some(&out))) {
                        continue;
                    }
                    let p = format!("{path}.{i}.{}", g.id);
                    if let Some(v) =
                        check_value(g, entry.get(&g.id), &p, top, Some(&out), ctx, errors)
                    {
                        out.insert(g.id.clone(), v);
                    }
                }
                clean.push(Value::Object(out));
            }
            (errors.len() == before).then_some(Value::Array(clean))
        }
    }
}

fn check_person(
    f: &Field,
    v: Option<&Value>,
    path: &str,
    ctx: &Ctx,
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let before = errors.len();
    let obj = match v {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(m)) => m.clone(),
        Some(_) => {
            errors.push(FieldError::new(path, FieldCode::Invalid));
            return None;
        }
    };
    if is_blank(Some(&Value::Object(obj.clone()))) {
        if f.required {
            errors.push(FieldError::new(format!("{path}.name"), FieldCode::Required));
        }
        return None;
    }
    let p = |k: &str| format!("{path}.{k}");
    let name = text_of(obj.get("name"), &p("name"), errors)
        .and_then(|s| clean_text(s, NAME_MAX, false, &p("name"), errors));
    if name.as_deref() == Some("") {
        errors.push(FieldError::new(p("name"), FieldCode::Required));
    }
    let birth = match text_of(obj.get("birth_date"), &p("birth_date"), errors).map(str::trim) {
        Some("") => {
            errors.push(FieldError::new(p("birth_date"), FieldCode::Required));
            None
        }
        Some(s) => match parse_date(s, Some(f.opts.dates.unwrap_or(DateRule::Past)), ctx.today) {
            Ok(d) => Some(d),
            Err(code) => {
                errors.push(FieldError::new(p("birth_date"), code));
                None
            }
        },
        None => None,
    };
    let sex = match text_of(obj.get("sex"), &p("sex"), errors) {
        Some("male") => Some(Sex::Male),
        Some("female") => Some(Sex::Female),
        Some("") => {
            errors.push(FieldError::new(p("sex"), FieldCode::Required));
            None
        }
        Some(_) => {
            errors.push(FieldError::new(p("sex"), FieldCode::InvalidChoice));
            None
        }
        None => None,
    };
    let id = match text_of(obj.get("id_number"), &p("id_number"), errors)
        .map(|s| digits_only(s.trim()))
    {
        Some(s) if s.is_empty() => {
            if f.opts.id_required {
                errors.push(FieldError::new(p("id_number"), FieldCode::Required));
            }
            None
        }
        Some(s) => match Cccd::parse(&s) {
            Ok(c) => {
                // The number must agree with the stated birth year and sex.
                if let (Some(b), Some(x)) = (birth, sex)
                    && let Err(e) = c.check_consistent(b.year(), x, ctx.today.year())
                {
                    errors.push(FieldError::new(p("id_number"), e.code()));
                }
                Some(c.as_str().to_string())
            }
            Err(e) => {
                errors.push(FieldError::new(p("id_number"), e.code()));
                None
            }
        },
        None => None,
    };
    if errors.len() > before {
        return None;
    }
    let mut m = Map::new();
    m.insert("name".into(), name?.into());
    m.insert(
        "birth_date".into(),
        birth?.format("%Y-%m-%d").to_string().into(),
    );
    m.insert("sex".into(), sex_code(sex?).into());
    if let Some(id) = id {
        m.insert("id_number".into(), id.into());
    }
    Some(Value::Object(m))
}

/// The answer at a dotted path (`mother.name`, `witnesses.1.phone`).
pub fn value_at<'a>(answers: &'a Answers, path: &str) -> Option<&'a Value> {
    let mut parts = path.split('.');
    let mut cur = answers.get(parts.next()?)?;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get(p)?,
            Value::Array(a) => a.get(p.parse::<usize>().ok()?)?,
            _ => return None,
        };
    }
    Some(cur)
}

/// Sets the answer at a dotted path, creating the objects on the way. Array indexes must exist.
pub fn set_value_at(answers: &mut Answers, path: &str, v: Value) {
    let parts: Vec<&str> = path.split('.').collect();
    let Some((last, init)) = parts.split_last() else {
        return;
    };
    if init.is_empty() {
        answers.insert(last.to_string(), v);
        return;
    }
    let mut cur = answers
        .entry(init[0].to_string())
        .or_insert_with(|| Value::Object(Map::new()));
    for p in &init[1..] {
        cur = match cur {
            Value::Array(a) => match p.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                Some(x) => x,
                None => return,
            },
            other => {
                if !other.is_object() {
                    *other = Value::Object(Map::new());
                }
                match other {
                    Value::Object(m) => m
                        .entry(p.to_string())
                        .or_insert_with(|| Value::Object(Map::new())),
                    _ => return,
                }
            }
        };
    }
    match cur {
        Value::Object(m) => {
            m.insert(last.to_string(), v);
        }
        Value::Array(a) => {
            if let Some(x) = last.parse::<usize>().ok().and_then(|i| a.get_mut(i)) {
                *x = v;
            }
        }
        other => {
            let mut m = Map::new();
            m.insert(last.to_string(), v);
            *other = Value::Object(m);
        }
    }
}

/// A short text for an answer on the check-your-answers page and the receipt.
pub fn display(f: &Field, v: &Value, en: bool, unit_name: &dyn Fn(&str) -> String) -> String {
    // What is shown is composed (NFC) even when it was typed decomposed.
    text::nfc(&display_raw(f, v, en, unit_name))
}

fn display_raw(f: &Field, v: &Value, en: bool, unit_name: &dyn Fn(&str) -> String) -> String {
    let label = |b: &Bilingual| if en { b.en.clone() } else { b.vi.clone() };
    let choice = |s: &str| {
        f.opts
            .options
            .iter()
            .find(|c| c.value == s)
            .map(|c| label(&c.label))
            .unwrap_or_else(|| s.to_string())
    };
    let date = |s: &str| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|_| s.to_string())
    };
    match (f.kind, v) {
        (Kind::Checkbox, Value::Bool(b)) => match (b, en) {
            (true, false) => "Có".into(),
            (false, false) => "Không".into(),
            (true, true) => "Yes".into(),
            (false, true) => "No".into(),
        },
        (Kind::Select | Kind::Radio, Value::String(s)) => choice(s),
        (Kind::Checkboxes, Value::Array(a)) => a
            .iter()
            .filter_map(|x| x.as_str())
            .map(choice)
            .collect::<Vec<_>>()
            .join(", "),
        (Kind::Date, Value::String(s)) => date(s),
        (Kind::Unit, Value::String(s)) => unit_name(s),
        (Kind::Address, Value::Object(m)) => {
            let street = m.get("street").and_then(|x| x.as_str()).unwrap_or("");
            let unit = m
                .get("unit")
                .and_then(|x| x.as_str())
                .map(unit_name)
                .unwrap_or_default();
            format!("{street}, {unit}, Hà Nội")
        }
        (Kind::Person, Value::Object(m)) => {
            let get = |k: &str| m.get(k).and_then(|x| x.as_str()).unwrap_or("");
            let sex = match (get("sex"), en) {
                ("male", false) => "nam",
                ("female", false) => "nữ",
                ("male", true) => "male",
                ("female", true) => "female",
                _ => "",
            };
            let mut s = format!(
                "{}, {} {}, {}",
                get("name"),
                if en { "born" } else { "sinh ngày" },
                date(get("birth_date")),
                sex
            );
            if let Ok(c) = Cccd::parse(get("id_number")) {
                s.push_str(&format!(
                    ", {} {}",
                    if en { "ID" } else { "số định danh" },
                    c.masked()
                ));
            }
            s
        }
        (Kind::Group, Value::Array(a)) => format!("{}", a.len()),
        (_, Value::String(s)) => s.clone(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn b(s: &str) -> Bilingual {
        Bilingual {
            vi: s.into(),
            en: s.into(),
        }
    }

    fn field(id: &str, kind: Kind, required: bool) -> Field {
        Field {
            id: id.into(),
            label: b(id),
            hint: None,
            kind,
            required,
            when: None,
            prefill: None,
            opts: Opts::default(),
        }
    }

    fn choices(values: &[&str]) -> Vec<Choice> {
        values
            .iter()
            .map(|v| Choice {
                value: v.to_string(),
                label: b(v),
            })
            .collect()
    }

    /// One field of every type.
    fn every_type() -> FormDef {
        let mut number = field("copies", Kind::Number, true);
        number.opts.min = Some(0);
        number.opts.max = Some(10);
        let mut select = field("nationality", Kind::Select, true);
        select.opts.options = choices(&["VN", "other"]);
        let mut radio = field("sex", Kind::Radio, true);
        radio.opts.options = choices(&["male", "female"]);
        let mut boxes = field("needs", Kind::Checkboxes, false);
        boxes.opts.options = choices(&["a", "b", "c"]);
        let mut date = field("born", Kind::Date, true);
        date.opts.dates = Some(DateRule::Past);
        let mut person = field("mother", Kind::Person, true);
        person.opts.id_required = true;
        let mut long = field("reason", Kind::LongText, false);
        long.opts.max_len = Some(50);
        let mut other = field("other_nationality", Kind::Text, true);
        other.when = Some(Condition {
            field: "nationality".into(),
            equals: "other".into(),
        });
        let mut group = field("witnesses", Kind::Group, false);
        group.opts.min_items = Some(0);
        group.opts.max_items = Some(2);
        group.opts.item_label = Some(b("witness"));
        group.opts.fields = vec![
            field("name", Kind::Text, true),
            field("phone", Kind::Phone, false),
        ];
        FormDef {
            sections: vec![
                Section {
                    id: "one".into(),
                    title: b("One"),
                    intro: None,
                    fields: vec![
                        field("unit", Kind::Unit, true),
                        field("name", Kind::Text, true),
                        long,
                        number,
                        date,
                        select,
                        other,
                        radio,
                    ],
                },
                Section {
                    id: "two".into(),
                    title: b("Two"),
                    intro: None,
                    fields: vec![
                        field("agree", Kind::Checkbox, true),
                        boxes,
                        field("id", Kind::IdNumber, true),
                        field("phone", Kind::Phone, true),
                        field("email", Kind::Email, false),
                        field("home", Kind::Address, true),
                        person,
                        group,
                    ],
                },
            ],
            documents: Vec::new(),
            fee: FeeRules::default(),
        }
    }

    fn ctx_today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    fn run(answers: Value) -> Result<Answers, Vec<FieldError>> {
        let exists = |c: &str| c == "00070";
        let ctx = Ctx {
            today: ctx_today(),
            unit_exists: &exists,
        };
        validate(&every_type(), answers.as_object().unwrap(), &ctx)
    }

    fn good() -> Value {
        json!({
            "unit": "00070",
            "name": "  Nguyễn Văn An ",
            "reason": "Dòng một\nDòng hai",
            "copies": "2",
            "born": "2026-11-01",
            "nationality": "VN",
            "sex": "male",
            "agree": true,
            "needs": ["c", "a"],
            "id": "001 089 012 345",
            "phone": "+84 912.345.678",
            "email": "An@Example.VN",
            "home": { "unit": "00070", "street": "12 Hàng Bạc" },
            "mother": { "name": "Trần Thị Mai", "birth_date": "1991-03-02", "sex": "female", "id_number": "001191012346" },
            "witnesses": [{ "name": "Lê Văn Tám", "phone": "0987654321" }]
        })
    }

    #[test]
    fn the_form_definition_is_consistent() {
        every_type().check().unwrap();
    }

    #[test]
    fn valid_answers_come_back_clean() {
        let clean = run(good()).unwrap();
        assert_eq!(clean["name"], "Nguyễn Văn An", "trimmed");
        assert_eq!(clean["id"], "001089012345", "spaces removed");
        assert_eq!(clean["phone"], "0912345678", "+84 form normalised");
        assert_eq!(clean["email"], "an@example.vn");
        assert_eq!(clean["needs"], json!(["a", "c"]), "form order");
        assert!(
            !clean.contains_key("other_nationality"),
            "condition false: not asked"
        );
        assert_eq!(clean["witnesses"][0]["phone"], "0987654321");
    }

    #[test]
    fn decomposed_text_is_stored_composed() {
        let mut a = good();
        a["name"] = json!("Nguye\u{0302}\u{0303}n Va\u{0306}n An");
        assert_eq!(run(a).unwrap()["name"], "Nguyễn Văn An");
    }

    #[test]
    fn every_kind_of_bad_input_has_its_own_code() {
        let cases: Vec<(&str, Value, &str, &str)> = vec![
            ("unit", json!("99999"), "unit", "unknown_unit"),
            ("name", json!(""), "name", "required"),
            ("name", json!("a\u{0000}b"), "name", "control_char"),
            ("name", json!("a\u{2066}b"), "name", "bidi_control"),
            (
                "name",
                json!("x".repeat(10 * 1024 * 1024)),
                "name",
                "too_long",
            ),
            ("name", json!(42), "name", "invalid"),
            ("reason", json!("x".repeat(51)), "reason", "too_long"),
            ("copies", json!("abc"), "copies", "not_a_number"),
            ("copies", json!("11"), "copies", "out_of_range"),
            ("copies", json!("-1"), "copies", "out_of_range"),
            ("born", json!("2026-13-01"), "born", "date_format"),
            ("born", json!("01/11/2026"), "born", "date_format"),
            ("born", json!("2026-11-24"), "born", "date_future"),
            ("nationality", json!("XX"), "nationality", "invalid_choice"),
            ("sex", json!(""), "sex", "required"),
            ("agree", json!(false), "agree", "required"),
            ("agree", json!("yes"), "agree", "invalid"),
            ("needs", json!(["a", "z"]), "needs", "invalid_choice"),
            ("needs", json!("a"), "needs", "invalid"),
            ("id", json!("12345"), "id", "cccd_format"),
            ("id", json!("003089012345"), "id", "cccd_place"),
            ("phone", json!("12345"), "phone", "phone_format"),
            ("phone", json!("0012345678"), "phone", "phone_format"),
            ("email", json!("an@"), "email", "email_format"),
            ("email", json!("a n@x.vn"), "email", "email_format"),
            (
                "home",
                json!({ "unit": "", "street": "x" }),
                "home.unit",
                "required",
            ),
            (
                "home",
                json!({ "unit": "00070", "street": "" }),
                "home.street",
                "required",
            ),
            ("home", json!("Hà Nội"), "home", "invalid"),
            (
                "mother",
                json!({ "name": "Mai", "birth_date": "1991-03-02", "sex": "female" }),
                "mother.id_number",
                "required",
            ),
            (
                "mother",
                json!({ "name": "Mai", "birth_date": "1990-03-02", "sex": "female", "id_number": "001191012346" }),
                "mother.id_number",
                "cccd_birth_year",
            ),
            (
                "mother",
                json!({ "name": "Mai", "birth_date": "1991-03-02", "sex": "male", "id_number": "001191012346" }),
                "mother.id_number",
                "cccd_sex",
            ),
            (
                "mother",
                json!({ "name": "Mai", "birth_date": "2030-01-01", "sex": "female", "id_number": "001191012346" }),
                "mother.birth_date",
                "date_future",
            ),
            (
                "witnesses",
                json!([{ "name": "A" }, { "name": "B" }, { "name": "C" }]),
                "witnesses",
                "too_many",
            ),
            (
                "witnesses",
                json!([{ "name": "" }]),
                "witnesses.0.name",
                "required",
            ),
            (
                "witnesses",
                json!([{ "name": "A", "phone": "1" }]),
                "witnesses.0.phone",
                "phone_format",
            ),
            ("witnesses", json!(["A"]), "witnesses.0", "invalid"),
        ];
        for (key, value, path, code) in cases {
            let mut a = good();
            a[key] = value;
            let errs = run(a).unwrap_err();
            assert_eq!(
                errs,
                vec![FieldError::new(path, FieldCode::parse(code))],
                "{key}"
            );
        }
    }

    #[test]
    fn conditions_switch_fields_on_and_off() {
        let mut a = good();
        a["nationality"] = json!("other");
        assert_eq!(
            run(a.clone()).unwrap_err(),
            vec![FieldError::new("other_nationality", FieldCode::Required)]
        );
        a["other_nationality"] = json!("Lào");
        assert_eq!(run(a).unwrap()["other_nationality"], "Lào");
    }

    #[test]
    fn errors_are_sorted_into_their_pages() {
        let form = every_type();
        let exists = |c: &str| c == "00070";
        let ctx = Ctx {
            today: ctx_today(),
            unit_exists: &exists,
        };
        let mut a = good();
        a["name"] = json!("");
        a["phone"] = json!("1");
        let a = a.as_object().unwrap().clone();
        assert_eq!(
            validate_section(&form, 0, &a, &ctx),
            vec![FieldError::new("name", FieldCode::Required)]
        );
        assert_eq!(
            validate_section(&form, 1, &a, &ctx),
            vec![FieldError::new("phone", FieldCode::PhoneFormat)]
        );
    }

    #[test]
    fn broken_definitions_are_refused() {
        let mut f = every_type();
        f.sections[0].fields[6].when = Some(Condition {
            field: "nationality".into(),
            equals: "nowhere".into(),
        });
        assert!(f.check().is_err(), "condition that can never hold");
        let mut f = every_type();
        f.sections[0].fields[6].when = Some(Condition {
            field: "agree".into(),
            equals: "true".into(),
        });
        assert!(f.check().is_err(), "condition on a later field");
        let mut f = every_type();
        f.sections[1].fields.push(field("name", Kind::Text, false));
        assert!(f.check().is_err(), "repeated id");
        let mut f = every_type();
        f.sections[0].fields[3].opts.min = Some(5);
        f.sections[0].fields[3].opts.max = Some(1);
        assert!(f.check().is_err(), "min > max");
        let mut f = every_type();
        f.sections[0].fields[1].label.vi = "Ho\u{0323} te\u{0302}n".into();
        assert!(f.check().is_err(), "label not NFC");
    }

    #[test]
    fn fee_lines_quantities_and_exemptions() {
        let mut form = every_type();
        form.fee = FeeRules {
            items: vec![
                FeeItem {
                    id: "copy".into(),
                    label: b("copy"),
                    amount_vnd: 8000,
                    when: None,
                    per: Some("copies".into()),
                },
                FeeItem {
                    id: "foreign".into(),
                    label: b("foreign"),
                    amount_vnd: 50000,
                    when: Some(Condition {
                        field: "nationality".into(),
                        equals: "other".into(),
                    }),
                    per: None,
                },
            ],
            exemptions: vec![Exemption {
                when: Condition {
                    field: "agree".into(),
                    equals: "false".into(),
                },
                label: b("exempt"),
            }],
        };
        form.check().unwrap();
        let clean = run(good()).unwrap();
        let q = form.fee(&clean);
        assert_eq!(q.total, Vnd(16000));
        assert_eq!(q.lines.len(), 1);
        let mut exempt = clean.clone();
        exempt.insert("agree".into(), json!(false));
        assert_eq!(form.fee(&exempt).total, Vnd(0));
        assert!(form.fee(&exempt).exempt.is_some());
    }

    #[test]
    fn prefill_from_identity() {
        let mut form = every_type();
        form.sections[1].fields[2].prefill = Some(Prefill::IdNumber);
        form.sections[1].fields[6].prefill = Some(Prefill::Me);
        form.check().unwrap();
        let a = form.prefill(&Profile {
            name: "Trần Thị Mai".into(),
            id_number: Some("001191012346".into()),
            birth_date: Some("1991-03-02".into()),
            ..Profile::default()
        });
        assert_eq!(a["id"], "001191012346");
        assert_eq!(a["mother"]["sex"], "female", "sex read from the ID number");
        assert_eq!(a["mother"]["birth_date"], "1991-03-02");
    }

    #[test]
    fn address_and_contact_details_prefill_and_only_identity_is_locked() {
        let mut form = every_type();
        let kind_of = |form: &FormDef, k: Kind| {
            form.sections
                .iter()
                .enumerate()
                .flat_map(|(si, s)| {
                    s.fields
                        .iter()
                        .enumerate()
                        .map(move |(fi, f)| (si, fi, f.kind))
                })
                .find(|(_, _, kind)| *kind == k)
                .map(|(si, fi, _)| (si, fi))
                .unwrap()
        };
        for (k, p) in [
            (Kind::Address, Prefill::Address),
            (Kind::Phone, Prefill::Phone),
            (Kind::Email, Prefill::Email),
            (Kind::Person, Prefill::Me),
        ] {
            let (si, fi) = kind_of(&form, k);
            form.sections[si].fields[fi].prefill = Some(p);
        }
        form.check().unwrap();
        let me = Profile {
            name: "Nguyễn Văn An".into(),
            id_number: Some("001089012345".into()),
            birth_date: Some("1989-03-14".into()),
            address: Some(("00070".into(), "Số 12 phố Hàng Bạc".into())),
            phone: Some("0912345678".into()),
            email: Some("an@example.vn".into()),
        };
        let given = form.prefill(&me);
        let field = |k: Kind| {
            let (si, fi) = kind_of(&form, k);
            form.sections[si].fields[fi].id.clone()
        };
        let (home, phone, email, person) = (
            field(Kind::Address),
            field(Kind::Phone),
            field(Kind::Email),
            field(Kind::Person),
        );
        assert_eq!(
            given[&home],
            serde_json::json!({ "unit": "00070", "street": "Số 12 phố Hàng Bạc" })
        );
        assert_eq!(given[&phone], "0912345678");
        assert_eq!(given[&email], "an@example.vn");
        assert!(form.check_identity(&given, &given).is_empty());
        // Contact details and the address are the resident's to change; the person is not.
        let mut answers = given.clone();
        answers.insert(phone, "0987654321".into());
        answers.insert(
            home,
            serde_json::json!({ "unit": "00004", "street": "Số 5 Đội Cấn" }),
        );
        answers[&person]["name"] = "Nguyễn Văn Ân".into();
        answers[&person]
            .as_object_mut()
            .unwrap()
            .remove("birth_date");
        let errors = form.check_identity(&answers, &given);
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [format!("{person}.birth_date"), format!("{person}.name")]
        );
        assert!(errors.iter().all(|e| e.code == FieldCode::FromIdentity));
        // Nothing given, nothing checked.
        assert!(form.check_identity(&answers, &Answers::new()).is_empty());
        assert!(Prefill::Me.locked() && !Prefill::Address.locked() && !Prefill::Phone.locked());
    }

    #[test]
    fn documents_follow_the_answers() {
        let mut form = every_type();
        form.documents = vec![
            DocumentSlot {
                id: "id_card".into(),
                label: b("ID card"),
                hint: None,
                accepts: vec![FileKind::Jpeg],
                max_kb: 100,
                max_files: 2,
                required: true,
                when: None,
                from_health: None,
            },
            DocumentSlot {
                id: "visa".into(),
                label: b("Visa"),
                hint: None,
                accepts: vec![FileKind::Pdf],
                max_kb: 100,
                max_files: 1,
                required: true,
                when: Some(Condition {
                    field: "nationality".into(),
                    equals: "other".into(),
                }),
                from_health: None,
            },
        ];
        form.check().unwrap();
        let a = good().as_object().unwrap().clone();
        let none = |_: &str| 0;
        assert_eq!(
            check_documents(&form, &a, &none),
            vec![FieldError::new("doc.id_card", FieldCode::Required)],
            "the visa is not asked of a Vietnamese national"
        );
        let three = |s: &str| if s == "id_card" { 3 } else { 0 };
        assert_eq!(
            check_documents(&form, &a, &three),
            vec![FieldError::new("doc.id_card", FieldCode::TooManyFiles)]
        );
        let mut foreign = a.clone();
        foreign.insert("nationality".into(), json!("other"));
        let one = |_: &str| 1;
        assert_eq!(check_documents(&form, &foreign, &one), vec![]);
        assert_eq!(
            check_documents(&form, &foreign, &|s: &str| usize::from(s == "id_card")),
            vec![FieldError::new("doc.visa", FieldCode::Required)]
        );
    }

    #[test]
    fn answers_by_path() {
        let mut a = Answers::new();
        set_value_at(&mut a, "mother.name", json!("Mai"));
        set_value_at(&mut a, "witnesses", json!([{}, {}]));
        set_value_at(&mut a, "witnesses.1.name", json!("Tám"));
        set_value_at(&mut a, "witnesses.5.name", json!("nobody"));
        set_value_at(&mut a, "copies", json!("2"));
        assert_eq!(
            Value::Object(a.clone()),
            json!({ "mother": { "name": "Mai" }, "witnesses": [{}, { "name": "Tám" }], "copies": "2" })
        );
        assert_eq!(value_at(&a, "witnesses.1.name"), Some(&json!("Tám")));
        assert_eq!(value_at(&a, "witnesses.2.name"), None);
        assert_eq!(value_at(&a, "copies.x"), None);
    }

    #[test]
    fn files_are_recognised_by_content_only() {
        assert_eq!(FileKind::sniff(b"%PDF-1.7\n"), Some(FileKind::Pdf));
        assert_eq!(
            FileKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]),
            Some(FileKind::Jpeg)
        );
        assert_eq!(
            FileKind::sniff(b"\x89PNG\r\n\x1a\n...."),
            Some(FileKind::Png)
        );
        assert_eq!(FileKind::sniff(b"MZ\x90\x00"), None, "Windows executable");
        assert_eq!(FileKind::sniff(b"<svg xmlns="), None);
        assert_eq!(FileKind::sniff(b"<html><img src=x>"), None);
        assert_eq!(FileKind::sniff(b""), None);
    }

    proptest::proptest! {
        /// Whatever arrives, validation answers (never panics), and clean output validates again
        /// to itself.
        #[test]
        fn validation_is_total_and_idempotent(name in "\\PC{0,300}", phone in "[+0-9 .]{0,16}", copies in "-?[0-9]{0,4}") {
            let mut a = good();
            a["name"] = json!(name);
            a["phone"] = json!(phone);
            a["copies"] = json!(copies);
            if let Ok(clean) = run(a) {
                let again = run(Value::Object(clean.clone())).unwrap();
                proptest::prop_assert_eq!(again, clean);
            }
        }
    }
}
