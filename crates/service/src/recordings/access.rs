//! Reading recordings: listing (metadata), details and content for a permitted purpose.
//! Every read is a logged decision, so a customer listing the log of their case sees
//! who replayed its recordings.

use supportgate_policy::RequestedPurpose;
use supportgate_store::{
    BlobKey, Page, ParticipantRecord, RecordingKind, RecordingRecord, RecordingSource,
    RecordingState,
};
use supportgate_types::{CaseId, RecordingId};

use super::writer::open_ended;
use crate::transfers::content::ContentReader;
use crate::{Caller, DownloadChunk, ServiceError, Services};

/// A recording with what only a permitted reader sees.
#[derive(Clone, Debug)]
pub struct RecordingDetails {
    /// Metadata.
    pub record: RecordingRecord,
    /// Title of an import (customer data).
    pub title: Option<String>,
    /// Description of an import (customer data).
    pub description: Option<String>,
    /// Who took part.
    pub participants: Vec<ParticipantRecord>,
}

/// Why a recording's stored form is opened: each is its own logged action, and an
/// export also needs a recording it can convert.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ContentRead {
    /// The stored form, as it is (`recording.download`).
    Download,
    /// Converted to asciicast by the edge (`recording.export`): terminal recordings only.
    Export,
}

impl ContentRead {
    fn action(self) -> &'static str {
        match self {
            ContentRead::Download => "recording.download",
            ContentRead::Export => "recording.export",
        }
    }
}

/// Whether `record`'s content can be read for `read` now; checked before the
/// decision is logged, so the log never says "allowed" for a read that cannot happen.
fn readable(record: &RecordingRecord, read: Option<ContentRead>) -> Result<(), ServiceError> {
    let Some(read) = read else {
        return Ok(());
    };
    match record.state {
        RecordingState::Recording => {
            return Err(ServiceError::FailedPrecondition {
                reason: "RECORDING_IN_PROGRESS",
                message: "the session is still being recorded".into(),
            })
        }
        RecordingState::Purged => return Err(ServiceError::NotFound { what: "recording" }),
        RecordingState::Available | RecordingState::Truncated => {}
    }
    if read == ContentRead::Export && record.kind != RecordingKind::Terminal {
        return Err(ServiceError::FailedPrecondition {
            reason: "RECORDING_NOT_EXPORTABLE",
            message:
                "only terminal session recordings convert to asciicast; download others as they are"
                    .into(),
        });
    }
    Ok(())
}

/// A permitted read of a recording's stored form.
pub struct RecordingContent {
    reader: ContentReader,
    /// The recording.
    pub record: RecordingRecord,
    /// Bytes readable in all (the durable part of a truncated recording).
    pub readable: u64,
    /// First byte served.
    pub offset: u64,
    /// Bytes served.
    pub length: u64,
}

impl std::fmt::Debug for RecordingContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecordingContent")
            .field("recording", &self.record.id)
            .finish_non_exhaustive()
    }
}

impl RecordingContent {
    /// The next chunk of plaintext, `None` at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<DownloadChunk>, ServiceError> {
        self.reader.next_chunk().await
    }
}

impl Services {
    /// The recordings of a case (metadata): the tenant's customers, engineers assigned to
    /// the case, support quality, the tenant's reviewers.
    pub async fn recording_list(
        &self,
        caller: &Caller,
        case: CaseId,
        kind: Option<RecordingKind>,
        page: &Page,
    ) -> Result<Vec<RecordingRecord>, ServiceError> {
        let Some(tenant) = self.case_listing(caller, case, "recording.list").await? else {
            return Ok(Vec::new());
        };
        Ok(self
            .inner
            .main
            .recording_list(tenant, case, kind, page)
            .await?)
    }

