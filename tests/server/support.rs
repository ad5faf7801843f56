//! Test harness: fresh databases, a served app, and a JSON client.

use dichvucong::server::config::Config;
use dichvucong::server::db::Db;
use dichvucong::server::{self, AppState};
use std::net::SocketAddr;
use std::path::PathBuf;

/// Which engine a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// A database created for one test and removed afterwards.
pub struct TestDb {
    pub url: String,
    admin_url: Option<String>,
    name: String,
    _dir: Option<tempfile::TempDir>,
}

/// A temporary directory named `<prefix>-…`, removed with everything in it when dropped.
pub fn temp_dir(prefix: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("{prefix}-"))
        .tempdir()
        .unwrap()
}

/// A name no other test uses, in this process or another (database names, token ids).
pub fn unique() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    format!(
        "{}_{}_{}",
        std::process::id(),
        nanos,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

pub fn postgres_admin_url() -> String {
    std::env::var("DVC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

impl TestDb {
    pub async fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = temp_dir("dvc-test");
                let url = format!("sqlite://{}/test.db", dir.path().display());
                TestDb {
                    url,
                    admin_url: None,
                    name: String::new(),
                    _dir: Some(dir),
                }
            }
            Engine::Postgres => {
                let admin = postgres_admin_url();
                let name = format!("dvc_t_{}", unique());
                let pool = sqlx::PgPool::connect(&admin).await.unwrap_or_else(|e| {
                    panic!(
                        "PostgreSQL is required for these tests and is not reachable at {admin}: {e}. \
                         Start it (scripts/test does) or set DVC_TEST_POSTGRES_URL."
                    )
                });
                sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                    .execute(&pool)
                    .await
                    .unwrap();
                pool.close().await;
                let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap();
                TestDb {
                    url: format!("{base}/{name}"),
                    admin_url: Some(admin),
                    name,
                    _dir: None,
                }
            }
        }
    }

    pub async fn connect(&self) -> Db {
        Db::connect(&self.url, 8).await.unwrap()
    }

    /// Drops the PostgreSQL database (SQLite files go with the temp dir).
    pub async fn cleanup(self) {
        if let Some(admin) = &self.admin_url
            && let Ok(pool) = sqlx::PgPool::connect(admin).await
        {
            let drop = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
            let _ = sqlx::query(&drop).execute(&pool).await;
            pool.close().await;
        }
    }
}

pub fn repo_path(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// A running server on 127.0.0.1:0.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub state: AppState,
    pub db: Option<TestDb>,
    _dist: tempfile::TempDir,
    pub files: tempfile::TempDir,
}

/// A small built-app stand-in: index.html with Trunk's nonce placeholder and one hashed asset.
fn fake_dist() -> tempfile::TempDir {
    let dir = temp_dir("dvc-dist");
    std::fs::write(
        dir.path().join("index.html"),
        "<!DOCTYPE html><html lang=\"vi\"><head><script type=\"module\" nonce=\"{{__TRUNK NONCE__}}\">import init from '/app-0123456789abcdef.js';</script></head><body></body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("app-0123456789abcdef.js"),
        "export default function init() {}",
    )
    .unwrap();
    std::fs::write(dir.path().join("sw.js"), "// sw").unwrap();
    std::fs::create_dir_all(dir.path().join("forms")).unwrap();
    std::fs::write(
        dir.path().join("forms/index.html"),
        "<!DOCTYPE html><html lang=\"vi\"><head><script type=\"module\" nonce=\"{{__TRUNK NONCE__}}\">import init from '/forms/app-fedcba9876543210.js';</script></head><body></body></html>",
    )
    .unwrap();
    dir
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        Self::spawn_with(engine, |_| {}).await
    }

    /// Like [`TestApp::spawn`], with configuration changes (e.g. another identity provider).
    pub async fn spawn_with(engine: Engine, change: impl FnOnce(&mut Config)) -> TestApp {
        let db = TestDb::new(engine).await;
        let dist = fake_dist();
        let mut config = Config::defaults();
        config.database_url = db.url.clone();
        config.dist = dist.path().to_path_buf();
        let files = temp_dir("dvc-files");
        config.files_dir = files.path().to_path_buf();
        config.data = repo_path("data");
        config.import_data = true;
        config.sandbox = true;
        config.public_origin = "http://127.0.0.1:3000".into();
        // Nothing listens here unless a test starts a provider and says so.
        config.oidc_issuer = "http://127.0.0.1:9".into();
        change(&mut config);
        let state = server::build_state(config).await.expect("state");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let s = state.clone();
        tokio::spawn(async move {
            server::serve(listener, s).await.unwrap();
        });
        TestApp {
            addr,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            state,
            db: Some(db),
            _dist: dist,
            files,
        }
    }

    /// Another server instance on the same database and file store (scale-out).
    pub async fn second_instance(&self) -> TestApp {
        let db_url = self.state.config.database_url.clone();
        let files = self.files.path().to_path_buf();
        TestApp::spawn_with(Engine::Sqlite, |c| {
            c.database_url = db_url;
            c.files_dir = files;
        })
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Calls a server function the way the browser does.
    pub async fn call(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.call_as(None, path, body).await
    }

    /// Calls a server function with a session cookie.
    pub async fn call_as(
        &self,
        session: Option<&str>,
        path: &str,
        body: serde_json::Value,
    ) -> reqwest::Response {
        let mut req = self
            .client
            .post(self.url(path))
            .header("content-type", "application/json")
            .header("sec-fetch-site", "same-origin")
            .body(body.to_string());
        if let Some(token) = session {
            req = req.header(
                "cookie",
                format!("{}={token}", dichvucong::server::auth::SESSION_COOKIE),
            );
        }
        req.send().await.unwrap()
    }

    /// A plain GET (a download) with a session cookie.
    pub async fn get_as(&self, session: Option<&str>, path: &str) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = session {
            req = req.header(
                "cookie",
                format!("{}={token}", dichvucong::server::auth::SESSION_COOKIE),
            );
        }
        req.send().await.unwrap()
    }

    /// Signs a person in directly (user + session rows, as a completed login leaves them) and
    /// returns the session cookie value. The login flow itself is tested in `auth.rs`.
    pub async fn session_for(&self, who: &Person) -> String {
        create_session(&self.state.db, who).await
    }

    pub async fn cleanup(mut self) {
        self.state.db.close().await;
        if let Some(db) = self.db.take() {
            db.cleanup().await;
        }
    }
}

