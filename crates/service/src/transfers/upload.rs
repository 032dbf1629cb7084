//! Uploads: declared up front, streamed in chunks, committed a whole segment at a time,
//! resumable from the committed offset, visible only once size and SHA-256 match.

use std::sync::Arc;

use bytes::Bytes;
use ring::digest::Context;
use supportgate_audit::Decision;
use supportgate_crypto::{DataKey, KeyClass, StreamHeader};
use supportgate_store::{BlobKey, ObjectKeyRecord, StoreError, UploadRecord, UploadState};
use supportgate_types::{DataClass, FileId, FileName, MediaType, UploadId, WorkspaceId};

use super::content::Sealed;
use super::sessions::{PrefixHash, SlotRefusal, StreamSlot};
use crate::context::Event;
use crate::sealing::seal;
use crate::{Caller, ServiceError, Services};

/// What a customer declares before sending a file.
#[derive(Clone, Debug)]
pub struct BeginUploadInput {
    /// The workspace.
    pub workspace: WorkspaceId,
    /// The file's name.
    pub name: FileName,
    /// Its exact size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// Its media type.
    pub media_type: MediaType,
}

/// One chunk as it arrived.
#[derive(Clone, Debug)]
pub struct ChunkInput {
    /// Offset of `data[0]` in the file.
    pub offset: u64,
    /// The bytes.
    pub data: Bytes,
    /// CRC32C of `data`, as the client computed it.
    pub crc32c: u32,
}

pub(super) fn upload_event(
    action: &'static str,
    upload: &UploadRecord,
    decision: Decision,
    reason: &'static str,
) -> Event {
    Event {
        action,
        data_class: DataClass::Customer,
        tenant: Some(upload.tenant),
        resource_id: Some(upload.id.to_string()),
        case_id: Some(upload.case),
        decision,
        reason,
    }
}

/// A refused operation on an upload that may not be the caller's: named only as a
/// resource, under the caller's tenant.
pub(super) fn refused_upload(action: &'static str, caller: &Caller, upload: UploadId) -> Event {
    Event {
        action,
        data_class: DataClass::Customer,
        tenant: caller.principal.tenant,
        resource_id: Some(upload.to_string()),
        case_id: None,
        decision: Decision::Denied,
        reason: "",
    }
}

pub(crate) fn invalid(reason: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid {
        reason,
        message: message.into(),
    }
}

pub(super) fn precondition(reason: &'static str, message: impl Into<String>) -> ServiceError {
    ServiceError::FailedPrecondition {
        reason,
        message: message.into(),
    }
}

