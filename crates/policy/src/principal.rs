//! Who is asking, and for which purpose.

use supportgate_types::{CredentialId, PurposeCode, Role, SubjectId, TenantId};

/// An authenticated caller, as established by the gateway's authentication layer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal {
    /// The subject.
    pub subject: SubjectId,
    /// Its role, fixed at creation.
    pub role: Role,
    /// Its tenant; `None` for provider-level identities (admin, provider reviewers, counsel).
    pub tenant: Option<TenantId>,
    /// The credential (or client certificate) it authenticated with.
    pub credential: Option<CredentialId>,
}

/// The purpose a request named, as it arrived on the wire.
///
/// ## Why
/// Missing and unknown purposes are not defaults: the policy turns them into an
/// `INVALID_ARGUMENT` decision that is itself logged.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestedPurpose {
    /// No purpose was given (`PURPOSE_UNSPECIFIED`).
    Missing,
    /// A value the gateway does not know.
    Unknown(i32),
    /// A known purpose, permitted or not.
    Named(PurposeCode),
}

impl RequestedPurpose {
    /// The purpose to record in the log, if one was named.
    pub fn code(self) -> Option<PurposeCode> {
        match self {
            RequestedPurpose::Named(p) => Some(p),
            RequestedPurpose::Missing | RequestedPurpose::Unknown(_) => None,
        }
    }
}
