//! Status assertions: the code and the stable reason code, never message text alone.

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The `ErrorInfo` reason a status carries, if any.
pub fn reason(status: &Status) -> Option<String> {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
}

/// Asserts a call failed with `code` and `reason`; returns the status for more checks.
#[track_caller]
pub fn assert_status<T: std::fmt::Debug>(
    result: Result<T, Status>,
    code: Code,
    reason_code: &str,
) -> Status {
    let status = match result {
        Ok(value) => panic!("expected {code:?}/{reason_code}, the call succeeded: {value:?}"),
        Err(status) => status,
    };
    assert_eq!(
        (status.code(), reason(&status).as_deref()),
        (code, Some(reason_code)),
        "unexpected status: {status:?}"
    );
    status
}
