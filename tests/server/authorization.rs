//! Every server function is a public HTTP endpoint. This walks the registry: each endpoint
//! must be reachable and must have its access rule tested here. Adding a server function
//! without a row below fails `every_server_function_has_an_authorization_test`.

use crate::support::{
    ADMIN, Engine, OFFICER_HOAN_KIEM, Person, RESIDENT_A, RESIDENT_LEVEL1, TestApp,
};
use dichvucong::api::registry::{ALL, Access};
use serde_json::{Value, json};

/// `(path, a valid request body)` for each server function.
fn cases() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/api/catalog/search",
            json!({ "query": { "q": "", "sector": null, "level": null } }),
        ),
        (
            "/api/catalog/procedure",
            json!({ "slug": "dang-ky-khai-sinh" }),
        ),
        ("/api/catalog/sectors", json!({})),
        ("/api/catalog/units", json!({})),
        (
            "/api/dossiers/track",
            json!({ "query": { "code": "00004-261123-0001", "id_suffix": "1234" } }),
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
            json!({ "user_id": "no-such-user", "disabled": true }),
        ),
        (
            "/api/filing/start",
            json!({ "req": { "slug": "dang-ky-khai-sinh", "fresh": false } }),
        ),
        (
            "/api/filing/draft",
            json!({ "req": { "id": "no-such-draft" } }),
        ),
        (
            "/api/filing/save",
            json!({ "req": { "id": "no-such-draft", "answers": {} } }),
        ),
        ("/api/filing/drafts", json!({})),
        (
            "/api/filing/delete",
            json!({ "req": { "id": "no-such-draft" } }),
        ),
        (
            "/api/filing/submit",
            json!({ "req": { "draft_id": "no-such-draft", "idempotency_key": "k" } }),
        ),
        (
            "/api/dossiers/mine/get",
            json!({ "req": { "code": "00004-261123-0001" } }),
        ),
        (
            "/api/payments/start",
            json!({ "req": { "code": "00004-261123-0001" } }),
        ),
        (
            "/api/uploads/start",
            json!({ "req": { "draft_id": "no-such-draft", "slot": "giay_chung_sinh", "name": "a.jpg", "size": 10 } }),
        ),
        (
            "/api/uploads/list",
            json!({ "req": { "draft_id": "no-such-draft" } }),
        ),
        (
            "/api/uploads/delete",
            json!({ "req": { "id": "no-such-upload" } }),
        ),
        (
            "/api/dossiers/mine",
            json!({ "req": { "filter": "", "q": "" } }),
        ),
        (
            "/api/dossiers/mine/detail",
            json!({ "req": { "code": "00004-261123-0001" } }),
        ),
        (
            "/api/dossiers/withdraw",
            json!({ "req": { "code": "00004-261123-0001", "reason": "Nộp nhầm" } }),
        ),
        (
            "/api/dossiers/supplement",
            json!({ "req": { "code": "00004-261123-0001" } }),
        ),
        (
            "/api/uploads/start-dossier",
            json!({ "req": { "code": "00004-261123-0001", "unit": "", "slot": "giay_chung_sinh", "name": "a.pdf", "size": 10 } }),
        ),
        ("/api/notifications/list", json!({})),
        ("/api/notifications/read", json!({ "req": { "seq": 1 } })),
        (
            "/api/staff/console",
            json!({ "req": { "unit": "00070", "queue": "", "q": "" } }),
        ),
        (
            "/api/staff/dossier",
            json!({ "req": { "unit": "00070", "code": "00070-261123-0001" } }),
        ),
        (
            "/api/staff/act",
            json!({ "req": { "unit": "00070", "code": "00070-261123-0001", "act": "Accept" } }),
        ),
        (
            "/api/staff/intake",
            json!({ "req": { "unit": "00070", "slug": "dang-ky-khai-sinh", "cccd": "001189012389", "name": "Trần Thị Bình", "answers": {}, "consent": true, "idempotency_key": "authz-0001" } }),
        ),
    ]
}

#[test]
fn every_server_function_has_an_authorization_test() {
    let tested: Vec<&str> = cases().into_iter().map(|(p, _)| p).collect();
    for (path, _) in ALL {
        assert!(tested.contains(path), "{path} has no authorization test");
    }
    assert_eq!(
        tested.len(),
        ALL.len(),
        "a test names a function that is not registered"
    );
}

