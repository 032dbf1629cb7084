//! Tenants, subjects and credentials.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use supportgate_types::{CredentialId, Role, SubjectId, TenantId};

use super::MainStore;
use crate::rows::{blob, id, id_opt, int, int_opt, text};
use crate::time::{from_micros, from_micros_opt, to_micros};
use crate::{CredentialRecord, Page, StoreError, SubjectFilter, SubjectRecord, TenantRecord};

fn tenant_row(row: &AnyRow) -> Result<TenantRecord, StoreError> {
    Ok(TenantRecord {
        id: id(row, "id")?,
        name: text(row, "name")?,
        created_at: from_micros(int(row, "created_at")?)?,
    })
}

fn subject_row(row: &AnyRow) -> Result<SubjectRecord, StoreError> {
    Ok(SubjectRecord {
        id: id(row, "id")?,
        tenant: id_opt(row, "tenant_id")?,
        role: Role::parse(&text(row, "role")?).map_err(|_| StoreError::Corrupt { what: "role" })?,
        name: text(row, "name")?,
        created_at: from_micros(int(row, "created_at")?)?,
    })
}

fn credential_row(row: &AnyRow) -> Result<CredentialRecord, StoreError> {
    Ok(CredentialRecord {
        id: id(row, "id")?,
        subject: id(row, "subject_id")?,
        token_hash: blob(row, "token_hash")?,
        issued_at: from_micros(int(row, "issued_at")?)?,
        expires_at: from_micros(int(row, "expires_at")?)?,
        revoked_at: from_micros_opt(int_opt(row, "revoked_at")?)?,
    })
}

impl MainStore {
    /// Creates a tenant; `Conflict` if the name is taken.
    pub async fn tenant_create(&self, tenant: &TenantRecord) -> Result<(), StoreError> {
        sqlx::query("INSERT INTO tenants (id, name, created_at) VALUES ($1, $2, $3)")
            .bind(tenant.id.to_string())
            .bind(tenant.name.clone())
            .bind(to_micros(tenant.created_at))
            .execute(&self.pool)
            .await
            .map_err(|e| StoreError::from_sqlx("tenant", e))?;
        Ok(())
    }

    /// Looks a tenant up by id.
    pub async fn tenant_get(&self, tenant: TenantId) -> Result<TenantRecord, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE id = $1")
            .bind(tenant.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "tenant" })?;
        tenant_row(&row)
    }

    /// The tenant with exactly this name.
    pub async fn tenant_by_name(&self, name: &str) -> Result<TenantRecord, StoreError> {
        let row = sqlx::query("SELECT id, name, created_at FROM tenants WHERE name = $1")
            .bind(name.to_owned())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "tenant" })?;
        tenant_row(&row)
    }

    /// Lists tenants in id order.
    pub async fn tenant_list(&self, page: &Page) -> Result<Vec<TenantRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, name, created_at FROM tenants WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(tenant_row).collect()
    }

    /// Creates a subject; `Conflict` if the name is taken within the tenant.
    pub async fn subject_create(&self, subject: &SubjectRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO subjects (id, tenant_id, role, name, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(subject.id.to_string())
        .bind(subject.tenant.map(|t| t.to_string()))
        .bind(subject.role.as_str())
        .bind(subject.name.clone())
        .bind(to_micros(subject.created_at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("subject", e))?;
        Ok(())
    }

    /// Looks a subject up by id.
    pub async fn subject_get(&self, subject: SubjectId) -> Result<SubjectRecord, StoreError> {
        let row =
            sqlx::query("SELECT id, tenant_id, role, name, created_at FROM subjects WHERE id = $1")
                .bind(subject.to_string())
                .fetch_optional(&self.pool)
                .await
                .map_err(StoreError::Database)?
                .ok_or(StoreError::NotFound { what: "subject" })?;
        subject_row(&row)
    }

    /// Lists subjects matching every given filter, in id order.
    pub async fn subject_list(
        &self,
        filter: &SubjectFilter,
        page: &Page,
    ) -> Result<Vec<SubjectRecord>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tenant_id, role, name, created_at FROM subjects \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR role = $2) \
               AND ($3 IS NULL OR name = $3) AND id > $4 \
             ORDER BY id LIMIT $5",
        )
        .bind(filter.tenant.map(|t| t.to_string()))
        .bind(filter.role.map(|r| r.as_str().to_owned()))
        .bind(filter.name.clone())
        .bind(page.after.clone().unwrap_or_default())
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(subject_row).collect()
    }

    /// Records an issued credential (its hash only).
    pub async fn credential_insert(&self, credential: &CredentialRecord) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO credentials (id, subject_id, token_hash, issued_at, expires_at, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, NULL)",
        )
        .bind(credential.id.to_string())
        .bind(credential.subject.to_string())
        .bind(credential.token_hash.clone())
        .bind(to_micros(credential.issued_at))
        .bind(to_micros(credential.expires_at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("credential", e))?;
        Ok(())
    }

    /// Looks a credential up by id.
    pub async fn credential_get(
        &self,
        credential: CredentialId,
    ) -> Result<CredentialRecord, StoreError> {
        let row = sqlx::query(
            "SELECT id, subject_id, token_hash, issued_at, expires_at, revoked_at \
             FROM credentials WHERE id = $1",
        )
        .bind(credential.to_string())
        .fetch_optional(&self.pool)
        .await
        .map_err(StoreError::Database)?
        .ok_or(StoreError::NotFound { what: "credential" })?;
        credential_row(&row)
    }

    /// Revokes a credential; revoking twice keeps the first time.
    pub async fn credential_revoke(
        &self,
        credential: CredentialId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE credentials SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1",
        )
        .bind(credential.to_string())
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "credential" });
        }
        Ok(())
    }
}
