//! Why a blob operation failed; every variant names the blob (or directory) concerned.

use std::path::PathBuf;

use super::BlobKey;

/// A failed blob-store call.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// An object id given to a [`BlobKey`] constructor is not a canonical UUID.
    ///
    /// The rejected text is not repeated: it came from a request and may be hostile.
    #[error("{what} must be a lowercase hyphenated UUID")]
    InvalidKey {
        /// Which id, e.g. `upload id`.
        what: &'static str,
    },
    /// The blob directory could not be created.
    #[error("could not open the blob directory {}", dir.display())]
    Open {
        /// The configured directory.
        dir: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The blob does not exist.
    #[error("blob {key} does not exist")]
    NotFound {
        /// The blob.
        key: BlobKey,
    },
    /// Writing or cutting at `offset` would leave a hole: the blob holds only `len` bytes.
    #[error("blob {key} holds {len} bytes, so nothing can be written or cut at offset {offset}")]
    Gap {
        /// The blob.
        key: BlobKey,
        /// The requested offset.
        offset: u64,
        /// The blob's length.
        len: u64,
    },
    /// A read reaches past the end of the blob.
    #[error("blob {key} holds {size} bytes, so {len} bytes at offset {offset} cannot be read")]
    OutOfRange {
        /// The blob.
        key: BlobKey,
        /// Where the read starts.
        offset: u64,
        /// How many bytes were asked for.
        len: u64,
        /// The blob's length.
        size: u64,
    },
    /// The promotion target already exists.
    #[error("blob {key} already exists")]
    Exists {
        /// The existing blob.
        key: BlobKey,
    },
    /// The store cannot be reached (its directory is gone, unmounted or not a
    /// directory).
    #[error("the blob store does not answer")]
    Unavailable {
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The operating system refused an operation.
    #[error("could not {action} blob {key}")]
    Io {
        /// What was being done, e.g. `sync`.
        action: &'static str,
        /// The blob.
        key: BlobKey,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}
