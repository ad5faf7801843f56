//! The per-person limits on submissions, uploads, draft saves and payment starts, and the
//! thirty-day life of a draft. The server's clock is moved forward instead of sleeping; a
//! limit's counter is brought up to its edge in the database, and the last requests go over
//! HTTP as a browser sends them.

use crate::both_engines;
use crate::filing::{birth_answers, fill_birth, start};
use crate::support::{RESIDENT_A, TestApp};
use dichvucong::server::rate_limit::{
    DRAFT_SAVES_PER_USER, Limit, PAYMENTS_PER_USER, SUBMIT_PER_USER, UPLOADS_PER_USER,
};
use serde_json::{Value, json};

async fn user_id(app: &TestApp, cccd: &str) -> String {
    dichvucong::with_db!(&app.state.db, p => {
        sqlx::query_scalar("SELECT id FROM users WHERE cccd = $1")
            .bind(cccd)
            .fetch_one(p)
            .await
            .unwrap()
    })
}

/// Counts `limit.max - 1` earlier hits for `key` in the current window, as if the person had
/// been busy.
async fn nearly_full(app: &TestApp, limit: Limit, key: &str) {
    let now = app.state.clock.now().timestamp();
    let start = now - now.rem_euclid(limit.window_secs);
    dichvucong::with_db!(&app.state.db, p => {
        sqlx::query("INSERT INTO rate_limits (bucket, window_start, hits) VALUES ($1, $2, $3)")
            .bind(limit.bucket(key))
            .bind(start)
            .bind(limit.max - 1)
            .execute(p)
            .await
            .unwrap();
    });
}

/// Status, `Retry-After` and body of a server function call.
async fn call(app: &TestApp, who: &str, path: &str, body: Value) -> (u16, Option<u32>, Value) {
    let r = app.call_as(Some(who), path, body).await;
    let status = r.status().as_u16();
    let retry = r
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    (status, retry, r.json().await.unwrap_or(Value::Null))
}

/// The limit lets the last allowed request through, refuses the next with 429 and a
/// `Retry-After` inside the window, and lets requests through again once the window is over.
async fn holds(app: &TestApp, limit: Limit, who: &str, path: &str, body: impl Fn(usize) -> Value) {
    let (status, _, v) = call(app, who, path, body(0)).await;
    assert_eq!(status, 200, "{}: the last allowed: {v}", limit.name);
    let (status, retry, v) = call(app, who, path, body(1)).await;
    assert_eq!(status, 429, "{}: one too many: {v}", limit.name);
    let retry = retry.expect("Retry-After");
    assert!(
        retry >= 1 && i64::from(retry) <= limit.window_secs,
        "{}: retry after {retry}",
        limit.name
    );
    assert!(v.to_string().contains("RateLimited"), "{v}");
    app.state
        .clock
        .advance(chrono::Duration::seconds(i64::from(retry)));
    let (status, _, v) = call(app, who, path, body(2)).await;
    assert_eq!(status, 200, "{}: the next window: {v}", limit.name);
}