/// Declares one async test per engine: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! both_engines {
    ($name:ident, |$engine:ident| $body:block) => {
        mod $name {
            #[allow(unused_imports)] // not every test body uses its module's imports
            use super::*;
            async fn run($engine: $crate::support::Engine) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                run($crate::support::Engine::Sqlite).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                run($crate::support::Engine::Postgres).await
            }
        }
    };
}

/// A test person for [`TestApp::session_for`].
pub struct Person {
    pub name: &'static str,
    pub cccd: &'static str,
    pub level: i64,
    pub admin: bool,
    pub officer_of: &'static [&'static str],
    pub leader_of: &'static [&'static str],
    pub login_minutes_ago: i64,
}

pub const RESIDENT_A: Person = Person {
    name: "Nguyễn Văn An",
    cccd: "001089012345",
    level: 2,
    admin: false,
    officer_of: &[],
    leader_of: &[],
    login_minutes_ago: 1,
};
pub const RESIDENT_B: Person = Person {
    name: "Trần Thị Bình",
    cccd: "001189012389",
    level: 2,
    admin: false,
    officer_of: &[],
    leader_of: &[],
    login_minutes_ago: 1,
};
pub const RESIDENT_LEVEL1: Person = Person {
    name: "Lê Minh Cường",
    cccd: "001095001122",
    level: 1,
    admin: false,
    officer_of: &[],
    leader_of: &[],
    login_minutes_ago: 1,
};
pub const OFFICER_HOAN_KIEM: Person = Person {
    name: "Phạm Thu Hà",
    cccd: "001185000111",
    level: 2,
    admin: false,
    officer_of: &["00070"],
    leader_of: &[],
    login_minutes_ago: 1,
};
pub const LEADER_HOAN_KIEM: Person = Person {
    name: "Đỗ Quang Huy",
    cccd: "001080000222",
    level: 2,
    admin: false,
    officer_of: &[],
    leader_of: &["00070"],
    login_minutes_ago: 1,
};
pub const OFFICER_BA_DINH: Person = Person {
    name: "Vũ Thị Lan",
    cccd: "001190000333",
    level: 2,
    admin: false,
    officer_of: &["00004"],
    leader_of: &[],
    login_minutes_ago: 1,
};
pub const ADMIN: Person = Person {
    name: "Hoàng Văn Minh",
    cccd: "001078000444",
    level: 2,
    admin: true,
    officer_of: &[],
    leader_of: &[],
    login_minutes_ago: 1,
};

/// Moves the server's clock to the start of a fresh fixed rate-limit window, so that a burst
/// of requests in a test cannot straddle two windows.
pub fn at_window_start(app: &TestApp, window_secs: i64) {
    let now = app.state.clock.now();
    let into = now.timestamp().rem_euclid(window_secs);
    app.state
        .clock
        .advance(chrono::Duration::seconds(window_secs - into));
}

