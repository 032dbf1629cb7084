//! The restricted set of errors use cases return; `src/server/status.rs` maps each to a
//! gRPC status with a stable reason code.

use supportgate_audit::AuditError;
use supportgate_policy::{AuthorizeError, Reason};
use supportgate_store::StoreError;

/// Why a use case failed, in terms a client can act on.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed or names something impossible.
    #[error("{message}")]
    Invalid {
        /// Stable reason code.
        reason: &'static str,
        /// What to fix.
        message: String,
    },
    /// The caller is not allowed; already logged.
    #[error("{message}")]
    Denied {
        /// Stable reason code.
        reason: &'static str,
        /// Why.
        message: String,
    },
    /// The object does not exist (in the caller's tenant).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// Something the request names does not exist, with a reason more precise than
    /// `NOT_FOUND` (for example a legal scope naming an item that does not exist).
    #[error("{message}")]
    Missing {
        /// Stable reason code.
        reason: &'static str,
        /// What is missing.
        message: String,
    },
    /// The object already exists.
    #[error("{what} already exists")]
    Conflict {
        /// What exists.
        what: &'static str,
    },
    /// The state does not allow the operation.
    #[error("{message}")]
    FailedPrecondition {
        /// Stable reason code.
        reason: &'static str,
        /// What to do first.
        message: String,
    },
    /// A chunk does not start where the upload continues; carries the committed offset
    /// so the client can resume from it.
    #[error("{message}")]
    OffsetMismatch {
        /// Bytes durably committed.
        committed: u64,
        /// What happened.
        message: String,
    },
    /// A limit was reached (file size, quota, concurrent uploads).
    #[error("{message}")]
    Exhausted {
        /// Stable reason code.
        reason: &'static str,
        /// The limit, in words.
        message: String,
    },
    /// A range lies outside the object.
    #[error("{message}")]
    OutOfRange {
        /// Stable reason code.
        reason: &'static str,
        /// What is out of range.
        message: String,
    },
    /// The credential is missing, malformed, forged, expired or revoked.
    #[error("{message}")]
    Unauthenticated {
        /// Stable reason code.
        reason: &'static str,
        /// What is wrong with it.
        message: &'static str,
    },
    /// The access log could not record the decision, so nothing was done or released.
    #[error("the access log is unavailable; nothing was released")]
    AuditUnavailable(#[source] AuditError),
    /// Stored content is damaged or gone (a segment fails authentication, a header does
    /// not parse, a blob is shorter than its rows say): the gateway lost data, the
    /// request is not at fault. Details go to the server log only.
    #[error("the stored content is damaged and cannot be read")]
    DataLoss {
        /// Stable reason code (`CONTENT_CORRUPT`).
        reason: &'static str,
        /// What is damaged, and where.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A fault inside the gateway; details go to the server log only.
    #[error("internal error")]
    Internal(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl ServiceError {
    pub(crate) fn invalid(reason: &'static str, message: impl Into<String>) -> Self {
        ServiceError::Invalid {
            reason,
            message: message.into(),
        }
    }

    pub(crate) fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Self {
        ServiceError::Internal(Box::new(e))
    }

    /// The stable reason code, for logs and status details.
    pub fn reason(&self) -> &'static str {
        match self {
            ServiceError::Invalid { reason, .. }
            | ServiceError::Denied { reason, .. }
            | ServiceError::FailedPrecondition { reason, .. }
            | ServiceError::Exhausted { reason, .. }
            | ServiceError::OutOfRange { reason, .. }
            | ServiceError::Unauthenticated { reason, .. }
            | ServiceError::DataLoss { reason, .. }
            | ServiceError::Missing { reason, .. } => reason,
            ServiceError::NotFound { .. } => "NOT_FOUND",
            ServiceError::OffsetMismatch { .. } => "CHUNK_OFFSET_MISMATCH",
            ServiceError::Conflict { .. } => "ALREADY_EXISTS",
            ServiceError::AuditUnavailable(_) => "AUDIT_UNAVAILABLE",
            ServiceError::Internal(_) => "INTERNAL",
        }
    }
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { what } => ServiceError::NotFound { what },
            StoreError::Conflict { what } => ServiceError::Conflict { what },
            StoreError::InvalidCursor => ServiceError::invalid(
                "INVALID_PAGE_TOKEN",
                "page_token is not one this server issued",
            ),
            other => ServiceError::internal(other),
        }
    }
}

impl From<AuditError> for ServiceError {
    fn from(e: AuditError) -> Self {
        ServiceError::AuditUnavailable(e)
    }
}

/// A policy refusal becomes the precise error its reason calls for.
pub(crate) fn from_denial(reason: Reason) -> ServiceError {
    match reason {
        Reason::PurposeRequired | Reason::PurposeUnknown => ServiceError::Invalid {
            reason: reason.as_str(),
            message: reason.message().to_owned(),
        },
        Reason::NotFound => ServiceError::NotFound { what: "case" },
        Reason::CompulsionNotApproved | Reason::CustomerNoticeRequired => {
            ServiceError::FailedPrecondition {
                reason: reason.as_str(),
                message: reason.message().to_owned(),
            }
        }
        _ => ServiceError::Denied {
            reason: reason.as_str(),
            message: reason.message().to_owned(),
        },
    }
}

impl From<AuthorizeError> for ServiceError {
    fn from(e: AuthorizeError) -> Self {
        match e {
            AuthorizeError::Denied(denial) => from_denial(denial.reason),
            AuthorizeError::Audit(a) => ServiceError::AuditUnavailable(a),
        }
    }
}
