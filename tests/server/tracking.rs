//! Public dossier look-up: code + ID-number suffix, nothing more, rate limited.

use crate::both_engines;
use crate::support::TestApp;
use chrono::{TimeZone, Utc};
use dichvucong::api::AppError;
use dichvucong::domain::status::DossierStatus;
use dichvucong::domain::tracking::TrackResult;
use dichvucong::server::db::Db;
use serde_json::json;

/// Inserts a dossier row as filing will (filing itself is tested with its feature).
async fn insert_dossier(db: &Db, code: &str, suffix: &str, status: i64) {
    let received = Utc.with_ymd_and_hms(2026, 11, 23, 2, 0, 0).unwrap();
    let due = Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap();
    let sql = "INSERT INTO dossiers (id, code, procedure_code, unit_code, channel, status, \
               applicant_id_suffix, received_at, due_at, updated_at) \
               VALUES ($1, $2, '1.001193.000.00.00.H26', '00004', 2, $3, $4, $5, $6, $5)";
    let id = format!("test-{code}");
    match db {
        Db::Sqlite(p) => sqlx::query(sql)
            .bind(&id)
            .bind(code)
            .bind(status)
            .bind(suffix)
            .bind(received)
            .bind(due)
            .execute(p)
            .await
            .map(|_| ()),
        Db::Pg(p) => sqlx::query(sql)
            .bind(&id)
            .bind(code)
            .bind(status)
            .bind(suffix)
            .bind(received)
            .bind(due)
            .execute(p)
            .await
            .map(|_| ()),
    }
    .unwrap();
}

both_engines!(track_finds_only_with_the_right_suffix, |engine| {
    let app = TestApp::spawn(engine).await;
    insert_dossier(&app.state.db, "00004-261123-0001", "2389", 4).await;

    let resp = app
        .call(
            "/api/dossiers/track",
            json!({ "query": { "code": " 00004-261123-0001 ", "id_suffix": "2389" } }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let text = resp.text().await.unwrap();
    let found: TrackResult = serde_json::from_str(&text).unwrap();
    assert_eq!(found.code, "00004-261123-0001");
    assert_eq!(found.status, DossierStatus::Processing);
    assert_eq!(found.procedure_vi, "Đăng ký khai sinh");
    assert_eq!(
        found.due_at,
        Utc.with_ymd_and_hms(2026, 11, 26, 2, 0, 0).unwrap()
    );
    // Nothing personal beyond the receipt: no suffix, no unit internals, no owner.
    assert!(
        !text.contains("2389") && !text.contains("applicant"),
        "{text}"
    );

    // Wrong suffix and unknown code answer the same.
    for (code, suffix) in [("00004-261123-0001", "0000"), ("00004-261123-0002", "2389")] {
        let resp = app
            .call(
                "/api/dossiers/track",
                json!({ "query": { "code": code, "id_suffix": suffix } }),
            )
            .await;
        assert_eq!(resp.status(), 404);
        assert_eq!(resp.json::<AppError>().await.unwrap(), AppError::NotFound);
    }

    // Bad input: field errors, same as the browser shows.
    let resp = app
        .call(
            "/api/dossiers/track",
            json!({ "query": { "code": "abc", "id_suffix": "12" } }),
        )
        .await;
    assert_eq!(resp.status(), 422);
    match resp.json::<AppError>().await.unwrap() {
        AppError::Validation { fields } => {
            let got: Vec<_> = fields
                .iter()
                .map(|f| (f.field.as_str(), f.code.as_str()))
                .collect();
            assert_eq!(
                got,
                vec![
                    ("code", "dossier_code_format"),
                    ("id_suffix", "id_suffix_format")
                ]
            );
        }
        other => panic!("{other:?}"),
    }
    app.cleanup().await;
});

both_engines!(guessing_a_suffix_is_rate_limited, |engine| {
    let app = TestApp::spawn(engine).await;
    insert_dossier(&app.state.db, "00004-261123-0007", "5555", 1).await;
    let limit = dichvucong::server::rate_limit::TRACK_PER_CODE;
    crate::support::at_window_start(&app, limit.window_secs);
    let max = limit.max;
    for i in 0..max {
        let resp = app
            .call(
                "/api/dossiers/track",
                json!({ "query": { "code": "00004-261123-0007", "id_suffix": format!("{i:04}") } }),
            )
            .await;
        assert_eq!(resp.status(), 404, "try {i}");
    }
    // The window for this code is full: even the right suffix waits now.
    let resp = app
        .call(
            "/api/dossiers/track",
            json!({ "query": { "code": "00004-261123-0007", "id_suffix": "5555" } }),
        )
        .await;
    assert_eq!(resp.status(), 429);
    let retry: u32 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry));
    assert!(matches!(
        resp.json::<AppError>().await.unwrap(),
        AppError::RateLimited { .. }
    ));
    // Other codes are not affected.
    let resp = app
        .call(
            "/api/dossiers/track",
            json!({ "query": { "code": "00004-261123-0008", "id_suffix": "5555" } }),
        )
        .await;
    assert_eq!(resp.status(), 404);
    app.cleanup().await;
});