/// Signs a person in directly against a database (user + session rows) and returns the
/// session cookie value.
pub async fn create_session(db: &Db, who: &Person) -> String {
    use dichvucong::server::db::identity::ProviderIdentity;
    let now = chrono::Utc::now();
    let user = db
        .upsert_user(
            &ProviderIdentity {
                issuer: "https://sandbox.vneid.test".into(),
                subject: format!("sub-{}", who.cccd),
                name: who.name.into(),
                cccd: Some(who.cccd.into()),
                birthdate: None,
                address: None,
                identity_level: who.level,
                dependents: sandbox_dependents(who.cccd),
            },
            now,
        )
        .await
        .unwrap();
    if who.admin {
        db.set_admin(&user.id, true).await.unwrap();
    }
    let roles = who
        .officer_of
        .iter()
        .map(|u| (u, "officer"))
        .chain(who.leader_of.iter().map(|u| (u, "leader")));
    for (unit, role) in roles {
        let event = dichvucong::server::db::audit::AuditEvent {
            actor: None,
            actor_role: "system".into(),
            actor_unit: None,
            action: "role_granted".into(),
            object: Some(user.id.clone()),
            outcome: "ok",
            detail: Some(format!("{unit}:{role}")),
        };
        let has = db
            .roles(&user.id)
            .await
            .unwrap()
            .iter()
            .any(|r| r.unit_code == *unit && r.role == role);
        if !has {
            db.grant_role(&user.id, unit, role, now, &event)
                .await
                .unwrap();
        }
    }
    let token = format!("test-session-{}-{}", who.cccd, unique());
    let staff = who.admin || !who.officer_of.is_empty() || !who.leader_of.is_empty();
    db.create_session(
        &dichvucong::server::auth::token_hash(&token),
        &user.id,
        staff,
        who.level,
        now - chrono::Duration::minutes(who.login_minutes_ago),
        "id-token",
        now,
    )
    .await
    .unwrap();
    token
}

/// The people the sandbox identity provider says `cccd` represents
/// (`end2end/sandbox/accounts.json`), as a login would store them.
pub fn sandbox_dependents(cccd: &str) -> Vec<dichvucong::server::db::identity::Dependent> {
    let text = std::fs::read_to_string(repo_path("end2end/sandbox/accounts.json")).unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["cccd"] == cccd)
        .flat_map(|a| a["dependents"].as_array().cloned().unwrap_or_default())
        .map(|d| serde_json::from_value(d).unwrap())
        .collect()
}

/// The sandbox health-data service (`end2end/sandbox/ehr.mjs`): a real FHIR R4 server (npm
/// `@medplum/fhir-router`) with the sandbox people's records and an OAuth token endpoint.
pub struct EhrServer {
    child: std::process::Child,
    pub origin: String,
}

