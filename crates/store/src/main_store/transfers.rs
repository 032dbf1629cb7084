//! Workspaces, uploads and files, and the data keys of stored objects.
//!
//! Uploads are written by their customer (scoped by tenant); reading a file's name or
//! content needs a customer-data grant whose tenant and case scope the query; metadata
//! listings take a `MetadataAccess` and never return sealed names.

use sqlx::any::AnyRow;
use supportgate_policy::{CustomerData, Grant, MetadataAccess, MetadataScope};
use supportgate_types::{CaseId, FileId, SubjectId, TenantId, UploadId, WorkspaceId};

use super::MainStore;
use crate::db::Engine;
use crate::rows::{blob, id, int, int_opt, text, text_opt};
use crate::time::{from_micros, from_micros_opt, to_micros};
use crate::transfer_records::{ObjectKeyRecord, UploadRecord, UploadState, WorkspaceRecord};
use crate::{Page, StoreError};

const WORKSPACE_COLUMNS: &str =
    "w.id, w.tenant_id, w.case_id, w.opened_by, w.opened_at, w.quota_bytes, \
    (SELECT CAST(COALESCE(SUM(u.size), 0) AS BIGINT) FROM uploads u \
     WHERE u.workspace_id = w.id AND u.state IN ('in_progress', 'available')) AS used_bytes";

const UPLOAD_COLUMNS: &str = "id, file_id, workspace_id, tenant_id, case_id, uploader, name_sealed, \
    media_type_sealed, size, sha256, state, committed_offset, created_at, expires_at, completed_at, failure_reason";

/// Metadata listings select no sealed values.
const UPLOAD_METADATA_COLUMNS: &str = "id, file_id, workspace_id, tenant_id, case_id, uploader, \
    NULL AS name_sealed, NULL AS media_type_sealed, size, sha256, state, committed_offset, created_at, \
    expires_at, completed_at, failure_reason";

fn unsigned(row: &AnyRow, col: &'static str) -> Result<u64, StoreError> {
    u64::try_from(int(row, col)?).map_err(|_| StoreError::Corrupt { what: col })
}

fn signed(value: u64, what: &'static str) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::Corrupt { what })
}

fn workspace_row(row: &AnyRow) -> Result<WorkspaceRecord, StoreError> {
    Ok(WorkspaceRecord {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        case: id(row, "case_id")?,
        opened_by: id(row, "opened_by")?,
        opened_at: from_micros(int(row, "opened_at")?)?,
        quota_bytes: unsigned(row, "quota_bytes")?,
        used_bytes: unsigned(row, "used_bytes")?,
    })
}

fn upload_row(row: &AnyRow) -> Result<UploadRecord, StoreError> {
    let sealed =
        |col| sqlx::Row::try_get::<Option<Vec<u8>>, _>(row, col).map_err(StoreError::Database);
    Ok(UploadRecord {
        id: id(row, "id")?,
        file: id(row, "file_id")?,
        workspace: id(row, "workspace_id")?,
        tenant: id(row, "tenant_id")?,
        case: id(row, "case_id")?,
        uploader: id(row, "uploader")?,
        name_sealed: sealed("name_sealed")?.unwrap_or_default(),
        media_type_sealed: sealed("media_type_sealed")?.unwrap_or_default(),
        size: unsigned(row, "size")?,
        sha256: blob(row, "sha256")?,
        state: UploadState::parse(&text(row, "state")?).ok_or(StoreError::Corrupt {
            what: "upload state",
        })?,
        committed_offset: unsigned(row, "committed_offset")?,
        created_at: from_micros(int(row, "created_at")?)?,
        expires_at: from_micros(int(row, "expires_at")?)?,
        completed_at: from_micros_opt(int_opt(row, "completed_at")?)?,
        failure_reason: text_opt(row, "failure_reason")?,
    })
}

