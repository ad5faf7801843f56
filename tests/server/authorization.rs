//! Every server function is a public HTTP endpoint. The test takes the functions the server
//! actually registered (not a hand-kept list): each must have an access rule in
//! `dichvucong::api::registry::ALL` and a case below, or the suite fails.
//!
//! Each case works on real objects (the resident's own drafts, uploads and dossiers, real
//! dossiers of two wards), so that the allowed caller must succeed (200) and everyone else
//! must be refused exactly as the rule says: anonymous 401, a resident of too low a level
//! 403, someone else's object 404, another ward's staff 404 and an audited denial.

use crate::both_engines;
use crate::filing::{birth_answers, start};
use crate::support::{
    ADMIN, OFFICER_BA_DINH, OFFICER_HOAN_KIEM, Person, RESIDENT_A, RESIDENT_B, RESIDENT_LEVEL1,
    TestApp,
};
use crate::uploads::{attach, fixture};
use dichvucong::api::registry::{ALL, Access};
use serde_json::{Value, json};
use std::collections::BTreeSet;

async fn call(app: &TestApp, who: Option<&str>, path: &str, body: &Value) -> (u16, Value) {
    let r = app.call_as(who, path, body.clone()).await;
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Files a birth registration for `who` at `unit` with `copies` paid extracts; its code and
/// the id of the photo filed with it.
async fn file_birth_at(
    app: &TestApp,
    (who, person): (&str, &Person),
    unit: &str,
    copies: &str,
) -> (String, String) {
    let draft = start(app, who, "dang-ky-khai-sinh", true).await;
    let id = draft["id"].as_str().unwrap();
    let mut answers = crate::filing::birth_answers_by(person.name, person.cccd);
    answers["receiving_unit"] = json!(unit);
    answers["extract_copies"] = json!(copies);
    let (status, v) = call(
        app,
        Some(who),
        "/api/filing/save",
        &json!({ "req": { "id": id, "answers": answers } }),
    )
    .await;
    assert_eq!(status, 200, "{v}");
    let photo = attach(
        app,
        who,
        id,
        "giay_chung_sinh",
        "giay.jpg",
        &fixture("giay-chung-sinh.jpg"),
    )
    .await
    .unwrap();
    let (status, code) = call(
        app,
        Some(who),
        "/api/filing/submit",
        &json!({ "req": { "draft_id": id, "idempotency_key": draft["idempotency_key"] } }),
    )
    .await;
    assert_eq!(status, 200, "{code}");
    (
        code.as_str().unwrap().to_string(),
        photo["id"].as_str().unwrap().to_string(),
    )
}

async fn act(app: &TestApp, who: &str, code: &str, act: Value) {
    let (status, v) = call(
        app,
        Some(who),
        "/api/staff/act",
        &json!({ "req": { "unit": "00070", "code": code, "act": act } }),
    )
    .await;
    assert_eq!(status, 200, "{act}: {v}");
}

/// The people and the objects the cases work on.
struct World {
    resident: String,
    other_resident: String,
    level1: String,
    stale: String,
    officer: String,
    officer_ba_dinh: String,
    admin: String,
    /// Nguyễn Văn An's dossier at Phường Hoàn Kiếm (new), with its photo.
    dossier: String,
    photo: String,
    /// Trần Thị Bình's dossier at Phường Ba Đình, with its photo.
    ba_dinh: String,
    ba_dinh_photo: String,
    /// An's dossiers for the acts that change them.
    to_accept: String,
    to_withdraw: String,
    to_supplement: String,
    with_fee: String,
    /// An's drafts: one to read and save, one to delete, one complete to submit.
    draft: String,
    to_delete: String,
    to_submit: (String, String),
    /// An upload on `draft`, to delete.
    upload: String,
    notification: i64,
    /// A person the administrator disables.
    disposable_user: String,
    /// A counter confirmation asked for An's consent.
    consent: String,
    /// The health-record subject id of An's daughter (An and Bình have consented).
    child: String,
    /// A share link of An's.
    share: String,
    /// A birth registration draft of Bình's (her record holds a birth certificate).
    binh_draft: String,
}

impl World {
    async fn build(app: &TestApp) -> World {
        let session = |p: &'static Person| app.session_for(p);
        let resident = session(&RESIDENT_A).await;
        let other_resident = session(&RESIDENT_B).await;
        let level1 = session(&RESIDENT_LEVEL1).await;
        let stale = session(&Person {
            login_minutes_ago: 30,
            ..RESIDENT_A
        })
        .await;
        let officer = session(&OFFICER_HOAN_KIEM).await;
        let officer_ba_dinh = session(&OFFICER_BA_DINH).await;
        let admin = session(&ADMIN).await;
        let disposable_user = {
            session(&Person {
                name: "Đinh Văn Tạm",
                cccd: "001092000777",
                ..RESIDENT_A
            })
            .await;
            dichvucong::with_db!(&app.state.db, p => {
                sqlx::query_scalar::<_, String>("SELECT id FROM users WHERE cccd = '001092000777'")
                    .fetch_one(p).await.unwrap()
            })
        };

        let an = (resident.as_str(), &RESIDENT_A);
        let (dossier, photo) = file_birth_at(app, an, "00070", "0").await;
        let (ba_dinh, ba_dinh_photo) =
            file_birth_at(app, (&other_resident, &RESIDENT_B), "00004", "0").await;
        let (to_accept, _) = file_birth_at(app, an, "00070", "0").await;
        let (to_withdraw, _) = file_birth_at(app, an, "00070", "0").await;
        let (with_fee, _) = file_birth_at(app, an, "00070", "2").await;
        // A supplement request, answered with a file already sent.
        let (to_supplement, _) = file_birth_at(app, an, "00070", "0").await;
        act(
            app,
            &officer,
            &to_supplement,
            json!({ "RequestSupplement": { "items": [{ "slot": "giay_chung_sinh", "label": "Giấy chứng sinh", "note": "Bản rõ nét" }], "note": "" } }),
        )
        .await;
        let photo_bytes = fixture("giay-chung-sinh.jpg");
        let (status, up) = call(
            app,
            Some(&resident),
            "/api/uploads/start-dossier",
            &json!({ "req": { "code": to_supplement, "unit": "", "slot": "giay_chung_sinh", "name": "b.jpg", "size": photo_bytes.len() } }),
        )
        .await;
        assert_eq!(status, 200, "{up}");
        let (status, _) =
            crate::uploads::put(app, &resident, up["id"].as_str().unwrap(), 0, &photo_bytes).await;
        assert_eq!(status, 200);

        let draft_v = start(app, &resident, "dang-ky-khai-sinh", true).await;
        let draft = draft_v["id"].as_str().unwrap().to_string();
        let upload = attach(
            app,
            &resident,
            &draft,
            "giay_chung_sinh",
            "c.jpg",
            &photo_bytes,
        )
        .await
        .unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let binh_draft = start(app, &other_resident, "dang-ky-khai-sinh", true).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let to_delete = start(app, &resident, "dang-ky-khai-sinh", true).await["id"]
            .as_str()
            .unwrap()
            .to_string();
        let submit_v = start(app, &resident, "dang-ky-khai-sinh", true).await;
        let submit_id = submit_v["id"].as_str().unwrap().to_string();
        crate::filing::fill_birth(app, &resident, &submit_id).await;
        let to_submit = (
            submit_id,
            submit_v["idempotency_key"].as_str().unwrap().to_string(),
        );

        let text = |t: &str, p: &Value, lang| {
            dichvucong::server::notify::mail_text("http://x", t, p, lang)
        };
        app.state
            .db
            .deliver_outbox(500, &text, chrono::Utc::now())
            .await
            .unwrap();
        let (_, inbox) = call(app, Some(&resident), "/api/notifications/list", &json!({})).await;
        let notification = inbox["items"][0]["seq"].as_i64().expect("a notification");
        let (status, ticket) = call(
            app,
            Some(&officer),
            "/api/staff/intake/consent",
            &json!({ "req": { "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": RESIDENT_A.cccd } }),
        )
        .await;
        assert_eq!(status, 200, "{ticket}");
        let consent = ticket["token"].as_str().unwrap().to_string();
        crate::health::consent(app, &resident).await;
        crate::health::consent(app, &other_resident).await;
        let child = crate::health::child_of(app, &resident).await;
        let share = {
            let now = chrono::Utc::now();
            let user = app
                .state
                .db
                .user_by_cccd(RESIDENT_A.cccd)
                .await
                .unwrap()
                .unwrap();
            let s = dichvucong::server::db::health::HealthShare {
                id: "share-of-an".into(),
                user_id: user.id,
                subject: RESIDENT_A.cccd.into(),
                scope: "summary".into(),
                label: "Cho bác sĩ".into(),
                manifest_hash: dichvucong::server::shl::token_hash("authz"),
                passcode_hash: dichvucong::server::shl::hash_passcode("246810"),
                attempts_left: 10,
                created_at: now,
                expires_at: now + chrono::Duration::days(1),
                revoked_at: None,
                file_jwe: "x..y.z.t".into(),
            };
            app.state.db.create_health_share(&s).await.unwrap();
            s.id
        };
        World {
            share,
            child,
            consent,
            resident,
            other_resident,
            level1,
            stale,
            officer,
            officer_ba_dinh,
            admin,
            dossier,
            photo,
            ba_dinh,
            ba_dinh_photo,
            to_accept,
            to_withdraw,
            to_supplement,
            with_fee,
            draft,
            to_delete,
            to_submit,
            upload,
            notification,
            disposable_user,
            binh_draft,
        }
    }
}

/// `(path, the request of the allowed caller)` for each server function. For staff functions
/// the request is the officer of Phường Hoàn Kiếm's, about a dossier of that ward.
fn cases(w: &World) -> Vec<(&'static str, Value)> {
    let intake = birth_answers();
    vec![
        (
            "/api/catalog/search",
            json!({ "query": { "q": "khai sinh", "sector": null, "level": null } }),
        ),
        (
            "/api/catalog/procedure",
            json!({ "slug": "dang-ky-khai-sinh" }),
        ),
        ("/api/catalog/sectors", json!({})),
        ("/api/catalog/units", json!({})),
        (
            "/api/dossiers/track",
            json!({ "query": { "code": w.dossier, "id_suffix": "2345" } }),
        ),
        ("/api/session/me", json!({})),
        ("/api/session/reveal-id", json!({})),
        ("/api/admin/staff", json!({})),
        (
            "/api/admin/staff/role",
            json!({ "change": { "cccd": "001189012389", "unit_code": "00004", "role": "officer", "grant": true } }),
        ),
        (
            "/api/admin/users/disable",
            json!({ "user_id": w.disposable_user, "disabled": true }),
        ),
        (
            "/api/filing/start",
            json!({ "req": { "slug": "dang-ky-khai-sinh", "fresh": false } }),
        ),
        ("/api/filing/draft", json!({ "req": { "id": w.draft } })),
        (
            "/api/filing/save",
            json!({ "req": { "id": w.draft, "answers": { "phone": "0912 345 678" } } }),
        ),
        ("/api/filing/drafts", json!({})),
        (
            "/api/filing/delete",
            json!({ "req": { "id": w.to_delete } }),
        ),
        (
            "/api/filing/submit",
            json!({ "req": { "draft_id": w.to_submit.0, "idempotency_key": w.to_submit.1 } }),
        ),
        (
            "/api/dossiers/mine/get",
            json!({ "req": { "code": w.dossier } }),
        ),
        (
            "/api/payments/start",
            json!({ "req": { "code": w.with_fee } }),
        ),
        (
            "/api/uploads/start",
            json!({ "req": { "draft_id": w.draft, "slot": "giay_chung_sinh", "name": "a.jpg", "size": 10 } }),
        ),
        (
            "/api/uploads/list",
            json!({ "req": { "draft_id": w.draft } }),
        ),
        ("/api/uploads/delete", json!({ "req": { "id": w.upload } })),
        (
            "/api/dossiers/mine",
            json!({ "req": { "filter": "", "q": "" } }),
        ),
        (
            "/api/dossiers/mine/detail",
            json!({ "req": { "code": w.dossier } }),
        ),
        (
            "/api/dossiers/withdraw",
            json!({ "req": { "code": w.to_withdraw, "reason": "Nộp nhầm thủ tục" } }),
        ),
        (
            "/api/uploads/start-dossier",
            json!({ "req": { "code": w.to_supplement, "unit": "", "slot": "giay_chung_sinh", "name": "a.pdf", "size": 10 } }),
        ),
        (
            "/api/dossiers/supplement",
            json!({ "req": { "code": w.to_supplement } }),
        ),
        ("/api/notifications/list", json!({})),
        (
            "/api/notifications/read",
            json!({ "req": { "seq": w.notification } }),
        ),
        (
            "/api/staff/console",
            json!({ "req": { "unit": "00070", "queue": "", "q": "" } }),
        ),
        (
            "/api/staff/dossier",
            json!({ "req": { "unit": "00070", "code": w.dossier } }),
        ),
        (
            "/api/staff/act",
            json!({ "req": { "unit": "00070", "code": w.to_accept, "act": "Accept" } }),
        ),
        (
            "/api/staff/intake/consent",
            json!({ "req": { "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001089012345" } }),
        ),
        (
            "/api/staff/intake/consent-status",
            json!({ "req": { "unit": "00070", "token": w.consent } }),
        ),
        ("/api/consent/get", json!({ "req": { "token": w.consent } })),
        (
            "/api/consent/confirm",
            json!({ "req": { "token": w.consent } }),
        ),
        ("/api/health/subjects", json!({})),
        ("/api/health/consent", json!({ "req": {} })),
        (
            "/api/health/overview",
            json!({ "req": { "subject": w.child } }),
        ),
        (
            "/api/health/visits",
            json!({ "req": { "subject": w.child } }),
        ),
        (
            "/api/health/visit",
            json!({ "req": { "subject": "self", "id": "enc-an-2026-11" } }),
        ),
        (
            "/api/health/lab-series",
            json!({ "req": { "subject": w.child, "code": "" } }),
        ),
        (
            "/api/health/vaccinations",
            json!({ "req": { "subject": w.child } }),
        ),
        (
            "/api/health/access-log",
            json!({ "req": { "subject": w.child } }),
        ),
        (
            "/api/health/shares/create",
            json!({ "req": { "subject": w.child, "scope": "vaccinations", "expires_in_secs": 86400, "passcode": "246810", "label": "" } }),
        ),
        ("/api/health/shares/list", json!({})),
        (
            "/api/health/shares/revoke",
            json!({ "req": { "id": w.share } }),
        ),
        ("/api/health/birth-certificates", json!({})),
        (
            "/api/health/attach",
            json!({ "req": { "draft_id": w.binh_draft, "slot": "giay_chung_sinh", "document": "doc-binh-giay-chung-sinh" } }),
        ),
        (
            "/api/staff/intake",
            json!({ "req": { "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001189012389", "name": "Trần Thị Bình", "answers": intake, "consent": { "method": "signature", "shown": true }, "idempotency_key": "authz-0001" } }),
        ),
    ]
}

/// Server functions whose request names one of the caller's objects: anyone else's answer
/// is a 404. The others list or start the caller's own things.
const NAMES_AN_OBJECT: &[&str] = &[
    "/api/filing/draft",
    "/api/filing/save",
    "/api/filing/delete",
    "/api/filing/submit",
    "/api/dossiers/mine/get",
    "/api/payments/start",
    "/api/uploads/start",
    "/api/uploads/list",
    "/api/uploads/delete",
    "/api/dossiers/mine/detail",
    "/api/dossiers/withdraw",
    "/api/dossiers/supplement",
    "/api/uploads/start-dossier",
    "/api/consent/get",
    "/api/consent/confirm",
    "/api/health/overview",
    "/api/health/visits",
    "/api/health/visit",
    "/api/health/lab-series",
    "/api/health/vaccinations",
    "/api/health/access-log",
    "/api/health/shares/create",
    "/api/health/shares/revoke",
    "/api/health/attach",
];

/// Health functions whose case is Bình's (the birth certificate is in her record): An is the
/// one refused.
const BINHS: &[&str] = &["/api/health/attach"];

/// The server functions the running server answers to: every `#[server]` function linked
/// into it, whether or not anyone remembered to list it.
fn registered() -> BTreeSet<String> {
    dichvucong::api::registry::register_all();
    leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.to_string())
        .collect()
}

