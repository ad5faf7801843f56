//! What the printed slips share: A4 pages, Be Vietnam Pro embedded (subset), text
//! selectable, wrapped paragraphs, the administrative heading, the vector QR code that opens
//! the public look-up of the dossier, and the signature block.
//!
//! A [`Writer`] lays a document out top to bottom into a list of drawing operations per page;
//! [`Writer::finish`] then draws them into a PDF. A writer made with [`Writer::flowing`]
//! continues on a new page when the next line would cross the bottom margin.

use crate::domain::calendar::to_local;
use crate::domain::text::nfc;
use chrono::{DateTime, Utc};
use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Fill;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider;
use skrifa::instance::{LocationRef, Size};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/BeVietnamPro_400Regular.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/BeVietnamPro_700Bold.ttf");

/// A4 width in points.
pub(crate) const PAGE_W: f32 = 595.0;
/// A4 height in points.
pub(crate) const PAGE_H: f32 = 842.0;
/// Margin on every side.
pub(crate) const MARGIN: f32 = 56.0;
/// Width between the margins.
pub(crate) const WIDTH: f32 = PAGE_W - 2.0 * MARGIN;
/// Centre of the heading's left column (issuing unit, dossier code, the receiver's signature
/// on the receipt).
pub(crate) const LEFT_C: f32 = MARGIN + 105.0;
/// Centre of the heading's right column (national motto, place and date, the signature).
pub(crate) const RIGHT_C: f32 = PAGE_W - MARGIN - 125.0;

/// How to look a dossier up, printed beside the QR code.
pub(crate) const LOOKUP_HINT: &str = "Tra cứu tình trạng hồ sơ: quét mã QR hoặc mở địa chỉ dưới đây, nhập mã hồ sơ và 4 số cuối số định danh cá nhân của người nộp.";

/// One of the two embedded faces, with what is needed to measure text.
#[derive(Clone)]
pub(crate) struct Face {
    font: Font,
    bytes: &'static [u8],
}

impl Face {
    fn new(bytes: &'static [u8]) -> Face {
        let font = Font::new(bytes.to_vec().into(), 0).expect("embedded font parses");
        Face { font, bytes }
    }

    /// Width of `text` at `size` points (advance widths; no kerning, which is enough to wrap).
    pub(crate) fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(f) = skrifa::FontRef::new(self.bytes) else {
            return text.chars().count() as f32 * size * 0.55;
        };
        let cmap = f.charmap();
        let metrics = f.glyph_metrics(Size::new(size), LocationRef::default());
        text.chars()
            .map(|c| {
                cmap.map(c)
                    .and_then(|g| metrics.advance_width(g))
                    .unwrap_or(size * 0.55)
            })
            .sum()
    }
}

/// One drawing operation, in page coordinates (points from the top left).
enum Op {
    Text {
        x: f32,
        y: f32,
        text: String,
        size: f32,
        bold: bool,
    },
    Rule {
        x0: f32,
        x1: f32,
        y: f32,
    },
    Qr {
        data: String,
        x: f32,
        y: f32,
        side: f32,
    },
}

/// A document being laid out top to bottom. `y` is the baseline of the next line.
pub(crate) struct Writer {
    pages: Vec<Vec<Op>>,
    pub(crate) y: f32,
    regular: Face,
    bold: Face,
    /// `Some(label)` when the writer continues on new pages; the label starts the footer
    /// ("<label> - Trang 2/3") printed on every page of a document with more than one.
    flow: Option<String>,
}

impl Writer {
    /// A one-page document.
    pub(crate) fn new() -> Writer {
        Writer {
            pages: vec![Vec::new()],
            y: MARGIN + 10.0,
            regular: Face::new(REGULAR),
            bold: Face::new(BOLD),
            flow: None,
        }
    }

    /// A document that continues on a new page rather than cross the bottom margin.
    pub(crate) fn flowing(footer: &str) -> Writer {
        Writer {
            flow: Some(footer.to_string()),
            ..Writer::new()
        }
    }

