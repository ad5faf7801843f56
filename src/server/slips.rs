//! The one-stop counter's companion slips as PDFs, drawn like the receipt
//! ([`crate::server::receipt`]): the refusal of intake ("Phiếu từ chối tiếp nhận giải quyết
//! hồ sơ"), the supplement request ("Phiếu yêu cầu bổ sung, hoàn thiện hồ sơ") and the apology
//! for a late result with a new appointment ("Phiếu xin lỗi và hẹn lại ngày trả kết quả").
//! Long reasons wrap, and a long list of items continues on the next page.

use crate::domain::calendar::format_vi;
use crate::domain::catalog::Procedure;
use crate::domain::filing::DossierView;
use crate::server::pdf::{MARGIN, RIGHT_C, WIDTH, Writer};
use chrono::{DateTime, Utc};

pub use crate::domain::workflow::SlipKind;

/// The companion slips, in the order of the national forms (the receipt is drawn by
/// [`crate::server::receipt`]).
pub const COMPANIONS: [SlipKind; 3] = [SlipKind::Supplement, SlipKind::Refusal, SlipKind::Apology];

/// What a companion slip needs.
pub struct Slip<'a> {
    /// Which slip.
    pub kind: SlipKind,
    /// The dossier.
    pub dossier: &'a DossierView,
    /// Its procedure.
    pub procedure: &'a Procedure,
    /// Reason (refusal, apology) or general note (supplement). May be empty for supplement.
    pub reason: &'a str,
    /// Supplement only: (document or item name, what exactly is needed), in order.
    pub items: &'a [(String, String)],
    /// Apology only: the new appointment.
    pub new_due: Option<DateTime<Utc>>,
    /// When the slip was issued.
    pub issued_at: DateTime<Utc>,
    /// Public look-up URL printed and encoded as a QR code (as on the receipt).
    pub lookup_url: String,
}

const SIZE: f32 = 11.0;
const LINE: f32 = SIZE * 1.45;

