//! The session recording writer.
//!
//! Frames arrive as already-encoded bytes (the edge encodes them). They are sealed in
//! 4 KiB segments under the recording's data key. Segments are made durable together on
//! `flush` (the relay calls it a few times a second while frames arrive), padding a
//! partial segment with zero bytes (which the stored form skips), so a crash loses at
//! most what arrived since the last flush and leaves everything before it readable.
//!
//! ## Why the length stays open until the end
//! The STREAM construction flags the last segment; a live recording does not know which
//! one that is. Segments are sealed as "not last" while the session runs, and `finish`
//! seals the tail — never empty, it always holds the closing frame — as the last one.

use ring::digest::{Context, SHA256};
use supportgate_audit::Decision;
use supportgate_crypto::{DataKey, KeyClass, SegmentCipher, StreamHeader};
use supportgate_store::{
    BlobKey, EndReason, ObjectKeyRecord, RecordingKind, RecordingRecord, RecordingSource,
    RecordingState, SessionRecord, SessionState,
};
use supportgate_types::{DataClass, RecordingId, TenantId};

use super::SESSION_MEDIA_TYPE;
use crate::context::Event;
use crate::sessions::lifecycle::reason_code;
use crate::{ServiceError, Services};

/// Segment size of session recordings: small, so an early flush pads little.
pub(crate) const RECORDING_SEGMENT: u32 = 4 * 1024;

/// A plaintext size no recording reaches: sealing under it never sets the last flag.
pub(crate) fn open_ended(segment_size: u32) -> u64 {
    (u64::from(u32::MAX) - 1) * u64::from(segment_size)
}

/// Writes one session's recording.
pub struct RecordingWriter {
    services: Services,
    record: RecordingRecord,
    blob: BlobKey,
    key: DataKey,
    header: StreamHeader,
    header_len: u64,
    open: SegmentCipher,
    /// Plaintext not yet sealed: at most one segment (the tail is kept for `finish`).
    pending: Vec<u8>,
    /// Sealed segments not yet written.
    sealed: Vec<u8>,
    /// Segments sealed so far.
    segments: u64,
    /// Plaintext bytes in durably written segments.
    durable: u64,
    hash: Context,
    frames: u64,
    initial_size: Option<(u32, u32)>,
}

impl std::fmt::Debug for RecordingWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingWriter")
            .field("recording", &self.record.id)
            .field("durable", &self.durable)
            .finish_non_exhaustive()
    }
}

impl Services {
    /// Starts the recording of `session` (its data key, header and row).
    pub async fn recording_start(
        &self,
        session: &SessionRecord,
        kind: RecordingKind,
    ) -> Result<RecordingWriter, ServiceError> {
        let tenant = session.tenant;
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
            .and_then(|h| h.with_segment_size(RECORDING_SEGMENT))
            .map_err(ServiceError::internal)?;
        let blob = BlobKey::recording(tenant, &object).map_err(ServiceError::internal)?;
        let encoded = header.encode();
        self.inner
            .blobs
            .write_at(&blob, 0, &encoded)
            .await
            .map_err(ServiceError::internal)?;
        let now = self.now();
        let record = RecordingRecord {
            id,
            tenant,
            case: session.case,
            session: Some(session.id),
            kind,
            source: RecordingSource::Session,
            state: RecordingState::Recording,
            media_type: SESSION_MEDIA_TYPE.into(),
            title_sealed: None,
            description_sealed: None,
            size: 0,
            sha256: None,
            frame_count: 0,
            durable_bytes: 0,
            initial_size: None,
            started_at: Some(now),
            ended_at: None,
            created_by: session.requested_by,
            created_at: now,
            external_id: None,
        };
        let object_key = ObjectKeyRecord {
            object_id: object,
            tenant,
            key_version: key.key_version(),
            wrapped,
        };
        self.inner
            .main
            .recording_insert(&record, &object_key)
            .await?;
        let open = SegmentCipher::new(&data_key, &header, open_ended(RECORDING_SEGMENT))
            .map_err(ServiceError::internal)?;
        Ok(RecordingWriter {
            services: self.clone(),
            record,
            blob,
            key: data_key,
            header,
            header_len: encoded.len() as u64,
            open,
            pending: Vec::new(),
            sealed: Vec::new(),
            segments: 0,
            durable: 0,
            hash: Context::new(&SHA256),
            frames: 0,
            initial_size: None,
        })
    }