    fn face(&self, bold: bool) -> &Face {
        if bold { &self.bold } else { &self.regular }
    }

    fn push(&mut self, op: Op) {
        if let Some(page) = self.pages.last_mut() {
            page.push(op);
        }
    }

    /// On a flowing writer, starts a new page unless `height` more points fit below `y`;
    /// returns whether it did.
    pub(crate) fn room(&mut self, height: f32) -> bool {
        if self.flow.is_none() || self.y + height <= PAGE_H - MARGIN {
            return false;
        }
        self.pages.push(Vec::new());
        self.y = MARGIN + 10.0;
        true
    }

    pub(crate) fn text_at(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool) {
        self.push(Op::Text {
            x,
            y,
            text: text.to_string(),
            size,
            bold,
        });
    }

    pub(crate) fn centered(&mut self, cx: f32, text: &str, size: f32, bold: bool) {
        let w = self.face(bold).width(text, size);
        let y = self.y;
        self.text_at(cx - w / 2.0, y, text, size, bold);
    }

    /// Breaks `text` into lines no wider than `width` (a single word wider than that keeps
    /// a line of its own).
    pub(crate) fn wrap(&self, text: &str, width: f32, size: f32, bold: bool) -> Vec<String> {
        let face = self.face(bold);
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() {
                word.to_string()
            } else {
                format!("{line} {word}")
            };
            if face.width(&candidate, size) > width && !line.is_empty() {
                lines.push(std::mem::replace(&mut line, word.to_string()));
            } else {
                line = candidate;
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }

    /// Wraps `text` to `width` and writes it from `x`; returns the number of lines.
    pub(crate) fn paragraph(
        &mut self,
        x: f32,
        width: f32,
        text: &str,
        size: f32,
        bold: bool,
    ) -> usize {
        let lines = self.wrap(text, width, size, bold);
        for l in &lines {
            self.room(size);
            let y = self.y;
            self.text_at(x, y, l, size, bold);
            self.y += size * 1.45;
        }
        lines.len()
    }

    /// "Label: value", the label in bold, the value wrapped after it.
    pub(crate) fn field(&mut self, label: &str, value: &str, width: f32) {
        let size = 11.0;
        let label = format!("{label}: ");
        let lw = self.bold.width(&label, size);
        self.room(size);
        let y = self.y;
        self.text_at(MARGIN, y, &label, size, true);
        if lw + self.regular.width(value, size) <= width {
            self.text_at(MARGIN + lw, y, value, size, false);
            self.y += size * 1.45;
        } else {
            self.y += size * 1.45;
            self.paragraph(MARGIN + 14.0, width - 14.0, value, size, false);
        }
        self.y += 3.0;
    }

    pub(crate) fn rule(&mut self, x0: f32, x1: f32, y: f32) {
        self.push(Op::Rule { x0, x1, y });
    }

    /// The heading of an administrative slip: issuing unit and dossier code on the left,
    /// national motto and place and date on the right, then the title.
    pub(crate) fn heading(
        &mut self,
        unit_name: &str,
        code: &str,
        dated: DateTime<Utc>,
        title: &str,
    ) {
        let top = self.y;
        self.centered(LEFT_C, "ỦY BAN NHÂN DÂN", 10.5, false);
        self.y += 14.0;
        self.centered(LEFT_C, &unit_name.to_uppercase(), 10.5, true);
        self.y = top;
        self.centered(RIGHT_C, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10.5, true);
        self.y += 14.0;
        self.centered(RIGHT_C, "Độc lập - Tự do - Hạnh phúc", 10.5, true);
        let y = self.y + 4.0;
        self.rule(RIGHT_C - 70.0, RIGHT_C + 70.0, y);
        self.y += 24.0;
        self.centered(LEFT_C, &format!("Mã hồ sơ: {code}"), 10.5, false);
        let local = to_local(dated);
        self.centered(
            RIGHT_C,
            &format!(
                "Hà Nội, ngày {} tháng {} năm {}",
                local.format("%d"),
                local.format("%m"),
                local.format("%Y")
            ),
            10.5,
            false,
        );
        self.y += 40.0;
        self.centered(PAGE_W / 2.0, title, 15.0, true);
        self.y += 30.0;
    }

    /// The look-up block: QR code of `url` on the right; the hint and the printed `url` on
    /// the left.
    pub(crate) fn lookup(&mut self, url: &str) {
        let qr_side = 110.0;
        self.room(8.0 + qr_side);
        self.y += 8.0;
        let qr_top = self.y;
        self.push(Op::Qr {
            data: url.to_string(),
            x: PAGE_W - MARGIN - qr_side,
            y: qr_top,
            side: qr_side,
        });
        let text_w = WIDTH - qr_side - 12.0;
        self.y += 14.0;
        self.paragraph(MARGIN, text_w, LOOKUP_HINT, 10.5, false);
        self.paragraph(MARGIN, text_w, url, 10.0, false);
        self.y = self.y.max(qr_top + qr_side) + 10.0;
    }

    /// A signature heading centred on `cx`, with a note in small type below it.
    pub(crate) fn signature(&mut self, cx: f32, title: &str, note: &str) {
        self.centered(cx, title, 10.5, true);
        self.y += 14.0;
        self.centered(cx, note, 9.5, false);
    }

    /// Draws the laid-out pages into a PDF titled `title`.
    pub(crate) fn finish(mut self, title: String) -> Result<Vec<u8>, String> {
        let count = self.pages.len();
        if let (Some(label), true) = (self.flow.clone(), count > 1) {
            for (i, page) in self.pages.iter_mut().enumerate() {
                let text = format!("{label} - Trang {}/{count}", i + 1);
                let w = self.regular.width(&text, 9.0);
                page.push(Op::Text {
                    x: (PAGE_W - w) / 2.0,
                    y: PAGE_H - MARGIN / 2.0,
                    text,
                    size: 9.0,
                    bold: false,
                });
            }
        }
        let mut doc = Document::new();
        doc.set_metadata(
            Metadata::new()
                .title(title)
                .language("vi".into())
                .creator("Dịch vụ công Hà Nội".into()),
        );
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("page size")?;
        for ops in &self.pages {
            let mut page = doc.start_page_with(settings.clone());
            let mut surface = page.surface();
            for op in ops {
                match op {
                    Op::Text {
                        x,
                        y,
                        text,
                        size,
                        bold,
                    } => surface.draw_text(
                        Point::from_xy(*x, *y),
                        self.face(*bold).font.clone(),
                        *size,
                        &nfc(text),
                        false,
                        TextDirection::Auto,
                    ),
                    Op::Rule { x0, x1, y } => draw_rule(&mut surface, *x0, *x1, *y),
                    Op::Qr { data, x, y, side } => draw_qr(&mut surface, data, *x, *y, *side),
                }
            }
            surface.finish();
            page.finish();
        }
        doc.finish().map_err(|e| format!("{e:?}"))
    }
}

/// A thin horizontal line from `x0` to `x1` at `y`.
fn draw_rule(s: &mut Surface, x0: f32, x1: f32, y: f32) {
    let mut pb = PathBuilder::new();
    if let Some(r) = Rect::from_xywh(x0, y, x1 - x0, 0.7) {
        pb.push_rect(r);
    }
    if let Some(p) = pb.finish() {
        s.set_fill(Some(Fill::default()));
        s.draw_path(&p);
    }
}

/// Draws `data` as a QR code of side `side` points at (`x`, `y`), one rectangle per dark module,
/// with the 4-module quiet zone included in `side`.
fn draw_qr(s: &mut Surface, data: &str, x: f32, y: f32, side: f32) {
    let Ok(code) = qrcode::QrCode::with_error_correction_level(data, qrcode::EcLevel::M) else {
        return;
    };
    let n = code.width();
    let module = side / (n as f32 + 8.0);
    let colors = code.to_colors();
    let mut pb = PathBuilder::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (cx, cy) = ((i % n) as f32, (i / n) as f32);
            if let Some(r) = Rect::from_xywh(
                x + (cx + 4.0) * module,
                y + (cy + 4.0) * module,
                // A hair wider, so that neighbouring modules never show a seam when rendered.
                module + 0.05,
                module + 0.05,
            ) {
                pb.push_rect(r);
            }
        }
    }
    if let Some(p) = pb.finish() {
        s.set_fill(Some(Fill {
            paint: rgb::Color::black().into(),
            ..Fill::default()
        }));
        s.draw_path(&p);
    }
}

