//! Recordings and their participants. Titles of imports are sealed customer data and are
//! returned only with a customer-data grant; everything else is metadata.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use supportgate_policy::{CustomerData, Grant};
use supportgate_types::{CaseId, RecordingId, TenantId};

use super::MainStore;
use crate::rows::{id, id_opt, int, int_opt, text};
use crate::session_records::{
    ParticipantRecord, RecordingKind, RecordingRecord, RecordingSource, RecordingState,
};
use crate::time::{from_micros, from_micros_opt, to_micros};
use crate::transfer_records::ObjectKeyRecord;
use crate::{Page, StoreError};

const RECORDING_COLUMNS: &str = "id, tenant_id, case_id, session_id, kind, source, state, media_type, title_sealed, \
    description_sealed, size, sha256, frame_count, durable_bytes, initial_cols, initial_rows, started_at, ended_at, \
    created_by, created_at, external_id";

const RECORDING_METADATA_COLUMNS: &str = "id, tenant_id, case_id, session_id, kind, source, state, media_type, \
    NULL AS title_sealed, NULL AS description_sealed, size, sha256, frame_count, durable_bytes, initial_cols, \
    initial_rows, started_at, ended_at, created_by, created_at, external_id";

fn corrupt(what: &'static str) -> StoreError {
    StoreError::Corrupt { what }
}

fn unsigned(row: &AnyRow, col: &'static str) -> Result<u64, StoreError> {
    u64::try_from(int(row, col)?).map_err(|_| corrupt(col))
}

fn signed(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| corrupt("size"))
}

fn recording_row(row: &AnyRow) -> Result<RecordingRecord, StoreError> {
    let bytes =
        |col| sqlx::Row::try_get::<Option<Vec<u8>>, _>(row, col).map_err(StoreError::Database);
    let size = match (int_opt(row, "initial_cols")?, int_opt(row, "initial_rows")?) {
        (Some(c), Some(r)) => Some((
            u32::try_from(c).map_err(|_| corrupt("cols"))?,
            u32::try_from(r).map_err(|_| corrupt("rows"))?,
        )),
        _ => None,
    };
    Ok(RecordingRecord {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        case: id(row, "case_id")?,
        session: id_opt(row, "session_id")?,
        kind: RecordingKind::parse(&text(row, "kind")?).ok_or(corrupt("recording kind"))?,
        source: RecordingSource::parse(&text(row, "source")?).ok_or(corrupt("recording source"))?,
        state: RecordingState::parse(&text(row, "state")?).ok_or(corrupt("recording state"))?,
        media_type: text(row, "media_type")?,
        title_sealed: bytes("title_sealed")?,
        description_sealed: bytes("description_sealed")?,
        size: unsigned(row, "size")?,
        sha256: bytes("sha256")?,
        frame_count: unsigned(row, "frame_count")?,
        durable_bytes: unsigned(row, "durable_bytes")?,
        initial_size: size,
        started_at: from_micros_opt(int_opt(row, "started_at")?)?,
        ended_at: from_micros_opt(int_opt(row, "ended_at")?)?,
        created_by: id(row, "created_by")?,
        created_at: from_micros(int(row, "created_at")?)?,
        external_id: sqlx::Row::try_get::<Option<String>, _>(row, "external_id")
            .map_err(StoreError::Database)?,
    })
}

