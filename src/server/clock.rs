//! The server's clock. In production it is the system clock; a test moves it forward (a day,
//! a rate-limit window, thirty days) instead of sleeping, and the running server sees the new
//! time at once.

use chrono::{DateTime, Duration, Utc};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// The system clock plus an offset that only ever grows. Cheap to clone; clones share it.
#[derive(Debug, Clone, Default)]
pub struct Clock {
    ahead_ms: Arc<AtomicI64>,
}

impl Clock {
    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::milliseconds(self.ahead_ms.load(Ordering::Relaxed))
    }

    /// Moves the clock forward by `by` (tests).
    pub fn advance(&self, by: Duration) {
        self.ahead_ms
            .fetch_add(by.num_milliseconds().max(0), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_advanced_clock_runs_ahead_for_every_clone() {
        let c = Clock::default();
        let other = c.clone();
        let before = Utc::now();
        c.advance(Duration::days(30));
        assert!(other.now() - before >= Duration::days(30));
        assert!(other.now() - before < Duration::days(30) + Duration::seconds(5));
        c.advance(Duration::seconds(-100));
        assert!(
            other.now() - before >= Duration::days(30),
            "never backwards"
        );
    }
}
