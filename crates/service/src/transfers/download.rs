//! Downloads: the policy decides (and logs) first, then the file's segments are read,
//! opened and trimmed to the range one at a time, so memory stays at one segment
//! whatever the file's size.

use bytes::Bytes;
use supportgate_policy::{AccessRequest, RequestedPurpose};
use supportgate_store::{BlobKey, UploadState};
use supportgate_types::FileId;

use super::content::Sealed;
use super::upload::invalid;
use crate::{Caller, ServiceError, Services};

/// Plaintext handed out per chunk: a few segments, far below the message limit.
const CHUNK: u64 = 256 * 1024;

/// A permitted download in progress.
pub struct Download {
    services: Services,
    blob: BlobKey,
    sealed: Sealed,
    /// The file.
    pub file: FileId,
    /// Its whole size.
    pub total_size: u64,
    /// Its SHA-256.
    pub sha256: Vec<u8>,
    /// Its media type.
    pub media_type: String,
    /// First byte served.
    pub offset: u64,
    /// Bytes served in all.
    pub length: u64,
    next: u64,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file", &self.file)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

/// One piece of a download.
#[derive(Debug)]
pub struct DownloadChunk {
    /// Offset of `data[0]` in the file.
    pub offset: u64,
    /// Plaintext.
    pub data: Bytes,
}

impl Services {
    /// Decides a download of `file` for `purpose` (logged), then prepares to stream
    /// `offset..offset+length` (`length` 0: to the end).
    pub async fn download_open(
        &self,
        caller: &Caller,
        file: FileId,
        purpose: RequestedPurpose,
        offset: u64,
        length: u64,
    ) -> Result<Download, ServiceError> {
        let located = match caller.principal.tenant {
            Some(tenant) => self
                .inner
                .main
                .file_locate(tenant, file)
                .await
                .ok()
                .filter(|r| r.state == UploadState::Available),
            None => None,
        };
        let facts = match &located {
            Some(record) => self
                .case_facts(caller, record.case)
                .await?
                .map(|(_, facts)| facts),
            None => None,
        };
        let request = AccessRequest {
            principal: &caller.principal,
            action: "transfer.download",
            purpose,
            resource: facts,
            resource_id: Some(file.to_string()),
            request_id: caller.request_id,
        };
        let grant = self
            .inner
            .policy
            .authorize_customer_data(self.audit_sink(), request)
            .await?;
        let record = self.inner.main.file_get(&grant, file).await?;
        if offset > record.size {
            return Err(ServiceError::OutOfRange {
                reason: "RANGE_NOT_SATISFIABLE",
                message: format!(
                    "the range starts at {offset} but the file has {} bytes",
                    record.size
                ),
            });
        }
        let end = if length == 0 {
            record.size
        } else {
            offset.saturating_add(length).min(record.size)
        };
        let object = record.file.to_string();
        let blob = BlobKey::file(record.tenant, &object).map_err(ServiceError::internal)?;
        let sealed = self
            .sealed_content(record.tenant, &object, &blob, record.size)
            .await?;
        let media_type = self
            .open_field(
                record.tenant,
                &object,
                "media_type",
                &record.media_type_sealed,
            )
            .await?;
        Ok(Download {
            services: self.clone(),
            blob,
            sealed,
            file,
            total_size: record.size,
            sha256: record.sha256,
            media_type,
            offset,
            length: end - offset,
            next: offset,
        })
    }
}

impl Download {
    /// The next chunk, `None` at the end of the range.
    pub async fn next_chunk(&mut self) -> Result<Option<DownloadChunk>, ServiceError> {
        let end = self.offset + self.length;
        if self.next >= end {
            return Ok(None);
        }
        let want = (end - self.next).min(CHUNK);
        let segments = self.sealed.cipher.segments_for_range(self.next, want);
        let mut data = Vec::with_capacity(want as usize);
        for index in segments {
            let plaintext = self
                .services
                .read_segment(&self.blob, &self.sealed, index)
                .await?;
            let segment_start = index * self.sealed.segment_size;
            let from = self.next.max(segment_start) - segment_start;
            let to = (self.next + want).min(segment_start + plaintext.len() as u64) - segment_start;
            if from > to || to as usize > plaintext.len() {
                return Err(invalid(
                    "RANGE_NOT_SATISFIABLE",
                    "the stored content is shorter than the file's size",
                ));
            }
            data.extend_from_slice(&plaintext[from as usize..to as usize]);
        }
        let chunk = DownloadChunk {
            offset: self.next,
            data: Bytes::from(data),
        };
        self.next += chunk.data.len() as u64;
        if chunk.data.is_empty() {
            return Ok(None);
        }
        Ok(Some(chunk))
    }
}
