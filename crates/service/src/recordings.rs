//! Recordings: written by the relay as a session runs (fail-closed, durable in small
//! sealed segments), imported from other systems, listed as metadata, read and replayed
//! only for a purpose the chart allows, every access logged.

mod access;
mod import;
mod writer;

pub use access::{ContentRead, RecordingContent, RecordingDetails};
pub use import::{ImportInput, ImportWriter};
pub use writer::RecordingWriter;

/// The stored form of a session recording.
pub const SESSION_MEDIA_TYPE: &str = "application/x-supportgate-frames";
