//! Rate limits, counted in the database so that every server instance shares them.

use crate::api::AppError;
use crate::server::AppState;
use crate::server::db::Db;
use chrono::Utc;

/// A limit of `max` hits per `window_secs` for one kind of bucket.
#[derive(Debug, Clone, Copy)]
pub struct Limit {
    /// Bucket prefix (`track-ip`, `track-code` …).
    pub name: &'static str,
    /// Window length in seconds.
    pub window_secs: i64,
    /// Hits allowed per window.
    pub max: i64,
}

/// Public dossier look-ups from one address: enough for a family, too few for a scraper.
pub const TRACK_PER_IP: Limit = Limit {
    name: "track-ip",
    window_secs: 600,
    max: 30,
};

/// Look-ups of one dossier code, from anywhere: the 4-digit suffix cannot be guessed
/// (10 000 values at 10 an hour).
pub const TRACK_PER_CODE: Limit = Limit {
    name: "track-code",
    window_secs: 3600,
    max: 10,
};

/// Logins started from one address: a family or a counter PC, not a credential-stuffing run.
pub const LOGIN_PER_IP: Limit = Limit {
    name: "login-ip",
    window_secs: 600,
    max: 20,
};

/// Dossiers filed by one person: far more than anyone files, few enough to stop a script.
pub const SUBMIT_PER_USER: Limit = Limit {
    name: "submit-user",
    window_secs: 3600,
    max: 30,
};

/// Draft autosaves by one person (one every few seconds while typing, on two devices).
pub const DRAFT_SAVES_PER_USER: Limit = Limit {
    name: "draft-user",
    window_secs: 600,
    max: 600,
};

/// Files announced by one person (several pages of several documents, a few retries).
pub const UPLOADS_PER_USER: Limit = Limit {
    name: "upload-user",
    window_secs: 3600,
    max: 120,
};

/// Payment attempts by one person.
pub const PAYMENTS_PER_USER: Limit = Limit {
    name: "payment-user",
    window_secs: 3600,
    max: 30,
};

/// Health share links made by one person.
pub const SHARES_PER_USER: Limit = Limit {
    name: "share-user",
    window_secs: 3600,
    max: 30,
};

/// Share-link manifests asked for from one address (a viewer retries; a flood is refused).
pub const SHARE_OPENS_PER_IP: Limit = Limit {
    name: "share-ip",
    window_secs: 600,
    max: 60,
};

impl Limit {
    /// The counter's name for `key` (a person's id, an address, a dossier code).
    pub fn bucket(self, key: &str) -> String {
        format!("{}:{key}", self.name)
    }

    /// The same limit with `factor` times the allowance (load tests from one address).
    pub fn scaled(self, factor: u32) -> Limit {
        Limit {
            max: self.max.saturating_mul(i64::from(factor)),
            ..self
        }
    }
}

/// Counts a hit on `limit` for `key` at the server's time; `RateLimited` (with the seconds
/// until the window ends) once the window is full.
pub async fn check(state: &AppState, limit: Limit, key: &str) -> Result<(), AppError> {
    let bucket = limit.bucket(key);
    match state
        .db
        .rate_limit_hit(&bucket, limit.window_secs, state.clock.now())
        .await
    {
        Ok((hits, _)) if hits <= limit.max => Ok(()),
        Ok((_, retry_after)) => Err(AppError::RateLimited {
            retry_after: u32::try_from(retry_after.max(1)).unwrap_or(u32::MAX),
        }),
        Err(e) => {
            tracing::error!(error = %e, "rate limit store failed");
            Err(AppError::Unavailable)
        }
    }
}

/// Sweeps old windows every ten minutes, for as long as the server runs.
pub fn spawn_sweeper(db: Db) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(600));
        loop {
            tick.tick().await;
            if let Err(e) = db.rate_limit_sweep(Utc::now()).await {
                tracing::warn!(error = %e, "rate limit sweep failed");
            }
        }
    });
}