    /// Decides a read of a recording for `purpose` (logged as `action`).
    async fn recording_grant(
        &self,
        caller: &Caller,
        recording: RecordingId,
        purpose: RequestedPurpose,
        action: &'static str,
        read: Option<ContentRead>,
    ) -> Result<(RecordingRecord, supportgate_policy::CustomerDataAccess), ServiceError> {
        let located = match caller.principal.tenant {
            // An import still arriving does not exist yet for readers.
            Some(tenant) => self
                .inner
                .main
                .recording_meta(tenant, recording)
                .await
                .ok()
                .filter(|r| {
                    !(r.source == RecordingSource::Imported && r.state == RecordingState::Recording)
                }),
            None => None,
        };
        let ready = located.as_ref().map_or(Ok(()), |r| readable(r, read));
        let case = located.as_ref().map(|r| r.case);
        let grant = self
            .authorize_case_read(caller, case, action, purpose, recording.to_string(), ready)
            .await?;
        let record = self.inner.main.recording_get(&grant, recording).await?;
        if record.source == RecordingSource::Imported && record.state == RecordingState::Recording {
            return Err(ServiceError::NotFound { what: "recording" });
        }
        Ok((record, grant))
    }

    /// A recording's details for `purpose`.
    pub async fn recording_details(
        &self,
        caller: &Caller,
        recording: RecordingId,
        purpose: RequestedPurpose,
    ) -> Result<RecordingDetails, ServiceError> {
        let (record, _grant) = self
            .recording_grant(caller, recording, purpose, "recording.get", None)
            .await?;
        let object = record.id.to_string();
        let open = |sealed: &Option<Vec<u8>>, field: &'static str| {
            let sealed = sealed.clone();
            let object = object.clone();
            async move {
                match sealed {
                    Some(bytes) if !bytes.is_empty() => self
                        .open_field(record.tenant, &object, field, &bytes)
                        .await
                        .map(Some),
                    _ => Ok(None),
                }
            }
        };
        let title = open(&record.title_sealed, "title").await?;
        let description = open(&record.description_sealed, "description").await?;
        let participants = self
            .inner
            .main
            .recording_participants(record.tenant, record.id)
            .await?;
        Ok(RecordingDetails {
            record,
            title,
            description,
            participants,
        })
    }

    /// Opens a recording's stored form for `purpose` and `read` (`length` 0: to the
    /// end). A recording still being recorded, or an export of one that is not a
    /// terminal recording, is refused and logged as denied.
    pub async fn recording_open(
        &self,
        caller: &Caller,
        recording: RecordingId,
        purpose: RequestedPurpose,
        read: ContentRead,
        offset: u64,
        length: u64,
    ) -> Result<RecordingContent, ServiceError> {
        let (record, _grant) = self
            .recording_grant(caller, recording, purpose, read.action(), Some(read))
            .await?;
        // The state may have moved since the check before the decision: check again.
        readable(&record, Some(read))?;
        self.recording_content(record, offset, length).await
    }

    /// Prepares to read `offset..offset+length` (`length` 0: to the end) of a recording
    /// the caller was already allowed to read.
    pub(crate) async fn recording_content(
        &self,
        record: RecordingRecord,
        offset: u64,
        length: u64,
    ) -> Result<RecordingContent, ServiceError> {
        let (readable, sealed_size) = match record.state {
            RecordingState::Available => (record.size, record.size),
            RecordingState::Truncated => (
                record.durable_bytes,
                open_ended(super::writer::RECORDING_SEGMENT),
            ),
            RecordingState::Recording | RecordingState::Purged => {
                return Err(ServiceError::NotFound { what: "recording" })
            }
        };
        if offset > readable {
            return Err(ServiceError::OutOfRange {
                reason: "RANGE_NOT_SATISFIABLE",
                message: format!(
                    "the range starts at {offset} but the recording has {readable} bytes"
                ),
            });
        }
        let end = if length == 0 {
            readable
        } else {
            offset.saturating_add(length).min(readable)
        };
        let object = record.id.to_string();
        let blob = BlobKey::recording(record.tenant, &object).map_err(ServiceError::internal)?;
        let sealed = self
            .sealed_content(record.tenant, &object, &blob, sealed_size)
            .await?;
        Ok(RecordingContent {
            reader: ContentReader::new(self.clone(), blob, sealed, offset, end - offset),
            record,
            readable,
            offset,
            length: end - offset,
        })
    }
}
