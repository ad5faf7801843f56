//! The ward's work on a dossier and what the resident sees of it: every transition with its
//! timeline entry, the supplement pause, ward-scoped access, counter intake, the access log,
//! notifications (live, caught up, across instances, by e-mail) and the deadline job.

use crate::both_engines;
use crate::filing::{birth_answers, fill_birth, start};
use crate::support::{
    Engine, LEADER_HOAN_KIEM, OFFICER_BA_DINH, OFFICER_HOAN_KIEM, RESIDENT_A, RESIDENT_B, TestApp,
};
use crate::uploads::{fixture, put};
use dichvucong::domain::upload::CHUNK_BYTES;
use serde_json::{Value, json};
use std::time::Duration;

async fn call(app: &TestApp, who: &str, path: &str, body: Value) -> (u16, Value) {
    let resp = app.call_as(Some(who), path, body).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Files a complete birth registration for `who` at Phường Hoàn Kiếm and returns its code.
pub async fn file_birth(app: &TestApp, who: &str) -> String {
    let draft = start(app, who, "dang-ky-khai-sinh", true).await;
    let id = draft["id"].as_str().unwrap();
    fill_birth(app, who, id).await;
    let (status, code) = call(
        app,
        who,
        "/api/filing/submit",
        json!({ "req": { "draft_id": id, "idempotency_key": draft["idempotency_key"] } }),
    )
    .await;
    assert_eq!(status, 200, "{code}");
    code.as_str().unwrap().to_string()
}

async fn act(app: &TestApp, who: &str, unit: &str, code: &str, act: Value) -> (u16, Value) {
    call(
        app,
        who,
        "/api/staff/act",
        json!({ "req": { "unit": unit, "code": code, "act": act } }),
    )
    .await
}

async fn act_ok(app: &TestApp, who: &str, code: &str, a: Value) -> Value {
    let (status, v) = act(app, who, "00070", code, a.clone()).await;
    assert_eq!(status, 200, "{a}: {v}");
    v
}

async fn mine(app: &TestApp, who: &str, code: &str) -> Value {
    let (status, v) = call(
        app,
        who,
        "/api/dossiers/mine/detail",
        json!({ "req": { "code": code } }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    v
}

/// Announces a file for a filed dossier and sends it in pieces; the upload view or the error.
async fn attach_to_dossier(
    app: &TestApp,
    who: &str,
    code: &str,
    unit: &str,
    slot: &str,
    bytes: &[u8],
) -> Result<Value, (u16, Value)> {
    let (status, v) = call(
        app,
        who,
        "/api/uploads/start-dossier",
        json!({ "req": { "code": code, "unit": unit, "slot": slot, "name": "tệp.pdf", "size": bytes.len() } }),
    )
    .await;
    if status != 200 {
        return Err((status, v));
    }
    let id = v["id"].as_str().unwrap().to_string();
    let mut last = v;
    for (i, piece) in bytes.chunks(CHUNK_BYTES).enumerate() {
        let (status, v) = put(app, who, &id, i * CHUNK_BYTES, piece).await;
        if status != 200 {
            return Err((status, v));
        }
        last = v;
    }
    Ok(last)
}

fn statuses(view: &Value) -> Vec<i64> {
    view["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| status_code(&e["status"]))
        .collect()
}

fn status_code(s: &Value) -> i64 {
    let names = [
        "Submitted",
        "Accepted",
        "NotAccepted",
        "Processing",
        "SupplementRequested",
        "PaymentRequested",
        "WithdrawalRequested",
        "Stopped",
        "Processed",
        "ResultReturned",
    ];
    names
        .iter()
        .position(|n| s == n)
        .map(|i| i as i64 + 1)
        .unwrap_or(-1)
}

async fn deliver(app: &TestApp) {
    let text =
        |t: &str, p: &Value, lang| dichvucong::server::notify::mail_text("http://x", t, p, lang);
    app.state
        .db
        .deliver_outbox(500, &text, chrono::Utc::now())
        .await
        .unwrap();
}

both_engines!(the_full_lifecycle_with_a_supplement_pause, |engine| {
    let app = TestApp::spawn(engine).await;
    let resident = app.session_for(&RESIDENT_A).await;
    let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
    let leader = app.session_for(&LEADER_HOAN_KIEM).await;
    let code = file_birth(&app, &resident).await;

    // The console lists it as a new online dossier.
    let (status, console) = call(
        &app,
        &officer,
        "/api/staff/console",
        json!({ "req": { "unit": "00070", "queue": "moi", "q": "" } }),
    )
    .await;
    assert_eq!(status, 200, "{console}");
    assert!(
        console["lines"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["code"] == code)
    );

    // The officer opens it: allowed acts for an officer at intake.
    let (status, view) = call(
        &app,
        &officer,
        "/api/staff/dossier",
        json!({ "req": { "unit": "00070", "code": code } }),
    )
    .await;
    assert_eq!(status, 200, "{view}");
    let allowed: Vec<&str> = view["allowed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap())
        .collect();
    assert!(
        allowed.contains(&"accept") && allowed.contains(&"refuse"),
        "{allowed:?}"
    );
    assert!(!allowed.contains(&"approve"));
    assert_eq!(view["applicant_id_masked"], "••••••••2345");

    // A leader cannot accept; the officer can; doing it twice is a conflict.
    let (status, _) = act(&app, &leader, "00070", &code, json!("Accept")).await;
    assert_eq!(status, 403);
    act_ok(&app, &officer, &code, json!("Accept")).await;
    let (status, _) = act(&app, &officer, "00070", &code, json!("Accept")).await;
    assert_eq!(status, 409);
    act_ok(&app, &officer, &code, json!("StartProcessing")).await;

    // A supplement request needs items naming the procedure's slots.
    let (status, v) = act(
        &app,
        &officer,
        "00070",
        &code,
        json!({ "RequestSupplement": { "items": [], "note": "" } }),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    let (status, _) = act(
        &app,
        &officer,
        "00070",
        &code,
        json!({ "RequestSupplement": { "items": [{ "slot": "no_such_slot", "label": "X", "note": "" }], "note": "" } }),
    )
    .await;
    assert_eq!(status, 422);
    let v = act_ok(
        &app,
        &officer,
        &code,
        json!({ "RequestSupplement": { "items": [{ "slot": "giay_chung_sinh", "label": "Giấy chứng sinh", "note": "Bản chụp rõ nét, đủ bốn góc" }], "note": "Ảnh cũ bị mờ" } }),
    )
    .await;
    assert_eq!(v["dossier"]["status"], "SupplementRequested");
    assert_eq!(v["countdown"]["paused"], true);

    // The resident sees the paused countdown and the request; sending without the file fails.
    let before = mine(&app, &resident, &code).await;
    assert_eq!(before["countdown"]["paused"], true, "{before}");
    assert_eq!(before["supplement"]["items"][0]["slot"], "giay_chung_sinh");
    let (status, v) = call(
        &app,
        &resident,
        "/api/dossiers/supplement",
        json!({ "req": { "code": code } }),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["Validation"]["fields"][0]["field"], "doc.giay_chung_sinh");
    // Only the flagged item can be uploaded; another person cannot upload at all.
    let pdf = fixture("giay-chung-sinh.pdf");
    let refused = attach_to_dossier(&app, &resident, &code, "", "to_khai", &pdf).await;
    assert!(matches!(refused, Err((422, _))), "{refused:?}");
    let other = app.session_for(&RESIDENT_B).await;
    let refused = attach_to_dossier(&app, &other, &code, "", "giay_chung_sinh", &pdf).await;
    assert!(matches!(refused, Err((404, _))), "{refused:?}");
    attach_to_dossier(&app, &resident, &code, "", "giay_chung_sinh", &pdf)
        .await
        .unwrap();
    let (status, after) = call(
        &app,
        &resident,
        "/api/dossiers/supplement",
        json!({ "req": { "code": code } }),
    )
    .await;
    assert_eq!(status, 200, "{after}");
    assert_eq!(after["dossier"]["status"], "Processing");
    assert_eq!(after["countdown"]["paused"], false);
    // The appointment moved by exactly the paused working time (never earlier).
    let due_before: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(before["dossier"]["due_at"].clone()).unwrap();
    let due_after: chrono::DateTime<chrono::Utc> =
        serde_json::from_value(after["dossier"]["due_at"].clone()).unwrap();
    assert!(due_after >= due_before);

    // Officer forwards; leader approves; the result must be attached before returning.
    let (status, _) = act(
        &app,
        &officer,
        "00070",
        &code,
        json!({ "Approve": { "note": "" } }),
    )
    .await;
    assert_eq!(status, 403);
    act_ok(
        &app,
        &officer,
        &code,
        json!({ "Forward": { "note": "Đủ điều kiện" } }),
    )
    .await;
    let v = act_ok(
        &app,
        &leader,
        &code,
        json!({ "Approve": { "note": "Đồng ý" } }),
    )
    .await;
    assert_eq!(v["dossier"]["status"], "Processed");
    let (status, v) = act(&app, &officer, "00070", &code, json!("MarkReturned")).await;
    assert_eq!(status, 422, "{v}");
    assert_eq!(v["Validation"]["fields"][0]["code"], "result_missing");
    // The result is a PDF; an image is refused.
    let png = attach_to_dossier(
        &app,
        &officer,
        &code,
        "00070",
        "result",
        &fixture("van-ban.png"),
    )
    .await;
    assert!(png.is_err(), "{png:?}");
    let result = attach_to_dossier(&app, &officer, &code, "00070", "result", &pdf)
        .await
        .unwrap();
    let v = act_ok(&app, &officer, &code, json!("MarkReturned")).await;
    assert_eq!(v["dossier"]["status"], "ResultReturned");

    // Every status change is on the timeline, with the reasons.
    assert_eq!(statuses(&v["dossier"]), vec![1, 2, 4, 5, 4, 4, 9, 10]);
    let notes: Vec<String> = v["dossier"]["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["note"].as_str().map(str::to_owned))
        .collect();
    assert!(notes.iter().any(|n| n == "Ảnh cũ bị mờ"), "{notes:?}");

    // The resident downloads the result; another resident cannot.
    let final_view = mine(&app, &resident, &code).await;
    let (rid, _) = (
        final_view["results"][0][0].as_str().unwrap().to_string(),
        (),
    );
    assert_eq!(rid, result["id"].as_str().unwrap());
    let r = app
        .get_as(Some(&resident), &format!("/files/dossiers/{code}/{rid}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(&r.bytes().await.unwrap()[..5], b"%PDF-");
    let r = app
        .get_as(Some(&other), &format!("/files/dossiers/{code}/{rid}"))
        .await;
    assert_eq!(r.status(), 404);
    // Finished on time (one supplement request, well before the appointment).
    assert_eq!(final_view["countdown"]["finished"], true);
    assert_eq!(final_view["countdown"]["on_time"], true);

    // The access log shows the ward's views and acts by role and ward, never a name.
    let access = final_view["access"].as_array().unwrap();
    assert!(
        access.iter().any(|a| a["action"] == "view"
            && a["role"] == "officer"
            && a["unit_name"] == "Phường Hoàn Kiếm"),
        "{access:?}"
    );
    assert!(
        access
            .iter()
            .any(|a| a["action"] == "approve" && a["role"] == "leader")
    );
    assert!(!final_view["access"].to_string().contains("Phạm Thu Hà"));

    // The dashboard counts it as finished on time.
    let (_, console) = call(
        &app,
        &officer,
        "/api/staff/console",
        json!({ "req": { "unit": "00070", "queue": "", "q": "" } }),
    )
    .await;
    assert_eq!(console["dashboard"]["finished"], 1);
    assert_eq!(console["dashboard"]["on_time"], 1);

    // One outbox message per change that concerns the resident, delivered once.
    deliver(&app).await;
    deliver(&app).await;
    let (_, inbox) = call(&app, &resident, "/api/notifications/list", json!({})).await;
    let topics: Vec<&str> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["topic"].as_str().unwrap())
        .collect();
    assert_eq!(
        topics.iter().filter(|t| **t == "dossier.status").count(),
        7,
        "{inbox}"
    );
    assert_eq!(
        topics.iter().filter(|t| **t == "dossier.submitted").count(),
        1
    );
    assert_eq!(inbox["unread"], 8);
    app.cleanup().await;
});

both_engines!(staff_see_only_their_own_ward, |engine| {
    let app = TestApp::spawn(engine).await;
    let resident = app.session_for(&RESIDENT_A).await;
    let other_resident = app.session_for(&RESIDENT_B).await;
    let ba_dinh = app.session_for(&OFFICER_BA_DINH).await;
    let hoan_kiem = app.session_for(&OFFICER_HOAN_KIEM).await;
    let code = file_birth(&app, &resident).await;
    for who in [&ba_dinh, &resident, &other_resident] {
        for unit in ["00070", "00004"] {
            let req = json!({ "req": { "unit": unit, "code": code } });
            let (status, _) = call(&app, who, "/api/staff/dossier", req).await;
            assert_eq!(status, 404, "{unit}");
            let (status, _) = act(&app, who, unit, &code, json!("Accept")).await;
            assert_eq!(status, 404);
            let (status, _) = call(
                &app,
                who,
                "/api/staff/console",
                json!({ "req": { "unit": "00070", "queue": "", "q": "" } }),
            )
            .await;
            assert_eq!(status, 404);
        }
        let r = app
            .get_as(
                Some(who),
                &format!("/files/dossiers/{code}/giay-tiep-nhan.pdf"),
            )
            .await;
        if who != &resident {
            assert_eq!(r.status(), 404);
        }
    }
    // Ba Đình's queue does not list it; Hoàn Kiếm's does.
    let (_, console) = call(
        &app,
        &ba_dinh,
        "/api/staff/console",
        json!({ "req": { "unit": "00004", "queue": "", "q": "" } }),
    )
    .await;
    assert!(console["lines"].as_array().unwrap().is_empty());
    let (_, console) = call(
        &app,
        &hoan_kiem,
        "/api/staff/console",
        json!({ "req": { "unit": "00070", "queue": "", "q": "" } }),
    )
    .await;
    assert_eq!(console["lines"].as_array().unwrap().len(), 1);
    // Residents cannot act on the ward's behalf, nor on someone else's dossier.
    let (status, _) = call(
        &app,
        &other_resident,
        "/api/dossiers/mine/detail",
        json!({ "req": { "code": code } }),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = call(
        &app,
        &other_resident,
        "/api/dossiers/withdraw",
        json!({ "req": { "code": code, "reason": "x" } }),
    )
    .await;
    assert_eq!(status, 404);
    // The cross-ward attempts are audited as denied.
    let denied = app
        .state
        .db
        .audit_rows()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "denied" && r.action.starts_with("dossier_"))
        .count();
    assert!(denied >= 2, "{denied}");
    // The staff of the right ward can print the receipt; that download is audited.
    let r = app
        .get_as(
            Some(&hoan_kiem),
            &format!("/files/dossiers/{code}/giay-tiep-nhan.pdf"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let v = mine(&app, &resident, &code).await;
    assert!(
        v["access"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "download")
    );
    app.cleanup().await;
});

both_engines!(a_dossier_is_assigned_to_a_named_colleague, |engine| {
    let app = TestApp::spawn(engine).await;
    let resident = app.session_for(&RESIDENT_A).await;
    let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
    let leader = app.session_for(&LEADER_HOAN_KIEM).await;
    app.session_for(&OFFICER_BA_DINH).await;
    let code = file_birth(&app, &resident).await;
    let id_of = |cccd: &'static str| {
        let db = app.state.db.clone();
        async move { db.user_by_cccd(cccd).await.unwrap().unwrap().id }
    };
    let (ha, ba_dinh, an) = (
        id_of(OFFICER_HOAN_KIEM.cccd).await,
        id_of(OFFICER_BA_DINH.cccd).await,
        id_of(RESIDENT_A.cccd).await,
    );
    let assign = |who: &str, to: &str| {
        let (who, a) = (who.to_string(), json!({ "Assign": { "user_id": to } }));
        let (app, code) = (&app, &code);
        async move { act(app, &who, "00070", code, a).await }
    };
    let view = |who: &str| {
        let req = json!({ "req": { "unit": "00070", "code": code } });
        let who = who.to_string();
        let app = &app;
        async move {
            let (status, v) = call(app, &who, "/api/staff/dossier", req).await;
            assert_eq!(status, 200, "{v}");
            v
        }
    };

    // The leader may assign, and picks from the ward's own staff only.
    let v = view(&leader).await;
    assert!(v["allowed"].as_array().unwrap().contains(&json!("assign")));
    let names: Vec<&str> = v["colleagues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec![LEADER_HOAN_KIEM.name, OFFICER_HOAN_KIEM.name]);
    assert_eq!(v["assignee"], Value::Null);

    // Someone of another ward, or a resident, cannot be given the dossier.
    for stranger in [&ba_dinh, &an] {
        let (status, e) = assign(&leader, stranger).await;
        assert_eq!(status, 422, "{e}");
        assert!(e.to_string().contains("not_ward_staff"), "{e}");
    }
    // Nor can the other ward's officer hand it out.
    let ba_dinh_session = app.session_for(&OFFICER_BA_DINH).await;
    let (status, _) = assign(&ba_dinh_session, &ba_dinh).await;
    assert_eq!(status, 404);

    // Assigned to the officer: the leader sees who handles it, the officer sees it is theirs.
    let v = act_ok(&app, &leader, &code, json!({ "Assign": { "user_id": ha } })).await;
    assert_eq!(v["assignee"]["name"], OFFICER_HOAN_KIEM.name);
    assert_eq!(v["mine"], false);
    let v = view(&officer).await;
    assert_eq!(v["mine"], true);
    assert!(!v["allowed"].as_array().unwrap().contains(&json!("claim")));
    let (status, e) = assign(&officer, &ha).await;
    assert_eq!(status, 422, "{e}");
    assert!(e.to_string().contains("already_assigned"), "{e}");
    // It is in the officer's "assigned to me" queue, and in nobody else's.
    for (who, n) in [(&officer, 1), (&leader, 0)] {
        let (_, console) = call(
            &app,
            who,
            "/api/staff/console",
            json!({ "req": { "unit": "00070", "queue": "cua-toi", "q": "" } }),
        )
        .await;
        let lines = console["lines"].as_array().unwrap();
        assert_eq!(lines.len(), n, "{console}");
        assert!(lines.iter().all(|l| l["code"] == code && l["mine"] == true));
    }

    // The officer is told; the resident is not, and their timeline has no extra step — but
    // their access log shows the ward's leader handed the dossier on.
    deliver(&app).await;
    let (_, inbox) = call(&app, &officer, "/api/notifications/list", json!({})).await;
    let assigned: Vec<&Value> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["topic"] == "dossier.assigned")
        .collect();
    assert_eq!(assigned.len(), 1, "{inbox}");
    assert_eq!(
        (
            &assigned[0]["code"],
            &assigned[0]["unit"],
            &assigned[0]["status"]
        ),
        (&json!(code), &json!("00070"), &json!("Submitted"))
    );
    for who in [&resident, &leader] {
        let (_, inbox) = call(&app, who, "/api/notifications/list", json!({})).await;
        assert!(!inbox.to_string().contains("dossier.assigned"), "{inbox}");
    }
    let own = mine(&app, &resident, &code).await;
    assert_eq!(statuses(&own["dossier"]), vec![1]);
    assert!(
        own["access"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "assign" && a["role"] == "leader"),
        "{}",
        own["access"]
    );
    // The audit log names who it was given to.
    let rows = app.state.db.audit_rows().await.unwrap();
    assert!(rows.iter().any(|r| {
        r.action == "dossier_assign"
            && r.outcome == "ok"
            && r.detail
                .as_deref()
                .is_some_and(|d| d.ends_with(&format!("assignee={ha}")))
    }));

    // The officer passes it back to the leader; a finished dossier is not handed out.
    let leader_id = id_of(LEADER_HOAN_KIEM.cccd).await;
    act_ok(
        &app,
        &officer,
        &code,
        json!({ "Assign": { "user_id": leader_id } }),
    )
    .await;
    assert_eq!(view(&leader).await["mine"], true);
    // Now it is the leader's, the officer can no longer take it over.
    let v = view(&officer).await;
    assert!(!v["allowed"].as_array().unwrap().contains(&json!("assign")));
    let (status, _) = assign(&officer, &ha).await;
    assert_eq!(status, 403);
    act_ok(
        &app,
        &officer,
        &code,
        json!({ "Refuse": { "reason": "Sai thủ tục" } }),
    )
    .await;
    let (status, _) = assign(&leader, &ha).await;
    assert_eq!(status, 409);
    app.cleanup().await;
});

both_engines!(withdrawal_and_refusal_slips, |engine| {
    let app = TestApp::spawn(engine).await;
    let resident = app.session_for(&RESIDENT_A).await;
    let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
    // Withdrawal: resident asks with a reason, the officer grants it.
    let code = file_birth(&app, &resident).await;
    let (status, _) = call(
        &app,
        &resident,
        "/api/dossiers/withdraw",
        json!({ "req": { "code": code, "reason": " " } }),
    )
    .await;
    assert_eq!(status, 422);
    let (status, v) = call(
        &app,
        &resident,
        "/api/dossiers/withdraw",
        json!({ "req": { "code": code, "reason": "Nộp nhầm thủ tục" } }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["dossier"]["status"], "WithdrawalRequested");
    let v = act_ok(
        &app,
        &officer,
        &code,
        json!({ "Stop": { "reason": "Theo đề nghị của công dân" } }),
    )
    .await;
    assert_eq!(v["dossier"]["status"], "Stopped");
    assert_eq!(statuses(&v["dossier"]), vec![1, 7, 8]);
    // Refusal with its slip.
    let code = file_birth(&app, &resident).await;
    let (status, _) = act(
        &app,
        &officer,
        "00070",
        &code,
        json!({ "Refuse": { "reason": "" } }),
    )
    .await;
    assert_eq!(status, 422);
    act_ok(
        &app,
        &officer,
        &code,
        json!({ "Refuse": { "reason": "Hồ sơ không thuộc thẩm quyền của phường" } }),
    )
    .await;
    let r = app
        .get_as(
            Some(&officer),
            &format!("/files/dossiers/{code}/phieu-tu-choi.pdf"),
        )
        .await;
    assert_eq!(r.status(), 200);
    let pdf = r.bytes().await.unwrap();
    let text = crate::support::pdf_text(&pdf);
    assert!(text.contains("không thuộc thẩm quyền"), "{text}");
    assert!(text.contains(&code));
    // An apology needs a late dossier.
    let code = file_birth(&app, &resident).await;
    act_ok(&app, &officer, &code, json!("Accept")).await;
    let (status, v) = act(
        &app,
        &officer,
        "00070",
        &code,
        json!({ "Apologise": { "new_due": "2030-01-07", "reason": "Chờ xác minh" } }),
    )
    .await;
    assert_eq!(status, 422, "{v}");
    app.cleanup().await;
});

both_engines!(
    counter_intake_files_for_a_resident_and_prints_the_receipt,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let mut answers = birth_answers();
        answers["receiving_unit"] = json!("00004");
        let req = |consent: bool, key: &str| {
            json!({ "req": {
        "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001189012389", "name": "Trần Thị Bình",
        "answers": answers, "consent": { "method": "signature", "shown": consent }, "idempotency_key": key } })
        };
        let (status, v) = call(
            &app,
            &officer,
            "/api/staff/intake",
            req(false, "quay-0001-abc"),
        )
        .await;
        assert_eq!(status, 422);
        assert!(v.to_string().contains("consent_required"), "{v}");
        let (status, code) = call(
            &app,
            &officer,
            "/api/staff/intake",
            req(true, "quay-0001-abc"),
        )
        .await;
        assert_eq!(status, 200, "{code}");
        let code = code.as_str().unwrap().to_string();
        // Retried: the same dossier.
        let (_, again) = call(
            &app,
            &officer,
            "/api/staff/intake",
            req(true, "quay-0001-abc"),
        )
        .await;
        assert_eq!(again, code);
        // Received by the counter's own ward, on channel 1, recorded as the officer's intake.
        assert!(code.starts_with("00070-"), "{code}");
        let (_, view) = call(
            &app,
            &officer,
            "/api/staff/dossier",
            json!({ "req": { "unit": "00070", "code": code } }),
        )
        .await;
        assert_eq!(view["dossier"]["channel"], "Counter");
        assert_eq!(view["dossier"]["events"][0]["actor_role"], "officer");
        let r = app
            .get_as(
                Some(&officer),
                &format!("/files/dossiers/{code}/giay-tiep-nhan.pdf"),
            )
            .await;
        assert_eq!(r.status(), 200);
        let text = crate::support::pdf_text(&r.bytes().await.unwrap());
        assert!(
            text.contains("Trần Thị Bình") && text.contains("001*******89"),
            "{text}"
        );
        // When the resident signs in, the dossier is theirs.
        let resident = app.session_for(&RESIDENT_B).await;
        let user = app
            .state
            .db
            .user_by_cccd("001189012389")
            .await
            .unwrap()
            .unwrap();
        app.state
            .db
            .claim_counter_dossiers(&user.id, "001189012389")
            .await
            .unwrap();
        let (status, list) = call(
            &app,
            &resident,
            "/api/dossiers/mine",
            json!({ "req": { "filter": "", "q": "" } }),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(list[0]["code"], code);
        app.cleanup().await;
    }
);

/// Reads Server-Sent Events from `/events` until `n` events have arrived or `wait` passes.
async fn read_events(
    app: &TestApp,
    who: &str,
    last_id: Option<&str>,
    n: usize,
    wait: Duration,
) -> Vec<(String, Value)> {
    let mut req = app.client.get(app.url("/events")).header(
        "cookie",
        format!("{}={who}", dichvucong::server::auth::SESSION_COOKIE),
    );
    if let Some(id) = last_id {
        req = req.header("last-event-id", id);
    }
    let mut resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut buf = String::new();
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    while out.len() < n {
        let chunk = match tokio::time::timeout_at(deadline, resp.chunk()).await {
            Ok(Ok(Some(c))) => c,
            _ => break,
        };
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            let id = block
                .lines()
                .find_map(|l| l.strip_prefix("id: "))
                .map(str::to_owned);
            let data = block
                .lines()
                .find_map(|l| l.strip_prefix("data: "))
                .map(str::to_owned);
            if let (Some(id), Some(data)) = (id, data) {
                out.push((id, serde_json::from_str(&data).unwrap()));
            }
        }
    }
    out
}

both_engines!(
    live_notifications_and_catch_up_after_a_reconnect,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let resident = app.session_for(&RESIDENT_A).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let r = app.client.get(app.url("/events")).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let code = file_birth(&app, &resident).await;
        deliver(&app).await;
        // Connected first, then the officer accepts: the event arrives live.
        let listening = {
            let resident = resident.clone();
            let app = &app;
            async move { read_events(app, &resident, None, 1, Duration::from_secs(20)).await }
        };
        let acting = async {
            tokio::time::sleep(Duration::from_millis(500)).await;
            act_ok(&app, &officer, &code, json!("Accept")).await;
        };
        let (got, ()) = tokio::join!(listening, acting);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0].1["code"], code);
        assert_eq!(got[0].1["status"], "Accepted");
        let seen = got[0].0.clone();
        // While disconnected, two more changes; reconnecting with Last-Event-ID catches up.
        act_ok(&app, &officer, &code, json!("StartProcessing")).await;
        act_ok(&app, &officer, &code, json!({ "Forward": { "note": "" } })).await;
        let missed = read_events(&app, &resident, Some(&seen), 2, Duration::from_secs(20)).await;
        let codes: Vec<&Value> = missed.iter().map(|(_, v)| &v["status"]).collect();
        assert_eq!(
            codes,
            vec![&json!("Processing"), &json!("Processing")],
            "{missed:?}"
        );
        assert!(
            missed
                .iter()
                .all(|(id, _)| id.parse::<i64>().unwrap() > seen.parse::<i64>().unwrap())
        );
        app.cleanup().await;
    }
);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_postgres_both_deliver_live_notifications() {
    let a = TestApp::spawn(Engine::Postgres).await;
    let b = a.second_instance().await;
    let resident = a.session_for(&RESIDENT_A).await;
    let officer = a.session_for(&OFFICER_HOAN_KIEM).await;
    let code = file_birth(&a, &resident).await;
    deliver(&a).await;
    // The resident listens on B; the officer acts on A.
    let listening = {
        let resident = resident.clone();
        let b = &b;
        async move { read_events(b, &resident, None, 1, Duration::from_secs(20)).await }
    };
    let acting = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        act_ok(&a, &officer, &code, json!("Accept")).await;
    };
    let (got, ()) = tokio::join!(listening, acting);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1["status"], "Accepted");
    // And the other way round.
    let listening = {
        let resident = resident.clone();
        let a = &a;
        async move { read_events(a, &resident, None, 1, Duration::from_secs(20)).await }
    };
    let acting = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        act_ok(&b, &officer, &code, json!("StartProcessing")).await;
    };
    let (got, ()) = tokio::join!(listening, acting);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].1["status"], "Processing");
    b.state.db.close().await;
    a.cleanup().await;
}

both_engines!(
    notification_email_is_retried_until_the_mail_server_accepts_it,
    |engine| {
        let sink = crate::smtp_sink::SmtpSink::start().await;
        let app = TestApp::spawn(engine).await;
        let resident = app.session_for(&RESIDENT_A).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let user = app
            .state
            .db
            .user_by_cccd(RESIDENT_A.cccd)
            .await
            .unwrap()
            .unwrap();
        app.state
            .db
            .set_user_contact(&user.id, Some("an.nguyen@example.vn"), None)
            .await
            .unwrap();
        let code = file_birth(&app, &resident).await;
        act_ok(&app, &officer, &code, json!("Accept")).await;
        act_ok(&app, &officer, &code, json!("StartProcessing")).await;
        act_ok(&app, &officer, &code, json!({ "RequestSupplement": { "items": [{ "slot": "giay_chung_sinh", "label": "Giấy chứng sinh", "note": "" }], "note": "Ảnh mờ" } })).await;
        deliver(&app).await;
        let mailer = dichvucong::server::mail::Mailer::new(
            sink.addr.clone(),
            "Dịch vụ công Hà Nội <no-reply@dichvucong.hanoi.gov.vn>",
        );
        // The mail server defers everything once: nothing is lost, each waits for its retry.
        sink.defer_next(10);
        let sent = dichvucong::server::notify::send_due_mail(&app.state.db, &mailer)
            .await
            .unwrap();
        assert_eq!(sent, 0);
        let pending: Vec<(i64, Option<String>)> = dichvucong::with_db!(&app.state.db, pool => {
            sqlx::query_as("SELECT attempts, last_error FROM mail_queue").fetch_all(pool).await.unwrap()
        });
        assert_eq!(
            pending.len(),
            4,
            "submitted, accepted, processing, supplement"
        );
        assert!(pending.iter().all(|(n, e)| *n == 1 && e.is_some()));
        // Not yet due: nothing is sent before the back-off.
        sink.defer_next(0);
        assert_eq!(
            dichvucong::server::notify::send_due_mail(&app.state.db, &mailer)
                .await
                .unwrap(),
            0
        );
        dichvucong::with_db!(&app.state.db, pool => {
            sqlx::query("UPDATE mail_queue SET next_attempt_at = $1").bind(chrono::Utc::now() - chrono::Duration::seconds(1)).execute(pool).await.unwrap();
        });
        assert_eq!(
            dichvucong::server::notify::send_due_mail(&app.state.db, &mailer)
                .await
                .unwrap(),
            4
        );
        let got = sink.wait_for(4, Duration::from_secs(10)).await;
        let supplement = got
            .iter()
            .find(|m| m.subject.contains("cần bổ sung"))
            .expect("supplement mail");
        assert_eq!(supplement.to, vec!["an.nguyen@example.vn".to_string()]);
        assert!(supplement.subject.contains(&code));
        assert!(
            supplement.text.contains("Ảnh mờ")
                && supplement.text.contains(&format!("/ho-so/{code}"))
        );
        // Sent ones are not sent again.
        assert_eq!(
            dichvucong::server::notify::send_due_mail(&app.state.db, &mailer)
                .await
                .unwrap(),
            0
        );
        app.cleanup().await;
    }
);

both_engines!(outbox_messages_survive_a_restart, |engine| {
    // A dossier filed while no server runs: as if the server died right after the commit,
    // before delivering anything.
    let stopped = crate::support::TestDb::new(engine).await;
    let db = stopped.connect().await;
    let token = crate::support::create_session(&db, &RESIDENT_A).await;
    let user = db.user_by_cccd(RESIDENT_A.cccd).await.unwrap().unwrap();
    let now = chrono::Utc::now();
    db.import_catalog(&dichvucong::server::seed::load(&crate::support::repo_path("data")).unwrap())
        .await
        .unwrap();
    let filed = dichvucong::server::db::filing::NewDossier {
        user_id: Some(user.id.clone()),
        procedure_code: "1.001193.000.00.00.H26".into(),
        unit_code: "00070".into(),
        channel: dichvucong::domain::filing::Channel::Online,
        applicant_name: RESIDENT_A.name.into(),
        applicant_id_suffix: "2345".into(),
        answers: Default::default(),
        fee_vnd: 0,
        idempotency_key: "restart-1".into(),
        draft_id: None,
        received_at: now,
        due_at: now + chrono::Duration::days(1),
        working_days: 1,
        counter: None,
    };
    db.submit_dossier(&filed, dichvucong::server::db::filing::local_day(now))
        .await
        .unwrap();
    db.close().await;
    // Two instances start on that database; the pending message is delivered exactly once.
    let url = stopped.url.clone();
    let a = TestApp::spawn_with(engine, |c| c.database_url = url).await;
    let b = a.second_instance().await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (_, inbox) = call(&b, &token, "/api/notifications/list", json!({})).await;
        if inbox["items"].as_array().map(|a| a.len()) == Some(1) {
            assert_eq!(inbox["items"][0]["topic"], "dossier.submitted");
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{inbox}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (pending, delivered): (i64, i64) = dichvucong::with_db!(&a.state.db, pool => {
        sqlx::query_as("SELECT (SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL), (SELECT COUNT(*) FROM notifications)")
            .fetch_one(pool).await.unwrap()
    });
    assert_eq!((pending, delivered), (0, 1));
    b.state.db.close().await;
    a.cleanup().await;
    stopped.cleanup().await;
});

both_engines!(
    the_deadline_job_flags_due_soon_and_overdue_but_not_paused,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let resident = app.session_for(&RESIDENT_A).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let late = file_birth(&app, &resident).await;
        let paused = file_birth(&app, &resident).await;
        act_ok(&app, &officer, &paused, json!({ "RequestSupplement": { "items": [{ "slot": "giay_chung_sinh", "label": "Giấy chứng sinh", "note": "" }], "note": "" } })).await;
        // Both received 20 days ago (birth registration takes 1 working day).
        dichvucong::with_db!(&app.state.db, pool => {
            sqlx::query("UPDATE dossiers SET received_at = $1, due_at = $2")
                .bind(chrono::Utc::now() - chrono::Duration::days(20))
                .bind(chrono::Utc::now() - chrono::Duration::days(19))
                .execute(pool).await.unwrap();
            sqlx::query("UPDATE supplements SET requested_at = $1")
                .bind(chrono::Utc::now() - chrono::Duration::days(20))
                .execute(pool).await.unwrap();
        });
        let changed = dichvucong::server::jobs::flag_deadlines(&app.state.db, chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(changed, 1);
        let (_, console) = call(
            &app,
            &officer,
            "/api/staff/console",
            json!({ "req": { "unit": "00070", "queue": "qua-han", "q": "" } }),
        )
        .await;
        let codes: Vec<&str> = console["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, vec![late.as_str()]);
        // Running it again changes nothing; the ward's staff are told once.
        assert_eq!(
            dichvucong::server::jobs::flag_deadlines(&app.state.db, chrono::Utc::now())
                .await
                .unwrap(),
            0
        );
        deliver(&app).await;
        let (_, inbox) = call(&app, &officer, "/api/notifications/list", json!({})).await;
        assert_eq!(
            inbox["items"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|n| n["topic"] == "dossier.deadline")
                .count(),
            1,
            "{inbox}"
        );
        // The late dossier can now get an apology with a new working-day appointment.
        let (status, v) = act(
            &app,
            &officer,
            "00070",
            &late,
            json!({ "Apologise": { "new_due": "2030-01-06", "reason": "Chờ xác minh" } }),
        )
        .await;
        assert_eq!(status, 422, "a Sunday: {v}");
        let v = act_ok(
            &app,
            &officer,
            &late,
            json!({ "Apologise": { "new_due": "2030-01-07", "reason": "Chờ xác minh thông tin" } }),
        )
        .await;
        assert!(v["slips"].as_array().unwrap().contains(&json!("xin-loi")));
        let r = app
            .get_as(
                Some(&officer),
                &format!("/files/dossiers/{late}/phieu-xin-loi.pdf"),
            )
            .await;
        assert_eq!(r.status(), 200);
        let text = crate::support::pdf_text(&r.bytes().await.unwrap());
        assert!(
            text.contains("07/01/2030") && text.contains("Chờ xác minh thông tin"),
            "{text}"
        );
        app.cleanup().await;
    }
);

both_engines!(
    a_fee_asked_for_during_processing_is_paid_online_and_processing_resumes,
    |engine| {
        use crate::payments::{get, notice, query_of, send_ipn, start_payment};
        let app = TestApp::spawn(engine).await;
        let resident = app.session_for(&RESIDENT_A).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let code = file_birth(&app, &resident).await;
        act_ok(&app, &officer, &code, json!("Accept")).await;
        act_ok(&app, &officer, &code, json!("StartProcessing")).await;
        let (status, _) = act(
            &app,
            &officer,
            "00070",
            &code,
            json!({ "RequestPayment": { "amount_vnd": 5, "reason": "Lệ phí" } }),
        )
        .await;
        assert_eq!(status, 422, "amount out of range");
        act_ok(&app, &officer, &code, json!({ "RequestPayment": { "amount_vnd": 50000, "reason": "Phí cấp bản sao trích lục bổ sung" } })).await;
        let v = mine(&app, &resident, &code).await;
        assert_eq!(v["dossier"]["status"], "PaymentRequested");
        assert_eq!(v["payment_due_vnd"], 50000);
        // The gateway is asked for exactly the requested amount; its signed notice settles it.
        let (status, url) = start_payment(&app, &resident, &code).await;
        assert_eq!(status, 200, "{url}");
        let q = query_of(url.as_str().unwrap());
        assert_eq!(get(&q, "vnp_Amount"), "5000000");
        let txn = get(&q, "vnp_TxnRef").to_string();
        let paid = notice(&txn, "5000000", "00", "14999001", "DVCHN-SANDBOX-SECRET");
        assert_eq!(send_ipn(&app, &paid).await, "00");
        assert_eq!(
            send_ipn(&app, &paid).await,
            "02",
            "a replay changes nothing"
        );
        let v = mine(&app, &resident, &code).await;
        assert_eq!(v["dossier"]["status"], "Processing");
        assert_eq!(v["payment_due_vnd"], Value::Null);
        let last = v["dossier"]["events"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(last["actor_role"], "system");
        assert_eq!(status_code(&last["status"]), 4);
        assert_eq!(
            last["said"],
            json!({ "code": "paid", "amount_vnd": 50000, "txn": "14999001" }),
            "what the portal says, for each reader to read in their language"
        );
        app.cleanup().await;
    }
);

both_engines!(
    the_resident_sees_and_downloads_the_documents_they_filed,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let binh = app.session_for(&RESIDENT_B).await;
        let code = file_birth(&app, &an).await;
        let r = app
            .call_as(
                Some(&an),
                "/api/dossiers/mine/detail",
                serde_json::json!({ "req": { "code": code } }),
            )
            .await;
        assert_eq!(r.status(), 200);
        let v: serde_json::Value = r.json().await.unwrap();
        let docs = v["documents"].as_array().expect("documents listed");
        assert_eq!(docs.len(), 1, "{v}");
        let photo = crate::uploads::fixture("giay-chung-sinh.jpg");
        assert_eq!(docs[0]["slot"], "giay_chung_sinh");
        assert_eq!(docs[0]["name"], "giay.jpg");
        assert_eq!(docs[0]["size"], photo.len());
        assert_eq!(docs[0]["kind"], "jpeg");
        assert!(docs[0]["at"].as_str().is_some());
        let path = format!("/files/dossiers/{code}/{}", docs[0]["id"].as_str().unwrap());
        let got = app.get_as(Some(&an), &path).await;
        assert_eq!(got.status(), 200);
        assert_eq!(got.headers()["content-type"], "image/jpeg");
        assert!(
            got.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment"),
            "never shown inline"
        );
        assert_eq!(got.bytes().await.unwrap().as_ref(), photo.as_slice());
        assert_eq!(
            app.get_as(Some(&binh), &path).await.status(),
            404,
            "not Bình's"
        );
        assert_eq!(app.get_as(None, &path).await.status(), 401);
        app.cleanup().await;
    }
);

both_engines!(
    the_portal_speaks_each_readers_language_in_timelines_and_mail,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let resident = app.session_for(&RESIDENT_A).await;
        // The resident reads the portal in English (the app says so with every session check).
        let (status, _) = call(&app, &resident, "/api/session/me", json!({ "lang": "en" })).await;
        assert_eq!(status, 200);
        let user = app
            .state
            .db
            .user_by_cccd(RESIDENT_A.cccd)
            .await
            .unwrap()
            .unwrap();
        app.state
            .db
            .set_user_contact(&user.id, Some("an.nguyen@example.vn"), None)
            .await
            .unwrap();
        let code = file_birth(&app, &resident).await;
        act_ok(&app, &officer, &code, json!("Accept")).await;
        deliver(&app).await;
        let mail: Vec<(String, String)> = dichvucong::with_db!(&app.state.db, pool => {
            sqlx::query_as("SELECT subject, body FROM mail_queue ORDER BY created_at, id").fetch_all(pool).await.unwrap()
        });
        assert_eq!(mail.len(), 2, "submitted and accepted");
        assert_eq!(mail[0].0, format!("Application {code} received"));
        assert!(mail[1].1.starts_with("Dear Sir or Madam,"), "{}", mail[1].1);

        // A counter intake: the portal's own words are a code, worded for each reader.
        let mut answers = birth_answers();
        answers["receiving_unit"] = json!("00070");
        let (status, counter) = call(
            &app,
            &officer,
            "/api/staff/intake",
            json!({ "req": { "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001189012389",
                "name": "Trần Thị Bình", "answers": answers, "consent": { "method": "signature", "shown": true }, "idempotency_key": "lang-0001" } }),
        )
        .await;
        assert_eq!(status, 200, "{counter}");
        let (_, view) = call(
            &app,
            &officer,
            "/api/staff/dossier",
            json!({ "req": { "unit": "00070", "code": counter } }),
        )
        .await;
        let first = &view["dossier"]["events"][0];
        assert_eq!(first["said"], json!({ "code": "counter_intake" }));
        assert_eq!(first["note"], Value::Null, "no Vietnamese sentence stored");
        assert_eq!(view["dossier"]["unit_name"], "Phường Hoàn Kiếm");
        assert_eq!(view["dossier"]["unit_name_en"], "Hoàn Kiếm Ward");
        let said: dichvucong::domain::filing::Said =
            serde_json::from_value(first["said"].clone()).unwrap();
        use dichvucong::ui::i18n::{Lang, said_text};
        assert_eq!(
            said_text(Lang::En, &said),
            "Received in person at the one-stop counter"
        );
        assert_eq!(
            said_text(Lang::Vi, &said),
            "Tiếp nhận trực tiếp tại bộ phận một cửa"
        );
        app.cleanup().await;
    }
);

both_engines!(
    a_counter_intake_is_confirmed_on_the_residents_phone_lists_its_papers_and_is_audited,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let officer = app.session_for(&OFFICER_HOAN_KIEM).await;
        let binh = app.session_for(&RESIDENT_B).await;
        let an = app.session_for(&RESIDENT_A).await;
        let mut answers = birth_answers();
        answers["receiving_unit"] = json!("00070");
        let intake = |consent: Value, papers: Value, key: &str| {
            json!({ "req": {
                "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001189012389", "name": "Trần Thị Bình",
                "answers": answers, "consent": consent, "papers": papers, "idempotency_key": key } })
        };
        // The counter asks for a confirmation for Bình's ID number.
        let (status, ticket) = call(
            &app,
            &officer,
            "/api/staff/intake/consent",
            json!({ "req": { "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001189012389" } }),
        )
        .await;
        assert_eq!(status, 200, "{ticket}");
        let token = ticket["token"].as_str().unwrap().to_string();
        assert!(
            ticket["url"]
                .as_str()
                .unwrap()
                .ends_with(&format!("/xac-nhan/{token}"))
        );
        let status_of = || {
            let (app, officer, token) = (&app, officer.clone(), token.clone());
            async move {
                call(
                    app,
                    &officer,
                    "/api/staff/intake/consent-status",
                    json!({ "req": { "unit": "00070", "token": token } }),
                )
                .await
            }
        };
        assert_eq!(status_of().await, (200, json!(false)));
        // Not confirmed yet: the intake waits.
        let phone = json!({ "method": "phone", "token": token });
        let (status, v) = call(
            &app,
            &officer,
            "/api/staff/intake",
            intake(phone.clone(), json!([0, 1]), "quay-phone-01"),
        )
        .await;
        assert_eq!(status, 422);
        assert!(v.to_string().contains("consent_not_confirmed"), "{v}");
        // The QR code, to this ward's staff only.
        let qr = app
            .get_as(
                Some(&officer),
                &format!("/files/intake-consent/{token}.svg?don-vi=00070"),
            )
            .await;
        assert_eq!(qr.status(), 200);
        assert_eq!(qr.headers()["content-type"], "image/svg+xml");
        assert!(qr.text().await.unwrap().starts_with("<svg"));
        assert_eq!(
            app.get_as(
                Some(&an),
                &format!("/files/intake-consent/{token}.svg?don-vi=00070")
            )
            .await
            .status(),
            404
        );

        // An, signed in on his phone, is not the person asked: nothing there.
        let (status, _) = call(
            &app,
            &an,
            "/api/consent/get",
            json!({ "req": { "token": token } }),
        )
        .await;
        assert_eq!(status, 404);
        assert_eq!(
            call(
                &app,
                &an,
                "/api/consent/confirm",
                json!({ "req": { "token": token } })
            )
            .await
            .0,
            404
        );
        // Bình reads it and confirms.
        let (status, shown) = call(
            &app,
            &binh,
            "/api/consent/get",
            json!({ "req": { "token": token } }),
        )
        .await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!(shown["unit_vi"], "Phường Hoàn Kiếm");
        assert_eq!(shown["procedure_vi"], "Đăng ký khai sinh");
        assert_eq!(
            shown["version"],
            dichvucong::domain::intake::CONSENT_VERSION
        );
        assert_eq!(shown["confirmed"], false);
        let (status, done) = call(
            &app,
            &binh,
            "/api/consent/confirm",
            json!({ "req": { "token": token } }),
        )
        .await;
        assert_eq!((status, done["confirmed"].clone()), (200, json!(true)));
        assert_eq!(status_of().await, (200, json!(true)));

        // A paper the procedure does not list is refused; the real ones are recorded.
        let (status, v) = call(
            &app,
            &officer,
            "/api/staff/intake",
            intake(phone.clone(), json!([0, 99]), "quay-phone-01"),
        )
        .await;
        assert_eq!(status, 422);
        assert!(v.to_string().contains("papers.1"), "{v}");
        let (status, code) = call(
            &app,
            &officer,
            "/api/staff/intake",
            intake(phone.clone(), json!([0, 1]), "quay-phone-01"),
        )
        .await;
        assert_eq!(status, 200, "{code}");
        let code = code.as_str().unwrap().to_string();
        // The confirmation served this dossier; another intake cannot use it again.
        let (status, v) = call(
            &app,
            &officer,
            "/api/staff/intake",
            intake(phone, json!([0]), "quay-phone-02"),
        )
        .await;
        assert_eq!(status, 422);
        assert!(v.to_string().contains("consent_not_found"), "{v}");

        // The receipt lists the papers and the consent; the intake is in the audit log.
        let r = app
            .get_as(
                Some(&officer),
                &format!("/files/dossiers/{code}/giay-tiep-nhan.pdf"),
            )
            .await;
        assert_eq!(r.status(), 200);
        let text = crate::support::pdf_text(&r.bytes().await.unwrap());
        assert!(
            text.contains(
                "Giấy chứng sinh do cơ sở y tế nơi trẻ sinh ra cấp: 01 bản chính (bản giấy)"
            ),
            "{text}"
        );
        assert!(text.contains("Đã xác nhận trên điện thoại"), "{text}");
        assert!(
            text.contains(dichvucong::domain::intake::CONSENT_VERSION),
            "{text}"
        );
        let audit = app.state.db.audit_rows().await.unwrap();
        let row = audit
            .iter()
            .find(|r| r.action == "counter_intake")
            .expect("intake audited");
        assert_eq!(
            row.detail.as_deref(),
            Some(
                format!(
                    "consent=phone version={} papers=2",
                    dichvucong::domain::intake::CONSENT_VERSION
                )
                .as_str()
            )
        );
        assert!(
            audit
                .iter()
                .any(|r| r.action == "intake_consent" && r.outcome == "ok")
        );

        // A code unused for fifteen minutes can no longer be confirmed.
        let (_, late) = call(
            &app,
            &officer,
            "/api/staff/intake/consent",
            json!({ "req": { "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001189012389" } }),
        )
        .await;
        app.state.clock.advance(chrono::Duration::minutes(16));
        let (status, _) = call(
            &app,
            &binh,
            "/api/consent/confirm",
            json!({ "req": { "token": late["token"] } }),
        )
        .await;
        assert_eq!(status, 404);
        app.cleanup().await;
    }
);