#[cfg(test)]
pub(crate) mod testing {
    //! Fixtures and PDF inspection shared by the slip tests.

    use crate::domain::catalog::Procedure;
    use crate::domain::filing::{Channel, DossierView};
    use crate::domain::status::DossierStatus;
    use chrono::{DateTime, TimeZone, Utc};
    use std::process::Command;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// The birth registration procedure from the catalogue data.
    pub fn procedure() -> Procedure {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/procedures/dang-ky-khai-sinh.json"
        );
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    /// A fixed instant, given in Hà Nội local time.
    pub fn hanoi(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap() - chrono::Duration::hours(7)
    }

    /// A birth registration received at the Hoàn Kiếm counter.
    pub fn dossier(p: &Procedure) -> DossierView {
        let answers = serde_json::json!({ "phone": "0912 345 678", "result_delivery": "counter" });
        DossierView {
            code: "H26.101-260312-0007".into(),
            procedure_slug: p.slug.clone(),
            procedure_vi: p.name_vi.clone(),
            procedure_en: p.name_en.clone(),
            unit_code: "00070".into(),
            unit_name: "Phường Hoàn Kiếm".into(),
            unit_name_en: "Hoàn Kiếm Ward".into(),
            status: DossierStatus::Accepted,
            channel: Channel::Counter,
            applicant_name: "Nguyễn Văn An".into(),
            received_at: hanoi(2026, 3, 12, 8, 5),
            due_at: hanoi(2026, 3, 16, 8, 5),
            answers: answers.as_object().unwrap().clone(),
            fee_vnd: 0,
            events: Vec::new(),
            payment: None,
            duplicates: Vec::new(),
        }
    }

