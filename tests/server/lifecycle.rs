//! The server binary as an operator runs it: start, serve, SIGTERM, clean exit.

use crate::support::{Engine, TestDb, repo_path};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_server_cleanly() {
    dichvucong::server::install_crypto();
    let tdb = TestDb::new(Engine::Sqlite).await;
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DVC_SANDBOX", "true")
        .env("DVC_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", &tdb.url)
        .env("DVC_DATA", repo_path("data"))
        .env("DVC_DIST", repo_path("does-not-exist"))
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    // The address it logs once listening.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    let client = reqwest::Client::new();
    let resp = client
        .get(format!("http://{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    // Without a built app the pages say so plainly (503), the API still works.
    let resp = client.get(format!("http://{addr}/")).send().await.unwrap();
    assert_eq!(resp.status(), 503);

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let started = Instant::now();
    let exit = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "server did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "exit status {exit:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l.contains("shutting down")), "{rest:?}");

    // The database is intact after the stop.
    let db = tdb.connect().await;
    if let dichvucong::server::db::Db::Sqlite(p) = &db {
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(ok, "ok");
    }
    db.close().await;
    tdb.cleanup().await;
}

/// Starts the server binary on a free port; returns the process and its address.
fn start_server(db_url: &str, files: &std::path::Path) -> (std::process::Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
        .env("DVC_SANDBOX", "true")
        .env("DVC_BIND", "127.0.0.1:0")
        .env("DATABASE_URL", db_url)
        .env("DVC_DATA", repo_path("data"))
        .env("DVC_DIST", repo_path("does-not-exist"))
        .env("DVC_FILES_DIR", files)
        .env("DVC_PUBLIC_ORIGIN", "http://127.0.0.1:3000")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining its log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (child, addr)
}

fn kill_9(child: &mut std::process::Child) {
    let _ = Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status();
    let _ = child.wait();
}

/// `kill -9` at any moment of a submission, then restart and retry: exactly one dossier for
/// the key, an intact database, and no file without its row.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_mid_submission_then_retried_makes_exactly_one_dossier() {
    use crate::support::{RESIDENT_A, create_session, tempfile_dir::TempDir};
    use serde_json::{Value, json};
    dichvucong::server::install_crypto();
    let tdb = TestDb::new(Engine::Sqlite).await;
    let files = TempDir::new("dvc-crash-files");
    let (mut child, addr) = start_server(&tdb.url, files.path());
    let db = tdb.connect().await;
    let token = create_session(&db, &RESIDENT_A).await;
    let cookie = format!("{}={token}", dichvucong::server::auth::SESSION_COOKIE);
    let client = reqwest::Client::new();
    let call = |addr: String, path: &'static str, body: Value| {
        let (client, cookie) = (client.clone(), cookie.clone());
        async move {
            client
                .post(format!("http://{addr}{path}"))
                .header("content-type", "application/json")
                .header("sec-fetch-site", "same-origin")
                .header("cookie", cookie)
                .body(body.to_string())
                .send()
                .await
        }
    };
    let draft: Value = call(
        addr.clone(),
        "/api/filing/start",
        json!({ "req": { "slug": "dang-ky-khai-sinh", "fresh": true } }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let draft_id = draft["id"].as_str().unwrap().to_string();
    let key = draft["idempotency_key"].as_str().unwrap().to_string();
    let r = call(
        addr.clone(),
        "/api/filing/save",
        json!({ "req": { "id": draft_id, "answers": crate::filing::birth_answers() } }),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 200);
    let photo = crate::uploads::fixture("giay-chung-sinh.jpg");
    let up: Value = call(
        addr.clone(),
        "/api/uploads/start",
        json!({ "req": { "draft_id": draft_id, "slot": "giay_chung_sinh", "name": "a.jpg", "size": photo.len() } }),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let r = client
        .put(format!(
            "http://{addr}/files/uploads/{}",
            up["id"].as_str().unwrap()
        ))
        .header("cookie", &cookie)
        .header("sec-fetch-site", "same-origin")
        .header("upload-offset", "0")
        .body(photo)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let submit = json!({ "req": { "draft_id": draft_id, "idempotency_key": key } });

    // Kill the server while the submission is in flight, at a different moment each time.
    let mut addr = addr;
    for delay_ms in [0u64, 2, 5, 9, 15] {
        let pending = tokio::spawn(call(addr.clone(), "/api/filing/submit", submit.clone()));
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        kill_9(&mut child);
        let _ = pending.await;
        let (c, a) = start_server(&tdb.url, files.path());
        child = c;
        addr = a;
    }
    // The retry after the last restart answers the one dossier, as many times as asked.
    let mut codes = Vec::new();
    for _ in 0..3 {
        let r = call(addr.clone(), "/api/filing/submit", submit.clone())
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        codes.push(r.json::<String>().await.unwrap());
    }
    assert!(codes.iter().all(|c| c == &codes[0]), "{codes:?}");
    kill_9(&mut child);

    let dichvucong::server::db::Db::Sqlite(p) = &db else {
        unreachable!()
    };
    let dossiers: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM dossiers")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(dossiers, 1);
    let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(p)
        .await
        .unwrap();
    assert_eq!(ok, "ok");
    let attached: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE dossier_id IS NOT NULL")
            .fetch_one(p)
            .await
            .unwrap();
    assert_eq!(attached, 1, "the photo went with the dossier");
    // Every stored file has its row, and every row its file.
    let on_disk: Vec<String> = std::fs::read_dir(files.path().join("stored"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let rows: Vec<String> = sqlx::query_scalar("SELECT id FROM uploads WHERE complete")
        .fetch_all(p)
        .await
        .unwrap();
    assert_eq!(on_disk, rows);
    db.close().await;
    tdb.cleanup().await;
}

/// Outside sandbox mode the server will not run with the sandbox peers' secrets, says which
/// settings to change without printing them, and logs no secret even at `trace` level.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refuses_sandbox_secrets_outside_sandbox_mode_and_never_logs_a_secret() {
    use dichvucong::server::config::{SANDBOX_OIDC_CLIENT_SECRET, SANDBOX_PAYMENT_SECRET};
    dichvucong::server::install_crypto();
    let tdb = TestDb::new(Engine::Sqlite).await;
    let server = |secrets: &[(&str, &str)]| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_server"));
        for k in [
            "DVC_SANDBOX",
            "DVC_PAYMENT_SECRET",
            "DVC_OIDC_CLIENT_SECRET",
            "DVC_DEMO_STAFF",
        ] {
            c.env_remove(k);
        }
        c.env("DVC_BIND", "127.0.0.1:0")
            .env("DATABASE_URL", &tdb.url)
            .env("DVC_DATA", repo_path("data"))
            .env("DVC_DIST", repo_path("does-not-exist"))
            .env("RUST_LOG", "trace")
            .env("NO_COLOR", "1");
        for (k, v) in secrets {
            c.env(k, v);
        }
        c
    };

    let out = server(&[]).output().unwrap();
    assert!(!out.status.success(), "started with the sandbox's secrets");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("DVC_PAYMENT_SECRET and DVC_OIDC_CLIENT_SECRET")
            && said.contains("DVC_SANDBOX"),
        "{said}"
    );
    assert!(!said.contains(SANDBOX_PAYMENT_SECRET) && !said.contains(SANDBOX_OIDC_CLIENT_SECRET));
    let out = server(&[
        ("DVC_PAYMENT_SECRET", "real-pay-7c1f"),
        ("DVC_DEMO_STAFF", ""),
    ])
    .output()
    .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DVC_OIDC_CLIENT_SECRET"));

    // Real secrets: it starts, and the whole trace log of a few requests holds neither.
    let (pay, oidc) = ("real-pay-7c1f09d2e4", "real-oidc-51b8aa03c6");
    let mut child = server(&[
        ("DVC_PAYMENT_SECRET", pay),
        ("DVC_OIDC_CLIENT_SECRET", oidc),
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for l in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(l);
        }
    });
    let mut log = Vec::new();
    let addr = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server did not start with real secrets");
        let found = line
            .split("listening on http://")
            .nth(1)
            .map(|r| r.split_whitespace().next().unwrap().to_string());
        log.push(line);
        if let Some(a) = found {
            break a;
        }
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for path in [
        "/healthz",
        "/payments/vnpay/ipn?vnp_TxnRef=x&vnp_SecureHash=00",
        "/auth/login",
    ] {
        let _ = client.get(format!("http://{addr}{path}")).send().await;
    }
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let _ = child.wait();
    log.extend(rx.iter());
    let mut stderr = String::new();
    use std::io::Read;
    let _ = child.stderr.take().unwrap().read_to_string(&mut stderr);
    let all = format!("{}\n{stderr}", log.join("\n"));
    assert!(
        all.contains("payment notice with a bad signature"),
        "the trace log was read: {all}"
    );
    assert!(
        !all.contains(pay) && !all.contains(oidc),
        "a secret in the log"
    );
    tdb.cleanup().await;
}
