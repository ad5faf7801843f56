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
