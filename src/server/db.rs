//! The database: SQLite (embedded default) or PostgreSQL (scale-out), chosen by URL.
//!
//! Both engines run the same SQL (`$1` placeholders, `RETURNING`, `ON CONFLICT`), each arm
//! type-checked on its own through [`with_db!`]. Schema changes live in `migrations/sqlite`
//! and `migrations/postgres`, kept column-for-column identical (checked by a test).

pub mod audit;
pub mod catalog;
mod dossier_code;
pub mod events;
pub mod filing;
pub mod health;
pub mod identity;
pub mod intake;
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

/// What the schema-parity test compares between the two engines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// Every column.
    pub columns: Vec<SchemaColumn>,
    /// Every index, including those behind primary keys and unique constraints.
    pub indexes: Vec<SchemaIndex>,
    /// `(table, timing, event)` of every trigger (`BEFORE`, `UPDATE`).
    pub triggers: Vec<(String, String, String)>,
}

/// A column of [`Schema`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaColumn {
    /// Table.
    pub table: String,
    /// Column.
    pub column: String,
    /// How values are kept: `text` (also timestamps, dates and JSON, which sqlx writes as
    /// text on SQLite), `integer`, `boolean`, `real` or `blob`.
    pub class: String,
    /// `NOT NULL`.
    pub not_null: bool,
}

/// An index of [`Schema`].
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SchemaIndex {
    /// Table.
    pub table: String,
    /// The name of an index made by `CREATE INDEX` (constraint indexes are named by each
    /// engine its own way).
    pub name: Option<String>,
    /// Columns, in order, comma separated.
    pub columns: String,
    /// Unique.
    pub unique: bool,
    /// Behind the primary key.
    pub primary: bool,
    /// Has a `WHERE` clause.
    pub partial: bool,
}