/// Renders a companion slip. Refuses a refusal or apology without a reason, a supplement
/// request without items and an apology without a new appointment.
pub fn slip_pdf(s: &Slip) -> Result<Vec<u8>, String> {
    let d = s.dossier;
    let reason = s.reason.trim();
    match s.kind {
        SlipKind::Receipt => return Err("the receipt is drawn by receipt.rs".into()),
        SlipKind::Supplement if s.items.is_empty() => {
            return Err("a supplement request lists at least one item".into());
        }
        SlipKind::Apology if s.new_due.is_none() => {
            return Err("an apology needs the new appointment".into());
        }
        SlipKind::Refusal | SlipKind::Apology if reason.is_empty() => {
            return Err(format!("{} needs a reason", s.kind.slug()));
        }
        _ => {}
    }
    let mut w = Writer::flowing(&format!("Mã hồ sơ: {}", d.code));
    w.heading(
        &d.unit_name,
        &d.code,
        s.issued_at,
        &s.kind.title_vi().to_uppercase(),
    );

    // Addressee and dossier.
    w.field("Kính gửi", &format!("Ông/Bà {}", d.applicant_name), WIDTH);
    w.y += 4.0;
    w.field("Nội dung yêu cầu giải quyết", &s.procedure.name_vi, WIDTH);
    w.field("Mã thủ tục", &s.procedure.code, WIDTH);
    w.field("Thời gian nhận hồ sơ", &format_vi(d.received_at), WIDTH);
    w.y += 4.0;

    let unit = &d.unit_name;
    match s.kind {
        // Refused above.
        SlipKind::Receipt => {}
        SlipKind::Refusal => {
            text(
                &mut w,
                &format!(
                    "Sau khi xem xét, đối chiếu hồ sơ với quy định, Bộ phận Một cửa {unit} từ chối tiếp nhận, giải quyết hồ sơ này."
                ),
            );
            labelled(&mut w, "Lý do từ chối:", reason);
            text(
                &mut w,
                &format!(
                    "Ông/Bà có thể liên hệ Bộ phận Một cửa {unit} để được giải thích, hướng dẫn thêm."
                ),
            );
        }
        SlipKind::Supplement => {
            text(
                &mut w,
                "Sau khi xem xét, hồ sơ của Ông/Bà chưa đầy đủ, hợp lệ. Đề nghị Ông/Bà bổ sung, hoàn thiện các nội dung sau:",
            );
            items_table(&mut w, s.items);
            if !reason.is_empty() {
                labelled(&mut w, "Ghi chú:", reason);
            }
            text(
                &mut w,
                "Thời gian bổ sung hồ sơ không tính vào thời hạn giải quyết. Thời hạn giải quyết được tính tiếp từ khi Bộ phận Một cửa nhận đủ hồ sơ bổ sung, hoàn thiện.",
            );
            text(
                &mut w,
                &format!(
                    "Cách bổ sung: trực tuyến tại địa chỉ tra cứu dưới đây hoặc tại mục \"Hồ sơ của tôi\" trên Cổng Dịch vụ công Hà Nội (đăng nhập bằng tài khoản định danh điện tử), hoặc trực tiếp tại Bộ phận Một cửa {unit}."
                ),
            );
        }
        SlipKind::Apology => {
            let new_due = s.new_due.map(format_vi).unwrap_or_default();
            w.field("Thời gian hẹn trả kết quả", &format_vi(d.due_at), WIDTH);
            w.y += 4.0;
            text(
                &mut w,
                "Đến thời gian hẹn trả kết quả, hồ sơ của Ông/Bà chưa được giải quyết xong.",
            );
            labelled(&mut w, "Lý do chậm trễ:", reason);
            w.field("Thời gian hẹn trả kết quả mới", &new_due, WIDTH);
            w.y += 4.0;
            text(
                &mut w,
                &format!(
                    "Ủy ban nhân dân {unit} xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả vào {new_due}."
                ),
            );
        }
    }

    w.lookup(&s.lookup_url);

    // Signature: the role only, never an officer's name.
    w.room(24.0 + 14.0 + 30.0);
    w.y += 24.0;
    w.signature(
        RIGHT_C,
        "NGƯỜI TIẾP NHẬN / CÁN BỘ XỬ LÝ",
        "(ký, ghi rõ họ tên)",
    );

    w.finish(format!("{} {}", s.kind.title_vi(), d.code))
}

/// A paragraph of body text across the page.
fn text(w: &mut Writer, body: &str) {
    w.paragraph(MARGIN, WIDTH, body, SIZE, false);
    w.y += 4.0;
}

/// A bold label on its own line, then `body` indented below it.
fn labelled(w: &mut Writer, label: &str, body: &str) {
    w.room(LINE + SIZE);
    let y = w.y;
    w.text_at(MARGIN, y, label, SIZE, true);
    w.y += LINE;
    w.paragraph(MARGIN + 14.0, WIDTH - 14.0, body, SIZE, false);
    w.y += 4.0;
}

