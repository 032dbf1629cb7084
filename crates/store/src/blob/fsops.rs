//! The blocking file operations behind [`super::LocalBlobStore`], on `std::fs`.
//!
//! Each function runs on a blocking thread and returns only once its effect is durable:
//! file contents by `sync_data`, new or removed names by fsyncing their directories.

use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, ErrorKind, Read, Seek, SeekFrom, Write};
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

use super::key::Location;
use super::{BlobError, BlobKey};

/// Directories are private to the gateway's user.
#[cfg(unix)]
pub(super) const DIR_MODE: u32 = 0o700;
/// Blob files are private to the gateway's user.
#[cfg(unix)]
const FILE_MODE: u32 = 0o600;

/// Maps an `io::Error` to `BlobError::Io` for `key`.
fn io_err<'k>(action: &'static str, key: &'k BlobKey) -> impl FnOnce(io::Error) -> BlobError + 'k {
    move |source| BlobError::Io {
        action,
        key: key.clone(),
        source,
    }
}

/// Like [`io_err`], but an absent file is `NotFound`: for calls that open the blob itself.
fn open_err<'k>(
    action: &'static str,
    key: &'k BlobKey,
) -> impl FnOnce(io::Error) -> BlobError + 'k {
    move |source| {
        if source.kind() == ErrorKind::NotFound {
            BlobError::NotFound { key: key.clone() }
        } else {
            io_err(action, key)(source)
        }
    }
}

pub(super) fn write_at(
    root: &Path,
    key: &BlobKey,
    offset: u64,
    bytes: &[u8],
) -> Result<(), BlobError> {
    let loc = key.location(root);
    let (mut file, created) = match OpenOptions::new().write(true).open(&loc.file) {
        Ok(file) => (file, false),
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if offset > 0 {
                return Err(BlobError::Gap {
                    key: key.clone(),
                    offset,
                    len: 0,
                });
            }
            ensure_dirs(&loc).map_err(io_err("create the directories of", key))?;
            (create_new(&loc.file).map_err(io_err("create", key))?, true)
        }
        Err(e) => return Err(io_err("open", key)(e)),
    };
    let len = file.metadata().map_err(io_err("stat", key))?.len();
    if offset > len {
        return Err(BlobError::Gap {
            key: key.clone(),
            offset,
            len,
        });
    }
    if len > offset {
        file.set_len(offset).map_err(io_err("cut", key))?;
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(io_err("seek in", key))?;
    file.write_all(bytes).map_err(io_err("write", key))?;
    file.sync_data().map_err(io_err("sync", key))?;
    // A write at 0 may follow a creating call that died before its directory sync
    // (nothing was committed then, so the resume starts at 0): sync the names again.
    if created || offset == 0 {
        sync_chain(root, &loc).map_err(io_err("sync the directories of", key))?;
    }
    Ok(())
}

pub(super) fn len(root: &Path, key: &BlobKey) -> Result<Option<u64>, BlobError> {
    match fs::metadata(key.location(root).file) {
        Ok(meta) => Ok(Some(meta.len())),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io_err("stat", key)(e)),
    }
}

pub(super) fn read(
    root: &Path,
    key: &BlobKey,
    offset: u64,
    len: u64,
) -> Result<Vec<u8>, BlobError> {
    let mut file = File::open(key.location(root).file).map_err(open_err("open", key))?;
    let size = file.metadata().map_err(io_err("stat", key))?.len();
    let out_of_range = || BlobError::OutOfRange {
        key: key.clone(),
        offset,
        len,
        size,
    };
    // Checked before allocating, so the buffer is never larger than the blob.
    match offset.checked_add(len) {
        Some(end) if end <= size => {}
        _ => return Err(out_of_range()),
    }
    let mut buf = vec![0; usize::try_from(len).map_err(|_| out_of_range())?];
    file.seek(SeekFrom::Start(offset))
        .map_err(io_err("seek in", key))?;
    file.read_exact(&mut buf).map_err(io_err("read", key))?;
    Ok(buf)
}

pub(super) fn truncate(root: &Path, key: &BlobKey, len: u64) -> Result<(), BlobError> {
    let file = OpenOptions::new()
        .write(true)
        .open(key.location(root).file)
        .map_err(open_err("open", key))?;
    let size = file.metadata().map_err(io_err("stat", key))?.len();
    if len > size {
        return Err(BlobError::Gap {
            key: key.clone(),
            offset: len,
            len: size,
        });
    }
    file.set_len(len).map_err(io_err("cut", key))?;
    file.sync_data().map_err(io_err("sync", key))
}

pub(super) fn promote(root: &Path, from: &BlobKey, to: &BlobKey) -> Result<(), BlobError> {
    let src = from.location(root);
    let dst = to.location(root);
    let src_exists = src.file.try_exists().map_err(io_err("stat", from))?;
    if dst.file.try_exists().map_err(io_err("stat", to))? {
        if src_exists {
            return Err(BlobError::Exists { key: to.clone() });
        }
        // An earlier call renamed and may have died before syncing: finish its work.
        return sync_after_rename(root, &src, &dst, to);
    }
    if !src_exists {
        return Err(BlobError::NotFound { key: from.clone() });
    }
    ensure_dirs(&dst).map_err(io_err("create the directories of", to))?;
    // The existence check above is not atomic with the rename; it holds because the
    // caller owns both keys (file ids are fresh), as for every write.
    fs::rename(&src.file, &dst.file).map_err(open_err("rename", from))?;
    sync_after_rename(root, &src, &dst, to)
}

fn sync_after_rename(
    root: &Path,
    src: &Location,
    dst: &Location,
    to: &BlobKey,
) -> Result<(), BlobError> {
    sync_chain(root, dst).map_err(io_err("sync the directories of", to))?;
    match sync_dir(&src.tenant_dir) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(io_err("sync the source of", to)(e)),
        _ => Ok(()),
    }
}

pub(super) fn delete(root: &Path, key: &BlobKey) -> Result<(), BlobError> {
    let loc = key.location(root);
    match fs::remove_file(&loc.file) {
        Ok(()) => {}
        Err(e) if e.kind() == ErrorKind::NotFound => {}
        Err(e) => return Err(io_err("delete", key)(e)),
    }
    // Synced even when already absent: an earlier call may have died before its sync.
    match sync_dir(&loc.tenant_dir) {
        Err(e) if e.kind() != ErrorKind::NotFound => Err(io_err("sync the directory of", key)(e)),
        _ => Ok(()),
    }
}

/// Creates a blob that must not exist yet, private to the gateway's user.
fn create_new(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(FILE_MODE);
    options.open(path)
}

/// Creates the kind and tenant directories when absent.
fn ensure_dirs(loc: &Location) -> io::Result<()> {
    for dir in [&loc.kind_dir, &loc.tenant_dir] {
        let mut builder = DirBuilder::new();
        #[cfg(unix)]
        builder.mode(DIR_MODE);
        match builder.create(dir) {
            Err(e) if e.kind() != ErrorKind::AlreadyExists => return Err(e),
            _ => {}
        }
    }
    Ok(())
}

/// Makes the blob's name and its directories' names durable, innermost first.
fn sync_chain(root: &Path, loc: &Location) -> io::Result<()> {
    sync_dir(&loc.tenant_dir)?;
    sync_dir(&loc.kind_dir)?;
    sync_dir(root)
}

/// Makes the entries of `dir` durable (a no-op where directories cannot be opened).
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}
