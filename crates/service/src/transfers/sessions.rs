//! What this process remembers between the streams of one upload: the SHA-256 of the
//! committed prefix (so resuming does not re-read it) and how many streams each tenant
//! has open (the concurrency limit).
//!
//! ## Why only a cache
//! After a restart, or on another replica, the state is rebuilt from the stored
//! ciphertext; nothing here is needed for correctness, only for speed.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ring::digest::Context;
use supportgate_types::{TenantId, UploadId};

/// The SHA-256 state of an upload's committed prefix.
#[derive(Clone)]
pub(crate) struct PrefixHash {
    /// Plaintext bytes hashed so far (the committed offset it belongs to).
    pub offset: u64,
    /// The running hash.
    pub context: Context,
}

/// Shared by every clone of `Services`.
#[derive(Default)]
pub struct UploadSessions {
    prefixes: Mutex<HashMap<UploadId, PrefixHash>>,
    streams: Mutex<HashMap<TenantId, usize>>,
    /// Uploads with a stream open right now: a second stream of the same upload is refused.
    active: Mutex<std::collections::HashSet<UploadId>>,
}

impl std::fmt::Debug for UploadSessions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UploadSessions").finish_non_exhaustive()
    }
}

/// Held while a stream is open; releases its slot when dropped, however the stream ends.
pub(crate) struct StreamSlot {
    sessions: Arc<UploadSessions>,
    tenant: TenantId,
    upload: UploadId,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        if let Ok(mut streams) = self.sessions.streams.lock() {
            if let Some(count) = streams.get_mut(&self.tenant) {
                *count = count.saturating_sub(1);
            }
        }
        if let Ok(mut active) = self.sessions.active.lock() {
            active.remove(&self.upload);
        }
    }
}

/// Why a stream could not start.
pub(crate) enum SlotRefusal {
    /// The tenant has `limit` streams open.
    TenantBusy { limit: usize },
    /// This upload already has a stream open.
    UploadBusy,
}

impl UploadSessions {
    /// Takes a stream slot for `upload` of `tenant`.
    pub(crate) fn open(
        self: &Arc<Self>,
        tenant: TenantId,
        upload: UploadId,
        limit: usize,
    ) -> Result<StreamSlot, SlotRefusal> {
        let mut active = self.active.lock().map_err(|_| SlotRefusal::UploadBusy)?;
        let mut streams = self
            .streams
            .lock()
            .map_err(|_| SlotRefusal::TenantBusy { limit })?;
        if active.contains(&upload) {
            return Err(SlotRefusal::UploadBusy);
        }
        let count = streams.entry(tenant).or_default();
        if *count >= limit {
            return Err(SlotRefusal::TenantBusy { limit });
        }
        *count += 1;
        active.insert(upload);
        Ok(StreamSlot {
            sessions: self.clone(),
            tenant,
            upload,
        })
    }

    /// The remembered prefix hash of `upload`, if it is at `offset`.
    pub(crate) fn prefix(&self, upload: UploadId, offset: u64) -> Option<Context> {
        let prefixes = self.prefixes.lock().ok()?;
        prefixes
            .get(&upload)
            .filter(|p| p.offset == offset)
            .map(|p| p.context.clone())
    }

    /// Remembers the prefix hash of `upload`.
    pub(crate) fn remember(&self, upload: UploadId, prefix: PrefixHash) {
        if let Ok(mut prefixes) = self.prefixes.lock() {
            prefixes.insert(upload, prefix);
        }
    }

    /// Forgets `upload` (finished, failed or aborted).
    pub(crate) fn forget(&self, upload: UploadId) {
        if let Ok(mut prefixes) = self.prefixes.lock() {
            prefixes.remove(&upload);
        }
    }
}
