//! Filing online: drafts that survive, one validation, one dossier per idempotency key,
//! owner-only access, and the receipt PDF.

use crate::both_engines;
use crate::support::{RESIDENT_A, RESIDENT_B, TestApp};
use serde_json::{Value, json};

/// A complete, valid birth registration for a child born ten days ago.
pub fn birth_answers() -> Value {
    let born = (chrono::Utc::now() - chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    json!({
        "receiving_unit": "00070",
        "applicant": { "name": "Nguyễn Văn An", "birth_date": "1989-05-01", "sex": "male", "id_number": "001089012345" },
        "relationship": "cha",
        "phone": "0912 345 678",
        "residence": { "unit": "00070", "street": "12 phố Hàng Bạc" },
        "child_name": "Nguyễn Minh Khang",
        "child_birth_date": born,
        "child_sex": "male",
        "child_ethnicity": "Kinh",
        "child_nationality": "VN",
        "birth_place_kind": "co_so_y_te",
        "birth_facility": "Bệnh viện Phụ sản Hà Nội",
        "hometown": "Hà Nội",
        "mother": { "name": "Trần Thị Mai", "birth_date": "1991-03-02", "sex": "female", "id_number": "001191012346" },
        "father_known": true,
        "father": { "name": "Nguyễn Văn An", "birth_date": "1989-05-01", "sex": "male", "id_number": "001089012345" },
        "parents_married": true,
        "extract_copies": "2",
        "exemption": "none",
        "result_delivery": "counter",
        "declaration": true
    })
}

/// [`birth_answers`] filed by someone else: the applicant is that person, as their identity
/// says (the form may not change it), the father or the mother by the sex their ID number
/// records.
pub fn birth_answers_by(name: &str, cccd: &str) -> Value {
    let mut a = birth_answers();
    let female = matches!(cccd.as_bytes().get(3), Some(b'1' | b'3'));
    a["applicant"]["name"] = json!(name);
    a["applicant"]["id_number"] = json!(cccd);
    a["applicant"]["sex"] = json!(if female { "female" } else { "male" });
    a["relationship"] = json!(if female { "me" } else { "cha" });
    // The ID number records the century and year of birth.
    let century = 1900 + 100 * i32::from((cccd.as_bytes()[3] - b'0') / 2);
    let year = century + cccd[4..6].parse::<i32>().unwrap();
    a["applicant"]["birth_date"] = json!(format!("{year}-05-01"));
    a
}

/// Saves the complete birth registration into a draft and attaches the birth notice.
pub async fn fill_birth(app: &TestApp, who: &str, draft_id: &str) {
    let (status, saved) = save(app, who, draft_id, &birth_answers()).await;
    assert_eq!(status, 200, "{saved}");
    crate::uploads::attach(
        app,
        who,
        draft_id,
        "giay_chung_sinh",
        "giay.jpg",
        &crate::uploads::fixture("giay-chung-sinh.jpg"),
    )
    .await
    .unwrap();
}

/// Calls a server function as `who`; status and JSON answer.
async fn call_json(app: &TestApp, who: &str, path: &str, body: Value) -> (u16, Value) {
    json_of(app.call_as(Some(who), path, body).await).await
}

async fn json_of(resp: reqwest::Response) -> (u16, Value) {
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Opens a draft of `slug` and returns it.
pub async fn start(app: &TestApp, who: &str, slug: &str, fresh: bool) -> Value {
    let (status, draft) = json_of(
        app.call_as(
            Some(who),
            "/api/filing/start",
            json!({ "req": { "slug": slug, "fresh": fresh } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{draft}");
    draft
}

async fn save(app: &TestApp, who: &str, id: &str, answers: &Value) -> (u16, Value) {
    json_of(
        app.call_as(
            Some(who),
            "/api/filing/save",
            json!({ "req": { "id": id, "answers": answers } }),
        )
        .await,
    )
    .await
}

async fn submit(app: &TestApp, who: &str, draft: &Value) -> (u16, Value) {
    json_of(
        app.call_as(
            Some(who),
            "/api/filing/submit",
            json!({ "req": { "draft_id": draft["id"], "idempotency_key": draft["idempotency_key"] } }),
        )
        .await,
    )
    .await
}

async fn dossier_count(app: &TestApp) -> i64 {
    dichvucong::with_db!(&app.state.db, pool => {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM dossiers").fetch_one(pool).await.unwrap()
    })
}

both_engines!(draft_to_dossier_in_one_transaction, |engine| {
    let app = TestApp::spawn(engine).await;
    let an = app.session_for(&RESIDENT_A).await;

    // Provide once: the applicant is filled in from the identity.
    let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
    assert_eq!(draft["answers"]["applicant"]["name"], "Nguyễn Văn An");
    assert_eq!(draft["answers"]["applicant"]["id_number"], "001089012345");
    assert_eq!(draft["answers"]["applicant"]["sex"], "male");
    let id = draft["id"].as_str().unwrap().to_string();

    // Opening the procedure again resumes the same draft (another device, same account).
    assert_eq!(start(&app, &an, "dang-ky-khai-sinh", false).await["id"], id);

    let (status, saved) = save(&app, &an, &id, &birth_answers()).await;
    assert_eq!(status, 200, "{saved}");
    crate::uploads::attach(
        &app,
        &an,
        &id,
        "giay_chung_sinh",
        "giay.jpg",
        &crate::uploads::fixture("giay-chung-sinh.jpg"),
    )
    .await
    .unwrap();
    assert_eq!(saved["revision"], 2);
    let (_, list) = call_json(&app, &an, "/api/filing/drafts", json!({})).await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["procedure_vi"], "Đăng ký khai sinh");

    let (status, code) = submit(&app, &an, &draft).await;
    assert_eq!(status, 200, "{code}");
    let code = code.as_str().unwrap().to_string();
    let today = dichvucong::domain::calendar::to_local(chrono::Utc::now())
        .format("%y%m%d")
        .to_string();
    assert_eq!(code, format!("00070-{today}-0001"));

    // Retried (lost answer, double tap): the same dossier, never a second.
    for _ in 0..3 {
        let (status, again) = submit(&app, &an, &draft).await;
        assert_eq!((status, again.as_str()), (200, Some(code.as_str())));
    }
    assert_eq!(dossier_count(&app).await, 1);

    // The dossier, its first timeline event and the outbox message exist; the draft is gone.
    let (status, d) = call_json(
        &app,
        &an,
        "/api/dossiers/mine/get",
        json!({ "req": { "code": code } }),
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "Submitted");
    assert_eq!(d["channel"], "Online");
    assert_eq!(d["unit_name"], "Phường Hoàn Kiếm");
    assert_eq!(d["fee_vnd"], 16000, "two extracts at 8,000 each");
    assert_eq!(d["answers"]["phone"], "0912345678", "stored clean");
    assert_eq!(d["events"].as_array().unwrap().len(), 1);
    let received: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(d["received_at"].clone()).unwrap();
    let due: chrono::DateTime<chrono::Utc> = serde_json::from_value(d["due_at"].clone()).unwrap();
    let holidays = app.state.db.holidays().await.unwrap();
    let cal = dichvucong::domain::calendar::Calendar::with_holidays(&holidays);
    assert_eq!(
        dichvucong::domain::calendar::to_local(due),
        cal.due(dichvucong::domain::calendar::to_local(received), 1),
        "appointment is one working day later"
    );
    let outbox: i64 = dichvucong::with_db!(&app.state.db, pool => {
        sqlx::query_scalar("SELECT COUNT(*) FROM outbox WHERE topic = 'dossier.submitted'").fetch_one(pool).await.unwrap()
    });
    assert_eq!(outbox, 1);
    let (status, _) = call_json(
        &app,
        &an,
        "/api/filing/draft",
        json!({ "req": { "id": id } }),
    )
    .await;
    assert_eq!(status, 404, "the draft went with the submission");

    // The public look-up finds it with the last four digits of the ID number.
    let (status, found) = json_of(
        app.call(
            "/api/dossiers/track",
            json!({ "query": { "code": code, "id_suffix": "2345" } }),
        )
        .await,
    )
    .await;
    assert_eq!(status, 200, "{found}");
    app.cleanup().await;
});

both_engines!(concurrent_retries_make_one_dossier, |engine| {
    let app = TestApp::spawn(engine).await;
    let an = app.session_for(&RESIDENT_A).await;
    let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
    let id = draft["id"].as_str().unwrap().to_string();
    fill_birth(&app, &an, &id).await;
    let calls = (0..5).map(|_| submit(&app, &an, &draft));
    let results = futures_join_all(calls).await;
    let codes: Vec<_> = results
        .iter()
        .map(|(s, c)| (*s, c.as_str().map(str::to_owned)))
        .collect();
    assert!(
        codes.iter().all(|(s, c)| *s == 200 && c == &codes[0].1),
        "{codes:?}"
    );
    assert_eq!(dossier_count(&app).await, 1);
    // The numbers handed back by the twins were returned: the next dossier is 0002.
    let second = start(&app, &an, "dang-ky-khai-sinh", true).await;
    fill_birth(&app, &an, second["id"].as_str().unwrap()).await;
    let (_, code) = submit(&app, &an, &second).await;
    assert!(code.as_str().unwrap().ends_with("-0002"), "{code}");
    app.cleanup().await;
});

async fn futures_join_all<F: std::future::Future>(fs: impl Iterator<Item = F>) -> Vec<F::Output> {
    let handles: Vec<_> = fs.collect();
    let mut out = Vec::new();
    // Poll them all at once on this task.
    let mut pinned: Vec<_> = handles.into_iter().map(Box::pin).collect();
    let mut done: Vec<Option<F::Output>> = pinned.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, f) in pinned.iter_mut().enumerate() {
            if done[i].is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => done[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    for d in done {
        out.extend(d);
    }
    out
}

both_engines!(bad_answers_are_refused_per_field_and_kept, |engine| {
    let app = TestApp::spawn(engine).await;
    let an = app.session_for(&RESIDENT_A).await;
    let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
    let id = draft["id"].as_str().unwrap().to_string();
    let mut bad = birth_answers();
    bad["child_name"] = json!("Nguyễn \u{202E}Khang");
    bad["hometown"] = json!("Hà\u{0007}Nội");
    bad["phone"] = json!("12345");
    bad["email"] = json!("an@@example");
    bad["child_birth_date"] = json!("2026-02-30");
    bad["extract_copies"] = json!("99");
    bad["child_sex"] = json!("other");
    bad["receiving_unit"] = json!("99999");
    bad["mother"]["id_number"] = json!("001091012346");
    bad["residence"]["street"] = json!("x".repeat(5000));
    // Decomposed Vietnamese (as some keyboards send it) is accepted and stored composed.
    bad["birth_facility"] = json!("Be\u{0302}\u{0323}nh vie\u{0302}\u{0323}n");
    let (status, _) = save(&app, &an, &id, &bad).await;
    assert_eq!(status, 200, "a draft keeps whatever was typed");
    let (status, err) = submit(&app, &an, &draft).await;
    assert_eq!(status, 422, "{err}");
    let mut got: Vec<(String, String)> = err["Validation"]["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["field"].as_str().unwrap().into(),
                f["code"].as_str().unwrap().into(),
            )
        })
        .collect();
    got.sort();
    let mut want: Vec<(String, String)> = [
        ("child_name", "bidi_control"),
        ("hometown", "control_char"),
        ("phone", "phone_format"),
        ("email", "email_format"),
        ("child_birth_date", "date_format"),
        ("extract_copies", "out_of_range"),
        ("child_sex", "invalid_choice"),
        ("receiving_unit", "unknown_unit"),
        ("mother.id_number", "cccd_sex"),
        ("residence.street", "too_long"),
        ("doc.giay_chung_sinh", "required"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    want.sort();
    assert_eq!(got, want);
    // Nothing lost: the draft still holds exactly what was typed.
    let (_, kept) = call_json(
        &app,
        &an,
        "/api/filing/draft",
        json!({ "req": { "id": id } }),
    )
    .await;
    assert_eq!(kept["answers"], bad);
    assert_eq!(dossier_count(&app).await, 0);
    app.cleanup().await;
});

both_engines!(drafts_and_dossiers_belong_to_their_owner, |engine| {
    let app = TestApp::spawn(engine).await;
    let an = app.session_for(&RESIDENT_A).await;
    let binh = app.session_for(&RESIDENT_B).await;
    let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
    let id = draft["id"].as_str().unwrap().to_string();
    fill_birth(&app, &an, &id).await;

    // Bình sees none of An's draft: not by id, not in her list, cannot change or submit it.
    let r = app
        .call_as(
            Some(&binh),
            "/api/filing/draft",
            json!({ "req": { "id": id } }),
        )
        .await;
    assert_eq!(r.status(), 404);
    assert_eq!(save(&app, &binh, &id, &json!({})).await.0, 404);
    assert_eq!(submit(&app, &binh, &draft).await.0, 404);
    let r = app
        .call_as(
            Some(&binh),
            "/api/filing/delete",
            json!({ "req": { "id": id } }),
        )
        .await;
    assert_eq!(r.status(), 404);
    let (_, list) = call_json(&app, &binh, "/api/filing/drafts", json!({})).await;
    assert_eq!(list, json!([]));

    let (_, code) = submit(&app, &an, &draft).await;
    let code = code.as_str().unwrap();
    let r = app
        .call_as(
            Some(&binh),
            "/api/dossiers/mine/get",
            json!({ "req": { "code": code } }),
        )
        .await;
    assert_eq!(
        r.status(),
        404,
        "another person's dossier looks like no dossier"
    );
    let pdf = |who: Option<&str>| {
        let mut req = app
            .client
            .get(app.url(&format!("/files/receipts/{code}.pdf")));
        if let Some(token) = who {
            req = req.header(
                "cookie",
                format!("{}={token}", dichvucong::server::auth::SESSION_COOKIE),
            );
        }
        req.send()
    };
    assert_eq!(pdf(Some(&binh)).await.unwrap().status(), 404);
    assert_eq!(pdf(None).await.unwrap().status(), 401);
    assert_eq!(pdf(Some(&an)).await.unwrap().status(), 200);

    // An's own draft can be deleted.
    let other = start(&app, &an, "dang-ky-khai-sinh", true).await;
    let r = app
        .call_as(
            Some(&an),
            "/api/filing/delete",
            json!({ "req": { "id": other["id"] } }),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.cleanup().await;
});

both_engines!(
    oversized_draft_is_refused_and_the_saved_copy_survives,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
        let id = draft["id"].as_str().unwrap().to_string();
        assert_eq!(save(&app, &an, &id, &birth_answers()).await.0, 200);
        let mut huge = birth_answers();
        huge["hometown"] = json!("Hà Nội ".repeat(10 * 1024 * 1024 / 8));
        // The server answers 413 without reading the rest and closes the connection; the
        // client can see the reset before the answer, so it asks again (as a browser would).
        let mut status = None;
        for _ in 0..5 {
            let r = app
                .client
                .post(app.url("/api/filing/save"))
                .header("content-type", "application/json")
                .header("sec-fetch-site", "same-origin")
                .header(
                    "cookie",
                    format!("{}={an}", dichvucong::server::auth::SESSION_COOKIE),
                )
                .body(json!({ "req": { "id": id, "answers": huge } }).to_string())
                .send()
                .await;
            if let Ok(r) = r {
                status = Some(r.status().as_u16());
                break;
            }
        }
        assert_eq!(status, Some(413));
        let (_, kept) = call_json(
            &app,
            &an,
            "/api/filing/draft",
            json!({ "req": { "id": id } }),
        )
        .await;
        assert_eq!(kept["answers"], birth_answers());
        app.cleanup().await;
    }
);

both_engines!(
    receipt_is_a_real_pdf_with_vietnamese_text_and_a_readable_qr_code,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
        fill_birth(&app, &an, draft["id"].as_str().unwrap()).await;
        let (_, code) = submit(&app, &an, &draft).await;
        let code = code.as_str().unwrap().to_string();
        let resp = app
            .get_as(Some(&an), &format!("/files/receipts/{code}.pdf"))
            .await;
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "application/pdf");
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        let bytes = resp.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-"));

        let dir = crate::support::temp_dir("dvc-receipt");
        let pdf = dir.path().join("r.pdf");
        std::fs::write(&pdf, &bytes).unwrap();
        // The text layer has the title, the code and the appointment in Vietnamese.
        let out = std::process::Command::new("pdftotext")
            .args(["-layout", pdf.to_str().unwrap(), "-"])
            .output()
            .expect("pdftotext (poppler-utils, installed by scripts/setup)");
        let text = String::from_utf8(out.stdout).unwrap();
        assert!(
            text.contains("GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ"),
            "{text}"
        );
        assert!(text.contains(&code), "{text}");
        assert!(text.contains("Nguyễn Văn An"), "{text}");
        assert!(text.contains("001*******45"), "ID number masked: {text}");
        assert!(text.contains("Phường Hoàn Kiếm"), "{text}");
        assert!(text.contains("Thời gian trả kết quả"), "{text}");
        assert!(
            text.contains("Giấy chứng sinh: 01 tệp"),
            "attachments listed: {text}"
        );
        assert!(
            !text.contains("001089012345"),
            "full ID number never printed"
        );
        // The QR code decodes to the public look-up of this dossier.
        let png = dir.path().join("r");
        let status = std::process::Command::new("pdftoppm")
            .args([
                "-r",
                "150",
                "-png",
                "-singlefile",
                pdf.to_str().unwrap(),
                png.to_str().unwrap(),
            ])
            .status()
            .unwrap();
        assert!(status.success());
        let out = std::process::Command::new("zbarimg")
            .args(["--raw", "-q", dir.path().join("r.png").to_str().unwrap()])
            .output()
            .expect("zbarimg (zbar-tools, installed by scripts/setup)");
        let decoded = String::from_utf8(out.stdout).unwrap();
        assert!(
            decoded.trim().ends_with(&format!("/tra-cuu?ma={code}")),
            "{decoded}"
        );
        let _ = std::fs::remove_dir_all(&dir);
        app.cleanup().await;
    }
);
