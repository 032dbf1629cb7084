//! Content of any size sealed in fixed-size segments with AES-256-GCM: the STREAM
//! construction (Hoang, Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption
//! and its Nonce-Reuse Misuse-Resistance", 2015), as in Tink's streaming AEAD
//! (DESIGN §8, §12).
//!
//! A stored object is a [`StreamHeader`] followed by its sealed segments, under the
//! object's [`DataKey`]. The data key is not in the stream: it is stored wrapped
//! ([`TenantKey::wrap_data_key`](crate::TenantKey::wrap_data_key)) in the database, so
//! destroying that row crypto-shreds the content wherever copies of the blob remain.
//!
//! # Byte layout (format version 1, integers big-endian)
//!
//! ```text
//! header
//!   offset  size  field
//!   0       4     magic "SGST"
//!   4       1     format version = 1
//!   5       4     segment size S (u32): a power of two, 4 KiB ..= 16 MiB; 64 KiB by default
//!   9       7     nonce prefix (random per stream)
//!   16      4     tenant key version (u32) the data key was first wrapped under
//!   20      1     object id length n (1 ..= 255)
//!   21      n     object id, UTF-8
//!   21+n    1     tenant length m (1 ..= 255)
//!   22+n    m     tenant, UTF-8
//! segments, for i in 0 .. count, count = max(1, ceil(size / S))
//!   ciphertext (S bytes; size - (count-1)·S for the last, possibly 0) | GCM tag (16)
//!
//! nonce of segment i = nonce prefix (7) | i (u32) | last (1: 0x01 if i = count-1, else 0x00)
//! AAD of every segment = SHA-256(header bytes)
//! ```
//!
//! Segment `i` starts `header length + i·(S + 16)` bytes into the stream
//! ([`SegmentCipher::sealed_offset`] counts from the end of the header), so any plaintext
//! range can be read and decrypted alone ([`SegmentCipher::segments_for_range`]), one
//! segment of memory at a time.
//!
//! # Invariants
//!
//! - **Position and end are authenticated.** The counter in the nonce pins each segment
//!   to its index, and the last-segment flag marks the end: segments swapped, dropped,
//!   duplicated or appended, and a stream cut at a segment boundary (its new last segment
//!   was sealed without the flag) all fail to open with [`CryptoError::Open`].
//! - **The whole header is authenticated by every segment**, through its SHA-256 in the
//!   AAD: a changed header, or segments moved to another object or tenant, fail every
//!   segment.
//! - **The plaintext size is authenticated by the segments that depend on it**: it
//!   decides the segment count (and so which segment carries the last flag) and the last
//!   segment's length. Opening every segment under a wrong size fails; a ranged read
//!   vouches only for the segments it opened.
//! - **A nonce is never reused under one data key**, provided that each data key seals
//!   one stream (one header, one random prefix) and that **a caller never seals two
//!   different plaintexts under the same index**. Sealing is deterministic: sealing the
//!   same plaintext again at the same index gives the same bytes, which is harmless. A
//!   resumed upload must therefore seal a segment only once its plaintext is complete,
//!   never a partial segment to be extended later, and keep the header and plaintext
//!   size it started with: different content is a new object with a new data key.
//! - At most 2^32 segments per stream (the counter is a u32): 256 TiB at the default
//!   segment size. [`SegmentCipher::new`] refuses larger content.
//!
//! ## Why the AAD is a hash of the header
//!
//! It binds every header byte (object, tenant, key version, segment size, nonce prefix)
//! into every segment at a fixed 32 bytes per segment, and the hash is computed once per
//! [`SegmentCipher`].

use std::fmt;

use ring::aead::{Aad, LessSafeKey, Nonce, NONCE_LEN};
use ring::digest::{digest, Digest, SHA256};

use crate::{CryptoError, DataKey};

mod header;
mod layout;

pub use header::StreamHeader;

/// Default plaintext bytes per segment: 64 KiB.
pub const SEGMENT_SIZE: u32 = 64 * 1024;
/// Smallest segment size a header may carry: 4 KiB.
pub const MIN_SEGMENT_SIZE: u32 = 4 * 1024;
/// Largest segment size a header may carry: 16 MiB.
pub const MAX_SEGMENT_SIZE: u32 = 16 * 1024 * 1024;

/// Bytes of the random nonce prefix in the header.
const NONCE_PREFIX_LEN: usize = 7;
/// Most segments in one stream: the counter is a u32.
const MAX_SEGMENTS: u64 = 1 << 32;
/// Bytes GCM adds to each segment.
const TAG_LEN: u64 = crate::aead::TAG_LEN as u64;

/// Seals and opens the segments of one stream: one [`DataKey`], one [`StreamHeader`],
/// one plaintext size.
///
/// A stream is `header | segment 0 | … | segment count-1`, each segment `ciphertext
/// (segment size; the remainder for the last) | tag (16)`, sealed with AES-256-GCM under
/// the nonce `nonce prefix (7) | index (u32 BE) | last flag (1)` and the AAD
/// `SHA-256(encoded header)`. The full byte layout and the invariants are in the docs of
/// the `segmented` module (`src/segmented.rs`).
///
/// Segments are sealed and opened independently, in any order and from any number of
/// threads (`SegmentCipher` is `Clone`, `Send` and `Sync`). `Debug` shows the geometry,
/// never the key.
#[derive(Clone)]
pub struct SegmentCipher {
    key: LessSafeKey,
    aad: Digest,
    nonce_prefix: [u8; NONCE_PREFIX_LEN],
    segment_size: u32,
    plaintext_size: u64,
    segment_count: u64,
}

