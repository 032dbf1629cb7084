//! The access log for reviewers and customers: listing, verification, export.
//!
//! Scope: a provider-wide compliance reviewer sees every tenant; a tenant's reviewer
//! sees their tenant's entries; a customer sees the entries about their tenant's cases
//! (who accessed their data). Verification covers the global chain and answers with
//! positions and hashes only, so a tenant's reviewer learns nothing of other tenants.

use chrono::{DateTime, Utc};
use supportgate_audit::{Checkpoint, Entry, Hash, Report};
use supportgate_policy::MetadataAccess;
use supportgate_store::{EntryFilter, ExportItem, Page, SequenceRange};
use supportgate_types::{Role, TenantId};
use tokio::sync::watch;

use crate::{Caller, ServiceError, Services, TrustedKeys};

/// An export in progress: the plan fixed at its start and a cursor over its pages.
#[derive(Debug)]
pub struct LogExport {
    access: MetadataAccess,
    /// The tenant whose entries appear whole (`None`: every entry, provider-wide).
    pub tenant: Option<TenantId>,
    /// First sequence exported.
    pub from: u64,
    /// Last sequence asked for; entries after it, up to `end`, are exported redacted.
    pub to: u64,
    /// The sequence of the checkpoint that closes the bundle (`>= to`).
    pub end: u64,
    /// The hash entry `from` follows.
    pub prev_hash: Hash,
    /// The stored checkpoints in `from..=end`; the last covers `end`.
    pub checkpoints: Vec<Checkpoint>,
    after: u64,
}

/// What the log tools are asked to cover.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogRange {
    /// Sequence range (`from` 0 = from the start; `to` `None` = to the head).
    pub sequences: SequenceRange,
    /// Only entries at or after this time (narrows `sequences`).
    pub since: Option<DateTime<Utc>>,
    /// Only entries before this time (narrows `sequences`).
    pub until: Option<DateTime<Utc>>,
}

impl Services {
    async fn log_access(
        &self,
        caller: &Caller,
        action: &'static str,
        tenant: Option<TenantId>,
    ) -> Result<MetadataAccess, ServiceError> {
        Ok(self
            .inner
            .policy
            .authorize_metadata(
                self.audit_sink(),
                &caller.principal,
                action,
                tenant,
                caller.request_id,
            )
            .await?)
    }

    /// Lists entries; a tenant-bound reviewer sees their tenant's, a customer the
    /// entries about their tenant's cases.
    pub async fn log_list(
        &self,
        caller: &Caller,
        mut filter: EntryFilter,
        page: &Page,
    ) -> Result<Vec<Entry>, ServiceError> {
        let access = self.log_access(caller, "log.list", filter.tenant).await?;
        filter.about_cases_only = caller.principal.role == Role::Customer;
        Ok(self.inner.main.log_list(&access, &filter, page).await?)
    }

    /// Verifies the chain over `range` and every checkpoint signature in it, against the
    /// gateway's own public key.
    pub async fn log_verify(
        &self,
        caller: &Caller,
        range: SequenceRange,
    ) -> Result<Report, ServiceError> {
        let access = self.log_access(caller, "log.verify", None).await?;
        let trusted = self.trusted_keys()?;
        Ok(self.inner.main.log_verify(&access, range, &trusted).await?)
    }

    /// The keys verification trusts: the gateway's own.
    pub fn trusted_keys(&self) -> Result<TrustedKeys, ServiceError> {
        let key: [u8; 32] = self.inner.key.public_key().try_into().map_err(|_| {
            ServiceError::invalid(
                "KEY_UNUSABLE",
                "the signing key's public key is not 32 bytes",
            )
        })?;
        Ok(TrustedKeys::default().with(key))
    }

    /// The gateway's public key and its id.
    pub fn log_public_key(&self) -> (String, Vec<u8>) {
        (
            self.inner.key.id().to_owned(),
            self.inner.key.public_key().to_vec(),
        )
    }

    /// Signs the digest of an export bundle; returns `(key id, signature)`.
    pub fn log_sign_bundle(&self, digest: &[u8]) -> (String, Vec<u8>) {
        (
            self.inner.key.id().to_owned(),
            self.inner.key.sign_bundle(digest),
        )
    }

