//! The receipt and appointment slip ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả") as a PDF:
//! A4, Be Vietnam Pro embedded (subset), text selectable, and a vector QR code that opens the
//! public look-up of the dossier.

use crate::domain::calendar::format_vi;
use crate::domain::catalog::Procedure;
use crate::domain::cccd::Cccd;
use crate::domain::filing::{Channel, DossierView};
use crate::domain::money::Vnd;
use crate::domain::text::nfc;
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

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;

/// One of the two embedded faces, with what is needed to measure text.
#[derive(Clone)]
struct Face {
    font: Font,
    bytes: &'static [u8],
}

impl Face {
    fn new(bytes: &'static [u8]) -> Face {
        let font = Font::new(bytes.to_vec().into(), 0).expect("embedded font parses");
        Face { font, bytes }
    }

    /// Width of `text` at `size` points (advance widths; no kerning, which is enough to wrap).
    fn width(&self, text: &str, size: f32) -> f32 {
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

/// A page being written top to bottom.
struct Writer<'a, 'b> {
    s: &'a mut Surface<'b>,
    y: f32,
    regular: Face,
    bold: Face,
}

impl Writer<'_, '_> {
    fn text_at(&mut self, x: f32, y: f32, text: &str, size: f32, bold: bool) {
        let face = if bold { &self.bold } else { &self.regular };
        self.s.draw_text(
            Point::from_xy(x, y),
            face.font.clone(),
            size,
            &nfc(text),
            false,
            TextDirection::Auto,
        );
    }

    fn centered(&mut self, cx: f32, text: &str, size: f32, bold: bool) {
        let face = if bold { &self.bold } else { &self.regular };
        let w = face.width(text, size);
        let y = self.y;
        self.text_at(cx - w / 2.0, y, text, size, bold);
    }

    /// Wraps `text` to `width` and writes it from `x`; returns the number of lines.
    fn paragraph(&mut self, x: f32, width: f32, text: &str, size: f32, bold: bool) -> usize {
        let face = if bold {
            self.bold.clone()
        } else {
            self.regular.clone()
        };
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
        for l in &lines {
            let y = self.y;
            self.text_at(x, y, l, size, bold);
            self.y += size * 1.45;
        }
        lines.len()
    }

    /// "Label: value", the label in bold, the value wrapped after it.
    fn field(&mut self, label: &str, value: &str, width: f32) {
        let size = 11.0;
        let label = format!("{label}: ");
        let lw = self.bold.width(&label, size);
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

    fn rule(&mut self, x0: f32, x1: f32, y: f32) {
        let mut pb = PathBuilder::new();
        if let Some(r) = Rect::from_xywh(x0, y, x1 - x0, 0.7) {
            pb.push_rect(r);
        }
        if let Some(p) = pb.finish() {
            self.s.set_fill(Some(Fill::default()));
            self.s.draw_path(&p);
        }
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

/// What the slip needs besides the dossier.
pub struct SlipInput<'a> {
    /// The dossier.
    pub dossier: &'a DossierView,
    /// Its procedure (form, processing time, result).
    pub procedure: &'a Procedure,
    /// Submitter's full ID number (printed masked).
    pub id_number: Option<&'a str>,
    /// Documents received: name and number of files.
    pub documents: &'a [(String, u32)],
    /// Public look-up URL printed and encoded in the QR code.
    pub lookup_url: String,
}

/// Renders the receipt and appointment slip.
pub fn receipt_pdf(input: &SlipInput) -> Result<Vec<u8>, String> {
    let d = input.dossier;
    let p = input.procedure;
    let mut doc = Document::new();
    doc.set_metadata(
        Metadata::new()
            .title(format!(
                "Giấy tiếp nhận hồ sơ và hẹn trả kết quả {}",
                d.code
            ))
            .language("vi".into())
            .creator("Dịch vụ công Hà Nội".into()),
    );
    let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or("page size")?;
    let mut page = doc.start_page_with(settings);
    let mut surface = page.surface();
    let mut w = Writer {
        s: &mut surface,
        y: MARGIN + 10.0,
        regular: Face::new(REGULAR),
        bold: Face::new(BOLD),
    };
    let width = PAGE_W - 2.0 * MARGIN;

    // Heading: issuing unit on the left, national motto on the right.
    let left_c = MARGIN + 105.0;
    let right_c = PAGE_W - MARGIN - 125.0;
    let top = w.y;
    w.centered(left_c, "ỦY BAN NHÂN DÂN", 10.5, false);
    w.y += 14.0;
    w.centered(left_c, &d.unit_name.to_uppercase(), 10.5, true);
    w.y = top;
    w.centered(right_c, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10.5, true);
    w.y += 14.0;
    w.centered(right_c, "Độc lập - Tự do - Hạnh phúc", 10.5, true);
    let y = w.y + 4.0;
    w.rule(right_c - 70.0, right_c + 70.0, y);
    w.y += 24.0;
    w.centered(left_c, &format!("Mã hồ sơ: {}", d.code), 10.5, false);
    let local = crate::domain::calendar::to_local(d.received_at);
    w.centered(
        right_c,
        &format!(
            "Hà Nội, ngày {} tháng {} năm {}",
            local.format("%d"),
            local.format("%m"),
            local.format("%Y")
        ),
        10.5,
        false,
    );
    w.y += 40.0;
    w.centered(
        PAGE_W / 2.0,
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
        15.0,
        true,
    );
    w.y += 30.0;

    // Body.
    let channel = match d.channel {
        Channel::Online => "Trực tuyến qua Cổng Dịch vụ công Hà Nội",
        Channel::Counter => "Trực tiếp tại Bộ phận Một cửa",
        Channel::Post => "Qua dịch vụ bưu chính công ích",
    };
    w.paragraph(
        MARGIN,
        width,
        &format!("Bộ phận Một cửa {} tiếp nhận hồ sơ của:", d.unit_name),
        11.0,
        false,
    );
    w.y += 3.0;
    w.field("Ông/Bà", &d.applicant_name, width);
    if let Some(id) = input.id_number.and_then(|n| Cccd::parse(n).ok()) {
        w.field("Số định danh cá nhân", &id.masked(), width);
    }
    if let Some(phone) = d.answers.get("phone").and_then(|v| v.as_str()) {
        w.field("Số điện thoại", phone, width);
    }
    w.field("Nội dung yêu cầu giải quyết", &p.name_vi, width);
    w.field("Mã thủ tục", &p.code, width);
    w.field("Hình thức nộp", channel, width);

    let y = w.y;
    w.text_at(MARGIN, y, "Thành phần hồ sơ gồm:", 11.0, true);
    w.y += 16.0;
    let mut n = 1;
    let form_line = format!("{n}. Tờ khai điện tử (biểu mẫu tương tác): 01 bản");
    w.paragraph(MARGIN + 14.0, width - 14.0, &form_line, 11.0, false);
    for (name, files) in input.documents {
        n += 1;
        let line = format!("{n}. {name}: {files:02} tệp");
        w.paragraph(MARGIN + 14.0, width - 14.0, &line, 11.0, false);
    }
    w.y += 3.0;
    w.field("Số lượng hồ sơ", "01 bộ", width);
    w.field(
        "Thời gian giải quyết theo quy định",
        &format!("{} ngày làm việc", p.processing_working_days),
        width,
    );
    w.field("Thời gian nhận hồ sơ", &format_vi(d.received_at), width);
    w.field("Thời gian trả kết quả", &format_vi(d.due_at), width);
    let delivery = match d.answers.get("result_delivery").and_then(|v| v.as_str()) {
        Some("post") => "Qua dịch vụ bưu chính công ích, đến địa chỉ đã khai".to_string(),
        Some("electronic") => {
            "Bản điện tử trên tài khoản Dịch vụ công Hà Nội của người nộp".to_string()
        }
        _ => format!("Trung tâm Phục vụ hành chính công {}", d.unit_name),
    };
    w.field("Nơi trả kết quả", &delivery, width);
    let fee = if d.fee_vnd == 0 {
        "Không phải nộp".to_string()
    } else {
        Vnd(d.fee_vnd).format_vi()
    };
    w.field("Phí, lệ phí", &fee, width);
    if d.fee_vnd > 0 {
        let paid = match &d.payment {
            Some(p) if p.status == "paid" => format!(
                "Đã thanh toán trực tuyến{}{}",
                p.settled_at
                    .map(|t| format!(" lúc {}", format_vi(t)))
                    .unwrap_or_default(),
                p.provider_txn_no
                    .as_deref()
                    .map(|n| format!(", mã giao dịch {n}"))
                    .unwrap_or_default()
            ),
            _ => "Chưa thanh toán".to_string(),
        };
        w.field("Tình trạng thanh toán", &paid, width);
    }

    // Look-up: QR code on the right, explanation on the left.
    w.y += 8.0;
    let qr_side = 110.0;
    let qr_top = w.y;
    draw_qr(
        w.s,
        &input.lookup_url,
        PAGE_W - MARGIN - qr_side,
        qr_top,
        qr_side,
    );
    let text_w = width - qr_side - 12.0;
    w.y += 14.0;
    w.paragraph(
        MARGIN,
        text_w,
        "Tra cứu tình trạng hồ sơ: quét mã QR hoặc mở địa chỉ dưới đây, nhập mã hồ sơ và 4 số cuối số định danh cá nhân của người nộp.",
        10.5,
        false,
    );
    w.paragraph(MARGIN, text_w, &input.lookup_url, 10.0, false);
    w.y = w.y.max(qr_top + qr_side) + 10.0;
    w.paragraph(
        MARGIN,
        width,
        "Khi đến nhận kết quả, ông/bà vui lòng mang theo Giấy tiếp nhận này và giấy tờ tùy thân. Nếu hồ sơ cần bổ sung, cơ quan tiếp nhận sẽ thông báo trên tài khoản và qua số điện thoại đã khai.",
        10.5,
        false,
    );

    // Signatures.
    w.y += 24.0;
    let sig_top = w.y;
    w.centered(left_c, "NGƯỜI NỘP HỒ SƠ", 10.5, true);
    w.y += 14.0;
    w.centered(left_c, "(đã xác thực bằng định danh điện tử)", 9.5, false);
    w.y = sig_top;
    w.centered(right_c, "NGƯỜI TIẾP NHẬN HỒ SƠ", 10.5, true);
    w.y += 14.0;
    let receiver = match d.channel {
        Channel::Online => "Hệ thống Dịch vụ công Hà Nội (tiếp nhận tự động)",
        _ => "(ký, ghi rõ họ tên)",
    };
    w.centered(right_c, receiver, 9.5, false);

    surface.finish();
    page.finish();
    doc.finish().map_err(|e| format!("{e:?}"))
}
