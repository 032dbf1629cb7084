//! THE one mapping from service errors to gRPC statuses.
//!
//! Every status carries a stable reason code in an `ErrorInfo` detail (domain
//! `supportgate.v1`) so clients match on reasons, not on message text. Internal errors
//! show the client only the request id; the cause goes to the server log, once, here.

use std::collections::HashMap;

use supportgate_service::ServiceError;
use supportgate_types::RequestId;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The error domain in every `ErrorInfo`.
pub const ERROR_DOMAIN: &str = "supportgate.v1";

/// A status with a reason code attached.
pub fn with_reason(code: Code, reason: &str, message: impl Into<String>) -> Status {
    with_reason_and_metadata(code, reason, message, HashMap::new())
}

/// A status with a reason code and `ErrorInfo` metadata the client acts on (for
/// example the committed offset to resume an upload from).
pub fn with_reason_and_metadata(
    code: Code,
    reason: &str,
    message: impl Into<String>,
    metadata: HashMap<String, String>,
) -> Status {
    let details = ErrorDetails::with_error_info(reason, ERROR_DOMAIN, metadata);
    Status::with_error_details(code, message, details)
}

/// Maps a use-case error to its status, logging internal causes with the request id.
pub fn to_status(error: ServiceError, request_id: RequestId) -> Status {
    let reason = error.reason();
    let code = match &error {
        ServiceError::Invalid { .. } => Code::InvalidArgument,
        ServiceError::Denied { .. } => Code::PermissionDenied,
        ServiceError::NotFound { .. } | ServiceError::Missing { .. } => Code::NotFound,
        ServiceError::Conflict { .. } => Code::AlreadyExists,
        ServiceError::FailedPrecondition { .. } | ServiceError::OffsetMismatch { .. } => {
            Code::FailedPrecondition
        }
        ServiceError::Exhausted { .. } => Code::ResourceExhausted,
        ServiceError::OutOfRange { .. } => Code::OutOfRange,
        ServiceError::Unauthenticated { .. } => Code::Unauthenticated,
        ServiceError::AuditUnavailable(_) => Code::Unavailable,
        ServiceError::DataLoss { .. } => Code::DataLoss,
        ServiceError::Internal(_) => Code::Internal,
    };
    match &error {
        ServiceError::OffsetMismatch { committed, .. } => {
            let metadata = HashMap::from([("committed_offset".to_owned(), committed.to_string())]);
            with_reason_and_metadata(code, reason, error.to_string(), metadata)
        }
        ServiceError::Internal(_)
        | ServiceError::AuditUnavailable(_)
        | ServiceError::DataLoss { .. } => {
            tracing::error!(%request_id, error = %crate::error_chain(&error), "request failed");
            with_reason(code, reason, format!("{error} (request id {request_id})"))
        }
        _ => with_reason(code, reason, error.to_string()),
    }
}

/// A stream error from the transport (e.g. an oversized message) as a precise status.
pub fn stream_error(status: Status) -> Status {
    match status.code() {
        Code::OutOfRange => with_reason(
            Code::ResourceExhausted,
            "MESSAGE_TOO_LARGE",
            status.message().to_owned(),
        ),
        _ => status,
    }
}

/// The reason code `status` carries, as the one of `known` it equals.
pub fn reason_code(status: &Status, known: &[&'static str]) -> Option<&'static str> {
    let details = status.get_error_details();
    let reason = details.error_info()?.reason.as_str();
    known.iter().copied().find(|k| *k == reason)
}
