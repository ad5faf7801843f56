//! The catalogue server functions, end to end through HTTP.

use crate::both_engines;
use crate::support::TestApp;
use dichvucong::api::AppError;
use dichvucong::domain::catalog::{Procedure, ProcedureSummary, Sector, Unit, UnitKind};
use serde_json::json;

async fn search(app: &TestApp, q: serde_json::Value) -> Vec<ProcedureSummary> {
    let resp = app.call("/api/catalog/search", json!({ "query": q })).await;
    assert_eq!(resp.status(), 200, "{:?}", resp.text().await);
    resp.json().await.unwrap()
}

both_engines!(search_ignores_diacritics_and_case, |engine| {
    let app = TestApp::spawn(engine).await;
    for q in [
        "dang ky khai sinh",
        "Đăng ký khai sinh",
        "ĐĂNG KÝ   KHAI SINH",
        "khai sinh",
    ] {
        let found = search(&app, json!({ "q": q, "sector": null, "level": null })).await;
        assert_eq!(
            found.first().map(|p| p.slug.as_str()),
            Some("dang-ky-khai-sinh"),
            "{q}: {found:?}"
        );
        assert!(
            found.iter().all(|p| !p.slug.contains("xay-dung")),
            "{q}: unrelated result"
        );
    }
    let none = search(
        &app,
        json!({ "q": "xyzzy khong co", "sector": null, "level": null }),
    )
    .await;
    assert!(none.is_empty());
    app.cleanup().await;
});

both_engines!(search_filters_and_lists_everything, |engine| {
    let app = TestApp::spawn(engine).await;
    let all = search(&app, json!({ "q": "", "sector": null, "level": null })).await;
    assert!(all.len() >= 10, "catalogue has {} procedures", all.len());
    // Popular first, then Vietnamese name order.
    let first_plain = all.iter().position(|p| !p.popular).unwrap_or(all.len());
    assert!(all[first_plain..].iter().all(|p| !p.popular));

    let civil = search(&app, json!({ "q": "", "sector": "ho-tich", "level": null })).await;
    assert!(!civil.is_empty() && civil.iter().all(|p| p.sector == "ho-tich"));
    let city = search(
        &app,
        json!({ "q": "", "sector": null, "level": "province" }),
    )
    .await;
    assert!(!city.is_empty());
    assert!(
        city.iter()
            .all(|p| p.level == dichvucong::domain::catalog::Level::Province)
    );
    let popular = search(
        &app,
        json!({ "q": "", "sector": null, "level": null, "popular_only": true }),
    )
    .await;
    assert!(!popular.is_empty() && popular.iter().all(|p| p.popular));
    app.cleanup().await;
});

both_engines!(procedure_detail_and_not_found, |engine| {
    let app = TestApp::spawn(engine).await;
    let resp = app
        .call(
            "/api/catalog/procedure",
            json!({ "slug": "dang-ky-khai-sinh" }),
        )
        .await;
    assert_eq!(resp.status(), 200);
    let p: Procedure = resp.json().await.unwrap();
    assert_eq!(p.name_vi, "Đăng ký khai sinh");
    assert!(!p.documents.is_empty() && !p.steps.is_empty() && !p.legal_basis.is_empty());

    for slug in ["khong-ton-tai", "../etc/passwd", "", "DANG-KY"] {
        let resp = app
            .call("/api/catalog/procedure", json!({ "slug": slug }))
            .await;
        assert_eq!(resp.status(), 404, "{slug}");
        assert_eq!(resp.json::<AppError>().await.unwrap(), AppError::NotFound);
    }
    app.cleanup().await;
});

both_engines!(sectors_and_units, |engine| {
    let app = TestApp::spawn(engine).await;
    let sectors: Vec<Sector> = app
        .call("/api/catalog/sectors", json!({}))
        .await
        .json()
        .await
        .unwrap();
    let all: Vec<ProcedureSummary> = app
        .call(
            "/api/catalog/search",
            json!({ "query": { "q": "", "sector": null, "level": null } }),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        sectors.iter().map(|s| s.procedures).sum::<i64>(),
        all.len() as i64
    );
    assert!(
        sectors
            .iter()
            .any(|s| s.code == "ho-tich" && s.name_vi == "Hộ tịch")
    );

    let units: Vec<Unit> = app
        .call("/api/catalog/units", json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(units.len(), 126);
    assert_eq!(
        units.iter().filter(|u| u.kind == UnitKind::Phuong).count(),
        51
    );
    assert_eq!(units.iter().filter(|u| u.kind == UnitKind::Xa).count(), 75);
    assert!(
        units
            .iter()
            .any(|u| u.code == "00004" && u.name == "Ba Đình")
    );
    app.cleanup().await;
});

both_engines!(bad_search_input_gets_field_errors, |engine| {
    let app = TestApp::spawn(engine).await;
    let cases = [
        (
            json!({ "q": "x".repeat(101), "sector": null, "level": null }),
            "q",
            "too_long",
        ),
        (
            json!({ "q": "a\u{202E}b", "sector": null, "level": null }),
            "q",
            "bidi_control",
        ),
        (
            json!({ "q": "a\u{0000}b", "sector": null, "level": null }),
            "q",
            "control_char",
        ),
        (
            json!({ "q": "x".repeat(10 * 1024), "sector": null, "level": null }),
            "q",
            "too_long",
        ),
        (
            json!({ "q": "", "sector": "'; DROP TABLE procedures; --", "level": null }),
            "sector",
            "unknown_sector",
        ),
    ];
    for (query, field, code) in cases {
        let resp = app
            .call("/api/catalog/search", json!({ "query": query }))
            .await;
        assert_eq!(resp.status(), 422);
        match resp.json::<AppError>().await.unwrap() {
            AppError::Validation { fields } => {
                assert_eq!(fields.len(), 1);
                assert_eq!(
                    (fields[0].field.as_str(), fields[0].code.as_str()),
                    (field, code)
                );
            }
            other => panic!("expected validation error, got {other:?}"),
        }
    }
    // NFD input is accepted and finds the same procedure as NFC.
    let nfd = "Đăng ký khai sinh".chars().collect::<String>();
    let nfd: String = unicode_normalization::UnicodeNormalization::nfd(nfd.as_str()).collect();
    let found = search(&app, json!({ "q": nfd, "sector": null, "level": null })).await;
    assert!(found.iter().any(|p| p.slug == "dang-ky-khai-sinh"));
    // An unknown level value is a bad request, not a crash.
    let resp = app
        .call(
            "/api/catalog/search",
            json!({ "query": { "q": "", "sector": null, "level": "district" } }),
        )
        .await;
    assert_eq!(resp.status(), 400);
    app.cleanup().await;
});
