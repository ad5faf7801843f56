//! The two rows every change to a dossier writes beside itself, in its transaction: the step on
//! the resident's timeline and the outbox message that becomes notifications and e-mails.

use super::{DbError, DbTx, with_tx};
use crate::domain::filing::Said;
use crate::domain::outbox::Message;
use crate::domain::status::Actor;
use chrono::{DateTime, Utc};
use sqlx::types::Json;

/// A step on a dossier's timeline.
#[derive(Debug, Clone, Copy)]
pub struct Event<'a> {
    /// The dossier's id.
    pub dossier_id: &'a str,
    /// When.
    pub at: DateTime<Utc>,
    /// The status the dossier is in after the step.
    pub status: crate::domain::status::DossierStatus,
    /// Who acted.
    pub actor: Actor,
    /// Their user id (none for the portal itself).
    pub actor_id: Option<&'a str>,
    /// The reason or note they wrote.
    pub note: Option<&'a str>,
    /// What the portal says of the step.
    pub said: Option<&'a Said>,
}

impl DbTx {
    /// Adds a step to the dossier's timeline.
    pub async fn append_event(&mut self, e: &Event<'_>) -> Result<(), DbError> {
        with_tx!(*self, t => {
            sqlx::query(
                "INSERT INTO dossier_events (id, dossier_id, at, status, actor_role, actor_id, note, said) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(e.dossier_id)
            .bind(e.at)
            .bind(i64::from(e.status.code()))
            .bind(e.actor.as_str())
            .bind(e.actor_id)
            .bind(e.note)
            .bind(e.said.map(Json))
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }

    /// Leaves `m` about dossier `dossier_id` in the outbox, delivered once this commits.
    pub async fn enqueue(
        &mut self,
        dossier_id: &str,
        m: &Message,
        at: DateTime<Utc>,
    ) -> Result<(), DbError> {
        with_tx!(*self, t => {
            sqlx::query(
                "INSERT INTO outbox (id, topic, dossier_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(uuid::Uuid::now_v7().to_string())
            .bind(m.topic.as_str())
            .bind(dossier_id)
            .bind(Json(m.json()))
            .bind(at)
            .execute(&mut **t)
            .await?;
        });
        Ok(())
    }
}
