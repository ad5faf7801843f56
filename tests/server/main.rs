//! Server integration tests: the real router on port 0 with a fresh database, run once on
//! SQLite and once on PostgreSQL (`DVC_TEST_POSTGRES_URL`, default
//! `postgres://postgres@127.0.0.1:5432/test`). PostgreSQL is required: when it cannot be
//! reached the PostgreSQL tests fail, they are never skipped.
#![cfg(feature = "ssr")]

mod auth;
mod authorization;
mod catalog;
mod db;
mod filing;
mod health;
mod http;
mod lifecycle;
mod limits;
mod mail;
mod payments;
mod smtp_sink;
mod support;
mod tools;
mod tracking;
mod uploads;
mod workflow;
