//! What the live relay must react to, read in three small queries however many
//! sessions are live: sessions that ended (revoked on any instance), cases closed and
//! credentials revoked since a moment.
//!
//! These reads cross tenants on purpose: they are the gateway's own sweep, they return
//! ids only, and each relay keeps just the ids it holds live.

use chrono::{DateTime, Utc};

use super::MainStore;
use crate::rows::{id, text_opt};
use crate::session_records::{EndReason, LiveChanges};
use crate::time::to_micros;
use crate::StoreError;

impl MainStore {
    /// Everything that ended a live session at or after `since`.
    pub async fn live_changes_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<LiveChanges, StoreError> {
        let at = to_micros(since);
        let ended = sqlx::query(
            "SELECT id, end_reason FROM sessions WHERE ended_at >= $1 AND state = 'ended'",
        )
        .bind(at)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .iter()
        .map(|row| {
            let reason = text_opt(row, "end_reason")?.and_then(|r| EndReason::parse(&r));
            Ok((id(row, "id")?, reason.unwrap_or(EndReason::ConsentRevoked)))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
        let closed_cases = sqlx::query("SELECT id FROM cases WHERE closed_at >= $1")
            .bind(at)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .iter()
            .map(|row| id(row, "id"))
            .collect::<Result<Vec<_>, StoreError>>()?;
        let revoked_credentials = sqlx::query("SELECT id FROM credentials WHERE revoked_at >= $1")
            .bind(at)
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .iter()
            .map(|row| id(row, "id"))
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok(LiveChanges {
            ended,
            closed_cases,
            revoked_credentials,
        })
    }
}
