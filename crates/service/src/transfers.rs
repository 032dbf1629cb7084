//! Diagnostic transfers: workspaces on cases, resumable verified uploads, ranged
//! downloads (DESIGN section 5).
//!
//! Content is sealed as it streams in (a data key per file, wrapped under the tenant's
//! customer-data key; the segmented format of `supportgate-crypto`) and opened as it
//! streams out; the blob store only ever holds ciphertext. A file becomes visible only
//! after its size and SHA-256 match what the customer declared.

mod complete;
pub(crate) mod content;
mod download;
mod limits;
mod sessions;
mod upload;
mod workspaces;

pub use download::{Download, DownloadChunk};
pub use limits::TransferLimits;
pub use sessions::UploadSessions;
pub use upload::{BeginUploadInput, ChunkInput, UploadWriter};
pub use workspaces::FileView;
