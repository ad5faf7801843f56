//! A visit of the health record as a PDF the portal makes (Vietnamese, the font embedded):
//! what the visit page shows, to print or hand over. The facility's own documents are served
//! as the facility sent them; this one says where its content comes from.

use crate::api::health::{Flag, LabResult, Overview, Visit, VisitClass};
use crate::server::pdf::{MARGIN, PAGE_W, WIDTH, Writer};
use chrono::{DateTime, NaiveDateTime, Utc};

fn time(d: NaiveDateTime) -> String {
    d.format("%H:%M %d/%m/%Y").to_string()
}

fn class_vi(c: VisitClass) -> &'static str {
    match c {
        VisitClass::Outpatient => "Khám ngoại trú",
        VisitClass::Inpatient => "Điều trị nội trú",
        VisitClass::Emergency => "Cấp cứu",
        VisitClass::Other => "Khám chữa bệnh",
    }
}

/// One result as a line: value, unit, range (or that the source gives none) and the flag.
fn result_line(r: &LabResult) -> String {
    if r.held {
        return format!("{}: đang chờ bác sĩ tư vấn", r.name);
    }
    let value = match (&r.value, &r.unit) {
        (Some(v), Some(u)) => format!("{v} {u}"),
        (Some(v), None) => v.clone(),
        _ => "—".into(),
    };
    let flag = match r.flag {
        Some(Flag::High) => " — Cao",
        Some(Flag::Low) => " — Thấp",
        Some(Flag::Abnormal) => " — Bất thường",
        Some(Flag::Normal) => " — Bình thường",
        None => "",
    };
    let range = r
        .range
        .as_deref()
        .map(|x| format!("khoảng tham chiếu {x}"))
        .unwrap_or_else(|| "không có khoảng tham chiếu".into());
    format!("{}: {value} ({range}){flag}", r.name)
}

fn section(w: &mut Writer, title: &str, lines: &[String]) {
    w.room(40.0);
    w.y += 6.0;
    let y = w.y;
    w.text_at(MARGIN, y, title, 12.0, true);
    w.y += 18.0;
    if lines.is_empty() {
        w.paragraph(MARGIN + 10.0, WIDTH - 10.0, "Không có", 10.5, false);
    }
    for l in lines {
        w.paragraph(MARGIN + 10.0, WIDTH - 10.0, &format!("• {l}"), 10.5, false);
        w.y += 2.0;
    }
}

