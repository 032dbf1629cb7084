//! Blob storage for sealed upload content: a trait and its local-directory backend.
//!
//! Invariants:
//! - a blob store only ever receives ciphertext; it never sees a key or plaintext;
//! - object names are built only by [`BlobKey`] constructors from typed ids, so no
//!   request string ever becomes a path;
//! - every mutating call returns only once its effect is durable (file and directory
//!   fsync), so a "committed up to N" answer survives a gateway crash;
//! - an upload becomes a file only by [`BlobStore::promote`], an atomic rename: a crash
//!   leaves one name or the other, never a half file under the final name.

mod error;
mod fsops;
mod key;
mod local;

#[cfg(test)]
mod tests;

pub use error::BlobError;
pub use key::BlobKey;
pub use local::LocalBlobStore;

/// Where sealed content lives: a local directory now, S3-compatible storage at scale.
///
/// Writes to one key must be serialised by the caller (one upload stream owns its
/// key); the store does not lock. A call whose future is dropped may still complete.
#[async_trait::async_trait]
pub trait BlobStore: Send + Sync + std::fmt::Debug {
    /// Writes `bytes` at `offset`, first cutting the blob to `offset`, and returns once
    /// they are durable. Creates the blob when absent.
    ///
    /// `Gap` when `offset` is past the blob's current length (absent counts as 0).
    ///
    /// ## Why cut first
    /// Bytes past `offset` were never committed: a resumed upload overwrites them, and
    /// nothing stale may survive past the new end.
    async fn write_at(&self, key: &BlobKey, offset: u64, bytes: &[u8]) -> Result<(), BlobError>;

    /// Checks that the store can be reached (readiness): `Unavailable` when not.
    async fn ping(&self) -> Result<(), BlobError>;

    /// The blob's length, `None` when it does not exist.
    async fn len(&self, key: &BlobKey) -> Result<Option<u64>, BlobError>;

    /// Exactly the `len` bytes at `offset`; allocates only that range, whatever the
    /// blob's size. `OutOfRange` when the range ends past the blob, `NotFound` when absent.
    async fn read(&self, key: &BlobKey, offset: u64, len: u64) -> Result<bytes::Bytes, BlobError>;

    /// Cuts the blob to `len` bytes, durably (on resume: drops bytes written after the
    /// last committed offset). `Gap` when the blob is shorter than `len` (it never
    /// grows), `NotFound` when absent.
    async fn truncate(&self, key: &BlobKey, len: u64) -> Result<(), BlobError>;

    /// Renames `from` to `to` atomically and durably. `Exists` when both exist,
    /// `NotFound` when neither does.
    ///
    /// ## Why a retry succeeds
    /// When `from` is gone and `to` exists, an earlier call got as far as the rename;
    /// this call makes it durable and returns `Ok`, so a gateway that crashed mid-promote
    /// simply promotes again on restart.
    async fn promote(&self, from: &BlobKey, to: &BlobKey) -> Result<(), BlobError>;

    /// Removes the blob, durably; an absent blob is fine (idempotent).
    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError>;
}
