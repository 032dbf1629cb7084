//! Importing a recording made elsewhere (a phone call, a chat transcript, a screen
//! capture): declared up front, streamed in, sealed like any upload, verified before it
//! becomes visible; a mismatch or a broken stream leaves nothing.

use chrono::{DateTime, Utc};
use ring::digest::{Context, SHA256};
use supportgate_audit::Decision;
use supportgate_crypto::{DataKey, KeyClass, SegmentCipher, StreamHeader};
use supportgate_store::{
    BlobKey, CaseState, ObjectKeyRecord, RecordingKind, RecordingRecord, RecordingSource,
    RecordingState,
};
use supportgate_types::{CaseId, DataClass, MediaType, RecordingId};

use crate::context::Event;
use crate::sealing::seal;
use crate::{Caller, ServiceError, Services};

/// Bytes written to the blob store per durable write.
const WRITE_BATCH: usize = 1024 * 1024;

/// What an importer declares.
#[derive(Clone, Debug)]
pub struct ImportInput {
    /// The case.
    pub case: CaseId,
    /// What it is.
    pub kind: RecordingKind,
    /// Its media type.
    pub media_type: MediaType,
    /// A title (customer data).
    pub title: String,
    /// A description (customer data).
    pub description: String,
    /// Its exact size.
    pub size: u64,
    /// Its SHA-256.
    pub sha256: [u8; 32],
    /// When the recorded interaction started and ended.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Its id in the system it came from: a second import of it is refused.
    pub external_id: Option<String>,
}

/// An import in progress.
pub struct ImportWriter {
    services: Services,
    record: RecordingRecord,
    blob: BlobKey,
    cipher: SegmentCipher,
    header_len: u64,
    segment_size: usize,
    pending: Vec<u8>,
    sealed: Vec<u8>,
    next_segment: u64,
    received: u64,
    written: u64,
    hash: Context,
    sha256: [u8; 32],
    caller: Caller,
}

impl std::fmt::Debug for ImportWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImportWriter")
            .field("recording", &self.record.id)
            .field("received", &self.received)
            .finish_non_exhaustive()
    }
}

fn import_event(record: &RecordingRecord, decision: Decision, reason: &'static str) -> Event {
    Event {
        action: "recording.import",
        data_class: DataClass::Customer,
        tenant: Some(record.tenant),
        resource_id: Some(record.id.to_string()),
        case_id: Some(record.case),
        decision,
        reason,
    }
}

impl Services {
    /// Starts an import into an open case: an engineer assigned to it. Every refusal
    /// is logged.
    pub async fn recording_import(
        &self,
        caller: &Caller,
        input: ImportInput,
    ) -> Result<ImportWriter, ServiceError> {
        let refused = Event {
            action: "recording.import",
            data_class: DataClass::Customer,
            tenant: caller.principal.tenant,
            resource_id: None,
            case_id: Some(input.case),
            decision: Decision::Denied,
            reason: "",
        };
        let result = self.recording_import_checked(caller, input).await;
        if let Err(ServiceError::Denied { reason, .. }) = &result {
            // Not the policy's refusal (it logs its own): the case's assignment.
            let event = Event {
                reason,
                ..refused.clone()
            };
            self.log(caller, event).await?;
        }
        self.audited(caller, refused, result).await
    }

    async fn recording_import_checked(
        &self,
        caller: &Caller,
        input: ImportInput,
    ) -> Result<ImportWriter, ServiceError> {
        let limits = &self.inner.config.transfers;
        if input.size > limits.max_file_size {
            return Err(ServiceError::Exhausted {
                reason: "FILE_TOO_LARGE",
                message: format!(
                    "the recording is {} bytes; the largest accepted is {}",
                    input.size, limits.max_file_size
                ),
            });
        }
        let (meta, facts) = self
            .case_facts(caller, input.case)
            .await?
            .ok_or(ServiceError::NotFound { what: "case" })?;
        if !facts.assigned_to_caller {
            return Err(ServiceError::Denied {
                reason: "NOT_ASSIGNED",
                message: "only an engineer assigned to the case imports into it".into(),
            });
        }
        if meta.state != CaseState::Open {
            return Err(ServiceError::FailedPrecondition {
                reason: "CASE_CLOSED",
                message: "the case is closed: recordings are imported into open cases".into(),
            });
        }
        let tenant = meta.tenant;
        if let Some(external) = &input.external_id {
            if self
                .inner
                .main
                .recording_external_exists(tenant, external)
                .await?
            {
                return Err(ServiceError::Conflict {
                    what: "a recording with this external_id",
                });
            }
        }
        let id = RecordingId::new();
        let object = id.to_string();
        let key = self
            .inner
            .keys
            .current(&self.inner.main, tenant, KeyClass::Customer)
            .await?;
        let data_key = DataKey::generate().map_err(ServiceError::internal)?;
        let wrapped = key
            .wrap_data_key(&data_key, &object)
            .map_err(ServiceError::internal)?;
        let header = StreamHeader::new(&object, &tenant.to_string(), key.key_version())
            .map_err(ServiceError::internal)?;
        let cipher =
            SegmentCipher::new(&data_key, &header, input.size).map_err(ServiceError::internal)?;
        let now = self.now();
        let record = RecordingRecord {
            id,
            tenant,
            case: meta.id,
            session: None,
            kind: input.kind,
            source: RecordingSource::Imported,
            state: RecordingState::Recording,
            media_type: input.media_type.as_str().to_owned(),
            title_sealed: Some(seal(&key, &object, "title", &input.title)?),
            description_sealed: Some(seal(&key, &object, "description", &input.description)?),
            size: input.size,
            sha256: Some(input.sha256.to_vec()),
            frame_count: 0,
            durable_bytes: 0,
            initial_size: None,
            started_at: input.started_at,
            ended_at: input.ended_at,
            created_by: caller.principal.subject,
            created_at: now,
            external_id: input.external_id.clone(),
        };
        self.log(
            caller,
            import_event(&record, Decision::Allowed, "ASSIGNED_ENGINEER"),
        )
        .await?;
        let blob = BlobKey::recording(tenant, &object).map_err(ServiceError::internal)?;
        let encoded = header.encode();
        self.inner
            .blobs
            .write_at(&blob, 0, &encoded)
            .await
            .map_err(ServiceError::internal)?;
        let object_key = ObjectKeyRecord {
            object_id: object,
            tenant,
            key_version: key.key_version(),
            wrapped,
        };
        if let Err(error) = self.inner.main.recording_insert(&record, &object_key).await {
            self.inner
                .blobs
                .delete(&blob)
                .await
                .map_err(ServiceError::internal)?;
            return Err(match error {
                supportgate_store::StoreError::Conflict { .. } => ServiceError::Conflict {
                    what: "a recording with this external_id",
                },
                other => other.into(),
            });
        }
        Ok(ImportWriter {
            services: self.clone(),
            segment_size: header.segment_size as usize,
            record,
            blob,
            cipher,
            header_len: encoded.len() as u64,
            pending: Vec::new(),
            sealed: Vec::new(),
            next_segment: 0,
            received: 0,
            written: 0,
            hash: Context::new(&SHA256),
            sha256: input.sha256,
            caller: caller.clone(),
        })
    }
}

