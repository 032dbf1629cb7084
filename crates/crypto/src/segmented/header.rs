//! `StreamHeader`: the versioned header in front of a segmented stream, and its strict
//! parser. The byte layout is in the [`segmented`](super) module docs.

use ring::rand::{SecureRandom, SystemRandom};

use super::{MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, NONCE_PREFIX_LEN, SEGMENT_SIZE};
use crate::CryptoError;

/// The first four bytes of every stream ("SupportGate STream").
const MAGIC: [u8; 4] = *b"SGST";
/// Format version of the header and the segment layout after it.
const FORMAT_VERSION: u8 = 1;
/// Bytes of the fixed part: magic, version, segment size, nonce prefix, key version, and
/// the two length bytes of the ids.
const FIXED_LEN: usize = 4 + 1 + 4 + NONCE_PREFIX_LEN + 4 + 1 + 1;

/// The header of a segmented stream. It holds no key material: the data key is stored
/// wrapped, apart from the stream (see [`DataKey`](crate::DataKey)).
///
/// Every byte of the encoded header is authenticated by every segment (their AAD is its
/// SHA-256), so a header that was changed, or that belongs to another object, fails to
/// open any segment.
///
/// The fields are public for reading; a header built or changed by hand is checked by
/// [`StreamHeader::validate`], which [`SegmentCipher::new`](crate::SegmentCipher::new)
/// calls.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamHeader {
    /// Plaintext bytes per segment (the last may hold fewer): a power of two from
    /// [`MIN_SEGMENT_SIZE`] to [`MAX_SEGMENT_SIZE`].
    pub segment_size: u32,
    /// The random first seven bytes of every segment nonce. Not secret.
    pub nonce_prefix: [u8; NONCE_PREFIX_LEN],
    /// The tenant key version the data key was wrapped under when the stream was sealed.
    /// Informational once the data key is re-wrapped: the version that opens the wrapped
    /// key is the one in the wrapped bytes
    /// ([`TenantKey::key_version_of_wrapped`](crate::TenantKey::key_version_of_wrapped)).
    pub key_version: u32,
    /// The object the stream holds, 1 to 255 bytes of UTF-8.
    pub object_id: String,
    /// The tenant owning the object, 1 to 255 bytes of UTF-8.
    pub tenant: String,
}

impl StreamHeader {
    /// The longest object id or tenant, in bytes (its length is one byte).
    pub const MAX_ID_LEN: usize = 255;

    /// A header for a new stream: a fresh random nonce prefix and [`SEGMENT_SIZE`].
    ///
    /// Fails with [`CryptoError::Malformed`] for an empty id or one longer than
    /// [`StreamHeader::MAX_ID_LEN`] bytes.
    pub fn new(object_id: &str, tenant: &str, key_version: u32) -> Result<Self, CryptoError> {
        let mut nonce_prefix = [0u8; NONCE_PREFIX_LEN];
        SystemRandom::new()
            .fill(&mut nonce_prefix)
            .map_err(|_| CryptoError::Random)?;
        let header = StreamHeader {
            segment_size: SEGMENT_SIZE,
            nonce_prefix,
            key_version,
            object_id: object_id.to_owned(),
            tenant: tenant.to_owned(),
        };
        header.validate()?;
        Ok(header)
    }

    /// The same header with another segment size (a power of two from
    /// [`MIN_SEGMENT_SIZE`] to [`MAX_SEGMENT_SIZE`]), for tests and tuning.
    pub fn with_segment_size(self, segment_size: u32) -> Result<Self, CryptoError> {
        let header = StreamHeader {
            segment_size,
            ..self
        };
        header.validate()?;
        Ok(header)
    }

    /// Checks what [`StreamHeader::parse`] checks, for a header built or changed by hand:
    /// the segment size and both ids. [`CryptoError::Malformed`] names what is wrong.
    pub fn validate(&self) -> Result<(), CryptoError> {
        check_segment_size(self.segment_size)?;
        check_id_len(self.object_id.len(), &OBJECT_ID)?;
        check_id_len(self.tenant.len(), &TENANT)
    }

    /// Length of [`StreamHeader::encode`]'s output, and the offset of the first segment.
    pub fn encoded_len(&self) -> usize {
        FIXED_LEN + self.object_id.len() + self.tenant.len()
    }