#[test]
fn every_registered_server_function_has_an_access_rule() {
    let registered = registered();
    assert!(
        registered.len() >= 30,
        "the enumeration found the functions: {registered:?}"
    );
    let ruled: BTreeSet<String> = ALL.iter().map(|(p, _)| p.to_string()).collect();
    let missing: Vec<&String> = registered.difference(&ruled).collect();
    assert!(
        missing.is_empty(),
        "registered without an access rule: {missing:?}"
    );
    let stale: Vec<&String> = ruled.difference(&registered).collect();
    assert!(stale.is_empty(), "a rule for no function: {stale:?}");
}

async fn get_status(app: &TestApp, who: Option<&str>, path: impl AsRef<str>) -> u16 {
    app.get_as(who, path.as_ref()).await.status().as_u16()
}

async fn denials(app: &TestApp) -> usize {
    app.state
        .db
        .audit_rows()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "denied")
        .count()
}

/// The same request with every `"00070"` (the ward) and the Hoàn Kiếm dossier codes swapped
/// for Ba Đình's.
fn at_ba_dinh(body: &Value, w: &World) -> Value {
    let mut text = body.to_string().replace("\"00070\"", "\"00004\"");
    for code in [&w.dossier, &w.to_accept] {
        text = text.replace(code.as_str(), &w.ba_dinh);
    }
    serde_json::from_str(&text).unwrap()
}