impl MainStore {
    /// Stores a new recording and the data key of its content, in one transaction.
    pub async fn recording_insert(
        &self,
        r: &RecordingRecord,
        key: &ObjectKeyRecord,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::Database)?;
        sqlx::query(&format!(
            "INSERT INTO recordings ({RECORDING_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)"
        ))
        .bind(r.id.to_string())
        .bind(r.tenant.to_string())
        .bind(r.case.to_string())
        .bind(r.session.map(|s| s.to_string()))
        .bind(r.kind.as_str())
        .bind(r.source.as_str())
        .bind(r.state.as_str())
        .bind(r.media_type.clone())
        .bind(r.title_sealed.clone())
        .bind(r.description_sealed.clone())
        .bind(signed(r.size)?)
        .bind(r.sha256.clone())
        .bind(signed(r.frame_count)?)
        .bind(signed(r.durable_bytes)?)
        .bind(r.initial_size.map(|(c, _)| i64::from(c)))
        .bind(r.initial_size.map(|(_, rows)| i64::from(rows)))
        .bind(r.started_at.map(to_micros))
        .bind(r.ended_at.map(to_micros))
        .bind(r.created_by.to_string())
        .bind(to_micros(r.created_at))
        .bind(r.external_id.clone())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx("recording", e))?;
        sqlx::query("INSERT INTO object_keys (object_id, tenant_id, key_version, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(key.object_id.clone())
            .bind(key.tenant.to_string())
            .bind(i64::from(key.key_version))
            .bind(key.wrapped.clone())
            .bind(to_micros(r.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx("object key", e))?;
        tx.commit().await.map_err(StoreError::Database)
    }

    /// A recording of `tenant`, metadata only.
    pub async fn recording_meta(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<RecordingRecord, StoreError> {
        self.recording_where(RECORDING_METADATA_COLUMNS, tenant, None, recording)
            .await
    }

    /// A recording with its sealed title and description, within the grant's scope.
    pub async fn recording_get(
        &self,
        grant: &impl Grant<CustomerData>,
        recording: RecordingId,
    ) -> Result<RecordingRecord, StoreError> {
        let scope = grant.scope();
        let case = scope
            .case()
            .ok_or(StoreError::NotFound { what: "recording" })?;
        self.recording_where(RECORDING_COLUMNS, scope.tenant(), Some(case), recording)
            .await
    }

    async fn recording_where(
        &self,
        columns: &str,
        tenant: TenantId,
        case: Option<CaseId>,
        recording: RecordingId,
    ) -> Result<RecordingRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {columns} FROM recordings WHERE tenant_id = $1 AND ($2 IS NULL OR case_id = $2) AND id = $3"
        ))
        .bind(tenant.to_string())
        .bind(case.map(|c| c.to_string()))
        .bind(recording.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "recording" })?;
        recording_row(&row)
    }

    /// The recordings of a case (metadata) in id order (the page key), optionally of one
    /// kind. Imports still arriving are not listed: an import is visible once verified.
    pub async fn recording_list(
        &self,
        tenant: TenantId,
        case: CaseId,
        kind: Option<RecordingKind>,
        page: &Page,
    ) -> Result<Vec<RecordingRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORDING_METADATA_COLUMNS} FROM recordings WHERE tenant_id = $1 AND case_id = $2 \
             AND ($3 IS NULL OR kind = $3) AND id > $4 \
             AND NOT (source = 'imported' AND state = 'recording') ORDER BY id LIMIT $5"
        ))
        .bind(tenant.to_string())
        .bind(case.to_string())
        .bind(kind.map(|k| k.as_str().to_owned()))
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(recording_row).collect()
    }

    /// Records how much of a recording in progress is durable.
    pub async fn recording_progress(
        &self,
        tenant: TenantId,
        recording: RecordingId,
        durable_bytes: u64,
        frame_count: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recordings SET durable_bytes = $1, frame_count = $2 \
             WHERE tenant_id = $3 AND id = $4 AND state = 'recording'",
        )
        .bind(signed(durable_bytes)?)
        .bind(signed(frame_count)?)
        .bind(tenant.to_string())
        .bind(recording.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Ends a recording in progress (available or truncated); `false` if it had ended.
    #[allow(clippy::too_many_arguments)]
    pub async fn recording_finish(
        &self,
        tenant: TenantId,
        recording: RecordingId,
        state: RecordingState,
        size: u64,
        sha256: Option<&[u8]>,
        frame_count: u64,
        initial_size: Option<(u32, u32)>,
        ended_at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE recordings SET state = $1, size = $2, durable_bytes = $2, sha256 = $3, frame_count = $4, \
             initial_cols = COALESCE(initial_cols, $5), initial_rows = COALESCE(initial_rows, $6), ended_at = $7 \
             WHERE tenant_id = $8 AND id = $9 AND state = 'recording'",
        )
        .bind(state.as_str())
        .bind(signed(size)?)
        .bind(sha256.map(<[u8]>::to_vec))
        .bind(signed(frame_count)?)
        .bind(initial_size.map(|(c, _)| i64::from(c)))
        .bind(initial_size.map(|(_, r)| i64::from(r)))
        .bind(to_micros(ended_at))
        .bind(tenant.to_string())
        .bind(recording.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Recordings of every tenant still marked in progress: after a crash, they are
    /// truncated at their last durable byte.
    pub async fn recordings_in_progress(&self) -> Result<Vec<RecordingRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {RECORDING_METADATA_COLUMNS} FROM recordings WHERE state = 'recording'"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(recording_row).collect()
    }

    /// Whether `tenant` already holds a recording imported with `external_id`.
    pub async fn recording_external_exists(
        &self,
        tenant: TenantId,
        external_id: &str,
    ) -> Result<bool, StoreError> {
        let found =
            sqlx::query("SELECT id FROM recordings WHERE tenant_id = $1 AND external_id = $2")
                .bind(tenant.to_string())
                .bind(external_id.to_owned())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::Database)?;
        Ok(found.is_some())
    }

    /// Removes a session recording that never recorded anything (its session could not
    /// start); `false` if there was no such recording.
    pub async fn recording_abandon_unstarted(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM recordings WHERE tenant_id = $1 AND id = $2 AND state = 'recording' \
             AND source = 'session' AND durable_bytes = 0 AND frame_count = 0",
        )
        .bind(tenant.to_string())
        .bind(recording.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Removes an import that failed before it became available (its key was destroyed
    /// first); `false` if there was no such import in progress.
    pub async fn recording_discard(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "DELETE FROM recordings WHERE tenant_id = $1 AND id = $2 AND state = 'recording' AND source = 'imported'",
        )
        .bind(tenant.to_string())
        .bind(recording.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Someone joined a recorded session of `tenant` (`NotFound` for another tenant's
    /// recording: the write is scoped like every read).
    pub async fn recording_participant_join(
        &self,
        tenant: TenantId,
        recording: RecordingId,
        p: &ParticipantRecord,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "INSERT INTO recording_participants (recording_id, participant_id, subject_id, role, joined_at) \
             SELECT id, $3, $4, $5, $6 FROM recordings WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.to_string())
        .bind(recording.to_string())
        .bind(p.participant.clone())
        .bind(p.subject.to_string())
        .bind(p.role.clone())
        .bind(to_micros(p.joined_at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("participant", e))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "recording" });
        }
        Ok(())
    }

    /// Someone left a recorded session of `tenant`. Leaving twice keeps the first time.
    pub async fn recording_participant_leave(
        &self,
        tenant: TenantId,
        recording: RecordingId,
        participant: &str,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE recording_participants SET left_at = $1 WHERE recording_id = $2 AND participant_id = $3 \
             AND left_at IS NULL AND recording_id IN (SELECT id FROM recordings WHERE tenant_id = $4)",
        )
        .bind(to_micros(at))
        .bind(recording.to_string())
        .bind(participant.to_owned())
        .bind(tenant.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Who took part in a recorded session.
    pub async fn recording_participants(
        &self,
        tenant: TenantId,
        recording: RecordingId,
    ) -> Result<Vec<ParticipantRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT p.participant_id, p.subject_id, p.role, p.joined_at, p.left_at FROM recording_participants p \
             JOIN recordings r ON r.id = p.recording_id WHERE r.tenant_id = $1 AND p.recording_id = $2 ORDER BY p.joined_at",
        )
        .bind(tenant.to_string())
        .bind(recording.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter()
            .map(|row| {
                Ok(ParticipantRecord {
                    participant: text(row, "participant_id")?,
                    subject: id(row, "subject_id")?,
                    role: text(row, "role")?,
                    joined_at: from_micros(int(row, "joined_at")?)?,
                    left_at: from_micros_opt(int_opt(row, "left_at")?)?,
                })
            })
            .collect()
    }
}
