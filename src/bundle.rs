//! The access log on the wire and on disk: entries and checkpoints as protobuf, and the
//! export bundle (a file of length-delimited `BundleRecord`s ending in the gateway's
//! signature) with its offline verifier.
//!
//! The server writes bundles ([`BundleWriter`]); `supportgate log verify --bundle`
//! checks them with no server at all ([`verify_bundle`]). Both sides share the strict
//! conversions in [`wire`], so a value that could be written in two ways is refused.

mod read;
mod verify;
pub mod wire;
mod write;

pub use read::{BundleError, BundleReader};
pub use verify::{verify_bundle, BundleVerdict};
pub use write::BundleWriter;

/// The `format` every bundle header carries.
pub const BUNDLE_FORMAT: &str = "supportgate-access-log-bundle/v1";

#[cfg(test)]
mod tests;
