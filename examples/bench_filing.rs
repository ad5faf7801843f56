//! Load generator for online filing: each simulated resident opens a draft, saves a complete
//! birth registration, uploads a 1 MB photo in pieces and submits. Prints submissions per
//! second and latency percentiles. Sessions are created directly in the server's database
//! (the login flow has its own tests); everything else goes over HTTP like a browser.
//!
//!   cargo run --release --features ssr --example bench_filing -- \
//!       http://127.0.0.1:3200 sqlite:///tmp/bench.db 20 8 sqlite

#[path = "common/bench_session.rs"]
mod bench_session;

use dichvucong::server::db::Db;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const PHOTO_BYTES: usize = 1024 * 1024;

fn answers() -> Value {
    let born = (chrono::Utc::now() - chrono::Duration::days(10))
        .format("%Y-%m-%d")
        .to_string();
    json!({
        "receiving_unit": "00070",
        "applicant": { "name": "Người Thử Tải", "birth_date": "1989-05-01", "sex": "male", "id_number": "001089012345" },
        "relationship": "cha", "phone": "0912345678",
        "residence": { "unit": "00070", "street": "12 phố Hàng Bạc" },
        "child_name": "Nguyễn Minh Khang", "child_birth_date": born, "child_sex": "male",
        "child_ethnicity": "Kinh", "child_nationality": "VN", "birth_place_kind": "co_so_y_te",
        "birth_facility": "Bệnh viện Phụ sản Hà Nội", "hometown": "Hà Nội",
        "mother": { "name": "Trần Thị Mai", "birth_date": "1991-03-02", "sex": "female", "id_number": "001191012346" },
        "father_known": false, "extract_copies": "1", "exemption": "none",
        "result_delivery": "counter", "declaration": true
    })
}

/// A real JPEG grown to 1 MB with comment segments.
fn photo() -> Vec<u8> {
    let base = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/giay-chung-sinh.jpg"
    ))
    .unwrap();
    let mut out = base[..2].to_vec();
    while out.len() + base.len() < PHOTO_BYTES {
        let n = (PHOTO_BYTES - out.len() - base.len()).clamp(64, 0xEA60);
        out.extend_from_slice(&[0xFF, 0xFE, (n >> 8) as u8, n as u8]);
        out.extend(std::iter::repeat_n(b'.', n - 2));
    }
    out.extend_from_slice(&base[2..]);
    out
}

async fn session(db: &Db, i: usize) -> String {
    // Valid-looking ID numbers: Hà Nội, male, born 1989.
    let cccd = format!("001089{:06}", i);
    bench_session::level2_session(
        db,
        &format!("bench-{i}"),
        &format!("Người thử tải {i}"),
        &cccd,
    )
    .await
}

async fn one_filing(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    photo: &[u8],
) -> Result<Duration, String> {
    let cookie = format!("{}={token}", dichvucong::server::auth::SESSION_COOKIE);
    let call = |path: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .header("sec-fetch-site", "same-origin")
            .header("cookie", &cookie)
            .body(body.to_string())
            .send()
    };
    let ok = |r: reqwest::Response| async move {
        if r.status().is_success() {
            r.json::<Value>().await.map_err(|e| e.to_string())
        } else {
            Err(format!(
                "{} {}",
                r.status(),
                r.text().await.unwrap_or_default()
            ))
        }
    };
    let started = Instant::now();
    let draft = ok(call(
        "/api/filing/start",
        json!({ "req": { "slug": "dang-ky-khai-sinh", "fresh": true } }),
    )
    .await
    .map_err(|e| e.to_string())?)
    .await?;
    let id = draft["id"].as_str().unwrap_or_default().to_string();
    ok(call(
        "/api/filing/save",
        json!({ "req": { "id": id, "answers": answers() } }),
    )
    .await
    .map_err(|e| e.to_string())?)
    .await?;
    let up = ok(call(
        "/api/uploads/start",
        json!({ "req": { "draft_id": id, "slot": "giay_chung_sinh", "name": "anh.jpg", "size": photo.len() } }),
    )
    .await
    .map_err(|e| e.to_string())?)
    .await?;
    let up_id = up["id"].as_str().unwrap_or_default();
    for (i, piece) in photo
        .chunks(dichvucong::domain::upload::CHUNK_BYTES)
        .enumerate()
    {
        let r = client
            .put(format!("{base}/files/uploads/{up_id}"))
            .header("cookie", &cookie)
            .header("sec-fetch-site", "same-origin")
            .header(
                "upload-offset",
                (i * dichvucong::domain::upload::CHUNK_BYTES).to_string(),
            )
            .body(piece.to_vec())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !r.status().is_success() {
            return Err(format!("upload {}", r.status()));
        }
    }
    ok(call(
        "/api/filing/submit",
        json!({ "req": { "draft_id": id, "idempotency_key": draft["idempotency_key"] } }),
    )
    .await
    .map_err(|e| e.to_string())?)
    .await?;
    Ok(started.elapsed())
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let base = args
        .get(1)
        .cloned()
        .unwrap_or_else(|| "http://127.0.0.1:3200".into());
    let db_url = args.get(2).cloned().expect("database URL");
    let secs: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(20);
    let workers: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(8);
    let engine = args.get(5).cloned().unwrap_or_else(|| "?".into());
    dichvucong::server::install_crypto();
    let db = Db::connect(&db_url, 4).await.expect("database");
    // Each simulated person files at most 20 times an hour (well inside the per-person limits).
    let people = workers * 40;
    let mut tokens = Vec::with_capacity(people);
    for i in 0..people {
        tokens.push(session(&db, i).await);
    }
    let photo = std::sync::Arc::new(photo());
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut handles = Vec::new();
    for w in 0..workers {
        let (client, base, photo) = (client.clone(), base.clone(), photo.clone());
        let mine: Vec<String> = tokens.iter().skip(w).step_by(workers).cloned().collect();
        handles.push(tokio::spawn(async move {
            let (mut lat, mut errors, mut n) = (Vec::new(), Vec::new(), 0usize);
            while Instant::now() < deadline {
                let token = &mine[(n / 20) % mine.len()];
                n += 1;
                match one_filing(&client, &base, token, &photo).await {
                    Ok(d) => lat.push(d),
                    Err(e) => errors.push(e),
                }
            }
            (lat, errors)
        }));
    }
    let (mut lat, mut errors) = (Vec::new(), Vec::new());
    for h in handles {
        let (l, e) = h.await.unwrap();
        lat.extend(l);
        errors.extend(e);
    }
    let elapsed = started.elapsed().as_secs_f64();
    lat.sort();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_secs_f64() * 1000.0)
            .unwrap_or(0.0)
    };
    if let Some(e) = errors.first() {
        eprintln!("first error: {e}");
    }
    println!(
        "BENCH engine={engine} workers={workers} submissions={} errors={} submissions_per_sec={:.1} p50_ms={:.0} p99_ms={:.0} attachment_bytes={}",
        lat.len(),
        errors.len(),
        lat.len() as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        photo.len()
    );
}