both_engines!(access_rules_hold_for_every_server_function, |engine| {
    let ehr = crate::support::EhrServer::start().await;
    let app = TestApp::spawn_with(engine, |c| ehr.configure(c)).await;
    let w = World::build(&app).await;
    let cases = cases(&w);
    let tested: BTreeSet<String> = cases.iter().map(|(p, _)| p.to_string()).collect();
    let registered = registered();
    assert_eq!(
        tested, registered,
        "every registered function has a case, and every case a function"
    );

    for (path, body) in &cases {
        let access = ALL
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, a)| *a)
            .unwrap();
        let (anon, _) = call(&app, None, path, body).await;
        match access {
            Access::Public => {
                assert_eq!(anon, 200, "{path}: anonymous");
                let (got, v) = call(&app, Some(&w.resident), path, body).await;
                assert_eq!(got, 200, "{path}: {v}");
            }
            Access::OwnSession => {
                // Answers everyone, about themselves only (covered in auth.rs).
                assert_eq!(anon, 200, "{path}");
                assert_eq!(call(&app, Some(&w.resident), path, body).await.0, 200);
            }
            Access::StepUp => {
                assert_eq!(anon, 401, "{path}");
                assert_eq!(
                    call(&app, Some(&w.level1), path, body).await.0,
                    403,
                    "{path}: level 1"
                );
                assert_eq!(
                    call(&app, Some(&w.stale), path, body).await.0,
                    403,
                    "{path}: old login"
                );
                let (got, v) = call(&app, Some(&w.resident), path, body).await;
                assert_eq!(got, 200, "{path}: recent level 2: {v}");
            }
            Access::Own | Access::Level2 => {
                assert_eq!(anon, 401, "{path}");
                if access == Access::Level2 {
                    assert_eq!(
                        call(&app, Some(&w.level1), path, body).await.0,
                        403,
                        "{path}: level 1"
                    );
                }
                if NAMES_AN_OBJECT.contains(path) {
                    // Someone else's object answers exactly like a missing one.
                    let (got, v) = call(&app, Some(&w.other_resident), path, body).await;
                    assert_eq!(got, 404, "{path}: Bình on An's object: {v}");
                }
                let owner = if access == Access::Level2 {
                    &w.stale
                } else {
                    &w.resident
                };
                let (got, v) = call(&app, Some(owner), path, body).await;
                assert_eq!(got, 200, "{path}: the owner: {v}");
            }
            Access::Staff => {
                assert_eq!(anon, 401, "{path}");
                for who in [&w.resident, &w.level1, &w.admin] {
                    let (got, _) = call(&app, Some(who), path, body).await;
                    assert_eq!(got, 404, "{path}: not staff of 00070 gets {got}");
                }
                // Another ward's officer, on this ward's real dossier: no such thing, audited.
                let before = denials(&app).await;
                let (got, _) = call(&app, Some(&w.officer_ba_dinh), path, body).await;
                assert_eq!(got, 404, "{path}: Ba Đình's officer at Hoàn Kiếm");
                assert_eq!(denials(&app).await, before + 1, "{path}: denial audited");
                // This ward's officer, on Ba Đình's real dossier, naming either ward.
                let other = at_ba_dinh(body, &w);
                let (got, _) = call(&app, Some(&w.officer), path, &other).await;
                assert_eq!(got, 404, "{path}: Hoàn Kiếm's officer at Ba Đình: {other}");
                let names_dossier = body.to_string().contains(&w.dossier)
                    || body.to_string().contains(&w.to_accept);
                if names_dossier {
                    let under_own_ward: Value =
                        serde_json::from_str(&other.to_string().replace("\"00004\"", "\"00070\""))
                            .unwrap();
                    let (got, _) = call(&app, Some(&w.officer), path, &under_own_ward).await;
                    assert_eq!(got, 404, "{path}: a Ba Đình code under Hoàn Kiếm");
                }
                assert_eq!(
                    denials(&app).await,
                    before + 2 + usize::from(names_dossier),
                    "{path}: every denial audited"
                );
                let (got, v) = call(&app, Some(&w.officer), path, body).await;
                assert_eq!(got, 200, "{path}: the ward's own officer: {v}");
            }
            Access::Health => {
                assert_eq!(anon, 401, "{path}");
                for (who, what) in [
                    (&w.level1, "level 1"),
                    (&w.stale, "old login"),
                    (&w.officer, "staff"),
                    (&w.admin, "administrator"),
                ] {
                    assert_eq!(
                        call(&app, Some(who), path, body).await.0,
                        403,
                        "{path}: {what}"
                    );
                }
                let (owner, stranger) = if BINHS.contains(path) {
                    (&w.other_resident, &w.resident)
                } else {
                    (&w.resident, &w.other_resident)
                };
                if NAMES_AN_OBJECT.contains(path) {
                    let (got, v) = call(&app, Some(stranger), path, body).await;
                    assert_eq!(got, 404, "{path}: someone else's record: {v}");
                }
                let (got, v) = call(&app, Some(owner), path, body).await;
                assert_eq!(got, 200, "{path}: the owner: {v}");
            }
            Access::HealthConsent => {
                assert_eq!(anon, 401, "{path}");
                assert_eq!(
                    call(&app, Some(&w.officer), path, body).await.0,
                    403,
                    "{path}: staff"
                );
                for who in [&w.level1, &w.resident] {
                    let (got, v) = call(&app, Some(who), path, body).await;
                    assert_eq!(got, 200, "{path}: {v}");
                }
            }
            Access::Admin => {
                assert_eq!(anon, 401, "{path}");
                assert_eq!(
                    call(&app, Some(&w.resident), path, body).await.0,
                    403,
                    "{path}: resident"
                );
                assert_eq!(
                    call(&app, Some(&w.officer), path, body).await.0,
                    403,
                    "{path}: officer"
                );
                let (got, v) = call(&app, Some(&w.admin), path, body).await;
                assert_eq!(got, 200, "{path}: admin: {v}");
            }
        }
    }
    app.cleanup().await;
});

