//! The receipt and appointment slip ("Giấy tiếp nhận hồ sơ và hẹn trả kết quả") as a PDF:
//! A4, Be Vietnam Pro embedded (subset), text selectable, and a vector QR code that opens the
//! public look-up of the dossier.

use crate::domain::calendar::format_vi;
use crate::domain::catalog::Procedure;
use crate::domain::cccd::Cccd;
use crate::domain::filing::{Channel, DossierView};
use crate::domain::money::Vnd;
use crate::server::pdf::{LEFT_C, MARGIN, RIGHT_C, WIDTH, Writer};

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
    /// For a counter intake: the papers received and the consent given.
    pub counter: Option<&'a crate::server::db::intake::CounterFacts>,
}

/// Renders the receipt and appointment slip.
pub fn receipt_pdf(input: &SlipInput) -> Result<Vec<u8>, String> {
    let d = input.dossier;
    let p = input.procedure;
    let mut w = Writer::new();
    let width = WIDTH;
    w.heading(
        &d.unit_name,
        &d.code,
        d.received_at,
        "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ",
    );

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
    // Paper documents handed in at the counter.
    for paper in input
        .counter
        .map(|c| c.papers.as_slice())
        .unwrap_or_default()
    {
        n += 1;
        let line = format!("{n}. {}: {} (bản giấy)", paper.name_vi, paper.counts_vi());
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
    w.lookup(&input.lookup_url);
    w.paragraph(
        MARGIN,
        width,
        "Khi đến nhận kết quả, ông/bà vui lòng mang theo Giấy tiếp nhận này và giấy tờ tùy thân. Nếu hồ sơ cần bổ sung, cơ quan tiếp nhận sẽ thông báo trên tài khoản và qua số điện thoại đã khai.",
        10.5,
        false,
    );

    // The consent of a counter intake: its text and version, and how it was given.
    let confirmed_on_phone = input
        .counter
        .is_some_and(|c| c.method.as_deref() == Some("phone"));
    if let Some(c) = input.counter.filter(|c| c.version.is_some()) {
        w.y += 6.0;
        let y = w.y;
        let version = c.version.as_deref().unwrap_or_default();
        w.text_at(
            MARGIN,
            y,
            &format!("Xác nhận đồng ý của người nộp hồ sơ (nội dung phiên bản {version}):"),
            11.0,
            true,
        );
        w.y += 16.0;
        w.paragraph(
            MARGIN,
            width,
            crate::domain::intake::CONSENT_VI,
            10.0,
            false,
        );
        let how = if confirmed_on_phone {
            format!(
                "Đã xác nhận trên điện thoại bằng tài khoản định danh điện tử{}.",
                c.at.map(|t| format!(" lúc {}", format_vi(t)))
                    .unwrap_or_default()
            )
        } else {
            "Người nộp hồ sơ ký dưới đây để xác nhận đồng ý.".to_string()
        };
        w.paragraph(MARGIN, width, &how, 10.0, false);
    }

    // Signatures.
    w.y += 24.0;
    let sig_top = w.y;
    let applicant = match (d.channel, input.counter.is_some()) {
        (Channel::Online, _) => "(đã xác thực bằng định danh điện tử)",
        (_, true) if confirmed_on_phone => "(đã xác nhận trên điện thoại)",
        _ => "(ký, ghi rõ họ tên)",
    };
    w.signature(LEFT_C, "NGƯỜI NỘP HỒ SƠ", applicant);
    w.y = sig_top;
    let receiver = match d.channel {
        Channel::Online => "Hệ thống Dịch vụ công Hà Nội (tiếp nhận tự động)",
        _ => "(ký, ghi rõ họ tên)",
    };
    w.signature(RIGHT_C, "NGƯỜI TIẾP NHẬN HỒ SƠ", receiver);

    w.finish(format!(
        "Giấy tiếp nhận hồ sơ và hẹn trả kết quả {}",
        d.code
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::pdf::testing::{dossier, pdf_text, procedure};

    #[test]
    fn receipt_has_the_title_code_applicant_and_appointment() {
        let p = procedure();
        let d = dossier(&p);
        let documents = [("Giấy chứng sinh".to_string(), 1)];
        let bytes = receipt_pdf(&SlipInput {
            dossier: &d,
            procedure: &p,
            id_number: Some("001089012345"),
            documents: &documents,
            lookup_url: format!("https://dichvucong.hanoi.gov.vn/tra-cuu?ma={}", d.code),
            counter: None,
        })
        .unwrap();
        let text = pdf_text(&bytes);
        assert!(
            text.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
            "{text}"
        );
        assert!(text.contains("Mã hồ sơ: H26.101-260312-0007"), "{text}");
        assert!(text.contains("Nguyễn Văn An"), "{text}");
        assert!(text.contains("001*******45"), "{text}");
        assert!(!text.contains("001089012345"), "{text}");
        assert!(text.contains("Hà Nội, ngày 12 tháng 03 năm 2026"), "{text}");
        assert!(text.contains("08 giờ 05 phút, ngày 16/03/2026"), "{text}");
        assert!(text.contains("Giấy chứng sinh: 01 tệp"), "{text}");
    }

    #[test]
    fn a_counter_receipt_lists_the_papers_and_the_consent() {
        use crate::domain::intake::PaperReceived;
        use crate::server::db::intake::CounterFacts;
        let p = procedure();
        let d = dossier(&p);
        let facts = |method: &str| CounterFacts {
            version: Some(crate::domain::intake::CONSENT_VERSION.into()),
            method: Some(method.into()),
            at: Some(d.received_at),
            confirmed_by: None,
            papers: vec![PaperReceived {
                name_vi: "Giấy chứng sinh".into(),
                name_en: "Birth notification".into(),
                originals: 1,
                copies: 2,
            }],
        };
        let text = |c: &CounterFacts| {
            pdf_text(
                &receipt_pdf(&SlipInput {
                    dossier: &d,
                    procedure: &p,
                    id_number: Some("001089012345"),
                    documents: &[],
                    lookup_url: "https://x.vn/tra-cuu".into(),
                    counter: Some(c),
                })
                .unwrap(),
            )
        };
        let phone = text(&facts("phone"));
        assert!(
            phone.contains("Giấy chứng sinh: 01 bản chính, 02 bản sao (bản giấy)"),
            "{phone}"
        );
        assert!(
            phone.contains(&format!(
                "nội dung phiên bản {}",
                crate::domain::intake::CONSENT_VERSION
            )),
            "{phone}"
        );
        assert!(
            phone.contains("Tôi đồng ý để cán bộ Bộ phận một cửa"),
            "{phone}"
        );
        assert!(phone.contains("Đã xác nhận trên điện thoại"), "{phone}");
        let signed = text(&facts("signature"));
        assert!(
            signed.contains("ký dưới đây để xác nhận đồng ý"),
            "{signed}"
        );
        assert!(signed.contains("(ký, ghi rõ họ tên)"), "{signed}");
    }
}
