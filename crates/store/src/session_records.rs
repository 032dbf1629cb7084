//! What the session and recording tables hold, as plain values.

use chrono::{DateTime, Utc};
use supportgate_types::{CaseId, RecordingId, SessionId, SubjectId, TenantId};

macro_rules! stored_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored name.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses a stored name.
            pub fn parse(s: &str) -> Option<$name> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s)
            }
        }
    };
}
pub(crate) use stored_enum;

stored_enum!(
    /// What a customer can let an engineer do.
    ConsentScope {
        /// See output and chat.
        View = "view",
        /// Send input (implies view).
        Control = "control",
        /// Open a transfer workspace during the session.
        FileTransfer = "file_transfer",
    }
);

stored_enum!(
    /// Where a session is in its life.
    SessionState {
        /// Waiting for the customer.
        PendingConsent = "pending_consent",
        /// Consented; waiting for both ends.
        Ready = "ready",
        /// Agent and engineer paired.
        Active = "active",
        /// Over.
        Ended = "ended",
        /// The customer declined.
        Declined = "declined",
    }
);

stored_enum!(
    /// Why a session ended.
    EndReason {
        /// The engineer ended it.
        EngineerEnded = "engineer_ended",
        /// The agent ended it.
        AgentEnded = "agent_ended",
        /// The customer revoked consent.
        ConsentRevoked = "consent_revoked",
        /// The consent expired.
        ConsentExpired = "consent_expired",
        /// The recording could not be written (fail-closed).
        RecordingFailed = "recording_failed",
        /// The case was closed.
        CaseClosed = "case_closed",
        /// The gateway shut down.
        Shutdown = "shutdown",
        /// A participant's credential was revoked.
        CredentialRevoked = "credential_revoked",
        /// A participant went away or stopped reading.
        Disconnected = "disconnected",
    }
);

stored_enum!(
    /// What a recording holds.
    RecordingKind {
        /// A session's terminal stream.
        Terminal = "terminal",
        /// A screen recording.
        Screen = "screen",
        /// A phone call.
        Phone = "phone",
        /// A chat transcript.
        Chat = "chat",
    }
);

stored_enum!(
    /// Where a recording came from.
    RecordingSource {
        /// Written by the gateway during a session.
        Session = "session",
        /// Imported.
        Imported = "imported",
    }
);

stored_enum!(
    /// Where a recording is in its life.
    RecordingState {
        /// Being written (live session or import in progress).
        Recording = "recording",
        /// Complete and readable.
        Available = "available",
        /// Ended early (fail-closed or a crash): readable up to its last durable byte.
        Truncated = "truncated",
        /// Purged: metadata only.
        Purged = "purged",
    }
);

/// Scopes as stored: comma-separated names.
pub fn scopes_to_text(scopes: &[ConsentScope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Scopes from their stored text; unknown names are corruption.
pub fn scopes_from_text(text: &str) -> Option<Vec<ConsentScope>> {
    if text.is_empty() {
        return Some(Vec::new());
    }
    text.split(',').map(ConsentScope::parse).collect()
}

/// A session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Its id.
    pub id: SessionId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its case.
    pub case: CaseId,
    /// The engineer who asked.
    pub requested_by: SubjectId,
    /// What was asked for.
    pub requested_scopes: Vec<ConsentScope>,
    /// Where it is.
    pub state: SessionState,
    /// What the customer granted.
    pub consent_scopes: Vec<ConsentScope>,
    /// Who granted it.
    pub consent_granted_by: Option<SubjectId>,
    /// When.
    pub consent_granted_at: Option<DateTime<Utc>>,
    /// Until when.
    pub consent_expires_at: Option<DateTime<Utc>>,
    /// Whether the customer acknowledged the recording.
    pub recording_acknowledged: bool,
    /// When consent was revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Who revoked it.
    pub revoked_by: Option<SubjectId>,
    /// When it was requested.
    pub requested_at: DateTime<Utc>,
    /// When both ends were first paired.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Why.
    pub end_reason: Option<EndReason>,
    /// Its recording.
    pub recording: Option<RecordingId>,
}

/// A recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordingRecord {
    /// Its id.
    pub id: RecordingId,
    /// Its tenant.
    pub tenant: TenantId,
    /// Its case.
    pub case: CaseId,
    /// The session it records, if any.
    pub session: Option<SessionId>,
    /// What it holds.
    pub kind: RecordingKind,
    /// Where it came from.
    pub source: RecordingSource,
    /// Where it is.
    pub state: RecordingState,
    /// Media type of the stored form.
    pub media_type: String,
    /// Title of an import, sealed (customer data).
    pub title_sealed: Option<Vec<u8>>,
    /// Description of an import, sealed (customer data).
    pub description_sealed: Option<Vec<u8>>,
    /// Size of the stored form (plaintext), once complete.
    pub size: u64,
    /// SHA-256 of the stored form, once complete.
    pub sha256: Option<Vec<u8>>,
    /// Frames (session recordings).
    pub frame_count: u64,
    /// Plaintext bytes durably written so far (what a truncated recording holds).
    pub durable_bytes: u64,
    /// Terminal size at the start.
    pub initial_size: Option<(u32, u32)>,
    /// When the recorded interaction started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// The importer, or the engineer who requested the session.
    pub created_by: SubjectId,
    /// When the row was made.
    pub created_at: DateTime<Utc>,
    /// The recording's id in the system it was imported from (metadata).
    pub external_id: Option<String>,
}

/// Someone who took part in a recorded session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParticipantRecord {
    /// The connection's participant id.
    pub participant: String,
    /// Who.
    pub subject: SubjectId,
    /// As what: agent, engineer or observer.
    pub role: String,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
    /// When they left.
    pub left_at: Option<DateTime<Utc>>,
}

/// What ended live sessions since a moment (see `MainStore::live_changes_since`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LiveChanges {
    /// Sessions that ended, with why.
    pub ended: Vec<(supportgate_types::SessionId, EndReason)>,
    /// Cases that were closed.
    pub closed_cases: Vec<supportgate_types::CaseId>,
    /// Credentials that were revoked.
    pub revoked_credentials: Vec<supportgate_types::CredentialId>,
}
