//! The client's one error type: which exit code a failure gets and the single line
//! it prints on stderr.
//!
//! ## Why not `anyhow`
//! Scripts tell "the gateway said no" (exit 1) from "you called me wrong" (exit 2),
//! and read the gRPC code and reason code from one predictable line. An error type
//! that knows its class keeps both decisions in this file.

use std::fmt;
use std::process::ExitCode;

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// Why a client command failed.
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or configuration, found before (or instead of) any call: exit 2.
    Usage(String),
    /// The gateway answered a call with an error status: exit 1.
    Rpc(Status),
    /// Anything else at run time: the gateway cannot be reached, a name does not
    /// resolve, output cannot be written: exit 1.
    Failed(String),
}

impl CliError {
    /// A usage or configuration error (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    /// A run-time failure that is not an RPC status (exit code 1).
    pub fn failed(message: impl Into<String>) -> Self {
        Self::Failed(message.into())
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Self::Usage(_) => ExitCode::from(2),
            Self::Rpc(_) | Self::Failed(_) => ExitCode::from(1),
        }
    }
}

impl From<Status> for CliError {
    fn from(status: Status) -> Self {
        Self::Rpc(status)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Usage(message) | Self::Failed(message) => {
                write!(f, "error: {}", one_line(message))
            }
            Self::Rpc(status) => f.write_str(&status_line(status)),
        }
    }
}

/// Renders a failed call as `error: CODE (REASON): message`.
///
/// The reason comes from the `ErrorInfo` detail the gateway attaches (see
/// `server/status.rs`); it is left out, with its parentheses, when absent. The
/// message is the gateway's, flattened to one line and stripped of control
/// characters so a hostile or broken server cannot garble the terminal.
pub fn status_line(status: &Status) -> String {
    let code = code_name(status.code());
    let message = one_line(status.message());
    let reason = status
        .get_error_details()
        .error_info()
        .map(|info| one_line(&info.reason))
        .filter(|reason| !reason.is_empty());
    let message = if message.is_empty() {
        "(no message)".to_owned()
    } else {
        message
    };
    match reason {
        Some(reason) => format!("error: {code} ({reason}): {message}"),
        None => format!("error: {code}: {message}"),
    }
}

/// The canonical gRPC name of a status code, as in the gRPC specification.
pub fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// Joins an error with its chain of sources, `outer: inner: innermost`, skipping a
/// source whose text the previous level already contains.
pub fn chain(err: &(dyn std::error::Error + 'static)) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Collapses line breaks and drops other control characters, so that any text
/// (ours or the server's) prints as exactly one clean line.
pub fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for ch in text.chars() {
        if ch == '\n' || ch == '\r' || ch == '\t' {
            if !line.ends_with(' ') {
                line.push(' ');
            }
        } else if !ch.is_control() {
            line.push(ch);
        }
    }
    line.trim().to_owned()
}
