//! The answer for capabilities whose issue has not landed: an honest `UNIMPLEMENTED`.

use tonic::{Code, Status};

use super::status::with_reason;

/// `UNIMPLEMENTED`, naming the capability and the issue that will bring it.
pub fn not_yet(capability: &str, issue: u32) -> Status {
    with_reason(
        Code::Unimplemented,
        "NOT_YET_IMPLEMENTED",
        format!("{capability} is not implemented in this version of supportgate (planned in issue {issue})"),
    )
}

/// The response stream type of every server-streaming RPC.
pub type ServerStream<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send>>;