impl EhrServer {
    pub async fn start() -> EhrServer {
        dichvucong::server::install_crypto();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = std::process::Command::new("node")
            .arg(repo_path("end2end/sandbox/ehr.mjs"))
            .env("EHR_PORT", port.to_string())
            .env("EHR_LARGE_VISITS", "0")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node (the sandbox health-data service)");
        let origin = format!("http://127.0.0.1:{port}");
        let started = std::time::Instant::now();
        loop {
            if let Ok(r) = reqwest::get(format!("{origin}/healthz")).await
                && r.status() == 200
            {
                break;
            }
            assert!(started.elapsed().as_secs() < 30, "ehr.mjs did not start");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        EhrServer { child, origin }
    }

    /// Points a server configuration at this service.
    pub fn configure(&self, c: &mut Config) {
        c.ehr_fhir_base = Some(format!("{}/fhir", self.origin));
        c.ehr_token_url = Some(format!("{}/oauth/token", self.origin));
    }

    /// Delays every FHIR answer by `ms` (0: none).
    pub async fn delay(&self, ms: u64) {
        let r = reqwest::Client::new()
            .post(format!("{}/_sandbox/delay?ms={ms}", self.origin))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
}

impl Drop for EhrServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A real S3-compatible server for the tests: npm `s3rver` (installed by `scripts/setup`),
/// checking AWS Signature V4 with its default key `S3RVER`/`S3RVER`, with one bucket.
pub struct S3Server {
    child: std::process::Child,
    pub endpoint: String,
    _dir: tempfile::TempDir,
}

pub const S3_BUCKET: &str = "dichvucong";

impl S3Server {
    pub async fn start() -> S3Server {
        let dir = temp_dir("dvc-s3");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let bin = repo_path("end2end/node_modules/.bin/s3rver");
        let child = std::process::Command::new("node")
            .arg(&bin)
            .args([
                "-d",
                dir.path().to_str().unwrap(),
                "-a",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .args(["-s", "--configure-bucket", S3_BUCKET])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("s3rver (npm, installed by scripts/setup)");
        let started = std::time::Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err()
        {
            assert!(started.elapsed().as_secs() < 20, "s3rver did not start");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        S3Server {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            _dir: dir,
        }
    }

    /// A client for the test bucket.
    pub fn client(&self) -> dichvucong::server::s3::S3 {
        dichvucong::server::s3::S3::new(self.config()).unwrap()
    }

    pub fn config(&self) -> dichvucong::server::s3::S3Config {
        dichvucong::server::s3::S3Config {
            endpoint: self.endpoint.clone(),
            bucket: S3_BUCKET.into(),
            region: "us-east-1".into(),
            access_key: "S3RVER".into(),
            secret_key: dichvucong::server::config::Secret::new("S3RVER"),
        }
    }

    /// Points a server configuration at this bucket.
    pub fn configure(&self, c: &mut Config) {
        c.files_s3_endpoint = Some(self.endpoint.clone());
        c.files_s3_bucket = S3_BUCKET.into();
        c.files_s3_access_key = "S3RVER".into();
        c.files_s3_secret_key = dichvucong::server::config::Secret::new("S3RVER");
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The text layer of a PDF, by `pdftotext` (poppler-utils, installed by `scripts/setup`).
pub fn pdf_text(bytes: &[u8]) -> String {
    let dir = temp_dir("dvc-pdf");
    let pdf = dir.path().join("f.pdf");
    std::fs::write(&pdf, bytes).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils, installed by scripts/setup)");
    String::from_utf8(out.stdout).unwrap()
}

/// A real ClamAV daemon for the tests (Debian's `clamav-daemon`, installed by `scripts/setup`),
/// listening on loopback with one signature of its own: the EICAR test string, found anywhere
/// in a file. Real signatures cannot be downloaded here, and the tests need none.
pub struct ClamdServer {
    child: Option<std::process::Child>,
    pub addr: String,
    dir: tempfile::TempDir,
}

/// The EICAR anti-virus test string: harmless, and what every scanner reports as a virus.
pub const EICAR: &[u8] = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

impl ClamdServer {
    pub async fn start() -> ClamdServer {
        let dir = temp_dir("dvc-clamd");
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        std::fs::create_dir_all(dir.path().join("db")).unwrap();
        std::fs::write(
            dir.path().join("db/dichvucong-test.ndb"),
            format!("Dvc.Test.Eicar:0:*:{}\n", hex::encode(EICAR)),
        )
        .unwrap();
        std::fs::write(
            dir.path().join("clamd.conf"),
            format!(
                "DatabaseDirectory {db}\nTCPSocket {port}\nTCPAddr 127.0.0.1\nForeground yes\n\
                 LogFile {log}\nPidFile {pid}\nStreamMaxLength 30M\n",
                db = dir.path().join("db").display(),
                log = dir.path().join("clamd.log").display(),
                pid = dir.path().join("clamd.pid").display(),
            ),
        )
        .unwrap();
        let mut s = ClamdServer {
            child: None,
            addr: format!("127.0.0.1:{port}"),
            dir,
        };
        s.restart().await;
        s
    }

    /// Stops the daemon (the port then refuses connections).
    pub fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts it again on the same port, and waits until it answers `PING`.
    pub async fn restart(&mut self) {
        self.stop();
        let child = std::process::Command::new("clamd")
            .arg(format!(
                "--config-file={}",
                self.dir.path().join("clamd.conf").display()
            ))
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("clamd (clamav-daemon, installed by scripts/setup)");
        self.child = Some(child);
        let started = std::time::Instant::now();
        loop {
            use tokio::io::{AsyncReadExt, AsyncWriteExt};
            if let Ok(mut c) = tokio::net::TcpStream::connect(&self.addr).await {
                let mut pong = Vec::new();
                if c.write_all(b"zPING\0").await.is_ok()
                    && c.read_to_end(&mut pong).await.is_ok()
                    && pong.starts_with(b"PONG")
                {
                    return;
                }
            }
            assert!(started.elapsed().as_secs() < 60, "clamd did not start");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ClamdServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Every text the database holds, for tests that prove something was never stored: the SQLite
/// file with its write-ahead log as bytes, or every row of every PostgreSQL table as text.
pub async fn database_text(app: &TestApp) -> String {
    let url = &app.state.config.database_url;
    if let Some(path) = url.strip_prefix("sqlite://") {
        let path = path.split('?').next().unwrap();
        let mut bytes = Vec::new();
        for suffix in ["", "-wal"] {
            if let Ok(b) = std::fs::read(format!("{path}{suffix}")) {
                bytes.extend(b);
            }
        }
        return String::from_utf8_lossy(&bytes).into_owned();
    }
    dichvucong::with_db!(&app.state.db, p => {
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema()",
        )
        .fetch_all(p)
        .await
        .unwrap();
        let mut out = String::new();
        for t in tables {
            let rows: Vec<String> = sqlx::query_scalar(&format!("SELECT t::text FROM \"{t}\" t"))
                .fetch_all(p)
                .await
                .unwrap();
            out.push_str(&rows.join("\n"));
        }
        out
    })
}