async fn status(app: &TestApp, who: Option<&str>, path: &str, body: &Value) -> u16 {
    app.call_as(who, path, body.clone()).await.status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_rules_hold_for_every_server_function() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    // The person the admin-role case names has signed in once.
    app.session_for(&crate::support::RESIDENT_B).await;
    let session = |p: &'static Person| {
        let app = &app;
        async move { app.session_for(p).await }
    };
    let resident = session(&RESIDENT_A).await;
    let level1 = session(&RESIDENT_LEVEL1).await;
    let stale = session(&Person {
        login_minutes_ago: 30,
        ..RESIDENT_A
    })
    .await;
    let officer = session(&OFFICER_HOAN_KIEM).await;
    let admin = session(&ADMIN).await;

    for (path, body) in cases() {
        let access = ALL
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, a)| *a)
            .unwrap();
        let anon = status(&app, None, path, &body).await;
        match access {
            Access::Public => {
                assert!(matches!(anon, 200 | 404), "{path}: anonymous gets {anon}");
                assert!(
                    matches!(status(&app, Some(&resident), path, &body).await, 200 | 404),
                    "{path}"
                );
            }
            Access::OwnSession => {
                // Answers everyone, about themselves only (covered in auth.rs).
                assert_eq!(anon, 200, "{path}");
                assert_eq!(
                    status(&app, Some(&resident), path, &body).await,
                    200,
                    "{path}"
                );
            }
            Access::StepUp => {
                assert_eq!(anon, 401, "{path}");
                assert_eq!(
                    status(&app, Some(&level1), path, &body).await,
                    403,
                    "{path}: level 1"
                );
                assert_eq!(
                    status(&app, Some(&stale), path, &body).await,
                    403,
                    "{path}: old login"
                );
                assert_eq!(
                    status(&app, Some(&resident), path, &body).await,
                    200,
                    "{path}: recent level 2"
                );
            }
            Access::Own => {
                // Signed-in people only; whose data is covered in filing.rs.
                assert_eq!(anon, 401, "{path}");
                for who in [&resident, &level1, &officer] {
                    let got = status(&app, Some(who), path, &body).await;
                    assert!(matches!(got, 200 | 404), "{path}: signed in gets {got}");
                }
            }
            Access::Level2 => {
                assert_eq!(anon, 401, "{path}");
                assert_eq!(
                    status(&app, Some(&level1), path, &body).await,
                    403,
                    "{path}: level 1"
                );
                let got = status(&app, Some(&stale), path, &body).await;
                assert!(matches!(got, 200 | 404), "{path}: level 2 gets {got}");
            }
            Access::Staff => {
                // Staff of the ward named in the request; anyone else sees no such ward.
                assert_eq!(anon, 401, "{path}");
                for who in [&resident, &level1, &admin] {
                    let got = status(&app, Some(who), path, &body).await;
                    assert_eq!(got, 404, "{path}: not staff of 00070 gets {got}");
                }
                let got = status(&app, Some(&officer), path, &body).await;
                assert!(
                    matches!(got, 200 | 404 | 409 | 422),
                    "{path}: officer of 00070 gets {got}"
                );
                let other_ward: Value =
                    serde_json::from_str(&body.to_string().replace("\"00070\"", "\"00004\""))
                        .unwrap();
                assert_eq!(
                    status(&app, Some(&officer), path, &other_ward).await,
                    404,
                    "{path}: another ward"
                );
            }
            Access::Admin => {
                assert_eq!(anon, 401, "{path}");
                assert_eq!(
                    status(&app, Some(&resident), path, &body).await,
                    403,
                    "{path}: resident"
                );
                assert_eq!(
                    status(&app, Some(&officer), path, &body).await,
                    403,
                    "{path}: officer"
                );
                assert!(
                    matches!(status(&app, Some(&admin), path, &body).await, 200 | 404),
                    "{path}: admin"
                );
            }
        }
        // Registered: a body with missing arguments is a 400, not an unknown-function 404.
        let resp = app
            .call_as(Some(&admin), path, json!({ "unexpected": true }))
            .await;
        assert_ne!(resp.status(), 404, "{path} is not registered");
    }
    // Every denial of a signed-in caller is in the audit log.
    let denied = app
        .state
        .db
        .audit_rows()
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "denied")
        .count();
    assert!(denied >= 6, "{denied} denials audited");
    app.cleanup().await;
}