    /// The header's bytes, to write in front of the segments.
    ///
    /// Canonical: [`StreamHeader::parse`] of the output gives back this header, and
    /// encoding a parsed header gives back the bytes parsed. Meant for a header that
    /// passes [`StreamHeader::validate`]: an oversized id is written with a length byte of
    /// 255 and does not round-trip, but [`SegmentCipher::new`](crate::SegmentCipher::new)
    /// refuses such a header, so no segment is ever sealed under it.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(&MAGIC);
        out.push(FORMAT_VERSION);
        out.extend_from_slice(&self.segment_size.to_be_bytes());
        out.extend_from_slice(&self.nonce_prefix);
        out.extend_from_slice(&self.key_version.to_be_bytes());
        for id in [&self.object_id, &self.tenant] {
            out.push(u8::try_from(id.len()).unwrap_or(u8::MAX));
            out.extend_from_slice(id.as_bytes());
        }
        out
    }

    /// Parses the header at the start of `bytes`, returning it and its length (the
    /// offset of the first segment). Bytes after the header are not looked at.
    ///
    /// Strict: the magic, then the version ([`CryptoError::UnsupportedVersion`]), then
    /// every field in order; a wrong magic, a segment size that is not a power of two
    /// from [`MIN_SEGMENT_SIZE`] to [`MAX_SEGMENT_SIZE`], an empty or non-UTF-8 id, or
    /// input that ends early is [`CryptoError::Malformed`] naming the field.
    pub fn parse(bytes: &[u8]) -> Result<(StreamHeader, usize), CryptoError> {
        let mut reader = Reader { bytes };
        let magic: [u8; 4] = reader.array("stream header (truncated magic)")?;
        if magic != MAGIC {
            return Err(CryptoError::Malformed {
                what: "stream header (magic)",
            });
        }
        let [version] = reader.array("stream header (truncated version)")?;
        if version != FORMAT_VERSION {
            return Err(CryptoError::UnsupportedVersion { version });
        }
        let segment_size =
            u32::from_be_bytes(reader.array("stream header (truncated segment size)")?);
        check_segment_size(segment_size)?;
        let nonce_prefix = reader.array("stream header (truncated nonce prefix)")?;
        let key_version =
            u32::from_be_bytes(reader.array("stream header (truncated key version)")?);
        let object_id = reader.id(&OBJECT_ID)?;
        let tenant = reader.id(&TENANT)?;
        let header = StreamHeader {
            segment_size,
            nonce_prefix,
            key_version,
            object_id,
            tenant,
        };
        let len = header.encoded_len();
        Ok((header, len))
    }
}

/// The `what`s of one id field, all static so errors stay allocation-free.
struct IdField {
    truncated_len: &'static str,
    empty: &'static str,
    too_long: &'static str,
    truncated: &'static str,
    not_utf8: &'static str,
}

const OBJECT_ID: IdField = IdField {
    truncated_len: "stream header (truncated object id length)",
    empty: "stream header (empty object id)",
    too_long: "stream header (object id longer than 255 bytes)",
    truncated: "stream header (truncated object id)",
    not_utf8: "stream header (object id is not UTF-8)",
};

const TENANT: IdField = IdField {
    truncated_len: "stream header (truncated tenant length)",
    empty: "stream header (empty tenant)",
    too_long: "stream header (tenant longer than 255 bytes)",
    truncated: "stream header (truncated tenant)",
    not_utf8: "stream header (tenant is not UTF-8)",
};

fn check_segment_size(size: u32) -> Result<(), CryptoError> {
    if size.is_power_of_two() && (MIN_SEGMENT_SIZE..=MAX_SEGMENT_SIZE).contains(&size) {
        Ok(())
    } else {
        Err(CryptoError::Malformed {
            what: "stream header (segment size is not a power of two from 4 KiB to 16 MiB)",
        })
    }
}

fn check_id_len(len: usize, field: &IdField) -> Result<(), CryptoError> {
    match len {
        0 => Err(CryptoError::Malformed { what: field.empty }),
        1..=StreamHeader::MAX_ID_LEN => Ok(()),
        _ => Err(CryptoError::Malformed {
            what: field.too_long,
        }),
    }
}

/// Takes bytes off the front of the input, failing with the caller's `what` when it
/// ends early.
struct Reader<'a> {
    bytes: &'a [u8],
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, what: &'static str) -> Result<&'a [u8], CryptoError> {
        if self.bytes.len() < len {
            return Err(CryptoError::Malformed { what });
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Ok(head)
    }

    fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], CryptoError> {
        self.take(N, what)?
            .try_into()
            .map_err(|_| CryptoError::Malformed { what })
    }

    /// A length byte, then that many bytes of UTF-8.
    fn id(&mut self, field: &IdField) -> Result<String, CryptoError> {
        let [len] = self.array(field.truncated_len)?;
        check_id_len(usize::from(len), field)?;
        let bytes = self.take(usize::from(len), field.truncated)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| CryptoError::Malformed {
            what: field.not_utf8,
        })
    }
}

#[cfg(test)]
mod tests;
