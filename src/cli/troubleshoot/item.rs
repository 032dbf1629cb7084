//! What a bundle holds: small items collected in memory (system information, each
//! bounded) and the tails of log files, left on disk and streamed into the archive.

use std::fs::File;

/// One entry of the bundle.
#[derive(Debug)]
pub struct Item {
    /// Path inside the archive, already safe (`system/kernel.txt`, `logs/var_log_syslog`).
    pub name: String,
    /// Where it came from (`/etc/os-release`, `df -P`), for the summary and the manifest.
    pub source: String,
    /// The bytes to send.
    pub content: Content,
    /// What the reader should know: cut, tool missing, file unreadable.
    pub notes: Vec<String>,
}

/// The bytes of an item.
#[derive(Debug)]
pub enum Content {
    /// Collected in memory; every collector bounds its size.
    Bytes(Vec<u8>),
    /// `len` bytes from `offset` of a file opened at collection time.
    ///
    /// ## Why an open file
    /// The handle keeps pointing at what the user was shown even if the log is
    /// rotated (renamed) before the bundle is written, and the bytes are copied into
    /// the archive in small buffers, never read whole.
    Tail { file: File, offset: u64, len: u64 },
}

impl Item {
    /// An item collected in memory.
    pub fn text(name: &str, source: &str, text: String) -> Self {
        Self {
            name: name.to_owned(),
            source: source.to_owned(),
            content: Content::Bytes(text.into_bytes()),
            notes: Vec::new(),
        }
    }

    /// An item that could not be collected: the archive still gets an entry saying
    /// why, so the engineer reading the bundle is not left guessing.
    pub fn missing(name: &str, source: &str, why: String) -> Self {
        Self::text(name, source, format!("# not collected: {why}\n")).note(why)
    }

    /// Adds a note.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Bytes this item adds to the archive (before compression).
    pub fn size(&self) -> u64 {
        match &self.content {
            Content::Bytes(bytes) => bytes.len() as u64,
            Content::Tail { len, .. } => *len,
        }
    }

    /// The content as text when it is held in memory (for the preview).
    pub fn in_memory(&self) -> Option<&[u8]> {
        match &self.content {
            Content::Bytes(bytes) => Some(bytes),
            Content::Tail { .. } => None,
        }
    }
}

/// A size for people: `512 B`, `1.5 KiB`, `10.0 MiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
