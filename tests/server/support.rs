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
    _dir: Option<tempfile_dir::TempDir>,
}

/// Minimal temporary directory (removed on drop), to avoid another dependency.
pub mod tempfile_dir {
    use std::path::{Path, PathBuf};
    pub struct TempDir(PathBuf);
    impl TempDir {
        pub fn new(prefix: &str) -> TempDir {
            let p = std::env::temp_dir().join(format!("{prefix}-{}", uuid_like()));
            std::fs::create_dir_all(&p).unwrap();
            TempDir(p)
        }
        pub fn path(&self) -> &Path {
            &self.0
        }
    }
    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    pub fn uuid_like() -> String {
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
}

pub fn postgres_admin_url() -> String {
    std::env::var("DVC_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_string())
}

impl TestDb {
    pub async fn new(engine: Engine) -> TestDb {
        match engine {
            Engine::Sqlite => {
                let dir = tempfile_dir::TempDir::new("dvc-test");
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
                let name = format!("dvc_t_{}", tempfile_dir::uuid_like());
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
    _dist: tempfile_dir::TempDir,
}

/// A small built-app stand-in: index.html with Trunk's nonce placeholder and one hashed asset.
fn fake_dist() -> tempfile_dir::TempDir {
    let dir = tempfile_dir::TempDir::new("dvc-dist");
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
    dir
}

impl TestApp {
    pub async fn spawn(engine: Engine) -> TestApp {
        let db = TestDb::new(engine).await;
        let dist = fake_dist();
        let mut config = Config::defaults();
        config.database_url = db.url.clone();
        config.dist = dist.path().to_path_buf();
        config.data = repo_path("data");
        config.import_data = true;
        config.public_origin = "http://127.0.0.1:3000".into();
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
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Calls a server function the way the browser does.
    pub async fn call(&self, path: &str, body: serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("content-type", "application/json")
            .header("sec-fetch-site", "same-origin")
            .body(body.to_string())
            .send()
            .await
            .unwrap()
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
            #[allow(unused_imports)]
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
