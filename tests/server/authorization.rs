//! Every server function is a public HTTP endpoint. This walks the registry: each endpoint
//! must be reachable and must have its access rule tested here. Adding a server function
//! without a row below fails `every_server_function_has_an_authorization_test`.

use crate::support::{Engine, TestApp};
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_rules_hold_for_every_server_function() {
    let app = TestApp::spawn(Engine::Sqlite).await;
    for (path, body) in cases() {
        let access = ALL
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, a)| *a)
            .unwrap();
        match access {
            Access::Public => {
                // Anyone, with no session at all: never 401/403.
                let resp = app.call(path, body).await;
                assert!(
                    matches!(resp.status().as_u16(), 200 | 404),
                    "{path} must answer anonymous callers, got {}",
                    resp.status()
                );
            }
        }
        // Registered: a body with missing arguments is a 400, not an unknown-function 404.
        let resp = app.call(path, json!({ "unexpected": true })).await;
        assert_ne!(resp.status(), 404, "{path} is not registered");
    }
    app.cleanup().await;
}