impl Services {
    /// The caller's upload (another subject's or tenant's is `NotFound`).
    pub(super) async fn own_upload(
        &self,
        caller: &Caller,
        upload: UploadId,
    ) -> Result<UploadRecord, ServiceError> {
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "upload" })?;
        let record = self.inner.main.upload_get(tenant, upload).await?;
        if record.uploader != caller.principal.subject {
            return Err(ServiceError::NotFound { what: "upload" });
        }
        Ok(record)
    }

    /// Declares a file. Repeating the same declaration (same workspace, name, size and
    /// SHA-256) returns the same upload while it is in progress (a client resumes by
    /// running the same command again) or once it is available (a rerun stores nothing
    /// twice).
    pub async fn upload_begin(
        &self,
        caller: &Caller,
        input: BeginUploadInput,
    ) -> Result<(UploadRecord, u32), ServiceError> {
        let refused = Event {
            action: "transfer.upload.begin",
            data_class: DataClass::Customer,
            tenant: caller.principal.tenant,
            resource_id: Some(input.workspace.to_string()),
            case_id: None,
            decision: Decision::Denied,
            reason: "",
        };
        let begun = self.upload_begin_checked(caller, input).await;
        self.audited(caller, refused, begun).await
    }

    async fn upload_begin_checked(
        &self,
        caller: &Caller,
        input: BeginUploadInput,
    ) -> Result<(UploadRecord, u32), ServiceError> {
        let limits = &self.inner.config.transfers;
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "workspace" })?;
        if input.size > limits.max_file_size {
            return Err(ServiceError::Exhausted {
                reason: "FILE_TOO_LARGE",
                message: format!(
                    "the file is {} bytes; the largest accepted is {} bytes",
                    input.size, limits.max_file_size
                ),
            });
        }
        let workspace = self
            .inner
            .main
            .workspace_get(tenant, input.workspace)
            .await?;
        let case = self
            .inner
            .main
            .case_meta_get(tenant, workspace.case)
            .await?;
        if case.state != supportgate_store::CaseState::Open {
            return Err(precondition(
                "CASE_CLOSED",
                "the case is closed; files can no longer be uploaded to it",
            ));
        }
        if let Some(existing) = self.resumable(caller, &input).await? {
            return Ok((existing, limits.max_chunk_size));
        }
        let free = workspace.quota_bytes.saturating_sub(workspace.used_bytes);
        if input.size > free {
            return Err(ServiceError::Exhausted {
                reason: "WORKSPACE_QUOTA_EXCEEDED",
                message: format!(
                    "the workspace has {free} of its {} bytes free; this file needs {}",
                    workspace.quota_bytes, input.size
                ),
            });
        }
        let upload = self.new_upload(caller, &input, &workspace).await?;
        let event = upload_event(
            "transfer.upload.begin",
            &upload,
            Decision::Allowed,
            "OWN_TENANT",
        );
        self.log(caller, event).await?;
        let key = self
            .inner
            .keys
            .current(&self.inner.main, tenant, KeyClass::Customer)
            .await?;
        let data_key = DataKey::generate().map_err(ServiceError::internal)?;
        let object = upload.file.to_string();
        let wrapped = key
            .wrap_data_key(&data_key, &object)
            .map_err(ServiceError::internal)?;
        let header = StreamHeader::new(&object, &tenant.to_string(), key.key_version())
            .map_err(ServiceError::internal)?;
        let record = ObjectKeyRecord {
            object_id: object,
            tenant,
            key_version: key.key_version(),
            wrapped,
        };
        // The header goes to the blob store first: a crash before the row leaves an
        // orphan header (ciphertext metadata), never a row without its content's header.
        let blob =
            BlobKey::upload(tenant, &upload.id.to_string()).map_err(ServiceError::internal)?;
        let blobs = &self.inner.blobs;
        blobs
            .write_at(&blob, 0, &header.encode())
            .await
            .map_err(ServiceError::internal)?;
        let stored = self
            .inner
            .main
            .upload_begin(&upload, &record)
            .await
            .map_err(|e| match e {
                StoreError::QuotaExceeded {
                    quota,
                    used,
                    requested,
                } => ServiceError::Exhausted {
                    reason: "WORKSPACE_QUOTA_EXCEEDED",
                    message: format!(
                        "the workspace has {} of its {quota} bytes free; this file needs {requested}",
                        quota.saturating_sub(used)
                    ),
                },
                other => other.into(),
            });
        if stored.is_err() {
            let _ = blobs.delete(&blob).await;
        }
        stored?;
        Ok((upload, limits.max_chunk_size))
    }

    async fn resumable(
        &self,
        caller: &Caller,
        input: &BeginUploadInput,
    ) -> Result<Option<UploadRecord>, ServiceError> {
        let Some(tenant) = caller.principal.tenant else {
            return Ok(None);
        };
        let candidates = self
            .inner
            .main
            .upload_find_resumable(
                tenant,
                input.workspace,
                caller.principal.subject,
                input.size,
                &input.sha256,
            )
            .await?;
        for candidate in candidates {
            // An upload in progress past its expiry is not resumed; an available file
            // is returned as is, so a rerun does not store it twice.
            if candidate.state == UploadState::InProgress && candidate.expires_at <= self.now() {
                continue;
            }
            let name = self
                .open_field(
                    tenant,
                    &candidate.file.to_string(),
                    "name",
                    &candidate.name_sealed,
                )
                .await?;
            if name == input.name.as_str() {
                let event = upload_event(
                    "transfer.upload.resume",
                    &candidate,
                    Decision::Allowed,
                    "OWN_TENANT",
                );
                self.log(caller, event).await?;
                return Ok(Some(candidate));
            }
        }
        Ok(None)
    }

    async fn new_upload(
        &self,
        caller: &Caller,
        input: &BeginUploadInput,
        workspace: &supportgate_store::WorkspaceRecord,
    ) -> Result<UploadRecord, ServiceError> {
        let key = self
            .inner
            .keys
            .current(&self.inner.main, workspace.tenant, KeyClass::Customer)
            .await?;
        let file = FileId::new();
        let record = file.to_string();
        let now = self.now();
        let ttl = chrono::Duration::from_std(self.inner.config.transfers.upload_ttl)
            .unwrap_or(chrono::Duration::days(7));
        Ok(UploadRecord {
            id: UploadId::new(),
            file,
            workspace: workspace.id,
            tenant: workspace.tenant,
            case: workspace.case,
            uploader: caller.principal.subject,
            name_sealed: seal(&key, &record, "name", input.name.as_str())?,
            media_type_sealed: seal(&key, &record, "media_type", input.media_type.as_str())?,
            size: input.size,
            sha256: input.sha256.to_vec(),
            state: UploadState::InProgress,
            committed_offset: 0,
            created_at: now,
            expires_at: now + ttl,
            completed_at: None,
            failure_reason: None,
        })
    }

    /// How far an upload got.
    pub async fn upload_status(
        &self,
        caller: &Caller,
        upload: UploadId,
    ) -> Result<UploadRecord, ServiceError> {
        if caller.principal.role != supportgate_types::Role::SupportEngineer {
            return self.own_upload(caller, upload).await;
        }
        // An engineer assigned to the case may follow the upload's progress (metadata).
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "upload" })?;
        let record = self.inner.main.upload_get(tenant, upload).await?;
        let assigned = self
            .case_facts(caller, record.case)
            .await?
            .is_some_and(|(_, facts)| facts.assigned_to_caller);
        if !assigned {
            return Err(ServiceError::NotFound { what: "upload" });
        }
        Ok(record)
    }

    /// Opens a stream of chunks for `upload`; the first chunk must start at the
    /// committed offset.
    ///
    /// The checks come first, then the allowed `transfer.upload.chunks` entry, and only
    /// then is anything changed (the blob cut back to the committed offset): every
    /// change is in the log before it happens.
    pub async fn upload_open(
        &self,
        caller: &Caller,
        upload: UploadId,
    ) -> Result<UploadWriter, ServiceError> {
        let record = self.own_upload(caller, upload).await?;
        let event = upload_event(
            "transfer.upload.chunks",
            &record,
            Decision::Allowed,
            "OWN_TENANT",
        );
        let admitted = self.upload_admit(&record);
        let slot = self.audited(caller, event.clone(), admitted).await?;
        self.log(caller, event).await?;
        self.upload_writer(caller, &record, slot).await
    }

    /// Whether a stream of `record` may start now; takes its stream slot. Changes no
    /// stored data, so a refusal leaves everything as it was.
    pub(super) fn upload_admit(&self, record: &UploadRecord) -> Result<StreamSlot, ServiceError> {
        if record.state != UploadState::InProgress {
            return Err(precondition(
                "UPLOAD_NOT_IN_PROGRESS",
                format!("the upload is {}", record.state.as_str()),
            ));
        }
        if record.expires_at <= self.now() {
            return Err(precondition(
                "UPLOAD_EXPIRED",
                "the upload expired; begin it again",
            ));
        }
        let limit = self
            .inner
            .config
            .transfers
            .max_concurrent_uploads_per_tenant;
        self.inner
            .sessions
            .open(record.tenant, record.id, limit)
            .map_err(|refusal| match refusal {
                SlotRefusal::TenantBusy { limit } => ServiceError::Exhausted {
                    reason: "TOO_MANY_UPLOADS",
                    message: format!(
                        "at most {limit} uploads of one tenant may stream at once; retry shortly"
                    ),
                },
                SlotRefusal::UploadBusy => {
                    precondition("UPLOAD_BUSY", "another stream of this upload is open")
                }
            })
    }

    /// The writer of an admitted stream: drops whatever lies past the committed offset
    /// and restores the committed prefix's SHA-256. Call only once the stream's
    /// `transfer.upload.chunks` entry is logged.
    pub(super) async fn upload_writer(
        &self,
        caller: &Caller,
        record: &UploadRecord,
        slot: StreamSlot,
    ) -> Result<UploadWriter, ServiceError> {
        let blob = BlobKey::upload(record.tenant, &record.id.to_string())
            .map_err(ServiceError::internal)?;
        let sealed = self
            .sealed_content(record.tenant, &record.file.to_string(), &blob, record.size)
            .await?;
        // Whole segments committed: all of them once every byte is in (the last one may
        // be short); otherwise the committed offset is a segment boundary.
        let committed_segment = if record.committed_offset == record.size && record.size > 0 {
            sealed.cipher.segment_count()
        } else {
            record.committed_offset / sealed.segment_size
        };
        // Bytes past the committed offset were never committed (a crash between the
        // blob write and the database update): drop them.
        let committed_len = sealed.header_len + sealed.cipher.sealed_offset(committed_segment);
        self.inner
            .blobs
            .truncate(&blob, committed_len)
            .await
            .map_err(ServiceError::internal)?;
        let hash = match self
            .inner
            .sessions
            .prefix(record.id, record.committed_offset)
        {
            Some(context) => context,
            None => {
                self.rehash_prefix(&blob, &sealed, committed_segment)
                    .await?
            }
        };
        Ok(UploadWriter {
            services: self.clone(),
            caller: caller.clone(),
            record: record.clone(),
            blob,
            sealed,
            committed: record.committed_offset,
            pending: Vec::new(),
            hash,
            max_chunk: self.inner.config.transfers.max_chunk_size,
            _slot: Arc::new(slot),
        })
    }
}

