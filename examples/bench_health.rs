//! Load generator for the health record: a ten-year record (the sandbox's generated patient,
//! Phạm Văn Bền, 200 visits by default) read through the portal one request at a time.
//! Prints, for each read, the latency percentiles (the portal's time including its call to
//! the health-data service on loopback) and the size of the answer. The session is created
//! directly in the server's database; the consent is given over HTTP like a browser.
//!
//! With the health-data service's address it also times the service's own `$everything` for
//! the same patient, so that the portal's share of each read shows.
//!
//!   cargo run --release --features ssr --example bench_health -- \
//!       http://127.0.0.1:3230 sqlite:///tmp/bench.db 200 http://127.0.0.1:3231

#[path = "common/bench_session.rs"]
mod bench_session;

use dichvucong::server::db::Db;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// The sandbox's generated ten-year record (`end2end/sandbox/ehr.mjs`).
const CCCD: &str = "001070088888";

async fn session(db: &Db) -> String {
    bench_session::level2_session(db, "bench-health", "Phạm Văn Bền", CCCD).await
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:3230".into());
    let db_url = args.get(2).cloned().expect("database URL");
    let n: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(200);
    let source = args.get(4).cloned();
    dichvucong::server::install_crypto();
    let db = Db::connect(&db_url, 2).await.expect("database");
    let cookie = format!(
        "{}={}",
        dichvucong::server::auth::SESSION_COOKIE,
        session(&db).await
    );
    let client = reqwest::Client::new();
    let call = |path: String, body: Value| {
        client
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .header("sec-fetch-site", "same-origin")
            .header("cookie", &cookie)
            .body(body.to_string())
            .send()
    };
    let consent = call(
        "/api/health/consent".into(),
        json!({ "req": { "change": { "Give": { "version": dichvucong::api::health::CONSENT_VERSION } } } }),
    )
    .await
    .unwrap();
    assert!(
        consent.status().is_success(),
        "consent: {}",
        consent.status()
    );
    let list: Value = call(
        "/api/health/visits".into(),
        json!({ "req": { "subject": "self" } }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let visits = list["visits"].as_array().map(Vec::len).unwrap_or(0);
    let first = list["visits"][0]["id"]
        .as_str()
        .expect("a visit")
        .to_string();
    let reads = [
        (
            "overview",
            "/api/health/overview",
            json!({ "req": { "subject": "self" } }),
        ),
        (
            "visits",
            "/api/health/visits",
            json!({ "req": { "subject": "self" } }),
        ),
        (
            "visit",
            "/api/health/visit",
            json!({ "req": { "subject": "self", "id": first } }),
        ),
        (
            "lab_series",
            "/api/health/lab-series",
            json!({ "req": { "subject": "self", "code": "" } }),
        ),
        (
            "vaccinations",
            "/api/health/vaccinations",
            json!({ "req": { "subject": "self" } }),
        ),
    ];
    let get = |path: &str| {
        client
            .get(format!("{base}{path}"))
            .header("cookie", &cookie)
            .send()
    };
    // The source's own answer for the same patient, for comparison.
    let source_token = match &source {
        Some(src) => {
            let t: Value = client
                .post(format!("{src}/oauth/token"))
                .basic_auth("dvc-portal", Some("sandbox-ehr-secret"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body("grant_type=client_credentials")
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            t["access_token"].as_str().map(str::to_owned)
        }
        None => None,
    };
    let source_get = |path: String| {
        client
            .get(format!("{}/fhir{path}", source.clone().unwrap_or_default()))
            .bearer_auth(source_token.clone().unwrap_or_default())
            .send()
    };
    let mut all: Vec<(&str, String, Option<Value>)> = reads
        .into_iter()
        .map(|(name, path, body)| (name, path.to_string(), Some(body)))
        .collect();
    all.push((
        "export_fhir",
        "/files/health/export?subject=self".into(),
        None,
    ));
    all.push(("export_ips", "/files/health/ips?subject=self".into(), None));
    if source_token.is_some() {
        all.push(("source_everything", "/Patient/ben/$everything".into(), None));
    }
    for (name, path, body) in all {
        let (mut lat, mut bytes, mut errors) = (Vec::<Duration>::new(), 0usize, 0usize);
        for _ in 0..n {
            let started = Instant::now();
            let answer = match (&body, name) {
                (Some(b), _) => call(path.clone(), b.clone()).await,
                (None, "source_everything") => source_get(path.clone()).await,
                (None, _) => get(&path).await,
            };
            match answer {
                Ok(r) if r.status().is_success() => {
                    bytes = r.bytes().await.map(|b| b.len()).unwrap_or(0);
                    lat.push(started.elapsed());
                }
                _ => errors += 1,
            }
        }
        lat.sort();
        let pct = |p: f64| {
            lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
                .map(|d| d.as_secs_f64() * 1000.0)
                .unwrap_or(0.0)
        };
        println!(
            "BENCH read={name} visits_in_record={visits} requests={} errors={errors} p50_ms={:.1} p99_ms={:.1} answer_bytes={bytes}",
            lat.len(),
            pct(0.5),
            pct(0.99),
        );
    }
}