/// The visit summary of `visit`, in the record of the person `overview` describes.
pub fn visit_pdf(
    overview: &Overview,
    visit: &Visit,
    now: DateTime<Utc>,
) -> Result<Vec<u8>, String> {
    let s = &visit.summary;
    let mut w = Writer::flowing("Tóm tắt lần khám chữa bệnh");
    w.centered(
        PAGE_W / 2.0,
        "CỔNG DỊCH VỤ CÔNG HÀ NỘI — SỔ SỨC KHỎE ĐIỆN TỬ",
        10.5,
        true,
    );
    w.y += 34.0;
    w.centered(PAGE_W / 2.0, "TÓM TẮT LẦN KHÁM CHỮA BỆNH", 15.0, true);
    w.y += 30.0;
    w.field("Họ và tên", &overview.name, WIDTH);
    if let Some(c) = &overview.cccd_masked {
        w.field("Số định danh cá nhân", c, WIDTH);
    }
    if let Some(b) = overview.birthdate {
        w.field("Ngày sinh", &b.format("%d/%m/%Y").to_string(), WIDTH);
    }
    w.field(
        "Cơ sở khám chữa bệnh",
        s.facility.as_deref().unwrap_or("—"),
        WIDTH,
    );
    let period = match (s.start, s.end) {
        (Some(a), Some(b)) if a != b => format!("{} – {}", time(a), time(b)),
        (Some(a), _) => time(a),
        _ => "—".into(),
    };
    w.field("Thời gian", &period, WIDTH);
    let kind = match &s.type_text {
        Some(t) => format!("{} — {t}", class_vi(s.class)),
        None => class_vi(s.class).to_string(),
    };
    w.field("Loại hình", &kind, WIDTH);
    w.field(
        "Lý do đến khám",
        visit.reason.as_deref().unwrap_or("—"),
        WIDTH,
    );
    if let Some(m) = &visit.ma_lk {
        w.field("Mã lượt khám", m, WIDTH);
    }
    let diagnoses: Vec<String> = visit
        .diagnoses
        .iter()
        .map(|d| {
            format!(
                "{}{} ({})",
                d.code
                    .as_deref()
                    .map(|c| format!("{c} "))
                    .unwrap_or_default(),
                d.name,
                if d.main {
                    "bệnh chính"
                } else {
                    "bệnh kèm theo"
                }
            )
        })
        .collect();
    section(&mut w, "Chẩn đoán", &diagnoses);
    let rx: Vec<String> = visit
        .prescriptions
        .iter()
        .map(|m| {
            let mut l = m.name.clone();
            if let Some(q) = &m.quantity {
                l.push_str(&format!(" — {q}"));
            }
            if let Some(d) = &m.dosage {
                l.push_str(&format!(". Cách dùng: {d}"));
            }
            l
        })
        .collect();
    section(&mut w, "Đơn thuốc", &rx);
    let labs: Vec<String> = visit.labs.iter().map(result_line).collect();
    section(&mut w, "Kết quả xét nghiệm", &labs);
    if !visit.vitals.is_empty() {
        let vitals: Vec<String> = visit.vitals.iter().map(result_line).collect();
        section(&mut w, "Chỉ số sinh tồn", &vitals);
    }
    if !visit.procedures.is_empty() {
        let p: Vec<String> = visit
            .procedures
            .iter()
            .map(|p| match p.date {
                Some(d) => format!("{} ({})", p.name, time(d)),
                None => p.name.clone(),
            })
            .collect();
        section(&mut w, "Thủ thuật, phẫu thuật", &p);
    }
    if !visit.referrals.is_empty() {
        let r: Vec<String> = visit
            .referrals
            .iter()
            .map(|r| {
                format!(
                    "Chuyển đến {}{}",
                    r.to.as_deref().unwrap_or("—"),
                    r.reason
                        .as_deref()
                        .map(|x| format!(": {x}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        section(&mut w, "Giấy chuyển tuyến", &r);
    }
    if !visit.reexams.is_empty() {
        let r: Vec<String> = visit
            .reexams
            .iter()
            .map(|a| {
                format!(
                    "{}{}",
                    a.start.map(time).unwrap_or_else(|| "—".into()),
                    a.facility
                        .as_deref()
                        .map(|f| format!(" — {f}"))
                        .unwrap_or_default()
                )
            })
            .collect();
        section(&mut w, "Giấy hẹn tái khám", &r);
    }
    w.room(60.0);
    w.y += 16.0;
    let made = crate::domain::calendar::to_local(now).format("%H:%M ngày %d/%m/%Y");
    w.paragraph(
        MARGIN,
        WIDTH,
        &format!(
            "Bản tóm tắt do Cổng Dịch vụ công Hà Nội lập lúc {made} từ dữ liệu cơ sở khám chữa bệnh gửi lên Hệ thống sổ sức khỏe điện tử. Bản gốc có giá trị là tài liệu của cơ sở khám chữa bệnh."
        ),
        9.5,
        false,
    );
    if visit.skipped > 0 {
        w.paragraph(
            MARGIN,
            WIDTH,
            &format!(
                "{} mục trong hồ sơ không hiển thị được vì dữ liệu gửi lên chưa đúng định dạng.",
                visit.skipped
            ),
            9.5,
            false,
        );
    }
    w.finish(format!("Tóm tắt lần khám — {}", overview.name))
}
