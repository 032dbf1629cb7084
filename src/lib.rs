//! supportgate: the gRPC gateway for enterprise support desks.
//!
//! This crate is the edge: the only code that knows gRPC, protobuf and TLS. The rules
//! live in the pure crates (`supportgate-policy`, `-audit`, `-crypto`, `-types`), storage
//! in `supportgate-store`, use cases in `supportgate-service`. See `docs/ARCHITECTURE.md`.

pub mod bundle;
pub mod cli;
pub mod config;
pub mod proto;
pub mod recording;
pub mod serve;
pub mod server;

/// An error and its sources on one line (`outer: inner: root`), for messages to people.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
