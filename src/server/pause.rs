//! Test pause points, for the crash tests: with `DVC_TEST_PAUSE_AT=<point>` (accepted in
//! sandbox mode only) the server process stops at that point of its code path, logs
//! `paused at test point` with the point's name, and waits there until it is killed. A test
//! then sends `kill -9` knowing exactly where the process was. Unarmed, a point costs one
//! comparison.
//!
//! The points sit deep in the upload and submission paths, where no request state reaches,
//! so the armed point is process-wide; only the server binary arms it, at start-up.

use std::sync::OnceLock;

/// The points there are.
pub const POINTS: &[&str] = &[
    // Every byte of an upload recorded as received, the file not yet checked or kept.
    "upload.received",
    // The checked file kept (renamed into place), the row not yet marked complete.
    "upload.stored",
    // Inside the submission transaction, after every write, before the commit.
    "submit.in_transaction",
];

static ARMED: OnceLock<String> = OnceLock::new();

/// Arms `point` for the life of the process (the binary calls this once at start-up).
pub fn arm(point: &str) -> Result<(), String> {
    if !POINTS.contains(&point) {
        return Err(format!(
            "unknown test pause point {point:?} (known: {})",
            POINTS.join(", ")
        ));
    }
    ARMED
        .set(point.to_string())
        .map_err(|_| "a test pause point is already armed".to_string())
}

/// Waits forever if `name` is the armed point; returns at once otherwise.
pub async fn point(name: &'static str) {
    if ARMED.get().is_some_and(|p| p == name) {
        tracing::warn!(point = name, "paused at test point");
        std::future::pending::<()>().await;
    }
}
