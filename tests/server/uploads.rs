//! Attachments: pieces over `PUT /files/uploads/{id}`, types recognised by content, refusals
//! with reasons, resuming after a dropped connection, owner-only downloads, and the files
//! going with the dossier.

use crate::both_engines;
use crate::filing::{birth_answers, start};
use crate::support::{RESIDENT_A, RESIDENT_B, TestApp, repo_path};
use dichvucong::domain::upload::CHUNK_BYTES;
use serde_json::{Value, json};

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(repo_path(&format!("tests/fixtures/{name}"))).unwrap()
}

/// A real JPEG grown past `size` bytes with comment segments (still a valid image).
pub fn big_jpeg(size: usize) -> Vec<u8> {
    let photo = fixture("giay-chung-sinh.jpg");
    let mut out = photo[..2].to_vec();
    while out.len() < size {
        out.extend_from_slice(&[0xFF, 0xFE, 0xEA, 0x62]);
        out.extend(std::iter::repeat_n(b'.', 0xEA62 - 2));
    }
    out.extend_from_slice(&photo[2..]);
    out
}

pub async fn put(app: &TestApp, who: &str, id: &str, offset: usize, bytes: &[u8]) -> (u16, Value) {
    let resp = app
        .client
        .put(app.url(&format!("/files/uploads/{id}")))
        .header(
            "cookie",
            format!("{}={who}", dichvucong::server::auth::SESSION_COOKIE),
        )
        .header("sec-fetch-site", "same-origin")
        .header("upload-offset", offset.to_string())
        .body(bytes.to_vec())
        .send()
        .await
        .unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// Announces a file and sends it in pieces. `Ok(view)` or `Err((status, error code))`.
pub async fn attach(
    app: &TestApp,
    who: &str,
    draft_id: &str,
    slot: &str,
    name: &str,
    bytes: &[u8],
) -> Result<Value, (u16, String)> {
    let resp = app
        .call_as(
            Some(who),
            "/api/uploads/start",
            json!({ "req": { "draft_id": draft_id, "slot": slot, "name": name, "size": bytes.len() } }),
        )
        .await;
    let status = resp.status().as_u16();
    let body: Value = resp.json().await.unwrap();
    if status != 200 {
        return Err((
            status,
            body["Validation"]["fields"][0]["code"]
                .as_str()
                .unwrap_or("?")
                .to_string(),
        ));
    }
    let id = body["id"].as_str().unwrap().to_string();
    let mut last = body;
    for (i, piece) in bytes.chunks(CHUNK_BYTES).enumerate() {
        let (status, v) = put(app, who, &id, i * CHUNK_BYTES, piece).await;
        if status != 200 {
            // A refusal names the field's code; anything else is the error's own name.
            let code = v["Validation"]["fields"][0]["code"].as_str().or(v.as_str());
            return Err((status, code.unwrap_or("?").to_string()));
        }
        last = v;
    }
    Ok(last)
}

/// Announces a birth-notice file of `size` bytes and returns its upload id.
async fn announce(app: &TestApp, who: &str, draft_id: &str, name: &str, size: usize) -> String {
    let resp = app
        .call_as(
            Some(who),
            "/api/uploads/start",
            json!({ "req": { "draft_id": draft_id, "slot": "giay_chung_sinh", "name": name, "size": size } }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    resp.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn stored_files(app: &TestApp) -> usize {
    std::fs::read_dir(app.files.path().join("stored"))
        .unwrap()
        .count()
        + std::fs::read_dir(app.files.path().join("partial"))
            .unwrap()
            .count()
}

both_engines!(
    attachments_go_with_the_dossier_and_only_to_their_owner,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let binh = app.session_for(&RESIDENT_B).await;
        let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
        let draft_id = draft["id"].as_str().unwrap();
        let resp = app
            .call_as(
                Some(&an),
                "/api/filing/save",
                json!({ "req": { "id": draft_id, "answers": birth_answers() } }),
            )
            .await;
        assert_eq!(resp.status(), 200);

        // Without the birth notice the dossier is incomplete.
        let submit = || {
            app.call_as(
            Some(&an),
            "/api/filing/submit",
            json!({ "req": { "draft_id": draft_id, "idempotency_key": draft["idempotency_key"] } }),
        )
        };
        let resp = submit().await;
        assert_eq!(resp.status(), 422);
        let err: Value = resp.json().await.unwrap();
        assert_eq!(
            err["Validation"]["fields"],
            json!([{ "field": "doc.giay_chung_sinh", "code": "required" }])
        );

        let photo = fixture("giay-chung-sinh.jpg");
        let up = attach(
            &app,
            &an,
            draft_id,
            "giay_chung_sinh",
            "C:\\Ảnh\\giấy chứng sinh.jpg",
            &photo,
        )
        .await
        .unwrap();
        assert_eq!(up["complete"], true);
        assert_eq!(up["kind"], "jpeg");
        assert_eq!(up["name"], "giấy chứng sinh.jpg", "path dropped, name kept");
        let id = up["id"].as_str().unwrap().to_string();
        // Kept outside the served folder, under its random id.
        assert_eq!(
            std::fs::read(app.files.path().join("stored").join(&id)).unwrap(),
            photo
        );
        let listed: Value = app
            .call_as(
                Some(&an),
                "/api/uploads/list",
                json!({ "req": { "draft_id": draft_id } }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1);

        let download = |who: &str| {
            app.client
                .get(app.url(&format!("/files/uploads/{id}")))
                .header(
                    "cookie",
                    format!("{}={who}", dichvucong::server::auth::SESSION_COOKIE),
                )
                .send()
        };
        let resp = download(&an).await.unwrap();
        assert_eq!(resp.status(), 200);
        assert_eq!(resp.headers()["content-type"], "image/jpeg");
        assert_eq!(resp.headers()["x-content-type-options"], "nosniff");
        assert!(
            resp.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .starts_with("attachment")
        );
        assert_eq!(resp.bytes().await.unwrap().to_vec(), photo);
        assert_eq!(
            download(&binh).await.unwrap().status(),
            404,
            "someone else's file"
        );
        // Bình cannot add to, list or delete An's files either.
        assert!(
            attach(&app, &binh, draft_id, "giay_chung_sinh", "x.jpg", &photo)
                .await
                .is_err()
        );
        let r = app
            .call_as(
                Some(&binh),
                "/api/uploads/delete",
                json!({ "req": { "id": id } }),
            )
            .await;
        assert_eq!(r.status(), 404);
        let (status, _) = put(&app, &binh, &id, 0, &photo).await;
        assert_eq!(status, 404);

        let resp = submit().await;
        assert_eq!(resp.status(), 200);
        let code: String = resp.json().await.unwrap();
        let files = app.state.db.dossier_uploads(&code).await.unwrap();
        assert_eq!(files.len(), 1, "the file went with the dossier");
        // Filed files can no longer be deleted, and the owner can still download them.
        let r = app
            .call_as(
                Some(&an),
                "/api/uploads/delete",
                json!({ "req": { "id": id } }),
            )
            .await;
        assert_eq!(r.status(), 404);
        assert_eq!(download(&an).await.unwrap().status(), 200);
        // The sweep keeps them.
        dichvucong::server::uploads::sweep(&app.state).await;
        assert_eq!(stored_files(&app), 1);
        app.cleanup().await;
    }
);

both_engines!(
    disguised_empty_and_oversized_files_are_refused_with_a_reason,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
        let draft_id = draft["id"].as_str().unwrap();
        let mut polyglot = vec![0xFF, 0xD8, 0xFF, 0xFE, 0x00, 0x30];
        polyglot.extend_from_slice(b"<html><body><script>alert(document.cookie)</script>");
        polyglot.extend_from_slice(&fixture("giay-chung-sinh.jpg")[2..]);
        let mut exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF".to_vec();
        exe.resize(4096, 0);
        let svg =
            br#"<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect/></svg>"#.to_vec();
        let pdf_js = b"%PDF-1.4\n1 0 obj << /Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >> >> endobj\n%%EOF\n".to_vec();
        let mut truncated = fixture("van-ban.png");
        truncated.truncate(truncated.len() - 20);
        let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
            (
                "giay-chung-sinh.jpg.exe renamed to .jpg",
                exe,
                422,
                "file_type",
            ),
            ("anh.png", svg, 422, "file_type"),
            ("anh.jpg", polyglot, 422, "file_polyglot"),
            ("to-khai.pdf", pdf_js, 422, "file_active_content"),
            ("cat-ngang.png", truncated, 422, "file_broken"),
            ("rong.pdf", Vec::new(), 422, "file_empty"),
            (
                "qua-lon.jpg",
                big_jpeg(5 * 1024 * 1024 + 1),
                422,
                "file_too_big",
            ),
        ];
        for (name, bytes, status, code) in cases {
            let got = attach(&app, &an, draft_id, "giay_chung_sinh", name, &bytes).await;
            assert_eq!(got.err(), Some((status, code.to_string())), "{name}");
        }
        // Nothing of them is kept.
        assert_eq!(stored_files(&app), 0);
        let listed: Value = app
            .call_as(
                Some(&an),
                "/api/uploads/list",
                json!({ "req": { "draft_id": draft_id } }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(listed, json!([]));

        // A file that announces a small size and then sends more is cut off.
        let small = fixture("van-ban.png");
        let resp = app
        .call_as(
            Some(&an),
            "/api/uploads/start",
            json!({ "req": { "draft_id": draft_id, "slot": "giay_chung_sinh", "name": "a.png", "size": 100 } }),
        )
        .await;
        let id = resp.json::<Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let (status, v) = put(&app, &an, &id, 0, &small).await;
        let code = v["Validation"]["fields"][0]["code"].as_str();
        assert_eq!((status, code), (422, Some("file_too_big")));
        // A slot takes at most its number of files.
        for _ in 0..2 {
            attach(&app, &an, draft_id, "giay_chung_sinh", "trang.png", &small)
                .await
                .unwrap();
        }
        let third = attach(
            &app,
            &an,
            draft_id,
            "giay_chung_sinh",
            "trang-3.png",
            &small,
        )
        .await;
        assert_eq!(third.err(), Some((422, "too_many_files".to_string())));
        // And only the slots of the form exist.
        let other = attach(&app, &an, draft_id, "khong_co", "a.png", &small).await;
        assert_eq!(other.err(), Some((422, "unknown_slot".to_string())));
        app.cleanup().await;
    }
);

both_engines!(
    an_interrupted_upload_resumes_where_the_server_stands,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
        let draft_id = draft["id"].as_str().unwrap();
        let photo = big_jpeg(3 * CHUNK_BYTES / 2 * 2);
        let id = announce(&app, &an, draft_id, "anh.jpg", photo.len()).await;
        let (status, v) = put(&app, &an, &id, 0, &photo[..CHUNK_BYTES]).await;
        assert_eq!(status, 200);
        assert_eq!(v["received"], CHUNK_BYTES);
        // The phone lost the answer and sends the first piece again: told where the server is.
        let (status, v) = put(&app, &an, &id, 0, &photo[..CHUNK_BYTES]).await;
        assert_eq!(status, 409);
        let at = v["received"].as_u64().unwrap() as usize;
        assert_eq!(at, CHUNK_BYTES);
        // It carries on from there.
        for (i, piece) in photo[at..].chunks(CHUNK_BYTES).enumerate() {
            let (status, v) = put(&app, &an, &id, at + i * CHUNK_BYTES, piece).await;
            assert_eq!(status, 200, "{v}");
        }
        let stored = std::fs::read(app.files.path().join("stored").join(&id)).unwrap();
        assert_eq!(stored, photo, "byte for byte");
        app.cleanup().await;
    }
);

both_engines!(abandoned_uploads_and_stray_files_are_swept, |engine| {
    let app = TestApp::spawn(engine).await;
    let an = app.session_for(&RESIDENT_A).await;
    let draft = start(&app, &an, "dang-ky-khai-sinh", false).await;
    let draft_id = draft["id"].as_str().unwrap().to_string();
    attach(
        &app,
        &an,
        &draft_id,
        "giay_chung_sinh",
        "a.png",
        &fixture("van-ban.png"),
    )
    .await
    .unwrap();
    std::fs::write(app.files.path().join("stored").join("deadbeef"), b"no row").unwrap();
    dichvucong::server::uploads::sweep(&app.state).await;
    assert_eq!(
        stored_files(&app),
        1,
        "the stray file went, the draft's file stays"
    );
    // Deleting the draft leaves its file to the sweep.
    let r = app
        .call_as(
            Some(&an),
            "/api/filing/delete",
            json!({ "req": { "id": draft_id } }),
        )
        .await;
    assert_eq!(r.status(), 200);
    dichvucong::server::uploads::sweep(&app.state).await;
    assert_eq!(stored_files(&app), 0);
    app.cleanup().await;
});

// Several server instances share attachments through an S3-compatible bucket: pieces of one
// upload may reach different instances, the finished file is one object, nothing stays on
// the local disk.
both_engines!(
    attachments_in_s3_compatible_storage_across_two_instances,
    |engine| {
        let s3 = crate::support::S3Server::start().await;
        let a = TestApp::spawn_with(engine, |c| s3.configure(c)).await;
        // A second instance on the same database and the same bucket.
        let db_url = a.state.config.database_url.clone();
        let b = TestApp::spawn_with(engine, |c| {
            s3.configure(c);
            c.database_url = db_url;
        })
        .await;
        let an = a.session_for(&RESIDENT_A).await;
        let draft = start(&a, &an, "dang-ky-khai-sinh", false).await;
        let draft_id = draft["id"].as_str().unwrap();
        let photo = big_jpeg(CHUNK_BYTES * 2 + 1000);
        let id = announce(&a, &an, draft_id, "anh.jpg", photo.len()).await;
        // Pieces alternate between the instances.
        for (i, piece) in photo.chunks(CHUNK_BYTES).enumerate() {
            let app = if i % 2 == 0 { &a } else { &b };
            let (status, v) = put(app, &an, &id, i * CHUNK_BYTES, piece).await;
            assert_eq!(status, 200, "{v}");
        }
        let bucket = s3.client();
        assert_eq!(
            bucket.list("stored/").await.unwrap(),
            [format!("stored/{id}")]
        );
        assert!(
            bucket.list("partial/").await.unwrap().is_empty(),
            "pieces removed"
        );
        assert_eq!(
            bucket.get(&format!("stored/{id}")).await.unwrap().unwrap(),
            photo
        );
        for app in [&a, &b] {
            assert_eq!(
                std::fs::read_dir(app.files.path()).unwrap().count(),
                0,
                "nothing on the local disk"
            );
            let got = app.get_as(Some(&an), &format!("/files/uploads/{id}")).await;
            assert_eq!(got.status(), 200);
            assert_eq!(got.bytes().await.unwrap().to_vec(), photo);
        }
        // A refused file leaves nothing in the bucket; a stray object is swept.
        let mut polyglot = fixture("giay-chung-sinh.jpg");
        polyglot.splice(2..2, b"\xFF\xFE\x00\x10<script>x</script>".iter().copied());
        assert!(
            attach(&a, &an, draft_id, "giay_chung_sinh", "x.jpg", &polyglot)
                .await
                .is_err()
        );
        bucket
            .put("stored/deadbeef", b"no row".to_vec())
            .await
            .unwrap();
        dichvucong::server::uploads::sweep(&b.state).await;
        assert_eq!(bucket.list("").await.unwrap(), [format!("stored/{id}")]);
        b.cleanup().await;
        a.cleanup().await;
    }
);

/// A one-page PDF whose catalog opens an action dictionary `action` (object 5), with a
/// correct cross-reference table.
fn pdf_with_action(action: &str) -> Vec<u8> {
    use std::io::Write;
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
        "<< /Length 21 >>\nstream\nBT 72 720 Td (x) Tj ET\nendstream",
        action,
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        write!(out, "{} 0 obj\n{o}\nendobj\n", i + 1).unwrap();
    }
    let xref = out.len();
    write!(out, "xref\n0 6\n0000000000 65535 f \n").unwrap();
    for off in offsets {
        writeln!(out, "{off:010} 00000 n ").unwrap();
    }
    write!(
        out,
        "trailer\n<< /Size 6 /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
    )
    .unwrap();
    out
}

both_engines!(
    a_pdf_whose_script_is_spelled_with_escapes_is_refused,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let draft = start(&app, &an, "dang-ky-khai-sinh", true).await;
        let id = draft["id"].as_str().unwrap();
        // `/J#61vaScript /J#53` is `/JavaScript /JS` to every PDF viewer.
        let script = pdf_with_action("<< /S /J#61vaScript /J#53 (app.alert\\(1\\)) >>");
        let got = attach(&app, &an, id, "giay_chung_sinh", "giay.pdf", &script).await;
        assert_eq!(got, Err((422, "file_active_content".to_string())));
        // A link is fine.
        let link = pdf_with_action("<< /S /URI /URI (https://dichvucong.hanoi.gov.vn) >>");
        let got = attach(&app, &an, id, "giay_chung_sinh", "giay.pdf", &link).await;
        assert_eq!(got.unwrap()["complete"], true);
        assert_eq!(stored_files(&app), 1, "nothing kept of the refused one");
        app.cleanup().await;
    }
);

both_engines!(
    uploads_are_scanned_for_malware_and_wait_while_the_scanner_is_away,
    |engine| {
        use crate::support::{ClamdServer, EICAR};
        let mut clamd = ClamdServer::start().await;
        let addr = clamd.addr.clone();
        let app = TestApp::spawn_with(engine, |c| c.clamd_addr = Some(addr)).await;
        let an = app.session_for(&RESIDENT_A).await;
        let draft = start(&app, &an, "dang-ky-khai-sinh", true).await;
        let id = draft["id"].as_str().unwrap();
        let photo = fixture("giay-chung-sinh.jpg");
        let clean = attach(&app, &an, id, "giay_chung_sinh", "sach.jpg", &photo).await;
        assert_eq!(clean.unwrap()["complete"], true);

        // The test virus in a JPEG comment: a valid image, refused by the scanner, audited.
        let mut infected = photo[..2].to_vec();
        infected.extend_from_slice(&[0xFF, 0xFE, 0, (EICAR.len() + 2) as u8]);
        infected.extend_from_slice(EICAR);
        infected.extend_from_slice(&photo[2..]);
        let got = attach(&app, &an, id, "giay_chung_sinh", "virus.jpg", &infected).await;
        assert_eq!(got, Err((422, "file_malware".to_string())));
        let audited = app
            .state
            .db
            .audit_rows()
            .await
            .unwrap()
            .into_iter()
            .filter(|r| r.action == "upload_malware" && r.outcome == "denied")
            .count();
        assert_eq!(audited, 1);
        assert_eq!(stored_files(&app), 1, "only the clean photo is kept");

        // The scanner goes away: a finished upload waits in quarantine, neither complete nor
        // downloadable, and the browser is told to try again.
        clamd.stop();
        let waiting = attach(
            &app,
            &an,
            id,
            "giay_chung_sinh",
            "sau.png",
            &fixture("van-ban.png"),
        )
        .await;
        assert_eq!(waiting, Err((503, "Unavailable".to_string())));
        let list: Value = app
            .call_as(
                Some(&an),
                "/api/uploads/list",
                json!({ "req": { "draft_id": id } }),
            )
            .await
            .json()
            .await
            .unwrap();
        let quarantined = list
            .as_array()
            .unwrap()
            .iter()
            .find(|u| u["name"] == "sau.png")
            .unwrap()
            .clone();
        assert_eq!(quarantined["complete"], false);
        let upload = quarantined["id"].as_str().unwrap();
        assert_eq!(
            app.get_as(Some(&an), &format!("/files/uploads/{upload}"))
                .await
                .status(),
            404
        );
        // Back: the browser's next try finishes it.
        clamd.restart().await;
        let (status, v) = put(
            &app,
            &an,
            upload,
            quarantined["size"].as_u64().unwrap() as usize,
            &[],
        )
        .await;
        assert_eq!((status, v["complete"].clone()), (200, json!(true)), "{v}");

        // And while nobody is there to try again, the sweep does (a second draft: the slot
        // takes two files).
        let draft = start(&app, &an, "dang-ky-khai-sinh", true).await;
        let id = draft["id"].as_str().unwrap();
        clamd.stop();
        let later = attach(&app, &an, id, "giay_chung_sinh", "nua.jpg", &photo).await;
        assert_eq!(later, Err((503, "Unavailable".to_string())));
        dichvucong::server::uploads::sweep(&app.state).await;
        clamd.restart().await;
        dichvucong::server::uploads::sweep(&app.state).await;
        let list: Value = app
            .call_as(
                Some(&an),
                "/api/uploads/list",
                json!({ "req": { "draft_id": id } }),
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|u| u["complete"] == true),
            "{list}"
        );
        app.cleanup().await;
    }
);
