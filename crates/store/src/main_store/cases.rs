//! Cases: metadata for everyone the policy lets see it, the sealed summary only with a grant.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use supportgate_policy::{CustomerData, Grant, MetadataAccess, MetadataScope};
use supportgate_types::{CaseId, SubjectId, TenantId};

use super::MainStore;
use crate::records::CaseState;
use crate::rows::{blob, id, int, int_opt, text};
use crate::time::{from_micros, from_micros_opt, to_micros};
use crate::{CaseFilter, CaseMeta, NewCase, Page, StoreError};

const CASE_COLUMNS: &str =
    "id, tenant_id, state, contact_id, opened_by, opened_at, closed_at, purged_at";

fn case_row(row: &AnyRow) -> Result<CaseMeta, StoreError> {
    Ok(CaseMeta {
        id: id(row, "id")?,
        tenant: id(row, "tenant_id")?,
        state: CaseState::parse(&text(row, "state")?)
            .ok_or(StoreError::Corrupt { what: "state" })?,
        contact: id(row, "contact_id")?,
        opened_by: id(row, "opened_by")?,
        opened_at: from_micros(int(row, "opened_at")?)?,
        closed_at: from_micros_opt(int_opt(row, "closed_at")?)?,
        purged_at: from_micros_opt(int_opt(row, "purged_at")?)?,
        engineers: Vec::new(),
    })
}

impl MainStore {
    /// Stores a new case.
    pub async fn case_insert(&self, case: &NewCase) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO cases (id, tenant_id, state, contact_id, opened_by, opened_at, closed_at, summary_sealed) \
             VALUES ($1, $2, 'open', $3, $4, $5, NULL, $6)",
        )
        .bind(case.id.to_string())
        .bind(case.tenant.to_string())
        .bind(case.contact.to_string())
        .bind(case.opened_by.to_string())
        .bind(to_micros(case.opened_at))
        .bind(case.summary_sealed.clone())
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("case", e))?;
        Ok(())
    }

    /// A case's metadata, looked up within one tenant (another tenant's case is `NotFound`).
    pub async fn case_meta_get(
        &self,
        tenant: TenantId,
        case: CaseId,
    ) -> Result<CaseMeta, StoreError> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases WHERE tenant_id = $1 AND id = $2");
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(case.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "case" })?;
        let mut meta = case_row(&row)?;
        meta.engineers = self.case_engineers(case).await?;
        Ok(meta)
    }

    /// A case's metadata for a metadata token (operators assigning engineers, reviewers):
    /// a tenant-scoped token only finds its own tenant's cases.
    pub async fn case_meta_find(
        &self,
        access: &MetadataAccess,
        case: CaseId,
    ) -> Result<CaseMeta, StoreError> {
        let tenant = match access.scope() {
            MetadataScope::Tenant(t) => Some(t.to_string()),
            MetadataScope::AllTenants => None,
        };
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases WHERE ($1 IS NULL OR tenant_id = $1) AND id = $2"
        );
        let row = sqlx::query(&sql)
            .bind(tenant)
            .bind(case.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "case" })?;
        let mut meta = case_row(&row)?;
        meta.engineers = self.case_engineers(case).await?;
        Ok(meta)
    }

    async fn case_engineers(&self, case: CaseId) -> Result<Vec<SubjectId>, StoreError> {
        let rows = sqlx::query(
            "SELECT engineer_id FROM case_engineers WHERE case_id = $1 ORDER BY assigned_at, engineer_id",
        )
        .bind(case.to_string())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(|r| id(r, "engineer_id")).collect()
    }

    /// The sealed summary of the case the grant names: customer data, so it takes a grant.
    pub async fn case_summary_get(
        &self,
        grant: &impl Grant<CustomerData>,
    ) -> Result<Vec<u8>, StoreError> {
        let scope = grant.scope();
        let case = scope.case().ok_or(StoreError::NotFound { what: "case" })?;
        let row = sqlx::query("SELECT summary_sealed FROM cases WHERE tenant_id = $1 AND id = $2")
            .bind(scope.tenant().to_string())
            .bind(case.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "case" })?;
        blob(&row, "summary_sealed")
    }

    /// Lists case metadata within what the metadata token covers.
    pub async fn case_list(
        &self,
        access: &MetadataAccess,
        filter: &CaseFilter,
        page: &Page,
    ) -> Result<Vec<CaseMeta>, StoreError> {
        let tenant = match access.scope() {
            MetadataScope::Tenant(t) => Some(t.to_string()),
            MetadataScope::AllTenants => None,
        };
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR state = $2) \
               AND ($3 IS NULL OR EXISTS (SELECT 1 FROM case_engineers e \
                                          WHERE e.case_id = c.id AND e.engineer_id = $3)) \
               AND id > $4 \
             ORDER BY id LIMIT $5"
        );
        let rows = sqlx::query(&sql)
            .bind(tenant)
            .bind(filter.state.map(|s| s.as_str().to_owned()))
            .bind(filter.assigned_to.map(|s| s.to_string()))
            .bind(page.after.clone().unwrap_or_default())
            .bind(page.limit())
            .fetch_all(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        let mut cases = rows.iter().map(case_row).collect::<Result<Vec<_>, _>>()?;
        for case in &mut cases {
            case.engineers = self.case_engineers(case.id).await?;
        }
        Ok(cases)
    }

    /// Assigns an engineer; assigning twice is a no-op.
    pub async fn case_assign(
        &self,
        tenant: TenantId,
        case: CaseId,
        engineer: SubjectId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.case_meta_get(tenant, case).await?;
        sqlx::query(
            "INSERT INTO case_engineers (case_id, engineer_id, assigned_at) VALUES ($1, $2, $3) \
             ON CONFLICT (case_id, engineer_id) DO NOTHING",
        )
        .bind(case.to_string())
        .bind(engineer.to_string())
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(|e| StoreError::from_sqlx("assignment", e))?;
        Ok(())
    }

    /// Closes an open case; closing a closed case keeps the first closing time.
    pub async fn case_close(
        &self,
        tenant: TenantId,
        case: CaseId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let done = sqlx::query(
            "UPDATE cases SET state = 'closed', closed_at = COALESCE(closed_at, $3) \
             WHERE tenant_id = $1 AND id = $2",
        )
        .bind(tenant.to_string())
        .bind(case.to_string())
        .bind(to_micros(at))
        .execute(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound { what: "case" });
        }
        Ok(())
    }
}
