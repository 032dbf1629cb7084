//! Opening stored content: an object's data key, its stream header, and the SHA-256 of
//! a committed prefix rebuilt from the ciphertext.

use ring::digest::{Context, SHA256};
use supportgate_crypto::{CryptoError, DataKey, KeyClass, SegmentCipher, StreamHeader};
use supportgate_store::{BlobError, BlobKey};
use supportgate_types::TenantId;

use crate::{ServiceError, Services};

/// The most a stream header can take (two 255-byte ids and fixed fields).
const MAX_HEADER: u64 = 1024;

/// The reason code of every [`ContentError`]: stored content that cannot be read back.
const CONTENT_CORRUPT: &str = "CONTENT_CORRUPT";

/// How stored content turned out damaged. Each names the blob; none carries content.
///
/// ## Why not the client's fault
/// The bytes were verified when they were stored. If they no longer open, the store
/// lost or changed them: the answer is `DATA_LOSS` (never `INVALID_ARGUMENT` or
/// `OUT_OF_RANGE`, which would send the client looking for a mistake it did not make),
/// and the cause goes to the server log, where `server/status.rs` writes it.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ContentError {
    /// The blob a row names is not there.
    #[error("blob {blob} is missing")]
    Missing { blob: BlobKey },
    /// The stream header does not parse or does not validate.
    #[error("the stream header of blob {blob} is damaged")]
    Header {
        blob: BlobKey,
        #[source]
        source: CryptoError,
    },
    /// The stream header is intact but names another object or tenant.
    #[error("the stream header of blob {blob} belongs to another object")]
    Misplaced { blob: BlobKey },
    /// A segment's bytes are not all there (the blob was cut short).
    #[error("segment {index} of blob {blob} is cut short")]
    Truncated {
        blob: BlobKey,
        index: u64,
        #[source]
        source: BlobError,
    },
    /// A segment fails authentication: changed, moved, or cut.
    #[error("segment {index} of blob {blob} failed authentication")]
    Segment {
        blob: BlobKey,
        index: u64,
        #[source]
        source: CryptoError,
    },
    /// Opened segments hold fewer bytes than the object's recorded size.
    #[error("blob {blob} holds less content than its recorded size")]
    Short { blob: BlobKey },
}

impl From<ContentError> for ServiceError {
    fn from(e: ContentError) -> Self {
        ServiceError::DataLoss {
            reason: CONTENT_CORRUPT,
            source: Box::new(e),
        }
    }
}

/// A blob read failure: missing or short blobs are damaged content, anything else (the
/// operating system refusing a read) is an internal fault.
fn read_error(blob: &BlobKey, index: u64, e: BlobError) -> ServiceError {
    match e {
        BlobError::NotFound { .. } => ContentError::Missing { blob: blob.clone() }.into(),
        BlobError::OutOfRange { .. } => ContentError::Truncated {
            blob: blob.clone(),
            index,
            source: e,
        }
        .into(),
        other => ServiceError::internal(other),
    }
}

/// An object's content, ready to seal or open segments.
pub(crate) struct Sealed {
    pub cipher: SegmentCipher,
    /// Where segment 0 starts in the blob.
    pub header_len: u64,
    /// The segment size.
    pub segment_size: u64,
}

impl Services {
    /// The data key of `object`, unwrapped under the tenant key version that wraps it.
    pub(crate) async fn data_key(
        &self,
        tenant: TenantId,
        object: &str,
    ) -> Result<DataKey, ServiceError> {
        let record = self.inner.main.object_key_get(tenant, object).await?;
        let key = self
            .inner
            .keys
            .version(
                &self.inner.main,
                tenant,
                KeyClass::Customer,
                record.key_version,
            )
            .await?;
        key.unwrap_data_key(&record.wrapped, object)
            .map_err(ServiceError::internal)
    }