/// The storage class of a declared column type, the same word for both engines.
fn storage_class(declared: &str) -> String {
    let t = declared.to_ascii_lowercase();
    let class = if t.contains("int") || t.contains("serial") {
        "integer"
    } else if t.contains("bool") {
        "boolean"
    } else if t.contains("real") || t.contains("double") || t.contains("numeric") {
        "real"
    } else if t.contains("blob") || t.contains("bytea") {
        "blob"
    } else if t.contains("text")
        || t.contains("char")
        || t.contains("date")
        || t.contains("time")
        || t.contains("json")
    {
        "text"
    } else {
        return format!("unknown:{t}");
    };
    class.to_string()
}

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
    /// A write that a concurrent one made impossible (the row it needed is taken); nothing
    /// was written.
    #[error("taken meanwhile: {0}")]
    Taken(&'static str),
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

    /// The schema as both engines can state it (for the schema-parity test), every list
    /// sorted: columns with their storage class and nullability, indexes with their columns,
    /// uniqueness and partiality, and triggers by table, timing and event.
    pub async fn schema(&self) -> Result<Schema, DbError> {
        let mut schema = match self {
            Db::Sqlite(p) => {
                let columns: Vec<(String, String, String, bool, i64)> = sqlx::query_as(
                    "SELECT m.name, c.name, c.type, c.\"notnull\" <> 0, c.pk FROM sqlite_master m, pragma_table_info(m.name) c \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?;
                let indexes: Vec<(String, String, bool, String, bool, String)> = sqlx::query_as(
                    "SELECT m.name, il.name, il.\"unique\" <> 0, il.origin, il.partial <> 0, \
                     (SELECT group_concat(ii.name, ',') FROM (SELECT name FROM pragma_index_info(il.name) ORDER BY seqno) ii) \
                     FROM sqlite_master m, pragma_index_list(m.name) il \
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?;
                let triggers: Vec<(String, String)> = sqlx::query_as(
                    "SELECT tbl_name, sql FROM sqlite_master WHERE type = 'trigger'",
                )
                .fetch_all(p)
                .await?;
                // An `INTEGER PRIMARY KEY` is the row id itself, with no index of its own.
                let rowid_keys = columns
                    .iter()
                    .filter(|(t, _, ty, _, pk)| {
                        *pk == 1
                            && ty.eq_ignore_ascii_case("integer")
                            && columns.iter().filter(|c| c.0 == *t && c.4 > 0).count() == 1
                    })
                    .map(|(t, c, ..)| SchemaIndex {
                        table: t.clone(),
                        name: None,
                        columns: c.clone(),
                        unique: true,
                        primary: true,
                        partial: false,
                    })
                    .collect::<Vec<_>>();
                Schema {
                    columns: columns
                        .into_iter()
                        .map(|(t, c, ty, not_null, pk)| SchemaColumn {
                            table: t,
                            column: c,
                            class: storage_class(&ty),
                            // SQLite lets a TEXT primary key hold NULL unless told otherwise;
                            // the application never stores one, as PostgreSQL forbids.
                            not_null: not_null || pk > 0,
                        })
                        .collect(),
                    indexes: indexes
                        .into_iter()
                        .map(|(t, name, unique, origin, partial, cols)| SchemaIndex {
                            table: t,
                            // Constraint indexes are named by each engine its own way.
                            name: (origin == "c").then_some(name),
                            columns: cols,
                            unique,
                            primary: origin == "pk",
                            partial,
                        })
                        .chain(rowid_keys)
                        .collect(),
                    triggers: triggers
                        .into_iter()
                        .flat_map(|(t, sql)| {
                            let sql = sql.to_ascii_uppercase();
                            let timing = ["BEFORE", "AFTER", "INSTEAD OF"]
                                .into_iter()
                                .find(|w| sql.contains(&format!(" {w} ")))
                                .unwrap_or("")
                                .to_string();
                            ["INSERT", "UPDATE", "DELETE"]
                                .into_iter()
                                .filter(|e| {
                                    sql.contains(&format!("{timing} {e}"))
                                        || sql.contains(&format!(" OR {e}"))
                                })
                                .map(|e| (t.clone(), timing.clone(), e.to_string()))
                                .collect::<Vec<_>>()
                        })
                        .collect(),
                }
            }
            Db::Pg(p) => {
                let columns: Vec<(String, String, String, bool)> = sqlx::query_as(
                    "SELECT table_name::text, column_name::text, data_type::text, is_nullable = 'NO' \
                     FROM information_schema.columns \
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?;
                let indexes: Vec<(String, String, bool, bool, bool, bool, String)> = sqlx::query_as(
                    "SELECT t.relname::text, i.relname::text, x.indisunique, x.indisprimary, x.indpred IS NOT NULL, \
                     EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid), \
                     (SELECT string_agg(a.attname, ',' ORDER BY k.n) FROM unnest(x.indkey) WITH ORDINALITY k(attnum, n) \
                      JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) \
                     FROM pg_index x JOIN pg_class t ON t.oid = x.indrelid JOIN pg_class i ON i.oid = x.indexrelid \
                     JOIN pg_namespace n ON n.oid = t.relnamespace \
                     WHERE n.nspname = current_schema() AND t.relname NOT LIKE '_sqlx%'",
                )
                .fetch_all(p)
                .await?;
                // pg_trigger, not information_schema: that leaves out TRUNCATE triggers.
                let triggers: Vec<(String, String, String)> = sqlx::query_as(
                    "SELECT c.relname::text, \
                     CASE WHEN t.tgtype::int & 2 <> 0 THEN 'BEFORE' WHEN t.tgtype::int & 64 <> 0 THEN 'INSTEAD OF' ELSE 'AFTER' END, e.ev \
                     FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace, \
                     (VALUES (4, 'INSERT'), (8, 'DELETE'), (16, 'UPDATE'), (32, 'TRUNCATE')) e(bit, ev) \
                     WHERE NOT t.tgisinternal AND n.nspname = current_schema() AND t.tgtype::int & e.bit <> 0",
                )
                .fetch_all(p)
                .await?;
                Schema {
                    columns: columns
                        .into_iter()
                        .map(|(t, c, ty, not_null)| SchemaColumn {
                            table: t,
                            column: c,
                            class: storage_class(&ty),
                            not_null,
                        })
                        .collect(),
                    indexes: indexes
                        .into_iter()
                        .map(
                            |(t, name, unique, primary, partial, constraint, cols)| SchemaIndex {
                                table: t,
                                name: (!constraint).then_some(name),
                                columns: cols,
                                unique,
                                primary,
                                partial,
                            },
                        )
                        .collect(),
                    triggers,
                }
            }
        };
        schema.columns.sort();
        schema.indexes.sort();
        schema.triggers.sort();
        schema.triggers.dedup();
        Ok(schema)
    }

    /// Closes the pool (graceful shutdown, tests).
    pub async fn close(&self) {
        with_db!(self, p => p.close().await)
    }
}
