//! The server binary as an operator runs it: start, serve, SIGTERM, clean exit.

use crate::both_engines;
use crate::support::{TestDb, repo_path};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

both_engines!(sigterm_stops_the_server_cleanly, |engine| {
    dichvucong::server::install_crypto();
    let tdb = TestDb::new(engine).await;
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
});

/// The server binary, started as an operator would, with its log read line by line.
struct ServerProcess {
    child: std::process::Child,
    addr: String,
    log: std::sync::mpsc::Receiver<String>,
}

impl ServerProcess {
    /// Starts on a free port over `db_url` and `files`; with `pause`, the process stops at that
    /// test point (`src/server/pause.rs`) until killed.
    fn start(db_url: &str, files: &std::path::Path, pause: Option<&str>) -> ServerProcess {
        match Self::try_start(db_url, files, pause) {
            Ok(p) => p,
            Err(p) => {
                p.kill_9();
                panic!("paused at {pause:?} before listening");
            }
        }
    }

    /// Like [`ServerProcess::start`]. A server finishes interrupted uploads before it listens,
    /// so an armed point can stop it there: then this kills it (one more crash, in the middle
    /// of the repair), lets an unarmed start finish the repair, and starts armed again.
    fn start_armed(db_url: &str, files: &std::path::Path, pause: &str) -> (ServerProcess, usize) {
        let mut repair_kills = 0;
        loop {
            match Self::try_start(db_url, files, Some(pause)) {
                Ok(p) => return (p, repair_kills),
                Err(p) => {
                    p.kill_9();
                    repair_kills += 1;
                    Self::start(db_url, files, None).kill_9();
                }
            }
        }
    }