    /// Starts an export of `range` for `tenant` (a tenant-bound caller: their own).
    ///
    /// A checkpoint is signed at the head first, so the bundle can end with a stored,
    /// signed checkpoint covering every entry in it: entries after the range, up to that
    /// checkpoint, are exported redacted.
    pub async fn log_export(
        &self,
        caller: &Caller,
        range: LogRange,
        tenant: Option<TenantId>,
    ) -> Result<LogExport, ServiceError> {
        let access = self.log_access(caller, "log.export", tenant).await?;
        let main = &self.inner.main;
        let (from, to) = self.log_bounds(range).await?;
        if from > to {
            return Err(ServiceError::FailedPrecondition {
                reason: "NOTHING_TO_EXPORT",
                message: format!("the range holds no entries (from {from} to {to})"),
            });
        }
        main.log_checkpoint_now().await?;
        let head = main.log_head().await?;
        let checkpoints = main.log_checkpoints(from, head).await?;
        let end_at = checkpoints.iter().position(|c| c.sequence >= to).ok_or_else(|| ServiceError::FailedPrecondition {
            reason: "NO_CHECKPOINT",
            message: "no signed checkpoint covers the range yet; the gateway has no signing key configured".into(),
        })?;
        let checkpoints = checkpoints[..=end_at].to_vec();
        let end = checkpoints[end_at].sequence;
        let prev_hash = main.log_anchor(from - 1).await?;
        let tenant = tenant.or(caller.principal.tenant);
        Ok(LogExport {
            access,
            tenant,
            from,
            to,
            end,
            prev_hash,
            checkpoints,
            after: from - 1,
        })
    }

    /// The next page of an export; empty when it is done.
    pub async fn log_export_next(
        &self,
        export: &mut LogExport,
    ) -> Result<Vec<ExportItem>, ServiceError> {
        if export.after >= export.end {
            return Ok(Vec::new());
        }
        let mut items = self
            .inner
            .main
            .log_export_page(&export.access, export.tenant, export.after, export.end)
            .await?;
        for item in &mut items {
            if let ExportItem::Entry(entry) = item {
                if entry.sequence > export.to {
                    *item = ExportItem::Redacted {
                        sequence: entry.sequence,
                        prev_hash: entry.prev_hash,
                        hash: entry.hash,
                    };
                }
            }
        }
        export.after = match items.last() {
            Some(ExportItem::Entry(e)) => e.sequence,
            Some(ExportItem::Redacted { sequence, .. }) => *sequence,
            None => export.end,
        };
        Ok(items)
    }

    /// `(from, to)` for a range: sequences clamped to the log, narrowed by times.
    async fn log_bounds(&self, range: LogRange) -> Result<(u64, u64), ServiceError> {
        let main = &self.inner.main;
        let (mut from, mut to) = main.log_clamp(range.sequences).await?;
        if let Some(since) = range.since {
            from = from.max(main.log_first_at_or_after(since).await?.unwrap_or(u64::MAX));
        }
        if let Some(until) = range.until {
            to = to.min(main.log_last_before(until).await?.unwrap_or(0));
        }
        Ok((from, to))
    }

    /// Starts following the log: the current head, and a receiver that changes when this
    /// process commits more.
    pub async fn log_follow(
        &self,
        caller: &Caller,
        tenant: Option<TenantId>,
    ) -> Result<(MetadataAccess, watch::Receiver<u64>), ServiceError> {
        let access = self.log_access(caller, "log.stream", tenant).await?;
        Ok((access, self.inner.main.log_follow()))
    }

    /// A page of a stream: entries matching `filter` after sequence `after`.
    pub async fn log_stream_page(
        &self,
        access: &MetadataAccess,
        filter: &EntryFilter,
        after: u64,
        limit: u32,
    ) -> Result<Vec<Entry>, ServiceError> {
        let page = Page {
            limit,
            after: Some(after.to_string()),
        };
        Ok(self.inner.main.log_list(access, filter, &page).await?)
    }

    /// Checkpoints in `from..=to`, for a stream.
    pub async fn log_checkpoints(
        &self,
        from: u64,
        to: u64,
    ) -> Result<Vec<Checkpoint>, ServiceError> {
        Ok(self.inner.main.log_checkpoints(from, to).await?)
    }
}