    /// After a restart: session recordings left in progress by a crash are marked
    /// truncated at their last durable byte (readable up to there) and their sessions
    /// ended (`SHUTDOWN`); imports cut short are destroyed (an import is all or
    /// nothing). Each change is logged, as the gateway's own event, before it is made.
    /// Returns how many were found.
    ///
    /// Assumes this gateway is the only one writing recordings (see DESIGN scale-out).
    pub async fn recordings_recover(&self) -> Result<usize, ServiceError> {
        let stale = self.inner.main.recordings_in_progress().await?;
        let main = &self.inner.main;
        for r in &stale {
            let event = |action, reason| Event {
                action,
                data_class: DataClass::Metadata,
                tenant: Some(r.tenant),
                resource_id: Some(r.id.to_string()),
                case_id: Some(r.case),
                decision: Decision::Allowed,
                reason,
            };
            if r.source == RecordingSource::Imported {
                self.log_system(event("recording.import.discard", "GATEWAY_RESTARTED"))
                    .await?;
                let object = r.id.to_string();
                main.object_key_delete(r.tenant, &object).await?;
                main.recording_discard(r.tenant, r.id).await?;
                let blob = BlobKey::recording(r.tenant, &object).map_err(ServiceError::internal)?;
                self.inner
                    .blobs
                    .delete(&blob)
                    .await
                    .map_err(ServiceError::internal)?;
                continue;
            }
            self.log_system(event("recording.truncate", "GATEWAY_RESTARTED"))
                .await?;
            main.recording_finish(
                r.tenant,
                r.id,
                RecordingState::Truncated,
                r.durable_bytes,
                None,
                r.frame_count,
                None,
                self.now(),
            )
            .await?;
            let Some(session) = r.session else {
                continue;
            };
            let live = main.session_get(r.tenant, session).await?;
            if live.state == SessionState::Ended {
                continue;
            }
            let mut end = event("session.end", reason_code(EndReason::Shutdown));
            end.resource_id = Some(session.to_string());
            self.log_system(end).await?;
            main.session_end(r.tenant, session, self.now(), EndReason::Shutdown)
                .await?;
        }
        Ok(stale.len())
    }
}

impl RecordingWriter {
    /// The recording's id.
    pub fn id(&self) -> RecordingId {
        self.record.id
    }

    /// Its tenant.
    pub fn tenant(&self) -> TenantId {
        self.record.tenant
    }

    /// Appends one encoded frame (sealing whole segments, keeping the tail).
    pub fn append(&mut self, frame: &[u8]) -> Result<(), ServiceError> {
        self.pending.extend_from_slice(frame);
        self.frames += 1;
        let size = RECORDING_SEGMENT as usize;
        while self.pending.len() > size {
            let segment: Vec<u8> = self.pending.drain(..size).collect();
            self.seal(&segment)?;
        }
        Ok(())
    }

    /// Notes the terminal size the recording starts with (for players).
    pub fn initial_size(&mut self, cols: u32, rows: u32) {
        self.initial_size.get_or_insert((cols, rows));
    }

    fn seal(&mut self, segment: &[u8]) -> Result<(), ServiceError> {
        let sealed = self
            .open
            .seal(self.segments, segment)
            .map_err(ServiceError::internal)?;
        self.hash.update(segment);
        self.sealed.extend_from_slice(&sealed);
        self.segments += 1;
        Ok(())
    }

    /// Makes everything appended so far durable, padding a partial segment.
    pub async fn flush(&mut self) -> Result<(), ServiceError> {
        if !self.pending.is_empty() {
            let mut segment = std::mem::take(&mut self.pending);
            segment.resize(RECORDING_SEGMENT as usize, 0);
            self.seal(&segment)?;
        }
        self.write_sealed().await
    }

    async fn write_sealed(&mut self) -> Result<(), ServiceError> {
        if self.sealed.is_empty() {
            return Ok(());
        }
        let written_segments = self.durable / u64::from(RECORDING_SEGMENT);
        let at = self.header_len + self.open.sealed_offset(written_segments);
        self.services
            .inner
            .blobs
            .write_at(&self.blob, at, &self.sealed)
            .await
            .map_err(ServiceError::internal)?;
        // Released, not cleared: an idle session holds no segment-sized buffer between
        // flushes (thousands of idle sessions would otherwise keep one each).
        self.sealed = Vec::new();
        self.durable = self.segments * u64::from(RECORDING_SEGMENT);
        self.services
            .inner
            .main
            .recording_progress(
                self.record.tenant,
                self.record.id,
                self.durable,
                self.frames,
            )
            .await?;
        Ok(())
    }

    /// Ends the recording with its closing frame (sealed as the last segment): it
    /// becomes available.
    pub async fn finish(mut self, closing_frame: &[u8]) -> Result<(), ServiceError> {
        self.pending.extend_from_slice(closing_frame);
        self.frames += 1;
        let size = RECORDING_SEGMENT as usize;
        while self.pending.len() > size {
            let segment: Vec<u8> = self.pending.drain(..size).collect();
            self.seal(&segment)?;
        }
        let total = self.segments * u64::from(RECORDING_SEGMENT) + self.pending.len() as u64;
        let last =
            SegmentCipher::new(&self.key, &self.header, total).map_err(ServiceError::internal)?;
        let tail = std::mem::take(&mut self.pending);
        let sealed = last
            .seal(self.segments, &tail)
            .map_err(ServiceError::internal)?;
        self.hash.update(&tail);
        self.sealed.extend_from_slice(&sealed);
        self.segments += 1;
        self.write_sealed().await?;
        let digest = self.hash.clone().finish();
        let ended = self.services.now();
        self.services
            .inner
            .main
            .recording_finish(
                self.record.tenant,
                self.record.id,
                RecordingState::Available,
                total,
                Some(digest.as_ref()),
                self.frames,
                self.initial_size,
                ended,
            )
            .await?;
        Ok(())
    }

    /// Ends the recording early (fail-closed): what is durable stays readable, marked
    /// truncated.
    pub async fn truncate(mut self) -> Result<(), ServiceError> {
        let written = self.write_sealed().await;
        let ended = self.services.now();
        self.services
            .inner
            .main
            .recording_finish(
                self.record.tenant,
                self.record.id,
                RecordingState::Truncated,
                self.durable,
                None,
                self.frames,
                self.initial_size,
                ended,
            )
            .await?;
        written
    }
}
