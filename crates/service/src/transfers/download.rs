//! Downloads: the policy decides (and logs) first, then the file's segments are read,
//! opened and trimmed to the range one at a time, so memory stays at one segment
//! whatever the file's size.

use bytes::Bytes;
use supportgate_policy::RequestedPurpose;
use supportgate_store::{BlobKey, UploadState};
use supportgate_types::FileId;

use super::content::ContentReader;
use crate::{Caller, ServiceError, Services};

/// A permitted download in progress.
pub struct Download {
    reader: ContentReader,
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
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("file", &self.file)
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
        let case = located.as_ref().map(|r| r.case);
        let grant = self
            .authorize_case_read(
                caller,
                case,
                "transfer.download",
                purpose,
                file.to_string(),
                Ok(()),
            )
            .await?;
        let record = self.inner.main.file_get(&grant, file).await?;
        self.file_content(record, offset, length).await
    }

    /// Prepares to stream `offset..offset+length` (`length` 0: to the end) of a file
    /// read with a grant.
    pub(crate) async fn file_content(
        &self,
        record: supportgate_store::UploadRecord,
        offset: u64,
        length: u64,
    ) -> Result<Download, ServiceError> {
        let file = record.file;
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
            reader: ContentReader::new(self.clone(), blob, sealed, offset, end - offset),
            file,
            total_size: record.size,
            sha256: record.sha256,
            media_type,
            offset,
            length: end - offset,
        })
    }
}

impl Download {
    /// The next chunk, `None` at the end of the range.
    pub async fn next_chunk(&mut self) -> Result<Option<DownloadChunk>, ServiceError> {
        self.reader.next_chunk().await
    }
}