both_engines!(
    downloads_answer_only_the_owner_and_the_dossiers_ward,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let w = World::build(&app).await;
        // Everything of An's Hoàn Kiếm dossiers: the receipt (two addresses), the supplement
        // slip, the photo filed.
        let files = [
            format!("/files/receipts/{}.pdf", w.dossier),
            format!("/files/dossiers/{}/giay-tiep-nhan.pdf", w.dossier),
            format!("/files/dossiers/{}/phieu-bo-sung.pdf", w.to_supplement),
            format!("/files/dossiers/{}/{}", w.dossier, w.photo),
        ];
        for path in &files {
            assert_eq!(
                get_status(&app, None, path.clone()).await,
                401,
                "{path}: anonymous"
            );
            assert_eq!(
                get_status(&app, Some(w.resident.as_str()), path.clone()).await,
                200,
                "{path}: the owner"
            );
            assert_eq!(
                get_status(&app, Some(w.other_resident.as_str()), path.clone()).await,
                404,
                "{path}: Bình"
            );
            assert_eq!(
                get_status(&app, Some(w.officer.as_str()), path.clone()).await,
                200,
                "{path}: the ward"
            );
            let before = denials(&app).await;
            assert_eq!(
                get_status(&app, Some(w.officer_ba_dinh.as_str()), path.clone()).await,
                404,
                "{path}: another ward"
            );
            assert_eq!(denials(&app).await, before + 1, "{path}: denial audited");
        }
        // Bình's Ba Đình dossier, as Hoàn Kiếm's officer sees it: nothing.
        for path in [
            format!("/files/receipts/{}.pdf", w.ba_dinh),
            format!("/files/dossiers/{}/giay-tiep-nhan.pdf", w.ba_dinh),
            format!("/files/dossiers/{}/{}", w.ba_dinh, w.ba_dinh_photo),
            // An's photo id under Bình's dossier code.
            format!("/files/dossiers/{}/{}", w.ba_dinh, w.photo),
        ] {
            assert_eq!(
                get_status(&app, Some(w.officer.as_str()), path.clone()).await,
                404,
                "{path}"
            );
            assert_eq!(
                get_status(&app, Some(w.resident.as_str()), path.clone()).await,
                404,
                "{path}"
            );
        }
        assert_eq!(
            get_status(
                &app,
                Some(w.officer_ba_dinh.as_str()),
                format!("/files/dossiers/{}/{}", w.ba_dinh, w.ba_dinh_photo)
            )
            .await,
            200,
            "Ba Đình's own officer"
        );
        // An upload by its own id: its sender only, never staff.
        let own = format!("/files/uploads/{}", w.photo);
        assert_eq!(
            get_status(&app, Some(w.resident.as_str()), own.clone()).await,
            200
        );
        for who in [&w.other_resident, &w.officer, &w.officer_ba_dinh] {
            assert_eq!(get_status(&app, Some(who.as_str()), own.clone()).await, 404);
        }
        app.cleanup().await;
    }
);