impl SegmentCipher {
    /// The cipher for a stream of `plaintext_size` bytes under `key` and `header`.
    ///
    /// Fails with [`CryptoError::Malformed`] for a header that does not pass
    /// [`StreamHeader::validate`], and with [`CryptoError::StreamTooLarge`] when the
    /// content needs more than 2^32 segments.
    pub fn new(
        key: &DataKey,
        header: &StreamHeader,
        plaintext_size: u64,
    ) -> Result<SegmentCipher, CryptoError> {
        header.validate()?;
        let segment_count = plaintext_size
            .div_ceil(u64::from(header.segment_size))
            .max(1);
        if segment_count > MAX_SEGMENTS {
            return Err(CryptoError::StreamTooLarge {
                size: plaintext_size,
                segment_size: header.segment_size,
                max_segments: MAX_SEGMENTS,
            });
        }
        Ok(SegmentCipher {
            key: key.cipher_key()?,
            aad: digest(&SHA256, &header.encode()),
            nonce_prefix: header.nonce_prefix,
            segment_size: header.segment_size,
            plaintext_size,
            segment_count,
        })
    }

    /// Number of segments: `max(1, ceil(plaintext size / segment size))`. Empty content
    /// is one empty last segment, so even it is authenticated.
    pub fn segment_count(&self) -> u64 {
        self.segment_count
    }

    /// The plaintext size this cipher was built for.
    pub fn plaintext_size(&self) -> u64 {
        self.plaintext_size
    }

    /// Plaintext bytes per segment (the last may hold fewer).
    pub fn segment_size(&self) -> u32 {
        self.segment_size
    }

    /// Seals segment `index`, whose `plaintext` must be exactly
    /// [`SegmentCipher::segment_plaintext_len`] bytes long (the segment size, or the
    /// remainder for the last segment), returning `ciphertext | tag`.
    ///
    /// **Never seal two different plaintexts under the same index**: the nonce depends
    /// on the index only, so that would reuse it (see the invariants of the `segmented`
    /// module).
    ///
    /// Fails with [`CryptoError::SegmentIndex`] past the last segment and
    /// [`CryptoError::SegmentLength`] for plaintext of the wrong length.
    pub fn seal(&self, index: u64, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = self.nonce(index)?;
        let expected = self.segment_plaintext_len(index);
        if plaintext.len() as u64 != expected {
            return Err(CryptoError::SegmentLength {
                index,
                expected,
                actual: plaintext.len() as u64,
            });
        }
        let mut out = Vec::with_capacity(plaintext.len() + crate::aead::TAG_LEN);
        out.extend_from_slice(plaintext);
        let tag = self
            .key
            .seal_in_place_separate_tag(nonce, Aad::from(self.aad.as_ref()), &mut out)
            .map_err(|_| CryptoError::Seal)?;
        out.extend_from_slice(tag.as_ref());
        Ok(out)
    }

    /// Opens segment `index` (`ciphertext | tag`, as [`SegmentCipher::seal`] made it).
    ///
    /// Fails with [`CryptoError::Open`] when the segment was changed, was sealed at
    /// another index, with another last-segment flag, under another key or header; with
    /// [`CryptoError::Malformed`] when it is not
    /// [`SegmentCipher::sealed_segment_len`] bytes long; with
    /// [`CryptoError::SegmentIndex`] past the last segment.
    pub fn open(&self, index: u64, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let nonce = self.nonce(index)?;
        if sealed.len() as u64 != self.sealed_segment_len(index) {
            return Err(CryptoError::Malformed {
                what: "sealed segment (length)",
            });
        }
        let mut buf = sealed.to_vec();
        let len = self
            .key
            .open_in_place(nonce, Aad::from(self.aad.as_ref()), &mut buf)
            .map_err(|_| CryptoError::Open)?
            .len();
        buf.truncate(len);
        Ok(buf)
    }

    /// `nonce prefix (7) | index (u32 BE) | last flag (1)` for a segment in range.
    fn nonce(&self, index: u64) -> Result<Nonce, CryptoError> {
        let out_of_range = CryptoError::SegmentIndex {
            index,
            count: self.segment_count,
        };
        if index >= self.segment_count {
            return Err(out_of_range);
        }
        // Cannot fail: index < segment_count <= 2^32.
        let counter = u32::try_from(index).map_err(|_| out_of_range)?;
        let mut nonce = [0u8; NONCE_LEN];
        let (prefix, rest) = nonce.split_at_mut(NONCE_PREFIX_LEN);
        prefix.copy_from_slice(&self.nonce_prefix);
        let (counter_bytes, last) = rest.split_at_mut(4);
        counter_bytes.copy_from_slice(&counter.to_be_bytes());
        last.fill(u8::from(index + 1 == self.segment_count));
        Ok(Nonce::assume_unique_for_key(nonce))
    }
}

impl fmt::Debug for SegmentCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SegmentCipher")
            .field("segment_size", &self.segment_size)
            .field("plaintext_size", &self.plaintext_size)
            .field("segment_count", &self.segment_count)
            .field("key", &format_args!("<redacted>"))
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests;