/// One open stream of an upload. Chunks go in; whole segments are sealed, written,
/// made durable and committed; the rest waits in memory (at most one segment).
pub struct UploadWriter {
    services: Services,
    caller: Caller,
    record: UploadRecord,
    blob: BlobKey,
    sealed: Sealed,
    committed: u64,
    /// Received bytes after `committed`, less than one segment (or the file's tail).
    pending: Vec<u8>,
    /// SHA-256 of the plaintext up to `committed`.
    hash: Context,
    max_chunk: u32,
    _slot: Arc<StreamSlot>,
}

impl std::fmt::Debug for UploadWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadWriter")
            .field("upload", &self.record.id)
            .field("committed", &self.committed)
            .finish()
    }
}

impl UploadWriter {
    /// The upload this stream writes.
    pub fn upload(&self) -> UploadId {
        self.record.id
    }

    /// Bytes durably committed.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    fn check(&self, chunk: &ChunkInput) -> Result<(), ServiceError> {
        let expected = self.committed + self.pending.len() as u64;
        if chunk.offset != expected {
            return Err(ServiceError::OffsetMismatch {
                committed: self.committed,
                message: format!(
                    "the chunk starts at {} but the upload continues at {expected}; resume from the committed offset {}",
                    chunk.offset, self.committed
                ),
            });
        }
        if chunk.data.is_empty() || chunk.data.len() > self.max_chunk as usize {
            return Err(invalid(
                "CHUNK_SIZE",
                format!(
                    "a chunk carries 1 to {} bytes; this one {}",
                    self.max_chunk,
                    chunk.data.len()
                ),
            ));
        }
        if crc32c::crc32c(&chunk.data) != chunk.crc32c {
            return Err(invalid(
                "CHUNK_CHECKSUM_MISMATCH",
                "the chunk's CRC32C does not match its data; resend it",
            ));
        }
        if chunk.offset + chunk.data.len() as u64 > self.record.size {
            return Err(invalid(
                "UPLOAD_EXCEEDS_DECLARED_SIZE",
                format!(
                    "the chunk ends at {} but the file was declared {} bytes",
                    chunk.offset + chunk.data.len() as u64,
                    self.record.size
                ),
            ));
        }
        Ok(())
    }

    /// Takes one chunk; returns the committed offset after it.
    pub async fn write(&mut self, chunk: ChunkInput) -> Result<u64, ServiceError> {
        if let Err(error) = self.check(&chunk) {
            let mut event =
                upload_event("transfer.upload.chunks", &self.record, Decision::Denied, "");
            event.reason = error.reason();
            self.services.log(&self.caller, event).await?;
            return Err(error);
        }
        self.pending.extend_from_slice(&chunk.data);
        self.commit_ready().await?;
        Ok(self.committed)
    }

    /// Seals and stores every whole segment pending (and the last, shorter one once the
    /// file is complete), then commits the new offset.
    async fn commit_ready(&mut self) -> Result<(), ServiceError> {
        let size = self.sealed.segment_size as usize;
        let complete = self.committed + self.pending.len() as u64 == self.record.size;
        let ready = if complete {
            self.pending.len()
        } else {
            self.pending.len() / size * size
        };
        if ready == 0 && !(complete && self.record.size == self.committed && self.committed == 0) {
            return Ok(());
        }
        let first = self.committed / self.sealed.segment_size;
        let mut sealed = Vec::with_capacity(ready + ready / size * 16 + 32);
        let mut index = first;
        let mut start = 0;
        loop {
            let end = (start + size).min(ready);
            let plaintext = &self.pending[start..end];
            sealed.extend_from_slice(
                &self
                    .sealed
                    .cipher
                    .seal(index, plaintext)
                    .map_err(ServiceError::internal)?,
            );
            self.hash.update(plaintext);
            index += 1;
            start = end;
            if start >= ready {
                break;
            }
        }
        let at = self.sealed.header_len + self.sealed.cipher.sealed_offset(first);
        self.services
            .inner
            .blobs
            .write_at(&self.blob, at, &sealed)
            .await
            .map_err(ServiceError::internal)?;
        let to = self.committed + ready as u64;
        let store = &self.services.inner.main;
        if !store
            .upload_advance(self.record.tenant, self.record.id, self.committed, to)
            .await?
        {
            return Err(precondition(
                "UPLOAD_NOT_IN_PROGRESS",
                "the upload moved on elsewhere; ask for its status and resume",
            ));
        }
        self.committed = to;
        self.pending.drain(..ready);
        self.services.inner.sessions.remember(
            self.record.id,
            PrefixHash {
                offset: to,
                context: self.hash.clone(),
            },
        );
        Ok(())
    }

    /// Ends the stream: an empty file is committed here; anything pending that does not
    /// end the file is dropped (the client resumes from the committed offset).
    pub async fn finish(mut self) -> Result<u64, ServiceError> {
        if self.record.size == 0 && self.committed == 0 {
            self.commit_ready().await?;
        }
        Ok(self.committed)
    }
}

impl Services {
    /// Opens a sealed field of a file (its name or media type).
    pub(crate) async fn open_field(
        &self,
        tenant: supportgate_types::TenantId,
        record: &str,
        field: &str,
        sealed: &[u8],
    ) -> Result<String, ServiceError> {
        crate::sealing::open(
            &self.inner.keys,
            &self.inner.main,
            tenant,
            KeyClass::Customer,
            record,
            field,
            sealed,
        )
        .await
    }
}