    /// Runs a poppler tool on `bytes` written to a file of its own; `PDF` in `args` stands
    /// for that file. Returns what the tool printed.
    fn poppler(tool: &str, bytes: &[u8], args: &[&str]) -> String {
        static SEQ: AtomicU32 = AtomicU32::new(0);
        assert!(bytes.starts_with(b"%PDF-"), "not a PDF");
        let dir = std::env::temp_dir().join(format!("dvc-slips-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pdf = dir.join(format!("{}.pdf", SEQ.fetch_add(1, Ordering::Relaxed)));
        std::fs::write(&pdf, bytes).unwrap();
        let pdf = pdf.to_str().unwrap();
        let out = Command::new(tool)
            .args(args.iter().map(|a| if *a == "PDF" { pdf } else { a }))
            .output()
            .unwrap_or_else(|e| panic!("{tool} (poppler-utils, installed by scripts/setup): {e}"));
        let _ = std::fs::remove_file(pdf);
        assert!(out.status.success(), "{tool}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }

    /// The PDF's text layer, white space (line and page breaks included) folded to one space,
    /// so that wrapped sentences can be looked for whole.
    pub fn pdf_text(bytes: &[u8]) -> String {
        poppler("pdftotext", bytes, &["PDF", "-"])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// The PDF's page count.
    pub fn pdf_pages(bytes: &[u8]) -> u32 {
        poppler("pdfinfo", bytes, &["PDF"])
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .expect("pdfinfo prints the page count")
    }
}
