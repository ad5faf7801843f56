//! The HTTP surface: app shell, headers, caching, and how bad requests are answered.

use crate::both_engines;
use crate::support::TestApp;
use dichvucong::api::AppError;

fn header<'a>(resp: &'a reqwest::Response, name: &str) -> &'a str {
    resp.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

both_engines!(app_shell_gets_a_fresh_nonce_and_strict_headers, |engine| {
    let app = TestApp::spawn(engine).await;
    let mut nonces = Vec::new();
    for path in [
        "/",
        "/thu-tuc",
        "/thu-tuc/dang-ky-khai-sinh",
        "/thu-tuc?q=khai%20sinh",
    ] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 200, "{path}");
        let csp = header(&resp, "content-security-policy").to_string();
        // Forms post here, and signing out goes on to the identity provider's logout page.
        assert!(
            csp.ends_with("form-action 'self' http://127.0.0.1:9"),
            "{path}: {csp}"
        );
        assert_eq!(header(&resp, "cache-control"), "no-cache");
        assert_eq!(header(&resp, "x-content-type-options"), "nosniff");
        assert!(header(&resp, "strict-transport-security").starts_with("max-age="));
        assert!(!header(&resp, "x-request-id").is_empty());
        let body = resp.text().await.unwrap();
        let nonce = csp
            .split("'nonce-")
            .nth(1)
            .and_then(|s| s.split('\'').next())
            .unwrap()
            .to_string();
        assert!(
            body.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: body nonce matches header"
        );
        assert!(!body.contains("__TRUNK NONCE__"));
        assert!(csp.contains("'wasm-unsafe-eval'") && !csp.contains("unsafe-inline"));
        assert!(csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"));
        nonces.push(nonce);
    }
    nonces.sort();
    nonces.dedup();
    assert_eq!(nonces.len(), 4, "every response has its own nonce");
    let resp = app.client.get(app.url("/index.html")).send().await.unwrap();
    assert_eq!(resp.status(), 308);
    assert_eq!(header(&resp, "location"), "/");
    app.cleanup().await;
});

both_engines!(unknown_pages_are_404_with_the_shell, |engine| {
    let app = TestApp::spawn(engine).await;
    for path in ["/khong-co-trang-nay", "/thu-tuc/a/b", "/thu-tuc/CHU-HOA"] {
        let resp = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(resp.status(), 404, "{path}");
        assert!(header(&resp, "content-type").starts_with("text/html"));
        assert!(resp.text().await.unwrap().contains("<html"));
    }
    app.cleanup().await;
});

both_engines!(assets_are_cached_by_kind, |engine| {
    let app = TestApp::spawn(engine).await;
    let resp = app
        .client
        .get(app.url("/app-0123456789abcdef.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    let resp = app.client.get(app.url("/sw.js")).send().await.unwrap();
    assert_eq!(header(&resp, "cache-control"), "no-cache");
    let resp = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.text().await.unwrap(), "ok");
    app.cleanup().await;
});

both_engines!(server_functions_refuse_bad_requests_cleanly, |engine| {
    let app = TestApp::spawn(engine).await;
    let url = app.url("/api/catalog/search");
    let body = r#"{"query":{"q":"","sector":null,"level":null}}"#;

    // Wrong content type → 415.
    let resp = app
        .client
        .post(&url)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("query=x")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 415);

    // GET → 405.
    let resp = app.client.get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 405);

    // Cross-site → 403, whether told by Sec-Fetch-Site or by Origin.
    let resp = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .header("sec-fetch-site", "cross-site")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    let resp = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .header("origin", "https://evil.example")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 403);
    // Our own origin is fine.
    let resp = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .header("origin", "http://127.0.0.1:3000")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);

    // Malformed JSON → 400 with no parser text echoed back.
    let resp = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body("{\"query\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 400);
    let text = resp.text().await.unwrap();
    assert!(serde_json::from_str::<AppError>(&text).is_ok(), "{text}");
    assert!(
        !text.to_lowercase().contains("eof") && !text.contains("line"),
        "{text}"
    );

    // Oversized body → 413.
    let big = format!(
        r#"{{"query":{{"q":"{}","sector":null,"level":null}}}}"#,
        "a".repeat(200 * 1024)
    );
    // (Its own client: the server closes that connection without reading the body.)
    let resp = reqwest::Client::new()
        .post(&url)
        .header("content-type", "application/json")
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);

    // Unknown server function → 404 JSON.
    let resp = app.call("/api/nothing/here", serde_json::json!({})).await;
    assert_eq!(resp.status(), 404);
    assert_eq!(resp.json::<AppError>().await.unwrap(), AppError::NotFound);

    // Authenticated-style responses are never cached.
    let resp = app
        .call("/api/catalog/sectors", serde_json::json!({}))
        .await;
    assert_eq!(header(&resp, "cache-control"), "no-store");
    app.cleanup().await;
});

// The form pages come with the form bundle; every other page with the smaller main bundle.
both_engines!(
    form_pages_get_the_form_bundle_and_other_pages_do_not,
    |engine| {
        let app = TestApp::spawn(engine).await;
        for (path, forms) in [
            ("/thu-tuc/dang-ky-khai-sinh/nop", true),
            ("/ho-so/00070-261123-0001", true),
            ("/", false),
            ("/thu-tuc/dang-ky-khai-sinh", false),
            ("/ca-nhan", false),
        ] {
            let resp = app.client.get(app.url(path)).send().await.unwrap();
            assert_eq!(resp.status(), 200, "{path}");
            let csp = header(&resp, "content-security-policy").to_string();
            let html = resp.text().await.unwrap();
            assert_eq!(html.contains("/forms/app-"), forms, "{path}");
            assert!(!html.contains("__TRUNK NONCE__"), "{path}: nonce filled in");
            let nonce = html
                .split("nonce=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            assert!(csp.contains(&format!("'nonce-{nonce}'")), "{path}");
        }
        app.cleanup().await;
    }
);