impl MainStore {
    /// Stores a new workspace.
    pub async fn workspace_insert(&self, w: &WorkspaceRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO workspaces (id, tenant_id, case_id, opened_by, opened_at, quota_bytes) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(w.id.to_string())
        .bind(w.tenant.to_string())
        .bind(w.case.to_string())
        .bind(w.opened_by.to_string())
        .bind(to_micros(w.opened_at))
        .bind(signed(w.quota_bytes, "quota")?)
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("workspace", e))?;
        Ok(())
    }

    /// A workspace of `tenant` (another tenant's is `NotFound`).
    pub async fn workspace_get(
        &self,
        tenant: TenantId,
        workspace: WorkspaceId,
    ) -> Result<WorkspaceRecord, StoreError> {
        let sql = format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces w WHERE w.tenant_id = $1 AND w.id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(workspace.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "workspace" })?;
        workspace_row(&row)
    }

    /// The tenant a workspace belongs to (for provider-wide metadata readers).
    pub async fn workspace_tenant(&self, workspace: WorkspaceId) -> Result<TenantId, StoreError> {
        let row = sqlx::query("SELECT tenant_id FROM workspaces WHERE id = $1")
            .bind(workspace.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "workspace" })?;
        id(&row, "tenant_id")
    }

    /// The workspaces of a case of `tenant`, oldest first.
    pub async fn workspace_list(
        &self,
        tenant: TenantId,
        case: CaseId,
        page: &Page,
    ) -> Result<Vec<WorkspaceRecord>, StoreError> {
        let sql = format!(
            "SELECT {WORKSPACE_COLUMNS} FROM workspaces w WHERE w.tenant_id = $1 AND w.case_id = $2 AND w.id > $3 \
             ORDER BY w.id LIMIT $4"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(case.to_string())
            .bind(page.after.clone().unwrap_or_default())
            .bind(page.limit())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        rows.iter().map(workspace_row).collect()
    }

    /// Stores a new upload and its object's data key, if the workspace's quota still has
    /// room for its declared size (checked under the database's write lock, so two
    /// uploads cannot both take the last bytes).
    pub async fn upload_begin(
        &self,
        upload: &UploadRecord,
        key: &ObjectKeyRecord,
    ) -> Result<(), StoreError> {
        let mut tx = match self.engine {
            Engine::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await,
            Engine::Postgres => self.pool.begin().await,
        }
        .map_err(StoreError::Database)?;
        let lock = match self.engine {
            Engine::Sqlite => "SELECT quota_bytes FROM workspaces WHERE tenant_id = $1 AND id = $2",
            Engine::Postgres => {
                "SELECT quota_bytes FROM workspaces WHERE tenant_id = $1 AND id = $2 FOR UPDATE"
            }
        };
        let quota = sqlx::query(lock)
            .bind(upload.tenant.to_string())
            .bind(upload.workspace.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "workspace" })?;
        let quota = unsigned(&quota, "quota_bytes")?;
        let used = sqlx::query(
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) AS used FROM uploads \
             WHERE workspace_id = $1 AND state IN ('in_progress', 'available')",
        )
        .bind(upload.workspace.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(StoreError::Database)?;
        let used = unsigned(&used, "used")?;
        if used.saturating_add(upload.size) > quota {
            return Err(StoreError::QuotaExceeded {
                quota,
                used,
                requested: upload.size,
            });
        }
        sqlx::query(&format!(
            "INSERT INTO uploads ({UPLOAD_COLUMNS}) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"
        ))
        .bind(upload.id.to_string())
        .bind(upload.file.to_string())
        .bind(upload.workspace.to_string())
        .bind(upload.tenant.to_string())
        .bind(upload.case.to_string())
        .bind(upload.uploader.to_string())
        .bind(upload.name_sealed.clone())
        .bind(upload.media_type_sealed.clone())
        .bind(signed(upload.size, "size")?)
        .bind(upload.sha256.clone())
        .bind(upload.state.as_str())
        .bind(signed(upload.committed_offset, "offset")?)
        .bind(to_micros(upload.created_at))
        .bind(to_micros(upload.expires_at))
        .bind(upload.completed_at.map(to_micros))
        .bind(upload.failure_reason.clone())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx("upload", e))?;
        sqlx::query(
            "INSERT INTO object_keys (object_id, tenant_id, key_version, wrapped, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(key.object_id.clone())
        .bind(key.tenant.to_string())
        .bind(i64::from(key.key_version))
        .bind(key.wrapped.clone())
        .bind(to_micros(upload.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx("object key", e))?;
        tx.commit().await.map_err(StoreError::Database)
    }

    /// Uploads in progress or available by `uploader` in `workspace` with this size and
    /// SHA-256: the candidates a repeated BeginUpload returns.
    pub async fn upload_find_resumable(
        &self,
        tenant: TenantId,
        workspace: WorkspaceId,
        uploader: SubjectId,
        size: u64,
        sha256: &[u8],
    ) -> Result<Vec<UploadRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE tenant_id = $1 AND workspace_id = $2 AND uploader = $3 \
             AND size = $4 AND sha256 = $5 AND state IN ('in_progress', 'available') ORDER BY created_at"
        ))
        .bind(tenant.to_string())
        .bind(workspace.to_string())
        .bind(uploader.to_string())
        .bind(signed(size, "size")?)
        .bind(sha256.to_vec())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(upload_row).collect()
    }

    /// An upload of `tenant`.
    pub async fn upload_get(
        &self,
        tenant: TenantId,
        upload: UploadId,
    ) -> Result<UploadRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE tenant_id = $1 AND id = $2"
        ))
        .bind(tenant.to_string())
        .bind(upload.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "upload" })?;
        upload_row(&row)
    }

    /// Moves an upload's committed offset from `from` to `to`; `false` when it was not at
    /// `from` any more (another stream of the same upload got there first) or is no
    /// longer in progress.
    pub async fn upload_advance(
        &self,
        tenant: TenantId,
        upload: UploadId,
        from: u64,
        to: u64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE uploads SET committed_offset = $1 \
             WHERE tenant_id = $2 AND id = $3 AND committed_offset = $4 AND state = 'in_progress'",
        )
        .bind(signed(to, "offset")?)
        .bind(tenant.to_string())
        .bind(upload.to_string())
        .bind(signed(from, "offset")?)
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Ends an upload in progress: `Available`, `Failed` or `Aborted`; `false` when it
    /// was no longer in progress.
    pub async fn upload_finish(
        &self,
        tenant: TenantId,
        upload: UploadId,
        state: UploadState,
        reason: Option<&str>,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE uploads SET state = $1, failure_reason = $2, completed_at = $3 \
             WHERE tenant_id = $4 AND id = $5 AND state = 'in_progress'",
        )
        .bind(state.as_str())
        .bind(reason.map(str::to_owned))
        .bind((state == UploadState::Available).then(|| to_micros(at)))
        .bind(tenant.to_string())
        .bind(upload.to_string())
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }

    /// Up to `limit` uploads of any tenant still in progress past their expiry (for the
    /// gateway's own sweep; metadata only).
    pub async fn uploads_expired(
        &self,
        now: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {UPLOAD_METADATA_COLUMNS} FROM uploads WHERE state = 'in_progress' AND expires_at <= $1 \
             ORDER BY expires_at LIMIT $2"
        ))
        .bind(to_micros(now))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(upload_row).collect()
    }

    /// Where a file of `tenant` is: `(upload, case, state)`, for the policy to decide on.
    pub async fn file_locate(
        &self,
        tenant: TenantId,
        file: FileId,
    ) -> Result<UploadRecord, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {UPLOAD_METADATA_COLUMNS} FROM uploads WHERE tenant_id = $1 AND file_id = $2"
        ))
        .bind(tenant.to_string())
        .bind(file.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "file" })?;
        upload_row(&row)
    }

    /// An available file, with its sealed name, within the grant's tenant and case.
    pub async fn file_get(
        &self,
        grant: &impl Grant<CustomerData>,
        file: FileId,
    ) -> Result<UploadRecord, StoreError> {
        let scope = grant.scope();
        let case = scope.case().ok_or(StoreError::NotFound { what: "file" })?;
        let row = sqlx::query(&format!(
            "SELECT {UPLOAD_COLUMNS} FROM uploads WHERE tenant_id = $1 AND case_id = $2 AND file_id = $3 \
             AND state = 'available'"
        ))
        .bind(scope.tenant().to_string())
        .bind(case.to_string())
        .bind(file.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "file" })?;
        upload_row(&row)
    }

    /// The available files of a workspace, with sealed names, within the grant's scope.
    pub async fn file_list(
        &self,
        grant: &impl Grant<CustomerData>,
        workspace: WorkspaceId,
        page: &Page,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        let scope = grant.scope();
        let case = scope
            .case()
            .ok_or(StoreError::NotFound { what: "workspace" })?;
        self.files(UPLOAD_COLUMNS, scope.tenant(), Some(case), workspace, page)
            .await
    }

    /// The available files of a workspace as metadata (no names).
    pub async fn file_list_metadata(
        &self,
        access: &MetadataAccess,
        tenant: TenantId,
        workspace: WorkspaceId,
        page: &Page,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        if matches!(access.scope(), MetadataScope::Tenant(own) if own != tenant) {
            return Err(StoreError::NotFound { what: "workspace" });
        }
        self.files(UPLOAD_METADATA_COLUMNS, tenant, None, workspace, page)
            .await
    }

    async fn files(
        &self,
        columns: &str,
        tenant: TenantId,
        case: Option<CaseId>,
        workspace: WorkspaceId,
        page: &Page,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {columns} FROM uploads WHERE tenant_id = $1 AND ($2 IS NULL OR case_id = $2) \
             AND workspace_id = $3 AND state = 'available' AND file_id > $4 ORDER BY file_id LIMIT $5"
        ))
        .bind(tenant.to_string())
        .bind(case.map(|c| c.to_string()))
        .bind(workspace.to_string())
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(upload_row).collect()
    }

    /// Every upload of a case, in any state, in id order (metadata only).
    pub async fn uploads_of_case(
        &self,
        tenant: TenantId,
        case: CaseId,
    ) -> Result<Vec<UploadRecord>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {UPLOAD_METADATA_COLUMNS} FROM uploads WHERE tenant_id = $1 AND case_id = $2 ORDER BY id"
        ))
        .bind(tenant.to_string())
        .bind(case.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(upload_row).collect()
    }

    /// An object's wrapped data key; `NotFound` once it was destroyed.
    pub async fn object_key_get(
        &self,
        tenant: TenantId,
        object: &str,
    ) -> Result<ObjectKeyRecord, StoreError> {
        let row = sqlx::query(
            "SELECT object_id, tenant_id, key_version, wrapped FROM object_keys WHERE tenant_id = $1 AND object_id = $2",
        )
        .bind(tenant.to_string())
        .bind(object.to_owned())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "object key" })?;
        Ok(ObjectKeyRecord {
            object_id: text(&row, "object_id")?,
            tenant: id(&row, "tenant_id")?,
            key_version: u32::try_from(int(&row, "key_version")?).map_err(|_| {
                StoreError::Corrupt {
                    what: "key version",
                }
            })?,
            wrapped: blob(&row, "wrapped")?,
        })
    }

    /// Destroys an object's data key (crypto-shredding); idempotent.
    pub async fn object_key_delete(
        &self,
        tenant: TenantId,
        object: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM object_keys WHERE tenant_id = $1 AND object_id = $2")
            .bind(tenant.to_string())
            .bind(object.to_owned())
            .execute(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Up to `limit` data keys of `tenant` wrapped under a version older than `current`.
    pub async fn object_keys_to_rewrap(
        &self,
        tenant: TenantId,
        current: u32,
        limit: i64,
    ) -> Result<Vec<ObjectKeyRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT object_id, tenant_id, key_version, wrapped FROM object_keys \
             WHERE tenant_id = $1 AND key_version < $2 ORDER BY object_id LIMIT $3",
        )
        .bind(tenant.to_string())
        .bind(i64::from(current))
        .bind(limit)
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter()
            .map(|row| {
                Ok(ObjectKeyRecord {
                    object_id: text(row, "object_id")?,
                    tenant: id(row, "tenant_id")?,
                    key_version: u32::try_from(int(row, "key_version")?).map_err(|_| {
                        StoreError::Corrupt {
                            what: "key version",
                        }
                    })?,
                    wrapped: blob(row, "wrapped")?,
                })
            })
            .collect()
    }

    /// Replaces a data key's wrapping (rotation), if it is still under `old_version`.
    pub async fn object_key_rewrap(
        &self,
        key: &ObjectKeyRecord,
        old_version: u32,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE object_keys SET key_version = $1, wrapped = $2 WHERE tenant_id = $3 AND object_id = $4 AND key_version = $5",
        )
        .bind(i64::from(key.key_version))
        .bind(key.wrapped.clone())
        .bind(key.tenant.to_string())
        .bind(key.object_id.clone())
        .bind(i64::from(old_version))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        Ok(done.rows_affected() == 1)
    }
}
