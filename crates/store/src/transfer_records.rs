//! What the transfer tables hold, as plain values (no SQL, no wire types).

use chrono::{DateTime, Utc};
use supportgate_types::{CaseId, FileId, SubjectId, TenantId, UploadId, WorkspaceId};

/// A transfer workspace on a case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WorkspaceRecord {
    /// Its id.
    pub id: WorkspaceId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its case.
    pub case: CaseId,
    /// The engineer who opened it.
    pub opened_by: SubjectId,
    /// When.
    pub opened_at: DateTime<Utc>,
    /// Bytes its files and uploads in progress may take.
    pub quota_bytes: u64,
    /// Bytes taken: available files plus the declared sizes of uploads in progress.
    pub used_bytes: u64,
}

/// Where an upload is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UploadState {
    /// Accepting chunks.
    InProgress,
    /// Verified: listed and downloadable.
    Available,
    /// Size or SHA-256 did not match; content destroyed.
    Failed,
    /// Abandoned or expired; content destroyed.
    Aborted,
    /// Purged by retention: metadata only, its data key destroyed.
    Purged,
}

impl UploadState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::InProgress => "in_progress",
            UploadState::Available => "available",
            UploadState::Failed => "failed",
            UploadState::Aborted => "aborted",
            UploadState::Purged => "purged",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<UploadState> {
        [
            UploadState::InProgress,
            UploadState::Available,
            UploadState::Failed,
            UploadState::Aborted,
            UploadState::Purged,
        ]
        .into_iter()
        .find(|state| state.as_str() == s)
    }
}

/// An upload and the file it becomes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadRecord {
    /// The upload's id.
    pub id: UploadId,
    /// The file's id.
    pub file: FileId,
    /// Its workspace.
    pub workspace: WorkspaceId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its case.
    pub case: CaseId,
    /// The customer uploading it.
    pub uploader: SubjectId,
    /// The file name, sealed (customer data).
    pub name_sealed: Vec<u8>,
    /// The media type, sealed (customer data).
    pub media_type_sealed: Vec<u8>,
    /// Declared size.
    pub size: u64,
    /// Declared SHA-256.
    pub sha256: Vec<u8>,
    /// Where it is in its life.
    pub state: UploadState,
    /// Plaintext bytes durably stored from the start.
    pub committed_offset: u64,
    /// When it was begun.
    pub created_at: DateTime<Utc>,
    /// When an unfinished upload stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// When it became available.
    pub completed_at: Option<DateTime<Utc>>,
    /// Why it failed.
    pub failure_reason: Option<String>,
}

/// A stored object's data key, wrapped under a tenant key version.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectKeyRecord {
    /// The object (a file id).
    pub object_id: String,
    /// Its tenant.
    pub tenant: TenantId,
    /// The tenant key version that wraps it.
    pub key_version: u32,
    /// The wrapped data key.
    pub wrapped: Vec<u8>,
}