    /// Starts, then answers `Err` with the process when it paused before listening.
    fn try_start(
        db_url: &str,
        files: &std::path::Path,
        pause: Option<&str>,
    ) -> Result<ServerProcess, ServerProcess> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_server"));
        cmd.env("DVC_SANDBOX", "true")
            .env("DVC_BIND", "127.0.0.1:0")
            .env("DATABASE_URL", db_url)
            .env("DVC_DATA", repo_path("data"))
            .env("DVC_DIST", repo_path("does-not-exist"))
            .env("DVC_FILES_DIR", files)
            .env("DVC_PUBLIC_ORIGIN", "http://127.0.0.1:3000")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .env_remove("DVC_TEST_PAUSE_AT")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(p) = pause {
            cmd.env("DVC_TEST_PAUSE_AT", p);
        }
        let mut child = cmd.spawn().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, log) = std::sync::mpsc::channel();
        // Keep draining its log so it never blocks on a full pipe.
        std::thread::spawn(move || {
            for l in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        let mut p = ServerProcess {
            child,
            addr: String::new(),
            log,
        };
        let line = p
            .wait_for_any(
                &["listening on http://", "paused at test point"],
                Duration::from_secs(60),
            )
            .expect("server did not start listening");
        if line.contains("paused at test point") {
            return Err(p);
        }
        p.addr = line
            .split("listening on http://")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap()
            .to_string();
        Ok(p)
    }

    /// The first log line containing `needle`, waiting at most `limit`.
    fn wait_for(&mut self, needle: &str, limit: Duration) -> Option<String> {
        self.wait_for_any(&[needle], limit)
    }

    /// The first log line containing one of `needles`, waiting at most `limit`.
    fn wait_for_any(&mut self, needles: &[&str], limit: Duration) -> Option<String> {
        let until = Instant::now() + limit;
        loop {
            let left = until.checked_duration_since(Instant::now())?;
            match self.log.recv_timeout(left) {
                Ok(l) if needles.iter().any(|n| l.contains(n)) => return Some(l),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// `kill -9`, and waits for the process to be gone.
    fn kill_9(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A resident of the crash tests (a different one per filing, so that no per-person limit is
/// what stops a retry), signed in.
async fn resident(db: &dichvucong::server::db::Db, i: usize) -> Browser {
    use dichvucong::server::db::identity::ProviderIdentity;
    let now = chrono::Utc::now();
    let user = db
        .upsert_user(
            &ProviderIdentity {
                issuer: "https://sandbox.vneid.test".into(),
                subject: format!("crash-{i}"),
                name: "Người Thử Nghiệm".to_string(),
                cccd: Some(format!("001090{i:06}")),
                birthdate: None,
                address: None,
                identity_level: 2,
                dependents: Vec::new(),
            },
            now,
        )
        .await
        .unwrap();
    let token = format!("crash-session-{i}-{}", crate::support::unique());
    db.create_session(
        &dichvucong::server::auth::token_hash(&token),
        &user.id,
        false,
        2,
        now,
        "id-token",
        now,
    )
    .await
    .unwrap();
    Browser::new(
        format!("{}={token}", dichvucong::server::auth::SESSION_COOKIE),
        "Người Thử Nghiệm".to_string(),
        format!("001090{i:06}"),
    )
}

/// Browser-like calls to one server process.
#[derive(Clone)]
struct Browser {
    client: reqwest::Client,
    cookie: String,
    /// The resident's name and ID number.
    name: String,
    cccd: String,
}

impl Browser {
    fn new(cookie: String, name: String, cccd: String) -> Browser {
        Browser {
            // No kept-alive connections: a later server may listen on a killed one's port.
            client: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            cookie,
            name,
            cccd,
        }
    }

    async fn call(
        &self,
        base: &str,
        path: &str,
        body: serde_json::Value,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.client
            .post(format!("{base}{path}"))
            .header("content-type", "application/json")
            .header("sec-fetch-site", "same-origin")
            .header("cookie", &self.cookie)
            .body(body.to_string())
            .send()
            .await
    }

    async fn json(&self, base: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
        let r = self.call(base, path, body).await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    async fn put(
        &self,
        base: &str,
        upload: &str,
        offset: i64,
        bytes: Vec<u8>,
    ) -> Result<reqwest::Response, reqwest::Error> {
        self.client
            .put(format!("{base}/files/uploads/{upload}"))
            .header("cookie", &self.cookie)
            .header("sec-fetch-site", "same-origin")
            .header("upload-offset", offset.to_string())
            .body(bytes)
            .send()
            .await
    }

    /// Sends `bytes` piece by piece, resuming wherever the server stands, as the browser
    /// does; answers the final upload view, or why it could not finish.
    async fn finish_upload(
        &self,
        base: &str,
        upload: &str,
        bytes: &[u8],
    ) -> Result<serde_json::Value, String> {
        let mut at = 0i64;
        for _ in 0..64 {
            let end = (at as usize + dichvucong::domain::upload::CHUNK_BYTES).min(bytes.len());
            let r = self
                .put(base, upload, at, bytes[at as usize..end].to_vec())
                .await
                .map_err(|e| e.to_string())?;
            let status = r.status().as_u16();
            let v: serde_json::Value = r.json().await.map_err(|e| e.to_string())?;
            if status != 200 && status != 409 {
                return Err(format!("{status} {v}"));
            }
            if v["complete"] == true {
                return Ok(v);
            }
            at = v["received"].as_i64().ok_or("no offset")?;
        }
        Err(format!("upload {upload} never completed"))
    }
}

/// A draft with the birth answers of `b`'s resident saved and a photo announced:
/// `(draft id, key, upload id)`.
async fn prepared_filing(b: &Browser, base: &str, photo: &[u8]) -> (String, String, String) {
    use serde_json::json;
    let draft = b
        .json(
            base,
            "/api/filing/start",
            json!({ "req": { "slug": "dang-ky-khai-sinh", "fresh": true } }),
        )
        .await;
    let id = draft["id"].as_str().unwrap().to_string();
    let key = draft["idempotency_key"].as_str().unwrap().to_string();
    b.json(
        base,
        "/api/filing/save",
        json!({ "req": { "id": id, "answers": crate::filing::birth_answers_by(&b.name, &b.cccd) } }),
    )
    .await;
    let up = b
        .json(
            base,
            "/api/uploads/start",
            json!({ "req": { "draft_id": id, "slot": "giay_chung_sinh", "name": "giay-chung-sinh.jpg", "size": photo.len() } }),
        )
        .await;
    (id, key, up["id"].as_str().unwrap().to_string())
}

/// What the database and the file folder hold after the crashes, checked whole: SQLite's
/// integrity check, at most one dossier per key, every kept file with a complete row and every
/// complete row with its file, no piece without a row.
async fn assert_consistent(db: &dichvucong::server::db::Db, files: &std::path::Path) {
    if let dichvucong::server::db::Db::Sqlite(p) = db {
        let ok: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(ok, "ok");
    }
    let (twice, complete, partial_rows): (i64, Vec<String>, Vec<String>) = dichvucong::with_db!(db, p => {
        (
            sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT idempotency_key FROM dossiers GROUP BY idempotency_key HAVING COUNT(*) > 1) t")
                .fetch_one(p).await.unwrap(),
            sqlx::query_scalar("SELECT id FROM uploads WHERE complete ORDER BY id").fetch_all(p).await.unwrap(),
            sqlx::query_scalar("SELECT id FROM uploads WHERE NOT complete ORDER BY id").fetch_all(p).await.unwrap(),
        )
    });
    assert_eq!(twice, 0, "a key with two dossiers");
    let list = |dir: &str| {
        let mut v: Vec<String> = std::fs::read_dir(files.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        v.sort();
        v
    };
    assert_eq!(list("stored"), complete, "kept files and complete rows");
    for piece in list("partial") {
        assert!(
            partial_rows.contains(&piece),
            "piece {piece} without its row"
        );
    }
}

mod crash {
    use super::*;
    use serde_json::json;

    both_engines!(
        an_upload_cut_after_its_last_piece_is_finished_by_a_restart_or_a_resume,
        |engine| {
            dichvucong::server::install_crypto();
            let tdb = TestDb::new(engine).await;
            let files = crate::support::temp_dir("dvc-crash-upload");
            let db = tdb.connect().await;
            let photo = crate::uploads::fixture("giay-chung-sinh.jpg");
            let row = |id: String| {
                let db = db.clone();
                async move {
                    let (received, complete, sha): (i64, bool, Option<String>) = dichvucong::with_db!(&db, p => {
                        sqlx::query_as("SELECT received, complete, sha256 FROM uploads WHERE id = $1")
                            .bind(&id).fetch_one(p).await.unwrap()
                    });
                    (received, complete, sha)
                }
            };

            // Killed after the last piece is recorded, then after the file is kept but before
            // the row says so: a restart finishes both.
            for (i, point) in ["upload.received", "upload.stored"].into_iter().enumerate() {
                let b = resident(&db, i).await;
                let server = ServerProcess::start(&tdb.url, files.path(), Some(point));
                let base = server.url("");
                let (_, _, upload) = prepared_filing(&b, &base, &photo).await;
                let pending = tokio::spawn({
                    let (b, base, upload, photo) =
                        (b.clone(), base.clone(), upload.clone(), photo.clone());
                    async move { b.put(&base, &upload, 0, photo).await }
                });
                let mut server = server;
                assert!(
                    server
                        .wait_for("paused at test point", Duration::from_secs(30))
                        .is_some(),
                    "never reached {point}"
                );
                server.kill_9();
                let _ = pending.await;
                assert_eq!(
                    row(upload.clone()).await,
                    (photo.len() as i64, false, None),
                    "{point}"
                );
                let kept = if point == "upload.received" {
                    "partial"
                } else {
                    "stored"
                };
                assert!(files.path().join(kept).join(&upload).exists(), "{point}");

                let server = ServerProcess::start(&tdb.url, files.path(), None);
                let (received, complete, sha) = row(upload.clone()).await;
                assert!(
                    complete && received == photo.len() as i64 && sha.is_some(),
                    "{point}: finished at start-up"
                );
                assert!(!files.path().join("partial").join(&upload).exists());
                // The browser resuming from the server's offset is told it is complete.
                let r = b
                    .put(&server.url(""), &upload, photo.len() as i64, Vec::new())
                    .await
                    .unwrap();
                assert_eq!(r.status(), 409);
                let v: serde_json::Value = r.json().await.unwrap();
                assert_eq!(v["complete"], true);
                let got = b
                    .client
                    .get(server.url(&format!("/files/uploads/{upload}")))
                    .header("cookie", &b.cookie)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(got.status(), 200);
                assert_eq!(got.bytes().await.unwrap().as_ref(), photo.as_slice());
                server.kill_9();
            }

            // One instance hangs after recording the last piece; the browser's retry of that
            // piece reaches another instance, which finishes it.
            let b = resident(&db, 9).await;
            let other = ServerProcess::start(&tdb.url, files.path(), None);
            let mut hung = ServerProcess::start(&tdb.url, files.path(), Some("upload.received"));
            let (draft, key, upload) = prepared_filing(&b, &hung.url(""), &photo).await;
            let pending = tokio::spawn({
                let (b, base, upload, photo) =
                    (b.clone(), hung.url(""), upload.clone(), photo.clone());
                async move { b.put(&base, &upload, 0, photo).await }
            });
            assert!(
                hung.wait_for("paused at test point", Duration::from_secs(30))
                    .is_some()
            );
            let r = b
                .put(&other.url(""), &upload, 0, photo.clone())
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "the same piece again");
            let v: serde_json::Value = r.json().await.unwrap();
            assert_eq!(v["complete"], true, "{v}");
            // And the resume from the server's offset, had the browser asked first.
            let r = b
                .put(&other.url(""), &upload, photo.len() as i64, Vec::new())
                .await
                .unwrap();
            assert_eq!(r.status(), 409);
            assert_eq!(
                r.json::<serde_json::Value>().await.unwrap()["complete"],
                true
            );
            hung.kill_9();
            let _ = pending.await;
            let r = b
                .call(
                    &other.url(""),
                    "/api/filing/submit",
                    json!({ "req": { "draft_id": draft, "idempotency_key": key } }),
                )
                .await
                .unwrap();
            let status = r.status();
            assert_eq!(
                status,
                200,
                "filed with the finished photo: {}",
                r.text().await.unwrap()
            );
            other.kill_9();
            assert_consistent(&db, files.path()).await;
            db.close().await;
            tdb.cleanup().await;
        }
    );

    /// How a cycle of the kill test ends the server.
    #[derive(Debug, Clone, Copy)]
    enum Kill {
        /// Paused inside the submission transaction, after every write.
        InsideTransaction,
        /// At a moment of the submission chosen by the clock.
        DuringSubmission(u64),
        /// Paused with every byte of the photo recorded, the file unchecked.
        UploadReceived,
        /// Paused with the photo kept, its row not yet complete.
        UploadStored,
        /// At a moment of a three-piece upload chosen by the clock.
        DuringUpload(u64),
    }

    both_engines!(
        killed_at_any_moment_of_filing_then_retried_makes_exactly_one_dossier_per_key,
        |engine| {
            dichvucong::server::install_crypto();
            let cycles: usize = std::env::var("DVC_KILL_CYCLES")
                .ok()
                .and_then(|c| c.parse().ok())
                .unwrap_or(200);
            let tdb = TestDb::new(engine).await;
            let files = crate::support::temp_dir("dvc-crash-files");
            let db = tdb.connect().await;
            let small = crate::uploads::fixture("giay-chung-sinh.jpg");
            let large =
                crate::uploads::big_jpeg(2 * dichvucong::domain::upload::CHUNK_BYTES + 1000);
            // Every cycle files a new dossier (its own draft, key and resident), so every kill
            // meets a real submission, never only the "already filed" answer.
            let mut filings = Vec::new();
            let (mut inside, mut repair_kills) = (0, 0);
            for i in 0..cycles {
                let kill = match i % 5 {
                    0 => Kill::InsideTransaction,
                    1 => Kill::DuringSubmission((i as u64 * 7) % 25),
                    2 => Kill::UploadReceived,
                    3 => Kill::UploadStored,
                    _ => Kill::DuringUpload((i as u64 * 11) % 40),
                };
                let pause = match kill {
                    Kill::InsideTransaction => Some("submit.in_transaction"),
                    Kill::UploadReceived => Some("upload.received"),
                    Kill::UploadStored => Some("upload.stored"),
                    _ => None,
                };
                let photo = if matches!(kill, Kill::DuringUpload(_)) {
                    &large
                } else {
                    &small
                };
                let b = resident(&db, 1000 + i).await;
                let mut server = match pause {
                    Some(point) => {
                        let (server, kills) =
                            ServerProcess::start_armed(&tdb.url, files.path(), point);
                        repair_kills += kills;
                        server
                    }
                    None => ServerProcess::start(&tdb.url, files.path(), None),
                };
                let base = server.url("");
                let (draft, key, upload) = prepared_filing(&b, &base, photo).await;
                match kill {
                    Kill::InsideTransaction | Kill::DuringSubmission(_) => {
                        b.finish_upload(&base, &upload, photo).await.unwrap();
                        let body = json!({ "req": { "draft_id": draft, "idempotency_key": key } });
                        let pending = tokio::spawn({
                            let (b, base) = (b.clone(), base.clone());
                            async move { b.call(&base, "/api/filing/submit", body).await }
                        });
                        if let Kill::DuringSubmission(ms) = kill {
                            tokio::time::sleep(Duration::from_millis(ms)).await;
                        } else {
                            assert!(
                                server
                                    .wait_for("paused at test point", Duration::from_secs(30))
                                    .is_some()
                            );
                            inside += 1;
                        }
                        server.kill_9();
                        let _ = pending.await;
                    }
                    Kill::UploadReceived | Kill::UploadStored => {
                        let pending = tokio::spawn({
                            let (b, base, upload, photo) =
                                (b.clone(), base.clone(), upload.clone(), photo.clone());
                            async move { b.put(&base, &upload, 0, photo).await }
                        });
                        assert!(
                            server
                                .wait_for("paused at test point", Duration::from_secs(30))
                                .is_some()
                        );
                        server.kill_9();
                        let _ = pending.await;
                    }
                    Kill::DuringUpload(ms) => {
                        let pending = tokio::spawn({
                            let (b, base, upload, photo) =
                                (b.clone(), base.clone(), upload.clone(), photo.clone());
                            async move { b.finish_upload(&base, &upload, &photo).await }
                        });
                        tokio::time::sleep(Duration::from_millis(ms)).await;
                        server.kill_9();
                        let _ = pending.await;
                    }
                }
                filings.push((b, draft, key, upload, photo.clone()));
            }
            assert_eq!(
                inside,
                cycles.div_ceil(5),
                "every paused kill landed inside the transaction"
            );
            // Uploads stopped with every byte received were finished by the next start; some of
            // those starts were themselves killed in the middle of finishing.
            assert!(repair_kills > 0, "no kill landed in a start-up repair");
            let server = ServerProcess::start(&tdb.url, files.path(), None);
            assert_consistent(&db, files.path()).await;
            let dossiers_before: i64 = dichvucong::with_db!(&db, p => {
                sqlx::query_scalar("SELECT COUNT(*) FROM dossiers").fetch_one(p).await.unwrap()
            });
            assert!(
                (dossiers_before as usize) < cycles,
                "some kills came before the commit"
            );

            // The resident retries everything: the upload from the server's offset (if it is
            // still a draft's), then the submission, twice. One dossier per key, always.
            let base = server.url("");
            for (b, draft, key, upload, photo) in &filings {
                let filed: Option<String> = dichvucong::with_db!(&db, p => {
                    sqlx::query_scalar("SELECT code FROM dossiers WHERE idempotency_key = $1")
                        .bind(key).fetch_optional(p).await.unwrap()
                });
                if filed.is_none() {
                    b.finish_upload(&base, upload, photo).await.unwrap();
                }
                let body = json!({ "req": { "draft_id": draft, "idempotency_key": key } });
                let first = b.json(&base, "/api/filing/submit", body.clone()).await;
                let again = b.json(&base, "/api/filing/submit", body).await;
                assert_eq!(first, again);
                if let Some(code) = filed {
                    assert_eq!(first, json!(code), "the dossier filed before the crash");
                }
            }
            server.kill_9();
            let (dossiers, attached): (i64, i64) = dichvucong::with_db!(&db, p => {
                (
                    sqlx::query_scalar("SELECT COUNT(*) FROM dossiers").fetch_one(p).await.unwrap(),
                    sqlx::query_scalar("SELECT COUNT(*) FROM uploads WHERE dossier_id IS NOT NULL AND complete")
                        .fetch_one(p).await.unwrap(),
                )
            });
            assert_eq!(dossiers as usize, cycles, "exactly one dossier per key");
            assert_eq!(
                attached as usize, cycles,
                "every photo went with its dossier"
            );
            assert_consistent(&db, files.path()).await;
            db.close().await;
            tdb.cleanup().await;
        }
    );
}

// Outside sandbox mode the server will not run with the sandbox peers' secrets, says which
// settings to change without printing them, and logs no secret even at `trace` level.
both_engines!(
    refuses_sandbox_secrets_outside_sandbox_mode_and_never_logs_a_secret,
    |engine| {
        use dichvucong::server::config::{SANDBOX_OIDC_CLIENT_SECRET, SANDBOX_PAYMENT_SECRET};
        dichvucong::server::install_crypto();
        let tdb = TestDb::new(engine).await;
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
        assert!(
            !said.contains(SANDBOX_PAYMENT_SECRET) && !said.contains(SANDBOX_OIDC_CLIENT_SECRET)
        );
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
);
