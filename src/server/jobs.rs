//! Periodic work: the deadline job flags dossiers that are due within two working days or
//! overdue (the console's queues and the ward's notifications follow the flag).

use crate::server::AppState;
use crate::server::db::workflow::deadline_flag;
use crate::server::db::{Db, DbError};
use std::time::Duration;

/// Runs the deadline job every `deadline_every_secs`.
pub fn spawn_deadlines(state: AppState) {
    let every = Duration::from_secs(state.config.deadline_every_secs.max(1));
    tokio::spawn(async move {
        while !state.hub.is_closed() {
            match flag_deadlines(&state.db, chrono::Utc::now()).await {
                Ok(n) if n > 0 => state.hub.kick(),
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "deadline job failed"),
            }
            tokio::time::sleep(every).await;
        }
    });
}

/// Re-computes every running dossier's deadline flag as of `now` (paused ones lose theirs);
/// returns how many flags changed. Safe to run on several instances at once.
pub async fn flag_deadlines(db: &Db, now: chrono::DateTime<chrono::Utc>) -> Result<usize, DbError> {
    let calendar = db.calendar().await?;
    let mut changed = 0;
    for row in db.running_dossiers().await? {
        let pauses = if row.supplement_count > 0 {
            crate::domain::act::pauses(&db.supplements(&row.id).await?)
        } else {
            Vec::new()
        };
        let countdown = row.countdown(&calendar, &pauses, now)?;
        let flag = deadline_flag(&countdown);
        if flag != row.deadline_flag && db.set_deadline_flag(&row, flag, now).await? {
            changed += 1;
        }
    }
    Ok(changed)
}
