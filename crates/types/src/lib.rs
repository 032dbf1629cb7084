//! Vocabulary shared by every supportgate crate: typed ids, parsed values, roles, the clock.
//!
//! Invariants:
//! - no I/O: everything here is pure data and parsing;
//! - a value of a parsed type (`TenantName`, `Email`, `Summary`, ...) has passed validation,
//!   so code that holds one never re-checks it;
//! - the only place that reads the wall clock is [`SystemClock`].

mod clock;
mod ids;
mod purpose;
mod role;
mod text;

pub use clock::{Clock, SystemClock};
pub use ids::{
    CaseId, CompulsionId, ContactId, CredentialId, DeletionId, FileId, HoldId, IdParseError,
    LegalRequestId, NotificationId, OutboxId, RecordingId, RequestId, SessionId, SubjectId,
    TenantId, UploadId, WorkspaceId,
};
pub use purpose::{DataClass, PurposeCode};
pub use role::{Role, RoleParseError};
pub use text::{
    free_text, CaseSummary, Company, Email, FileName, JobTitle, MediaType, PersonName, Phone,
    SubjectName, TenantName, TextError,
};
