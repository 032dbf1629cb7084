//! The bundle: one gzip'd tar with every item and a `manifest.json` describing them,
//! written in constant memory (log tails are copied through a small buffer).

use std::fs::OpenOptions;
use std::io::{self, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::Serialize;

use super::item::{Content, Item};

/// Longest sanitised name kept (plenty for a path, well inside what tar stores).
const MAX_NAME: usize = 100;

/// The bundle's file name: `troubleshoot-<host>-<UTC timestamp>.tar.gz`.
pub fn file_name(host: &str, at: DateTime<Utc>) -> String {
    format!(
        "troubleshoot-{}-{}.tar.gz",
        sanitize(host),
        at.format("%Y%m%dT%H%M%SZ")
    )
}

/// A name safe inside the archive and on any file system: path separators and
/// every character outside `A-Z a-z 0-9 . _ -` become `_`, `.` and `..` components
/// are dropped, no leading dot and no `..` remain. `../../etc/passwd` becomes
/// `etc_passwd`, `/var/log/syslog` becomes `var_log_syslog`.
pub fn sanitize(raw: &str) -> String {
    let joined = raw
        .split(['/', '\\'])
        .filter(|part| !part.is_empty() && *part != "." && *part != "..")
        .collect::<Vec<_>>()
        .join("_");
    let mut name = String::with_capacity(joined.len());
    for ch in joined.chars() {
        let safe = ch.is_ascii_alphanumeric() || matches!(ch, '.' | '_' | '-');
        let ch = if safe { ch } else { '_' };
        // No `..` anywhere, and no leading dot (hidden file, or `.` itself).
        if ch == '.' && (name.is_empty() || name.ends_with('.')) {
            continue;
        }
        name.push(ch);
    }
    name.truncate(MAX_NAME);
    if name.is_empty() {
        "unnamed".to_owned()
    } else {
        name
    }
}

/// What the manifest says about one item.
#[derive(Debug, Serialize)]
struct Entry<'a> {
    name: &'a str,
    source: &'a str,
    size: u64,
    notes: &'a [String],
}

/// `manifest.json`: when, where, and what each entry is.
#[derive(Debug, Serialize)]
struct Manifest<'a> {
    created_at: String,
    host: &'a str,
    supportgate_version: &'a str,
    items: Vec<Entry<'a>>,
}

/// Writes the bundle to `path`, a new file readable only by its owner (it holds logs).
///
/// Returns the bundle's size and the notes found while writing (a log that shrank
/// since it was collected); those are also added to their items and so reach the
/// manifest, which is written last.
pub fn write(
    path: &Path,
    items: &mut [Item],
    host: &str,
    at: DateTime<Utc>,
) -> io::Result<(u64, Vec<String>)> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let file = options.open(path)?;
    let gzip = GzEncoder::new(BufWriter::new(file), Compression::default());
    let mut tar = tar::Builder::new(gzip);
    let mtime = u64::try_from(at.timestamp()).unwrap_or(0);
    let mut late = Vec::new();
    for item in items.iter_mut() {
        if let Some(note) = append_item(&mut tar, item, mtime)? {
            late.push(format!("{}: {note}", item.name));
            item.notes.push(note);
        }
    }
    let manifest = Manifest {
        created_at: at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        host,
        supportgate_version: env!("CARGO_PKG_VERSION"),
        items: items
            .iter()
            .map(|item| Entry {
                name: &item.name,
                source: &item.source,
                size: item.size(),
                notes: &item.notes,
            })
            .collect(),
    };
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(io::Error::other)?;
    json.push(b'\n');
    append(
        &mut tar,
        "manifest.json",
        json.len() as u64,
        mtime,
        json.as_slice(),
    )?;
    let file = tar
        .into_inner()?
        .finish()?
        .into_inner()
        .map_err(|e| e.into_error())?;
    file.sync_all()?;
    Ok((file.metadata()?.len(), late))
}

/// Appends one item; returns a note when its file shrank since it was collected.
fn append_item<W: Write>(
    tar: &mut tar::Builder<W>,
    item: &mut Item,
    mtime: u64,
) -> io::Result<Option<String>> {
    match &mut item.content {
        Content::Bytes(bytes) => {
            append(tar, &item.name, bytes.len() as u64, mtime, bytes.as_slice())?;
            Ok(None)
        }
        Content::Tail { file, offset, len } => {
            file.seek(SeekFrom::Start(*offset))?;
            let mut exact = Exact {
                inner: Read::take(&*file, *len),
                padded: 0,
                remaining: *len,
            };
            append(tar, &item.name, *len, mtime, &mut exact)?;
            Ok((exact.padded > 0).then(|| {
                format!(
                    "the file shrank while the bundle was written: its last {} bytes are zeros",
                    exact.padded
                )
            }))
        }
    }
}

fn append<W: Write, R: Read>(
    tar: &mut tar::Builder<W>,
    name: &str,
    size: u64,
    mtime: u64,
    data: R,
) -> io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(size);
    header.set_mode(0o644);
    header.set_mtime(mtime);
    tar.append_data(&mut header, name, data)
}

/// Exactly `remaining` bytes: the file's, then zeros if it ended early. A tar entry
/// must hold exactly the size its header declares, and a log can be truncated
/// between collection and bundling.
struct Exact<R> {
    inner: R,
    padded: u64,
    remaining: u64,
}

impl<R: Read> Read for Exact<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 || buf.is_empty() {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let mut n = self.inner.read(&mut buf[..want])?;
        if n == 0 {
            buf[..want].fill(0);
            n = want;
            self.padded += want as u64;
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}
