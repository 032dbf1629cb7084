//! The configurable limits of transfers; exceeding one is a precise error naming it.

use std::time::Duration;

/// Limits on what a tenant may upload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TransferLimits {
    /// The largest file a customer may declare.
    pub max_file_size: u64,
    /// Bytes a workspace's files and uploads in progress may take together.
    pub workspace_quota: u64,
    /// The largest `data` of one chunk.
    pub max_chunk_size: u32,
    /// Upload streams one tenant may have open at once (on this gateway).
    pub max_concurrent_uploads_per_tenant: usize,
    /// How long an unfinished upload stays resumable.
    pub upload_ttl: Duration,
}

impl Default for TransferLimits {
    fn default() -> Self {
        TransferLimits {
            max_file_size: 16 * 1024 * 1024 * 1024,
            workspace_quota: 64 * 1024 * 1024 * 1024,
            max_chunk_size: 1024 * 1024,
            max_concurrent_uploads_per_tenant: 16,
            upload_ttl: Duration::from_secs(7 * 24 * 3600),
        }
    }
}