impl ImportWriter {
    /// The recording being imported.
    pub fn id(&self) -> RecordingId {
        self.record.id
    }

    /// Takes the next bytes of content.
    pub async fn write(&mut self, data: &[u8]) -> Result<(), ServiceError> {
        self.received += data.len() as u64;
        if self.received > self.record.size {
            return Err(ServiceError::invalid(
                "UPLOAD_EXCEEDS_DECLARED_SIZE",
                format!("more than the declared {} bytes arrived", self.record.size),
            ));
        }
        self.hash.update(data);
        self.pending.extend_from_slice(data);
        let complete = self.received == self.record.size;
        while self.pending.len() >= self.segment_size || (complete && !self.pending.is_empty()) {
            let take = self.pending.len().min(self.segment_size);
            let segment: Vec<u8> = self.pending.drain(..take).collect();
            let sealed = self
                .cipher
                .seal(self.next_segment, &segment)
                .map_err(ServiceError::internal)?;
            self.sealed.extend_from_slice(&sealed);
            self.next_segment += 1;
        }
        if self.sealed.len() >= WRITE_BATCH {
            self.write_sealed().await?;
        }
        Ok(())
    }

    async fn write_sealed(&mut self) -> Result<(), ServiceError> {
        if self.sealed.is_empty() {
            return Ok(());
        }
        let at = self.header_len + self.written;
        self.services
            .inner
            .blobs
            .write_at(&self.blob, at, &self.sealed)
            .await
            .map_err(ServiceError::internal)?;
        self.written += self.sealed.len() as u64;
        self.sealed.clear();
        Ok(())
    }

    /// Verifies size and SHA-256: the recording becomes available, or is destroyed.
    pub async fn finish(mut self) -> Result<RecordingRecord, ServiceError> {
        if self.record.size == 0 && self.next_segment == 0 {
            let sealed = self.cipher.seal(0, &[]).map_err(ServiceError::internal)?;
            self.sealed.extend_from_slice(&sealed);
            self.next_segment = 1;
        }
        let reason = if self.received != self.record.size {
            Some("SIZE_MISMATCH")
        } else if self.hash.clone().finish().as_ref() != self.sha256 {
            Some("SHA256_MISMATCH")
        } else {
            None
        };
        if let Some(reason) = reason {
            self.discard(reason).await?;
            return Err(ServiceError::FailedPrecondition {
                reason,
                message: format!(
                    "the imported bytes do not match the declaration ({reason}); nothing was kept"
                ),
            });
        }
        self.write_sealed().await?;
        let services = self.services.clone();
        let r = &self.record;
        services
            .inner
            .main
            .recording_finish(
                r.tenant,
                r.id,
                RecordingState::Available,
                r.size,
                Some(&self.sha256),
                0,
                None,
                r.ended_at.unwrap_or_else(|| services.now()),
            )
            .await?;
        Ok(services.inner.main.recording_meta(r.tenant, r.id).await?)
    }

    /// Destroys a failed import: its data key, its content and its row.
    pub async fn discard(self, reason: &'static str) -> Result<(), ServiceError> {
        let services = &self.services;
        services
            .log(
                &self.caller,
                import_event(&self.record, Decision::Denied, reason),
            )
            .await?;
        let main = &services.inner.main;
        main.object_key_delete(self.record.tenant, &self.record.id.to_string())
            .await?;
        main.recording_discard(self.record.tenant, self.record.id)
            .await?;
        services
            .inner
            .blobs
            .delete(&self.blob)
            .await
            .map_err(ServiceError::internal)?;
        Ok(())
    }
}
