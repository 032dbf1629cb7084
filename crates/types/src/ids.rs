//! Typed identifiers: a `CaseId` can never be passed where a `TenantId` is expected.

use std::fmt;
use std::str::FromStr;

/// An id string that is not a UUID.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{kind} must be a UUID")]
pub struct IdParseError {
    /// Which id was malformed, e.g. `case_id`.
    pub kind: &'static str,
}

macro_rules! typed_id {
    ($(#[$meta:meta])* $name:ident, $kind:literal) => {
        $(#[$meta])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(uuid::Uuid);

        impl $name {
            /// A fresh random id.
            pub fn new() -> Self {
                Self(uuid::Uuid::new_v4())
            }

            /// The id's UUID.
            pub fn as_uuid(&self) -> uuid::Uuid {
                self.0
            }

            /// Parses the canonical hyphenated form a client sends.
            pub fn parse(s: &str) -> Result<Self, IdParseError> {
                uuid::Uuid::try_parse(s.trim())
                    .map(Self)
                    .map_err(|_| IdParseError { kind: $kind })
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl From<uuid::Uuid> for $name {
            fn from(u: uuid::Uuid) -> Self {
                Self(u)
            }
        }

        impl FromStr for $name {
            type Err = IdParseError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::parse(s)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0.hyphenated())
            }
        }
    };
}

typed_id!(
    /// A customer organisation; every piece of data belongs to exactly one.
    TenantId,
    "tenant_id"
);
typed_id!(
    /// A person or machine identity known to the gateway.
    SubjectId,
    "subject_id"
);
typed_id!(
    /// A support case.
    CaseId,
    "case_id"
);
typed_id!(
    /// The opaque reference from a case to its contact; the only link between the two stores.
    ContactId,
    "contact_id"
);
typed_id!(
    /// One issued bearer credential, so it can be revoked alone.
    CredentialId,
    "credential_id"
);
typed_id!(
    /// Correlates one RPC across logs, the access log and error messages.
    RequestId,
    "request_id"
);
typed_id!(
    /// A transfer workspace on a case, where the customer uploads files.
    WorkspaceId,
    "workspace_id"
);
typed_id!(
    /// One upload in progress (or finished): the resumable stream of a file.
    UploadId,
    "upload_id"
);
typed_id!(
    /// A file an upload becomes once verified.
    FileId,
    "file_id"
);
typed_id!(
    /// A remote-access session.
    SessionId,
    "session_id"
);
typed_id!(
    /// A recording: of a session, or imported.
    RecordingId,
    "recording_id"
);
typed_id!(
    /// A law-enforcement request (not an RPC: that is [`RequestId`]).
    LegalRequestId,
    "request_id"
);
typed_id!(
    /// One recorded compulsion, so an approval names exactly what its approver read.
    CompulsionId,
    "compulsion_id"
);
typed_id!(
    /// A legal notice to a tenant's customers.
    NotificationId,
    "notification_id"
);
typed_id!(
    /// One notification waiting in the outbox for a mail or webhook sender.
    OutboxId,
    "outbox_id"
);
typed_id!(
    /// A legal hold on a case or a tenant.
    HoldId,
    "hold_id"
);
typed_id!(
    /// A customer's request to delete a contact.
    DeletionId,
    "deletion_request_id"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_text_form() {
        let id = CaseId::new();
        assert_eq!(CaseId::parse(&id.to_string()), Ok(id));
    }

    #[test]
    fn malformed_ids_name_their_kind() {
        assert_eq!(
            TenantId::parse("acme").unwrap_err().to_string(),
            "tenant_id must be a UUID"
        );
        assert!(CaseId::parse("").is_err());
        assert!(CaseId::parse("'; drop table cases; --").is_err());
    }
}
