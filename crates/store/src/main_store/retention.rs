//! Retention and the rights it serves: legal holds, cases past their retention period,
//! the objects a purge destroys, the purge mark, and contact deletion requests.
//!
//! A purge is a sequence of idempotent steps (keys, blobs, then these rows), so a purge
//! interrupted by a crash is finished by the next run.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use supportgate_types::{CaseId, ContactId, DeletionId, HoldId, SubjectId, TenantId};

use super::MainStore;
use crate::legal_records::{CaseObject, DeletionRecord, DeletionState, DueCase, HoldRecord};
use crate::rows::{id, id_opt, int, int_opt, text, text_opt};
use crate::time::{from_micros, from_micros_opt, to_micros};
use crate::{Page, StoreError};

const HOLD_COLUMNS: &str =
    "id, tenant_id, case_id, reason, request_id, set_by, set_at, cleared_by, cleared_at, clear_reason";
const DELETION_COLUMNS: &str =
    "id, tenant_id, contact_id, case_id, requested_by, requested_at, state, deleted_at";

fn hold_row(row: &AnyRow) -> Result<HoldRecord, StoreError> {
    Ok(HoldRecord {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        case: id_opt(row, "case_id")?,
        reason: text(row, "reason")?,
        request: id_opt(row, "request_id")?,
        set_by: id(row, "set_by")?,
        set_at: from_micros(int(row, "set_at")?)?,
        cleared_by: id_opt(row, "cleared_by")?,
        cleared_at: from_micros_opt(int_opt(row, "cleared_at")?)?,
        clear_reason: text_opt(row, "clear_reason")?,
    })
}

fn deletion_row(row: &AnyRow) -> Result<DeletionRecord, StoreError> {
    Ok(DeletionRecord {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        contact: id(row, "contact_id")?,
        case: id(row, "case_id")?,
        requested_by: id(row, "requested_by")?,
        requested_at: from_micros(int(row, "requested_at")?)?,
        state: DeletionState::parse(&text(row, "state")?).ok_or(StoreError::Corrupt {
            what: "deletion state",
        })?,
        deleted_at: from_micros_opt(int_opt(row, "deleted_at")?)?,
    })
}

/// What a listing of holds may show.
#[derive(Clone, Debug, Default)]
pub struct HoldFilter {
    /// Only this tenant's holds.
    pub tenant: Option<TenantId>,
    /// Only holds on this case (tenant-wide holds of its tenant included).
    pub case: Option<CaseId>,
    /// Only holds not cleared.
    pub active_only: bool,
}