both_engines!(
    submissions_uploads_saves_and_payments_are_limited_per_person,
    |engine| {
        let app = TestApp::spawn(engine).await;
        let an = app.session_for(&RESIDENT_A).await;
        let me = user_id(&app, RESIDENT_A.cccd).await;

        // Draft saves: 600 in ten minutes.
        let draft = start(&app, &an, "dang-ky-khai-sinh", true).await;
        let draft_id = draft["id"].as_str().unwrap().to_string();
        nearly_full(&app, DRAFT_SAVES_PER_USER, &me).await;
        holds(&app, DRAFT_SAVES_PER_USER, &an, "/api/filing/save", |i| {
            let mut answers = birth_answers();
            answers["hometown"] = json!(format!("Hà Nội {i}"));
            json!({ "req": { "id": draft_id, "answers": answers } })
        })
        .await;

        // Files announced: 120 an hour.
        nearly_full(&app, UPLOADS_PER_USER, &me).await;
        holds(&app, UPLOADS_PER_USER, &an, "/api/uploads/start", |i| {
            json!({ "req": { "draft_id": draft_id, "slot": "giay_chung_sinh", "name": format!("{i}.jpg"), "size": 100 } })
        })
        .await;

        // Submissions: 30 an hour. A refused submission loses nothing: the draft is filed
        // once the window is over.
        let drafts: Vec<Value> = {
            let mut v = Vec::new();
            for _ in 0..3 {
                let d = start(&app, &an, "dang-ky-khai-sinh", true).await;
                fill_birth(&app, &an, d["id"].as_str().unwrap()).await;
                v.push(d);
            }
            v
        };
        nearly_full(&app, SUBMIT_PER_USER, &me).await;
        let submit = |i: usize| {
            let d = &drafts[i];
            json!({ "req": { "draft_id": d["id"], "idempotency_key": d["idempotency_key"] } })
        };
        let (status, _, first) = call(&app, &an, "/api/filing/submit", submit(0)).await;
        assert_eq!(status, 200);
        let (status, _, _) = call(&app, &an, "/api/filing/submit", submit(1)).await;
        assert_eq!(status, 429);
        // A retry of a submission that went through still answers its dossier.
        let (status, _, again) = call(&app, &an, "/api/filing/submit", submit(0)).await;
        assert_eq!(
            (status, &again),
            (200, &first),
            "the filed one, even when limited"
        );
        let (status, _, kept) = call(
            &app,
            &an,
            "/api/filing/draft",
            json!({ "req": { "id": drafts[1]["id"] } }),
        )
        .await;
        assert_eq!(status, 200, "the refused draft is kept");
        assert_eq!(kept["answers"]["child_name"], "Nguyễn Minh Khang");
        app.state.clock.advance(chrono::Duration::hours(1));
        let (status, _, v) = call(&app, &an, "/api/filing/submit", submit(1)).await;
        assert_eq!(status, 200, "filed in the next window: {v}");

        // Payment starts: 30 an hour.
        let code = first.as_str().unwrap().to_string();
        nearly_full(&app, PAYMENTS_PER_USER, &me).await;
        holds(
            &app,
            PAYMENTS_PER_USER,
            &an,
            "/api/payments/start",
            |_| json!({ "req": { "code": code } }),
        )
        .await;
        app.cleanup().await;
    }
);

both_engines!(a_draft_lives_thirty_days_after_its_last_change, |engine| {
    let app = TestApp::spawn(engine).await;
    let an = app.session_for(&RESIDENT_A).await;
    let draft = start(&app, &an, "dang-ky-khai-sinh", true).await;
    let id = draft["id"].as_str().unwrap().to_string();
    fill_birth(&app, &an, &id).await;
    let get = || {
        let (app, an, id) = (&app, an.clone(), id.clone());
        async move {
            let (status, _, v) = call(
                app,
                &an,
                "/api/filing/draft",
                json!({ "req": { "id": id } }),
            )
            .await;
            (status, v)
        }
    };
    let expires = |v: &Value| {
        chrono::DateTime::parse_from_rfc3339(v["expires_at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let (_, v) = get().await;
    let first_expiry = expires(&v);
    let days = (first_expiry - app.state.clock.now()).num_hours();
    assert!((30 * 24 - 1..=30 * 24).contains(&days), "{days} hours");

    // 29 days untouched: still there after a sweep.
    app.state.clock.advance(chrono::Duration::days(29));
    dichvucong::server::uploads::sweep(&app.state).await;
    let (status, v) = get().await;
    assert_eq!(status, 200);
    // A change gives it thirty days from now.
    let (status, _, _) = call(
        &app,
        &an,
        "/api/filing/save",
        json!({ "req": { "id": id, "answers": v["answers"] } }),
    )
    .await;
    assert_eq!(status, 200);
    let (_, v) = get().await;
    assert!(expires(&v) - first_expiry >= chrono::Duration::days(29));
    app.state.clock.advance(chrono::Duration::days(29));
    dichvucong::server::uploads::sweep(&app.state).await;
    assert_eq!(get().await.0, 200, "58 days old, 29 since the last change");

    // Thirty-one days since the last change: the sweep removes it and its files.
    app.state.clock.advance(chrono::Duration::days(2));
    dichvucong::server::uploads::sweep(&app.state).await;
    assert_eq!(get().await.0, 404);
    let (drafts, uploads): (i64, i64) = dichvucong::with_db!(&app.state.db, p => {
        (
            sqlx::query_scalar("SELECT COUNT(*) FROM drafts").fetch_one(p).await.unwrap(),
            sqlx::query_scalar("SELECT COUNT(*) FROM uploads").fetch_one(p).await.unwrap(),
        )
    });
    assert_eq!((drafts, uploads), (0, 0));
    let left = std::fs::read_dir(app.files.path().join("stored"))
        .unwrap()
        .count();
    assert_eq!(left, 0, "no file left behind");
    app.cleanup().await;
});
