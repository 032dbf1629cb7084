//! Storage: the customer-data store and the contact store, on SQLite or PostgreSQL.
//!
//! Invariants:
//! - the two stores are separate types, pools, databases (SQLite) or schemas owned by
//!   separate roles (PostgreSQL), and migration trees; no query joins them;
//! - every query is scoped by tenant; content reads take a policy grant
//!   (`&impl Grant<CustomerData>` / `&impl Grant<ContactData>`) and read tenant and case
//!   from it, never from the request; metadata reads take a `MetadataAccess`;
//! - content is stored sealed; this crate never sees a key or plaintext content;
//! - statements are written once, in SQL both engines accept, and the conformance suite
//!   (`tests/`) runs every one of them on both;
//! - storage knows SQL, not protobuf.

mod blob;
mod contact_store;
mod db;
mod error;
mod keys;
mod legal_records;
mod main_store;
mod records;
mod rows;
mod session_records;
mod time;
mod transfer_records;

pub use blob::{BlobError, BlobKey, BlobStore, LocalBlobStore};
pub use contact_store::{ContactPatch, ContactStore};
pub use db::{Engine, StoreConfig};
pub use error::StoreError;
pub use keys::TenantKeyStore;
pub use legal_records::{
    CaseObject, CompulsionRecord, DeletionRecord, DeletionState, DueCase, HoldRecord,
    LegalContactRecord, LegalRequestRecord, LegalRequestState, NonDisclosureRecord, NoticeRecord,
    NotificationKind, NotificationRecord, OutboxRecord, TenantSettingsRecord,
};
pub use main_store::{
    newest_first_after, ExportItem, HoldFilter, LogOptions, LogStatsSnapshot, MainStore,
    RequestFilter, SequenceRange,
};
pub use records::{
    CaseFilter, CaseMeta, CaseState, ContactRecord, ContactSealed, CredentialRecord, EntryFilter,
    NewCase, Page, SealedKey, SubjectFilter, SubjectRecord, TenantRecord,
};
pub use session_records::{
    scopes_from_text, scopes_to_text, ConsentScope, EndReason, LiveChanges, ParticipantRecord,
    RecordingKind, RecordingRecord, RecordingSource, RecordingState, SessionRecord, SessionState,
};
pub use transfer_records::{ObjectKeyRecord, UploadRecord, UploadState, WorkspaceRecord};
