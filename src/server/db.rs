//! The database: SQLite (embedded default) or PostgreSQL (scale-out), chosen by URL.
//!
//! Both engines run the same SQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`), each arm
//! type-checked on its own through [`with_db!`]. Schema changes live in `migrations/sqlite`
//! and `migrations/postgres`, kept column-for-column identical (checked by a test).

pub mod audit;
pub mod catalog;
mod dossier_code;
pub mod filing;
pub mod identity;
pub mod notify;
pub mod payments;
mod tracking;
pub mod uploads;
pub mod workflow;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub use dossier_code::DbTx;

/// A connection pool for one of the two engines.
#[derive(Clone, Debug)]
pub enum Db {
    /// Embedded SQLite file.
    Sqlite(SqlitePool),
    /// PostgreSQL server.
    Pg(PgPool),
}

/// Runs the same expression against whichever pool `db` holds.
#[macro_export]
#[doc(hidden)]
macro_rules! with_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::server::db::Db::Sqlite($pool) => $body,
            $crate::server::db::Db::Pg($pool) => $body,
        }
    };
}
pub use with_db;

/// Runs the same expression against whichever transaction `tx` (a [`DbTx`]) holds.
macro_rules! with_tx {
    ($tx:expr, $t:ident => $body:expr) => {
        match &mut $tx {
            $crate::server::db::DbTx::Sqlite($t) => $body,
            $crate::server::db::DbTx::Pg($t) => $body,
        }
    };
}
pub(crate) use with_tx;

/// Errors from the database layer. Logged on the server, never sent to the browser.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// sqlx error.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// Migration failed.
    #[error(transparent)]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A stored value could not be decoded.
    #[error("bad stored value: {0}")]
    Decode(String),
    /// The connection does not have the durability settings we require.
    #[error("unsafe database settings: {0}")]
    Settings(String),
}

impl Db {
    /// Connects, checks durability settings and applies migrations.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Db, DbError> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)?.application_name("dichvucong");
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Db::Pg(pool)
        } else {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a submission acknowledged to a resident survives a power cut.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            if let Some(parent) = opts.get_filename().parent()
                && !parent.as_os_str().is_empty()
            {
                std::fs::create_dir_all(parent).map_err(|e| DbError::Settings(e.to_string()))?;
            }
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Db::Sqlite(pool)
        };
        db.check_settings().await?;
        db.migrate().await?;
        Ok(db)
    }

    /// `sqlite` or `postgres`.
    pub fn engine(&self) -> &'static str {
        match self {
            Db::Sqlite(_) => "sqlite",
            Db::Pg(_) => "postgres",
        }
    }

    async fn migrate(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p) => sqlx::migrate!("migrations/sqlite").run(p).await?,
            Db::Pg(p) => sqlx::migrate!("migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Asserts WAL, `synchronous=FULL`, foreign keys and a busy timeout on SQLite, and a
    /// durable commit setting on PostgreSQL. Refuses to start otherwise.
    pub async fn check_settings(&self) -> Result<(), DbError> {
        match self {
            Db::Sqlite(p) => {
                let mut conn = p.acquire().await?;
                let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
                    .fetch_one(&mut *conn)
                    .await?;
                let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
                    .fetch_one(&mut *conn)
                    .await?;
                let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                    .fetch_one(&mut *conn)
                    .await?;
                let busy: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                    .fetch_one(&mut *conn)
                    .await?;
                let ok = mode.eq_ignore_ascii_case("wal") && sync == 2 && fk == 1 && busy >= 1000;
                if !ok {
                    return Err(DbError::Settings(format!(
                        "journal_mode={mode} synchronous={sync} foreign_keys={fk} busy_timeout={busy}"
                    )));
                }
            }
            Db::Pg(p) => {
                let fsync: String = sqlx::query_scalar("SHOW fsync").fetch_one(p).await?;
                let commit: String = sqlx::query_scalar("SHOW synchronous_commit")
                    .fetch_one(p)
                    .await?;
                if fsync != "on" || commit == "off" {
                    return Err(DbError::Settings(format!(
                        "fsync={fsync} synchronous_commit={commit}"
                    )));
                }
            }
        }
        Ok(())
    }

    /// A trivial query, for `/healthz`.
    pub async fn ping(&self) -> Result<(), DbError> {
        with_db!(self, p => sqlx::query("SELECT 1").execute(p).await.map(|_| ()))?;
        Ok(())
    }

    /// Names and columns of every table (for the schema-parity test), sorted.
    pub async fn schema(&self) -> Result<Vec<(String, String)>, DbError> {
        let mut rows: Vec<(String, String)> = match self {
            Db::Sqlite(p) => {
                sqlx::query_as(
                    "SELECT m.name, c.name FROM sqlite_master m, pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?
            }
            Db::Pg(p) => {
                sqlx::query_as(
                    "SELECT table_name::text, column_name::text FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?
            }
        };
        rows.sort();
        Ok(rows)
    }

    /// Closes the pool (graceful shutdown, tests).
    pub async fn close(&self) {
        with_db!(self, p => p.close().await)
    }
}
