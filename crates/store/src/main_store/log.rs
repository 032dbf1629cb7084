//! The access log's reads: filtered listing, verification, export pages, checkpoints.
//! Appends go through the writer (`log_writer.rs`).

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use supportgate_audit::{
    AuditError, AuditSink, Checkpoint, Decision, Entry, Hash, Link, NewEntry, ProblemKind, Receipt,
    Report, SignatureVerifier, StoredFields, Verifier, GENESIS,
};
use supportgate_policy::{MetadataAccess, MetadataScope};
use supportgate_types::{DataClass, PurposeCode, Role, TenantId};
use tokio::sync::watch;

use super::MainStore;
use crate::rows::{blob, id, id_opt, int, text, text_opt};
use crate::time::{from_micros, to_micros};
use crate::{EntryFilter, Page, StoreError};

/// Rows read per query while verifying or exporting, so memory stays bounded.
const SCAN_PAGE: i64 = 5000;

const ENTRY_COLUMNS: &str =
    "seq, time, subject_id, role, tenant_id, action, data_class, resource_id, \
                             case_id, purpose, decision, reason, request_id, prev_hash, hash";

/// An inclusive range of sequence numbers; `to: None` means up to the head.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SequenceRange {
    /// First sequence (at least 1).
    pub from: u64,
    /// Last sequence, inclusive.
    pub to: Option<u64>,
}

/// One record of an export, as the caller's scope allows them to see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExportItem {
    /// An entry the caller may read.
    Entry(Entry),
    /// Another tenant's entry: only what the chain needs.
    Redacted {
        /// Its sequence.
        sequence: u64,
        /// The previous entry's hash.
        prev_hash: Hash,
        /// Its hash.
        hash: Hash,
    },
}

fn hash_of(row: &AnyRow, col: &'static str) -> Result<Hash, StoreError> {
    blob(row, col)?
        .try_into()
        .map_err(|_| StoreError::Corrupt { what: col })
}

fn sequence_of(row: &AnyRow) -> Result<u64, StoreError> {
    u64::try_from(int(row, "seq")?).map_err(|_| StoreError::Corrupt { what: "sequence" })
}

fn sql_sequence(sequence: u64) -> i64 {
    i64::try_from(sequence).unwrap_or(i64::MAX)
}

fn entry_row(row: &AnyRow) -> Result<Entry, StoreError> {
    let corrupt = |what| StoreError::Corrupt { what };
    let role = text_opt(row, "role")?
        .map(|r| Role::parse(&r).map_err(|_| corrupt("role")))
        .transpose()?;
    let purpose = text_opt(row, "purpose")?
        .map(|p| PurposeCode::parse(&p).ok_or(corrupt("purpose")))
        .transpose()?;
    Ok(Entry {
        sequence: sequence_of(row)?,
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
        prev_hash: hash_of(row, "prev_hash")?,
        hash: hash_of(row, "hash")?,
    })
}

fn checkpoint_row(row: &AnyRow) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        sequence: sequence_of(row)?,
        head_hash: hash_of(row, "head_hash")?,
        time: from_micros(int(row, "time")?)?,
        key_id: text(row, "key_id")?,
        signature: blob(row, "signature")?,
    })
}

