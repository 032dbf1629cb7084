//! Where entries go, and the proof that one arrived.

use crate::NewEntry;

/// Proof that an entry is durable in the log.
///
/// ## Why
/// The policy mints an access token only from a receipt, so data cannot be released
/// before its log entry is durable (write-ahead by construction).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The entry's sequence number.
    pub sequence: u64,
}

/// The log could not record an entry; whatever depended on it must not happen.
#[derive(Debug, thiserror::Error)]
#[error("the access log could not record the entry")]
pub struct AuditError {
    /// What went wrong underneath (never shown to clients).
    #[source]
    pub source: Box<dyn std::error::Error + Send + Sync>,
}

/// Something that durably appends entries: the store implements it.
#[async_trait::async_trait]
pub trait AuditSink: Send + Sync {
    /// Appends one entry and returns only once it is durable.
    async fn append(&self, entry: NewEntry) -> Result<Receipt, AuditError>;
}