/// The numbered items to supplement as a table (number, item, what is needed), the header
/// repeated on every page the table runs onto.
fn items_table(w: &mut Writer, items: &[(String, String)]) {
    let size = 10.5;
    let line = size * 1.4;
    let pad = 5.0;
    let cols = [MARGIN, MARGIN + 34.0, MARGIN + 34.0 + 180.0, MARGIN + WIDTH];
    let cell_w = |c: usize| cols[c + 1] - cols[c] - 2.0 * pad;
    // Rows are laid from their top edge; `w.y` is that edge while the table is drawn.
    let mut top = w.y - SIZE;
    let row = |w: &mut Writer, top: f32, cells: [&[String]; 3], bold: bool| -> f32 {
        let lines = cells.iter().map(|c| c.len()).max().unwrap_or(1).max(1);
        for (c, cell) in cells.iter().enumerate() {
            for (i, l) in cell.iter().enumerate() {
                let y = top + pad + size + i as f32 * line;
                w.text_at(cols[c] + pad, y, l, size, bold);
            }
        }
        let bottom = top + 2.0 * pad + size + (lines - 1) as f32 * line + 3.0;
        w.rule(cols[0], cols[3], bottom);
        bottom
    };
    let header = |w: &mut Writer, top: f32| -> f32 {
        w.rule(cols[0], cols[3], top);
        let cells = [
            vec!["STT".to_string()],
            w.wrap("Giấy tờ, nội dung", cell_w(1), size, true),
            w.wrap("Yêu cầu bổ sung, hoàn thiện", cell_w(2), size, true),
        ];
        row(w, top, [&cells[0], &cells[1], &cells[2]], true)
    };
    top = header(w, top);
    for (n, (name, needed)) in items.iter().enumerate() {
        let cells = [
            vec![format!("{}", n + 1)],
            w.wrap(name, cell_w(1), size, false),
            w.wrap(needed, cell_w(2), size, false),
        ];
        let lines = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = 2.0 * pad + size + (lines - 1) as f32 * line + 3.0;
        w.y = top;
        if w.room(height) {
            top = header(w, w.y - SIZE);
        }
        top = row(w, top, [&cells[0], &cells[1], &cells[2]], false);
    }
    w.y = top + SIZE + 8.0;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::pdf::testing::{dossier, hanoi, pdf_pages, pdf_text, procedure};

    fn render(kind: SlipKind, reason: &str, items: &[(String, String)]) -> Result<Vec<u8>, String> {
        let p = procedure();
        let d = dossier(&p);
        slip_pdf(&Slip {
            kind,
            dossier: &d,
            procedure: &p,
            reason,
            items,
            new_due: (kind == SlipKind::Apology).then(|| hanoi(2026, 3, 20, 16, 30)),
            issued_at: hanoi(2026, 3, 17, 9, 0),
            lookup_url: format!("https://dichvucong.hanoi.gov.vn/tra-cuu?ma={}", d.code),
        })
    }

    /// Renders a slip that must succeed and checks that its text has `title`, what every slip
    /// prints, and each of `also`; returns the PDF and its text.
    fn rendered(
        kind: SlipKind,
        title: &str,
        reason: &str,
        items: &[(String, String)],
        also: &[&str],
    ) -> (Vec<u8>, String) {
        let bytes = render(kind, reason, items).unwrap();
        let text = pdf_text(&bytes);
        let common = [
            title,
            "ỦY BAN NHÂN DÂN PHƯỜNG HOÀN KIẾM",
            "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
            "Độc lập - Tự do - Hạnh phúc",
            "Hà Nội, ngày 17 tháng 03 năm 2026",
            "Mã hồ sơ: H26.101-260312-0007",
            "Kính gửi: Ông/Bà Nguyễn Văn An",
            "Đăng ký khai sinh",
            "08 giờ 05 phút, ngày 12/03/2026",
            "NGƯỜI TIẾP NHẬN / CÁN BỘ XỬ LÝ",
            "https://dichvucong.hanoi.gov.vn/tra-cuu?ma=H26.101-260312-0007",
        ];
        for needed in common.iter().chain(also) {
            assert!(text.contains(needed), "{needed:?} missing from {text}");
        }
        (bytes, text)
    }

    #[test]
    fn kinds_have_titles_and_slugs() {
        for k in COMPANIONS {
            assert_eq!(SlipKind::from_file(k.file_name()), Some(k));
            assert_eq!(crate::domain::text::nfc(k.title_vi()), k.title_vi());
        }
        assert_eq!(SlipKind::Refusal.slug(), "tu-choi");
        assert_eq!(SlipKind::Supplement.slug(), "bo-sung");
        assert_eq!(SlipKind::Apology.slug(), "xin-loi");
        assert_eq!(SlipKind::from_file("phieu-bo-sung.pdf "), None);
    }

    #[test]
    fn refusal_gives_the_reason_wrapped() {
        // Long enough to wrap over three lines; pdftotext's line breaks are folded to spaces.
        let reason = "Hồ sơ đề nghị đăng ký khai sinh cho trẻ đã được đăng ký khai sinh tại Ủy ban nhân dân xã Bát Tràng ngày 02/03/2026; theo quy định, không đăng ký khai sinh lần thứ hai cho cùng một trẻ. Ông/Bà có thể đề nghị cấp bản sao trích lục khai sinh tại nơi đã đăng ký.";
        let also = ["Lý do từ chối:", reason, "liên hệ Bộ phận Một cửa"];
        let title = "PHIẾU TỪ CHỐI TIẾP NHẬN GIẢI QUYẾT HỒ SƠ";
        let (bytes, _) = rendered(SlipKind::Refusal, title, reason, &[], &also);
        assert_eq!(pdf_pages(&bytes), 1);
    }

    #[test]
    fn supplement_lists_every_item_and_pauses_the_clock() {
        let items = [
            (
                "Giấy chứng sinh",
                "Bản chính, có dấu giáp lai của cơ sở y tế",
            ),
            (
                "Tờ khai đăng ký khai sinh",
                "Ghi đủ quê quán của người mẹ theo Căn cước",
            ),
            (
                "Văn bản ủy quyền",
                "Có chứng thực, vì người nộp không phải cha hoặc mẹ của trẻ",
            ),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()));
        let note = "Ông/Bà bổ sung trong 30 ngày kể từ ngày nhận phiếu này.";
        let mut also = vec![
            note,
            "Thời gian bổ sung hồ sơ không tính vào thời hạn giải quyết",
            "Hồ sơ của tôi",
        ];
        also.extend(items.iter().flat_map(|(a, b)| [a.as_str(), b.as_str()]));
        let title = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ";
        rendered(SlipKind::Supplement, title, note, &items, &also);
        // Without a note the slip is still complete.
        rendered(SlipKind::Supplement, title, "", &items, &[]);
    }

    #[test]
    fn long_supplement_continues_on_further_pages() {
        let items: Vec<(String, String)> = (1..=40)
            .map(|n| {
                (
                    format!("Giấy tờ số {n}"),
                    format!("Yêu cầu {n}: nộp bản sao có chứng thực, ghi rõ họ, chữ đệm và tên"),
                )
            })
            .collect();
        // Every row, the last included, lies on a page (text beyond a page would be cut).
        let mut also: Vec<&str> = items.iter().map(|(_, b)| b.as_str()).collect();
        also.push("Trang 2/");
        let title = "PHIẾU YÊU CẦU BỔ SUNG, HOÀN THIỆN HỒ SƠ";
        let (bytes, _) = rendered(SlipKind::Supplement, title, "", &items, &also);
        assert!(pdf_pages(&bytes) >= 2);
    }

    #[test]
    fn apology_gives_both_appointments_and_the_reason() {
        let reason = "Cần xác minh thông tin nơi sinh với cơ sở y tế.";
        let also = [
            "08 giờ 05 phút, ngày 16/03/2026",
            reason,
            "xin lỗi Ông/Bà vì sự chậm trễ này và hẹn trả kết quả vào 16 giờ 30 phút, ngày 20/03/2026",
        ];
        let title = "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ";
        rendered(SlipKind::Apology, title, reason, &[], &also);
    }

    #[test]
    fn incomplete_slips_are_refused() {
        assert!(render(SlipKind::Supplement, "Thiếu giấy tờ", &[]).is_err());
        assert!(render(SlipKind::Refusal, "  ", &[]).is_err());
        let p = procedure();
        let d = dossier(&p);
        let no_date = Slip {
            kind: SlipKind::Apology,
            dossier: &d,
            procedure: &p,
            reason: "Chờ kết quả xác minh",
            items: &[],
            new_due: None,
            issued_at: hanoi(2026, 3, 17, 9, 0),
            lookup_url: String::new(),
        };
        assert!(slip_pdf(&no_date).is_err());
    }
}