impl MainStore {
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
        let rows = sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM access_log \
             WHERE ($1 IS NULL OR tenant_id = $1) AND ($2 IS NULL OR case_id = $2) \
               AND ($3 IS NULL OR subject_id = $3) AND ($4 IS NULL OR action = $4) \
               AND ($5 IS NULL OR purpose = $5) AND ($6 IS NULL OR decision = $6) \
               AND ($7 IS NULL OR time >= $7) AND ($8 IS NULL OR time < $8) \
               AND ($9 = 0 OR case_id IS NOT NULL) AND seq > $10 \
             ORDER BY seq LIMIT $11"
        ))
        .bind(tenant.map(|t| t.to_string()))
        .bind(filter.case.map(|c| c.to_string()))
        .bind(filter.subject.map(|s| s.to_string()))
        .bind(filter.action.clone())
        .bind(filter.purpose.map(|p| p.as_str().to_owned()))
        .bind(filter.decision.map(|d| d.as_str().to_owned()))
        .bind(filter.since.map(to_micros))
        .bind(filter.until.map(to_micros))
        .bind(i64::from(filter.about_cases_only))
        .bind(after)
        .bind(page.limit())
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(entry_row).collect()
    }

    /// The last sequence number (0 for an empty log).
    pub async fn log_head(&self) -> Result<u64, StoreError> {
        let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM access_log")
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        sequence_of(&row)
    }

    /// Changes whenever this process commits entries (followers wake on it).
    pub fn log_follow(&self) -> watch::Receiver<u64> {
        self.log.head()
    }

    /// Signs a checkpoint at the head now, if anything is uncovered.
    pub async fn log_checkpoint_now(&self) -> Result<Option<Checkpoint>, StoreError> {
        self.log.checkpoint().await.map_err(StoreError::Shared)
    }

    /// The stored hash of entry `sequence` ([`GENESIS`] for 0); `None` if it is missing.
    async fn log_hash_at(&self, sequence: u64) -> Result<Option<Hash>, StoreError> {
        if sequence == 0 {
            return Ok(Some(GENESIS));
        }
        let row = sqlx::query("SELECT hash FROM access_log WHERE seq = $1")
            .bind(sql_sequence(sequence))
            .fetch_optional(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        row.map(|r| hash_of(&r, "hash")).transpose()
    }

    /// Checkpoints with sequence numbers in `from..=to`, in order.
    pub async fn log_checkpoints(&self, from: u64, to: u64) -> Result<Vec<Checkpoint>, StoreError> {
        let rows = sqlx::query(
            "SELECT seq, head_hash, time, key_id, signature FROM log_checkpoints \
             WHERE seq >= $1 AND seq <= $2 ORDER BY seq",
        )
        .bind(sql_sequence(from))
        .bind(sql_sequence(to))
        .fetch_all(&self.pool)
        .await
        .map_err(StoreError::Database)?;
        rows.iter().map(checkpoint_row).collect()
    }

    /// The range clamped to the log: `(from, to)` with `from >= 1`, `to <= head`.
    pub async fn log_clamp(&self, range: SequenceRange) -> Result<(u64, u64), StoreError> {
        let head = self.log_head().await?;
        let to = range.to.map_or(head, |to| to.min(head));
        Ok((range.from.max(1), to))
    }

    /// Verifies entries `range` of the whole log (the chain is global) and every
    /// checkpoint in it. The report names positions and hashes, never content, so any
    /// metadata reader may have it.
    pub async fn log_verify(
        &self,
        _access: &MetadataAccess,
        range: SequenceRange,
        signatures: &dyn SignatureVerifier,
    ) -> Result<Report, StoreError> {
        let (from, to) = self.log_clamp(range).await?;
        let anchor = self.log_hash_at(from - 1).await?;
        let mut verifier = Verifier::new(signatures, from, anchor.unwrap_or(GENESIS));
        if anchor.is_none() {
            let detail = format!(
                "entry {} (the range's anchor) is missing: it was removed",
                from - 1
            );
            verifier.report_problem(from - 1, ProblemKind::SequenceGap, detail);
        }
        let checkpoints = self.log_checkpoints(from, to).await?;
        let mut pending = checkpoints.iter().peekable();
        let mut after = from - 1;
        while after < to {
            let page = self.log_scan_packed(after, to, SCAN_PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.sequence.max(after + 1);
            for row in &page {
                match &row.entry {
                    Ok(entry) => verifier.link(Link::Entry {
                        sequence: entry.sequence,
                        fields: &entry.entry,
                        prev_hash: Some(entry.prev_hash),
                        entry_hash: entry.hash,
                    }),
                    Err(what) => verifier.unreadable(row.sequence, row.hash, what),
                }
                while let Some(checkpoint) = pending.next_if(|c| c.sequence <= row.sequence) {
                    verifier.checkpoint(checkpoint);
                }
            }
        }
        for checkpoint in pending {
            verifier.checkpoint(checkpoint);
        }
        if verifier.next_sequence() <= to {
            let detail = format!(
                "entries {} to {to} are missing: they were removed",
                verifier.next_sequence()
            );
            verifier.report_problem(verifier.next_sequence(), ProblemKind::SequenceGap, detail);
        }
        Ok(verifier.finish())
    }

    /// A page of an export: entries after `after` up to `to`, whole where the caller's
    /// scope (and `only_tenant`) covers them and redacted otherwise, plus the stored hash
    /// of entry `after` for the bundle header.
    pub async fn log_export_page(
        &self,
        access: &MetadataAccess,
        only_tenant: Option<TenantId>,
        after: u64,
        to: u64,
    ) -> Result<Vec<ExportItem>, StoreError> {
        let visible = match access.scope() {
            MetadataScope::Tenant(t) => Some(t),
            MetadataScope::AllTenants => only_tenant,
        };
        let page = self.log_scan_packed(after, to, SCAN_PAGE).await?;
        let entries = page
            .into_iter()
            .map(|row| {
                row.entry.map_err(|_| StoreError::Corrupt {
                    what: "access log entry (verify the log)",
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(entries
            .into_iter()
            .map(|entry| match visible {
                Some(tenant) if entry.entry.tenant != Some(tenant) => ExportItem::Redacted {
                    sequence: entry.sequence,
                    prev_hash: entry.prev_hash,
                    hash: entry.hash,
                },
                _ => ExportItem::Entry(entry),
            })
            .collect())
    }

    /// The first entry at or after `time`, if any.
    pub async fn log_first_at_or_after(
        &self,
        time: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        self.log_sequence_where(
            "SELECT MIN(seq) AS seq FROM access_log WHERE time >= $1",
            time,
        )
        .await
    }

    /// The last entry before `time`, if any.
    pub async fn log_last_before(&self, time: DateTime<Utc>) -> Result<Option<u64>, StoreError> {
        self.log_sequence_where(
            "SELECT MAX(seq) AS seq FROM access_log WHERE time < $1",
            time,
        )
        .await
    }

    async fn log_sequence_where(
        &self,
        sql: &str,
        time: DateTime<Utc>,
    ) -> Result<Option<u64>, StoreError> {
        let row = sqlx::query(sql)
            .bind(to_micros(time))
            .fetch_one(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        crate::rows::int_opt(&row, "seq")?
            .map(|s| u64::try_from(s).map_err(|_| StoreError::Corrupt { what: "sequence" }))
            .transpose()
    }

    /// The stored hash the entry after `sequence` must follow (for an export header).
    pub async fn log_anchor(&self, sequence: u64) -> Result<Hash, StoreError> {
        self.log_hash_at(sequence)
            .await?
            .ok_or(StoreError::NotFound { what: "log entry" })
    }
}

#[async_trait::async_trait]
impl AuditSink for MainStore {
    async fn append(&self, entry: NewEntry) -> Result<Receipt, AuditError> {
        self.log
            .append(entry)
            .await
            .map(|sequence| Receipt { sequence })
            .map_err(|e| AuditError {
                source: Box::new(StoreError::Shared(e)),
            })
    }
}
