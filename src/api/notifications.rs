//! The notification centre: a resident's latest notifications and marking them read. Every
//! query is filtered by the caller.

use crate::api::AppError;
use crate::domain::workflow::Notification;
#[cfg(feature = "ssr")]
use crate::server::ctx::OrInternal;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use serde::{Deserialize, Serialize};

/// The notification centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inbox {
    /// Latest first.
    pub items: Vec<Notification>,
    /// Unread count.
    pub unread: i64,
}

/// The caller's latest notifications.
#[server(endpoint = "notifications/list", input = Json)]
pub async fn notifications() -> Result<Inbox, AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    let db = &cx.state.db;
    Ok(Inbox {
        items: db
            .notifications_latest(&me.user_id, 50)
            .await
            .or_internal(&cx)?,
        unread: db
            .unread_notifications(&me.user_id)
            .await
            .or_internal(&cx)?,
    })
}

/// Up to which notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReadUpTo {
    /// Notification number.
    pub seq: i64,
}

/// Marks the caller's notifications up to `seq` read.
#[server(endpoint = "notifications/read", input = Json)]
pub async fn mark_read(req: ReadUpTo) -> Result<(), AppError> {
    use crate::server::{ctx, policy::Action};
    let cx = ctx::request().await?;
    cx.authorize(Action::OwnFiling).await?;
    let me = cx.user()?;
    cx.state
        .db
        .mark_notifications_read(&me.user_id, req.seq, cx.state.clock.now())
        .await
        .or_internal(&cx)?;
    Ok(())
}
