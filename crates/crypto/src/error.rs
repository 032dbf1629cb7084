//! The one error type of this crate.

use std::path::PathBuf;

/// Everything that can go wrong in this crate.
///
/// Messages name the cause and the context (a path, a version) but never contain key
/// material, key encodings or plaintext, so they are safe to log.
#[derive(thiserror::Error, Debug)]
pub enum CryptoError {
    /// Raw key bytes of the wrong length were supplied.
    #[error("key must be {expected} bytes, got {actual}")]
    KeyLength {
        /// The required length in bytes.
        expected: usize,
        /// The length supplied.
        actual: usize,
    },

    /// A key encoding (base64) could not be decoded. The decoder's own error is dropped
    /// on purpose: it quotes the offending byte, which is part of the key.
    #[error("key is not valid base64")]
    KeyEncoding,

    /// The operating system's random number generator failed.
    #[error("system random number generator failed")]
    Random,

    /// `ring` refused to set up a cipher key.
    #[error("cipher key could not be set up")]
    KeySetup,

    /// A public key file is not a PEM Ed25519 `PUBLIC KEY`.
    #[error("not a PEM Ed25519 public key (-----BEGIN PUBLIC KEY-----)")]
    PublicKey,

    /// HKDF could not derive a subkey.
    #[error("subkey derivation failed")]
    KeyDerivation,

    /// Encryption failed.
    #[error("encryption failed")]
    Seal,

    /// Authentication failed: wrong key, tampered data, or data moved to another tenant,
    /// class, version, record or field. Deliberately not more precise than that.
    #[error("authentication failed: wrong key, tampered data, or data moved from its context")]
    Open,

    /// The format version byte is one this build does not understand.
    #[error("unsupported format version {version}")]
    UnsupportedVersion {
        /// The version byte found.
        version: u8,
    },

    /// A sealed field was sealed under another tenant-key version than the cipher's.
    #[error("sealed under key version {found}, cipher has key version {expected}")]
    KeyVersionMismatch {
        /// The cipher's key version.
        expected: u32,
        /// The key version in the sealed value's header.
        found: u32,
    },

    /// A segment index at or past the end of a segmented stream.
    #[error("segment {index} is out of range: the stream has {count} segments")]
    SegmentIndex {
        /// The index asked for.
        index: u64,
        /// The number of segments in the stream.
        count: u64,
    },

    /// Plaintext handed to a segment seal is not the length of that segment.
    #[error("segment {index} holds {expected} plaintext bytes, got {actual}")]
    SegmentLength {
        /// The segment index.
        index: u64,
        /// The segment's plaintext length: the segment size, or the remainder for the last.
        expected: u64,
        /// The length supplied.
        actual: u64,
    },

    /// Content too large for a segmented stream: the segment counter has 32 bits.
    #[error("{size} bytes need more than {max_segments} segments of {segment_size} bytes")]
    StreamTooLarge {
        /// The plaintext size asked for.
        size: u64,
        /// The stream's segment size.
        segment_size: u32,
        /// The most segments a stream can have.
        max_segments: u64,
    },

    /// Input too short or otherwise not in the expected layout.
    #[error("malformed {what}")]
    Malformed {
        /// What was malformed.
        what: &'static str,
    },

    /// The key file could not be read or created.
    #[error("cannot read or create key file {}", path.display())]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },

    /// The key file exists but does not hold the base64 of 32 bytes.
    #[error("key file {} does not hold a valid key", path.display())]
    KeyFileContent {
        /// The key file.
        path: PathBuf,
        /// Why the content was rejected ([`CryptoError::KeyEncoding`] or
        /// [`CryptoError::KeyLength`]).
        source: Box<CryptoError>,
    },
}