    /// Reads the stream header at the start of `blob`, and prepares its cipher for
    /// `plaintext_size` bytes.
    pub(crate) async fn sealed_content(
        &self,
        tenant: TenantId,
        object: &str,
        blob: &BlobKey,
        plaintext_size: u64,
    ) -> Result<Sealed, ServiceError> {
        let blobs = &self.inner.blobs;
        let len = blobs
            .len(blob)
            .await
            .map_err(ServiceError::internal)?
            .ok_or(ServiceError::NotFound { what: "content" })?;
        let head = blobs
            .read(blob, 0, len.min(MAX_HEADER))
            .await
            .map_err(|e| read_error(blob, 0, e))?;
        let damaged = |source| ContentError::Header {
            blob: blob.clone(),
            source,
        };
        let (header, header_len) = StreamHeader::parse(&head).map_err(damaged)?;
        if header.object_id != object || header.tenant != tenant.to_string() {
            return Err(ContentError::Misplaced { blob: blob.clone() }.into());
        }
        header.validate().map_err(damaged)?;
        let key = self.data_key(tenant, object).await?;
        let cipher =
            SegmentCipher::new(&key, &header, plaintext_size).map_err(ServiceError::internal)?;
        Ok(Sealed {
            cipher,
            header_len: header_len as u64,
            segment_size: u64::from(header.segment_size),
        })
    }

    /// The SHA-256 state after the first `segments` segments of `blob`, rebuilt by
    /// opening them (after a restart, or on another replica).
    pub(crate) async fn rehash_prefix(
        &self,
        blob: &BlobKey,
        sealed: &Sealed,
        segments: u64,
    ) -> Result<Context, ServiceError> {
        let mut context = Context::new(&SHA256);
        for index in 0..segments {
            let plaintext = self.read_segment(blob, sealed, index).await?;
            context.update(&plaintext);
        }
        Ok(context)
    }

    /// Opens segment `index` of `blob`.
    pub(crate) async fn read_segment(
        &self,
        blob: &BlobKey,
        sealed: &Sealed,
        index: u64,
    ) -> Result<Vec<u8>, ServiceError> {
        let offset = sealed.header_len + sealed.cipher.sealed_offset(index);
        let bytes = self
            .inner
            .blobs
            .read(blob, offset, sealed.cipher.sealed_segment_len(index))
            .await
            .map_err(|e| read_error(blob, index, e))?;
        let opened = sealed.cipher.open(index, &bytes).map_err(|source| {
            ServiceError::from(ContentError::Segment {
                blob: blob.clone(),
                index,
                source,
            })
        })?;
        Ok(opened)
    }
}

/// Plaintext handed out per chunk: a few segments, far below the message limit.
const CHUNK: u64 = 256 * 1024;

/// Streams a plaintext range of sealed content, one segment opened at a time, so memory
/// stays at one segment whatever the object's size.
pub(crate) struct ContentReader {
    services: Services,
    blob: BlobKey,
    sealed: Sealed,
    end: u64,
    next: u64,
}

impl ContentReader {
    /// Reads `offset..offset + length` of the plaintext.
    pub(crate) fn new(
        services: Services,
        blob: BlobKey,
        sealed: Sealed,
        offset: u64,
        length: u64,
    ) -> Self {
        ContentReader {
            services,
            blob,
            sealed,
            end: offset + length,
            next: offset,
        }
    }

    /// The next chunk, `None` at the end of the range.
    pub(crate) async fn next_chunk(
        &mut self,
    ) -> Result<Option<super::DownloadChunk>, ServiceError> {
        if self.next >= self.end {
            return Ok(None);
        }
        let want = (self.end - self.next).min(CHUNK);
        let mut data = Vec::with_capacity(want as usize);
        for index in self.sealed.cipher.segments_for_range(self.next, want) {
            let plaintext = self
                .services
                .read_segment(&self.blob, &self.sealed, index)
                .await?;
            let segment_start = index * self.sealed.segment_size;
            let from = self.next.max(segment_start) - segment_start;
            let to = (self.next + want).min(segment_start + plaintext.len() as u64) - segment_start;
            if from > to || to as usize > plaintext.len() {
                return Err(ContentError::Short {
                    blob: self.blob.clone(),
                }
                .into());
            }
            data.extend_from_slice(&plaintext[from as usize..to as usize]);
        }
        if data.is_empty() {
            return Ok(None);
        }
        let chunk = super::DownloadChunk {
            offset: self.next,
            data: bytes::Bytes::from(data),
        };
        self.next += chunk.data.len() as u64;
        Ok(Some(chunk))
    }
}
