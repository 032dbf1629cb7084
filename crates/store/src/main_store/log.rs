//! The access log table: append (the `AuditSink`) and filtered reads for reviewers.

use sqlx::any::AnyRow;
use supportgate_audit::{AuditError, AuditSink, Decision, Entry, NewEntry, Receipt, StoredFields};
use supportgate_policy::{MetadataAccess, MetadataScope};
use supportgate_types::{DataClass, PurposeCode, Role};

use super::MainStore;
use crate::db::Engine;
use crate::rows::{id, id_opt, int, text, text_opt};
use crate::time::{from_micros, to_micros};
use crate::{EntryFilter, Page, StoreError};

fn entry_row(row: &AnyRow) -> Result<Entry, StoreError> {
    let corrupt = |what| StoreError::Corrupt { what };
    let role = text_opt(row, "role")?
        .map(|r| Role::parse(&r).map_err(|_| corrupt("role")))
        .transpose()?;
    let purpose = text_opt(row, "purpose")?
        .map(|p| PurposeCode::parse(&p).ok_or(corrupt("purpose")))
        .transpose()?;
    let sequence = u64::try_from(int(row, "seq")?).map_err(|_| corrupt("sequence"))?;
    Ok(Entry {
        sequence,
        entry: StoredFields {
            time: from_micros(int(row, "time")?)?,
            subject: id_opt(row, "subject_id")?,
            role,
            tenant: id_opt(row, "tenant_id")?,
            action: text(row, "action")?,
            data_class: DataClass::parse(&text(row, "data_class")?).ok_or(corrupt("data class"))?,
            resource_id: text_opt(row, "resource_id")?,
            case_id: id_opt(row, "case_id")?,
            purpose,
            decision: Decision::parse(&text(row, "decision")?).ok_or(corrupt("decision"))?,
            reason: text(row, "reason")?,
            request_id: id(row, "request_id")?,
        },
    })
}

impl MainStore {
    async fn log_append(&self, entry: &NewEntry) -> Result<u64, StoreError> {
        let _writer = self.log_writer.lock().await;
        let mut tx = self.pool.begin().await.map_err(StoreError::Database)?;
        if self.engine() == Engine::Postgres {
            // Replicas share the table: serialise appends across processes so numbering
            // stays gap-free. EXCLUSIVE still lets readers through.
            sqlx::query("LOCK TABLE access_log IN EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await
                .map_err(StoreError::Database)?;
        }
        let row = sqlx::query(
            "INSERT INTO access_log (seq, time, subject_id, role, tenant_id, action, data_class, \
                                     resource_id, case_id, purpose, decision, reason, request_id) \
             SELECT COALESCE(MAX(seq), 0) + 1, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 \
             FROM access_log RETURNING seq",
        )
        .bind(to_micros(entry.time))
        .bind(entry.subject.map(|s| s.to_string()))
        .bind(entry.role.map(|r| r.as_str().to_owned()))
        .bind(entry.tenant.map(|t| t.to_string()))
        .bind(entry.action)
        .bind(entry.data_class.as_str())
        .bind(entry.resource_id.clone())
        .bind(entry.case_id.map(|c| c.to_string()))
        .bind(entry.purpose.map(|p| p.as_str().to_owned()))
        .bind(entry.decision.as_str())
        .bind(entry.reason)
        .bind(entry.request_id.to_string())
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx("access log sequence", e))?;
        let sequence = u64::try_from(int(&row, "seq")?)
            .map_err(|_| StoreError::Corrupt { what: "sequence" })?;
        tx.commit().await.map_err(StoreError::Database)?;
        Ok(sequence)
    }

    /// Lists entries within what the metadata token covers, oldest first.
    pub async fn log_list(
        &self,
        access: &MetadataAccess,
        filter: &EntryFilter,
        page: &Page,
    ) -> Result<Vec<Entry>, StoreError> {
        let tenant = match access.scope() {
            MetadataScope::Tenant(t) => Some(t),
            MetadataScope::AllTenants => filter.tenant,
        };
        let after: i64 = page
            .after
            .as_deref()
            .and_then(|a| a.parse().ok())
            .unwrap_or(0);
        let rows = sqlx::query(
            "SELECT seq, time, subject_id, role, tenant_id, action, data_class, resource_id, case_id, \
                    purpose, decision, reason, request_id FROM access_log \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR case_id = $2) \
               AND ($3 IS NULL OR subject_id = $3) AND ($4 IS NULL OR action = $4) \
               AND ($5 IS NULL OR purpose = $5) AND ($6 IS NULL OR decision = $6) \
               AND ($7 IS NULL OR time >= $7) AND ($8 IS NULL OR time < $8) AND seq > $9 \
             ORDER BY seq LIMIT $10",
        )
        .bind(tenant.map(|t| t.to_string()))
        .bind(filter.case.map(|c| c.to_string()))
        .bind(filter.subject.map(|s| s.to_string()))
        .bind(filter.action.clone())
        .bind(filter.purpose.map(|p| p.as_str().to_owned()))
        .bind(filter.decision.map(|d| d.as_str().to_owned()))
        .bind(filter.since.map(to_micros))
        .bind(filter.until.map(to_micros))
        .bind(after)
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(entry_row).collect()
    }
}

#[async_trait::async_trait]
impl AuditSink for MainStore {
    async fn append(&self, entry: NewEntry) -> Result<Receipt, AuditError> {
        self.log_append(&entry)
            .await
            .map(|sequence| Receipt { sequence })
            .map_err(|e| AuditError {
                source: Box::new(e),
            })
    }
}
