//! Sessions: requested, consented, started, ended; every transition is a conditional
//! update, so two requests racing on one session cannot both win.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use supportgate_types::{CaseId, SessionId, SubjectId, TenantId};

use super::MainStore;
use crate::rows::{id, id_opt, int, int_opt, text, text_opt};
use crate::session_records::{
    scopes_from_text, scopes_to_text, ConsentScope, EndReason, SessionRecord, SessionState,
};
use crate::time::{from_micros, from_micros_opt, to_micros};
use crate::{Page, StoreError};

const SESSION_COLUMNS: &str = "id, tenant_id, case_id, requested_by, requested_scopes, state, consent_scopes, \
    consent_granted_by, consent_granted_at, consent_expires_at, recording_acknowledged, revoked_at, revoked_by, \
    requested_at, started_at, ended_at, end_reason, recording_id";

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what }
}

fn session_row(row: &AnyRow) -> Result<SessionRecord, StoreError> {
    let scopes = |col| -> Result<Vec<ConsentScope>, StoreError> {
        scopes_from_text(&text_opt(row, col)?.unwrap_or_default()).ok_or(corrupt("session scopes"))
    };
    Ok(SessionRecord {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        case: id(row, "case_id")?,
        requested_by: id(row, "requested_by")?,
        requested_scopes: scopes("requested_scopes")?,
        state: SessionState::parse(&text(row, "state")?).ok_or(corrupt("session state"))?,
        consent_scopes: scopes("consent_scopes")?,
        consent_granted_by: id_opt(row, "consent_granted_by")?,
        consent_granted_at: from_micros_opt(int_opt(row, "consent_granted_at")?)?,
        consent_expires_at: from_micros_opt(int_opt(row, "consent_expires_at")?)?,
        recording_acknowledged: int(row, "recording_acknowledged")? != 0,
        revoked_at: from_micros_opt(int_opt(row, "revoked_at")?)?,
        revoked_by: id_opt(row, "revoked_by")?,
        requested_at: from_micros(int(row, "requested_at")?)?,
        started_at: from_micros_opt(int_opt(row, "started_at")?)?,
        ended_at: from_micros_opt(int_opt(row, "ended_at")?)?,
        end_reason: text_opt(row, "end_reason")?
            .map(|r| EndReason::parse(&r).ok_or(corrupt("end reason")))
            .transpose()?,
        recording: id_opt(row, "recording_id")?,
    })
}

impl MainStore {
    /// Stores a new session (pending consent).
    pub async fn session_insert(&self, s: &SessionRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO sessions ({SESSION_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL, NULL, NULL, NULL, 0, NULL, NULL, $7, NULL, NULL, NULL, NULL)"
        ))
        .bind(s.id.to_string())
        .bind(s.tenant.to_string())
        .bind(s.case.to_string())
        .bind(s.requested_by.to_string())
        .bind(scopes_to_text(&s.requested_scopes))
        .bind(s.state.as_str())
        .bind(to_micros(s.requested_at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("session", e))?;
        Ok(())
    }

    /// A session of `tenant`.
    pub async fn session_get(
        &self,
        tenant: TenantId,
        session: SessionId,
    ) -> Result<SessionRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.to_string())
        .bind(session.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "session" })?;
        session_row(&row)
    }

    /// The sessions of a case in id order (the page key), optionally in one state.
    pub async fn session_list(
        &self,
        tenant: TenantId,
        case: CaseId,
        state: Option<SessionState>,
        page: &Page,
    ) -> Result<Vec<SessionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SESSION_COLUMNS} FROM sessions WHERE tenant_id = $1 AND case_id = $2 \
             AND ($3 IS NULL OR state = $3) AND id > $4 ORDER BY id LIMIT $5"
        ))
        .bind(tenant.to_string())
        .bind(case.to_string())
        .bind(state.map(|s| s.as_str().to_owned()))
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(session_row).collect()
    }

    /// Records consent: pending → ready; `false` if it was not pending.
    pub async fn session_grant(
        &self,
        tenant: TenantId,
        session: SessionId,
        scopes: &[ConsentScope],
        by: SubjectId,
        at: DateTime<Utc>,
        expires: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sessions SET state = 'ready', consent_scopes = $1, consent_granted_by = $2, consent_granted_at = $3, \
             consent_expires_at = $4, recording_acknowledged = 1 \
             WHERE tenant_id = $5 AND id = $6 AND state = 'pending_consent'",
        )
        .bind(scopes_to_text(scopes))
        .bind(by.to_string())
        .bind(to_micros(at))
        .bind(to_micros(expires))
        .bind(tenant.to_string())
        .bind(session.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// pending → declined; `false` if it was not pending.
    pub async fn session_decline(
        &self,
        tenant: TenantId,
        session: SessionId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sessions SET state = 'declined', ended_at = $1 WHERE tenant_id = $2 AND id = $3 AND state = 'pending_consent'",
        )
        .bind(to_micros(at))
        .bind(tenant.to_string())
        .bind(session.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Withdraws consent: a ready or active session ends (consent revoked); `false` if
    /// it held no consent to withdraw (already ended, declined or pending).
    pub async fn session_revoke(
        &self,
        tenant: TenantId,
        session: SessionId,
        by: SubjectId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sessions SET state = 'ended', end_reason = 'consent_revoked', revoked_at = $1, revoked_by = $2, \
             ended_at = $1 WHERE tenant_id = $3 AND id = $4 AND state IN ('ready', 'active')",
        )
        .bind(to_micros(at))
        .bind(by.to_string())
        .bind(tenant.to_string())
        .bind(session.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// ready → active, with its recording; `false` if it was not ready.
    pub async fn session_start(
        &self,
        tenant: TenantId,
        session: SessionId,
        at: DateTime<Utc>,
        recording: supportgate_types::RecordingId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sessions SET state = 'active', started_at = $1, recording_id = $2 \
             WHERE tenant_id = $3 AND id = $4 AND state = 'ready'",
        )
        .bind(to_micros(at))
        .bind(recording.to_string())
        .bind(tenant.to_string())
        .bind(session.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// ready or active → ended with `reason`; `false` if it had already ended.
    pub async fn session_end(
        &self,
        tenant: TenantId,
        session: SessionId,
        at: DateTime<Utc>,
        reason: EndReason,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sessions SET state = 'ended', ended_at = $1, end_reason = $2 \
             WHERE tenant_id = $3 AND id = $4 AND state IN ('ready', 'active')",
        )
        .bind(to_micros(at))
        .bind(reason.as_str())
        .bind(tenant.to_string())
        .bind(session.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }
}
