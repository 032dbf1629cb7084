//! The use cases: identities, cases, contacts and the access log, as the policy allows them.
//!
//! Invariants:
//! - no tonic, no prost: inputs arrive parsed (`supportgate-types` values), outputs are
//!   plain structs; the edge converts;
//! - every read of content goes through the policy and gets its token only after the
//!   decision is durable in the access log; every change is logged before it is made;
//! - errors use a restricted set of kinds ([`ServiceError`]); the edge maps them to
//!   gRPC statuses in one place;
//! - plaintext content exists only in memory, between a store read and the response.

mod case_reads;
mod cases;
mod contacts;
mod context;
mod credentials;
mod error;
mod gateway_key;
mod identity;
mod keyring;
mod legal;
mod log;
mod recordings;
mod retention;
mod rotation;
mod sealing;
mod sessions;
mod transfers;
mod views;

pub use context::{Caller, Refusal, Services, ServicesConfig};
pub use credentials::{IssuedToken, TOKEN_PREFIX};
pub use error::ServiceError;
pub use gateway_key::{GatewayKey, TrustedKeys};
pub use legal::{
    redirect_message, CompulsionInput, ItemKind, LegalScope, LegalTarget, Production,
    ProductionItem, ProductionManifest, ProductionPart, ProductionSummary, RequestView,
    SubmitInput, SubmitOutcome,
};
pub use log::{LogExport, LogRange};
pub use recordings::{
    ContentRead, ImportInput, ImportWriter, RecordingContent, RecordingDetails, RecordingWriter,
    SESSION_MEDIA_TYPE,
};
pub use retention::{
    RetentionCase, RetentionReport, SettingsPatch, DEFAULT_RETENTION_SECONDS, MAX_RETENTION_SECONDS,
};
pub use rotation::Rotation;
pub use sessions::{JoinGrant, ParticipantKind};
pub use supportgate_store::{
    CaseFilter, CaseMeta, CaseState, EntryFilter, Page, SubjectFilter, SubjectRecord, TenantRecord,
    UploadRecord, UploadState, WorkspaceRecord,
};
pub use transfers::{
    BeginUploadInput, ChunkInput, Download, DownloadChunk, FileView, TransferLimits,
    UploadSessions, UploadWriter,
};
pub use views::{
    CaseListQuery, CaseView, ContactInput, ContactPatchInput, ContactView, NewCaseInput,
};