impl MainStore {
    /// Stores a new hold.
    pub async fn hold_insert(&self, hold: &HoldRecord) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO legal_holds ({HOLD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, NULL, NULL, NULL)"
        ))
        .bind(hold.id.to_string())
        .bind(hold.tenant.to_string())
        .bind(hold.case.map(|c| c.to_string()))
        .bind(hold.reason.clone())
        .bind(hold.request.map(|r| r.to_string()))
        .bind(hold.set_by.to_string())
        .bind(to_micros(hold.set_at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("legal hold", e))?;
        Ok(())
    }

    /// One hold.
    pub async fn hold_get(&self, hold: HoldId) -> Result<HoldRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {HOLD_COLUMNS} FROM legal_holds WHERE id = $1"
        ))
        .bind(hold.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "legal hold" })?;
        hold_row(&row)
    }

    /// Clears an active hold; `false` if it was already cleared.
    pub async fn hold_clear(
        &self,
        hold: HoldId,
        by: SubjectId,
        at: DateTime<Utc>,
        reason: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE legal_holds SET cleared_by = $2, cleared_at = $3, clear_reason = $4 \
             WHERE id = $1 AND cleared_at IS NULL",
        )
        .bind(hold.to_string())
        .bind(by.to_string())
        .bind(to_micros(at))
        .bind(reason.to_owned())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Holds matching `filter`, in id order.
    pub async fn hold_list(
        &self,
        filter: &HoldFilter,
        page: &Page,
    ) -> Result<Vec<HoldRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {HOLD_COLUMNS} FROM legal_holds WHERE ($1 IS NULL OR tenant_id = $1) \
             AND ($2 IS NULL OR case_id = $2 OR (case_id IS NULL AND tenant_id = \
                 (SELECT c.tenant_id FROM cases c WHERE c.id = $2))) \
             AND ($3 = 0 OR cleared_at IS NULL) AND id > $4 ORDER BY id LIMIT $5"
        ))
        .bind(filter.tenant.map(|t| t.to_string()))
        .bind(filter.case.map(|c| c.to_string()))
        .bind(i64::from(filter.active_only))
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(hold_row).collect()
    }

    /// The oldest active hold covering a case (its own or its tenant's), if any.
    pub async fn hold_covering_case(
        &self,
        tenant: TenantId,
        case: CaseId,
    ) -> Result<Option<HoldId>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM legal_holds WHERE tenant_id = $1 AND cleared_at IS NULL \
             AND (case_id IS NULL OR case_id = $2) ORDER BY set_at, id LIMIT 1",
        )
        .bind(tenant.to_string())
        .bind(case.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        row.map(|r| id(&r, "id")).transpose()
    }

    /// The oldest active hold covering any case of a contact, or its tenant, if any.
    pub async fn hold_covering_contact(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<Option<HoldId>, StoreError> {
        let row = sqlx::query(
            "SELECT id FROM legal_holds WHERE tenant_id = $1 AND cleared_at IS NULL \
             AND (case_id IS NULL OR case_id IN (SELECT c.id FROM cases c WHERE c.tenant_id = $1 AND c.contact_id = $2)) \
             ORDER BY set_at, id LIMIT 1",
        )
        .bind(tenant.to_string())
        .bind(contact.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        row.map(|r| id(&r, "id")).transpose()
    }

    /// Closed, unpurged cases whose retention period (the tenant's, or
    /// `default_retention_seconds` where it is unset) ended at or before `as_of`, oldest
    /// closing first.
    ///
    /// `after` continues a listing after that case (by closing time, then id).
    pub async fn cases_due_for_purge(
        &self,
        tenant: Option<TenantId>,
        default_retention_seconds: u64,
        as_of: DateTime<Utc>,
        after: Option<&DueCase>,
        limit: u32,
    ) -> Result<Vec<DueCase>, StoreError> {
        let default = i64::try_from(default_retention_seconds).unwrap_or(i64::MAX);
        let (after_micros, after_id) = match after {
            Some(due) => (to_micros(due.closed_at), due.case.to_string()),
            None => (i64::MIN, String::new()),
        };
        let rows = sqlx::query(
            "SELECT c.id, c.tenant_id, c.closed_at FROM cases c \
             LEFT JOIN tenant_settings t ON t.tenant_id = c.tenant_id \
             WHERE c.state = 'closed' AND c.purged_at IS NULL AND c.closed_at IS NOT NULL \
             AND ($1 IS NULL OR c.tenant_id = $1) \
             AND ($3 - c.closed_at) / 1000000 >= (CASE WHEN t.retention_seconds IS NULL \
                 OR t.retention_seconds = 0 THEN $2 ELSE t.retention_seconds END) \
             AND (c.closed_at > $4 OR (c.closed_at = $4 AND c.id > $5)) \
             ORDER BY c.closed_at, c.id LIMIT $6",
        )
        .bind(tenant.map(|t| t.to_string()))
        .bind(default)
        .bind(to_micros(as_of))
        .bind(after_micros)
        .bind(after_id)
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter()
            .map(|row| {
                Ok(DueCase {
                    case: id(row, "id")?,
                    tenant: id(row, "tenant_id")?,
                    closed_at: from_micros(int(row, "closed_at")?)?,
                })
            })
            .collect()
    }

    /// Every stored object of a case (uploads in any state, recordings), purged or not.
    pub async fn case_objects(
        &self,
        tenant: TenantId,
        case: CaseId,
    ) -> Result<Vec<CaseObject>, StoreError> {
        let uploads = sqlx::query(
            "SELECT id, file_id FROM uploads WHERE tenant_id = $1 AND case_id = $2 ORDER BY id",
        )
        .bind(tenant.to_string())
        .bind(case.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        let recordings = sqlx::query(
            "SELECT id FROM recordings WHERE tenant_id = $1 AND case_id = $2 ORDER BY id",
        )
        .bind(tenant.to_string())
        .bind(case.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        let mut objects = Vec::with_capacity(uploads.len() + recordings.len());
        for row in &uploads {
            objects.push(CaseObject::Upload {
                upload: text(row, "id")?,
                file: text(row, "file_id")?,
            });
        }
        for row in &recordings {
            objects.push(CaseObject::Recording {
                recording: text(row, "id")?,
            });
        }
        Ok(objects)
    }

    /// The last step of a purge, once keys and blobs are gone: wipes the sealed
    /// customer-data columns of the case, its uploads and recordings, marks them purged
    /// and sets the case's `purged_at`. Metadata stays.
    pub async fn case_purge_finish(
        &self,
        tenant: TenantId,
        case: CaseId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await.map_err(StoreError::Database)?;
        sqlx::query(
            "UPDATE uploads SET name_sealed = $3, media_type_sealed = $3, state = 'purged' \
             WHERE tenant_id = $1 AND case_id = $2",
        )
        .bind(tenant.to_string())
        .bind(case.to_string())
        .bind(Vec::<u8>::new())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
        sqlx::query(
            "UPDATE recordings SET title_sealed = NULL, description_sealed = NULL, state = 'purged' \
             WHERE tenant_id = $1 AND case_id = $2",
        )
        .bind(tenant.to_string())
        .bind(case.to_string())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
        sqlx::query(
            "UPDATE cases SET summary_sealed = $3, purged_at = COALESCE(purged_at, $4) \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.to_string())
        .bind(case.to_string())
        .bind(Vec::<u8>::new())
        .bind(to_micros(at))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
        tx.commit().await.map_err(StoreError::Database)
    }

    /// Every case of a tenant, in id order.
    pub async fn cases_of_tenant(&self, tenant: TenantId) -> Result<Vec<CaseId>, StoreError> {
        let rows = sqlx::query("SELECT id FROM cases WHERE tenant_id = $1 ORDER BY id")
            .bind(tenant.to_string())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        rows.iter().map(|r| id(r, "id")).collect()
    }

    /// The tenant a case belongs to, whichever tenant that is (legal scopes are checked
    /// against it, so that a scope naming another tenant's case is told apart from one
    /// naming no case at all).
    pub async fn case_owner(&self, case: CaseId) -> Result<Option<TenantId>, StoreError> {
        let row = sqlx::query("SELECT tenant_id FROM cases WHERE id = $1")
            .bind(case.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        row.map(|r| id(&r, "tenant_id")).transpose()
    }

    /// What a file or recording id names, in any tenant: its kind (`file` or
    /// `recording`), tenant and case.
    pub async fn item_owner(
        &self,
        item: &str,
    ) -> Result<Option<(&'static str, TenantId, CaseId)>, StoreError> {
        let file = sqlx::query("SELECT tenant_id, case_id FROM uploads WHERE file_id = $1")
            .bind(item.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        if let Some(row) = file {
            return Ok(Some(("file", id(&row, "tenant_id")?, id(&row, "case_id")?)));
        }
        let recording = sqlx::query("SELECT tenant_id, case_id FROM recordings WHERE id = $1")
            .bind(item.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        recording
            .map(|row| Ok(("recording", id(&row, "tenant_id")?, id(&row, "case_id")?)))
            .transpose()
    }

    /// Stores a deletion request, or returns the one already stored for the contact.
    pub async fn deletion_request(
        &self,
        deletion: &DeletionRecord,
    ) -> Result<DeletionRecord, StoreError> {
        let inserted = sqlx::query(&format!(
            "INSERT INTO contact_deletions ({DELETION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(deletion.id.to_string())
        .bind(deletion.tenant.to_string())
        .bind(deletion.contact.to_string())
        .bind(deletion.case.to_string())
        .bind(deletion.requested_by.to_string())
        .bind(to_micros(deletion.requested_at))
        .bind(deletion.state.as_str())
        .bind(deletion.deleted_at.map(to_micros))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("contact deletion", e));
        match inserted {
            Ok(_) | Err(StoreError::Conflict { .. }) => self
                .deletion_for_contact(deletion.tenant, deletion.contact)
                .await?
                .ok_or(StoreError::NotFound {
                    what: "contact deletion",
                }),
            Err(e) => Err(e),
        }
    }

    /// The deletion request for a contact, if any.
    pub async fn deletion_for_contact(
        &self,
        tenant: TenantId,
        contact: ContactId,
    ) -> Result<Option<DeletionRecord>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {DELETION_COLUMNS} FROM contact_deletions WHERE tenant_id = $1 AND contact_id = $2"
        ))
        .bind(tenant.to_string())
        .bind(contact.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        row.as_ref().map(deletion_row).transpose()
    }

    /// Marks a deletion done.
    pub async fn deletion_done(
        &self,
        deletion: DeletionId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE contact_deletions SET state = 'deleted', deleted_at = COALESCE(deleted_at, $2) WHERE id = $1",
        )
        .bind(deletion.to_string())
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Deletion requests still waiting for a hold, oldest first.
    pub async fn deletions_blocked(&self, limit: u32) -> Result<Vec<DeletionRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {DELETION_COLUMNS} FROM contact_deletions WHERE state = 'blocked_by_legal_hold' \
             ORDER BY requested_at, id LIMIT $1"
        ))
        .bind(i64::from(limit.clamp(1, 10_000)))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(deletion_row).collect()
    }
}
