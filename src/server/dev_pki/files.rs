//! File system work for the development PKI: a private directory, and files written
//! atomically with the right mode from their first byte.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

use super::DevPkiError;

/// Private keys: owner read/write only.
#[cfg(unix)]
pub(super) const KEY_MODE: u32 = 0o600;
/// Certificates are public: world-readable so other local users' clients can trust ca.pem.
#[cfg(unix)]
pub(super) const CERT_MODE: u32 = 0o644;
#[cfg(not(unix))]
pub(super) const KEY_MODE: u32 = 0;
#[cfg(not(unix))]
pub(super) const CERT_MODE: u32 = 0;

/// Creates `dir` and its parents, 0700 on unix. An existing directory is left as is.
pub(super) fn create_private_dir(dir: &Path) -> Result<(), DevPkiError> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder
        .create(dir)
        .map_err(io_error("create the directory", dir))
}

pub(super) fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> DevPkiError {
    let path = path.to_owned();
    move |source| DevPkiError::Io {
        action,
        path,
        source,
    }
}

/// The file's text, or `None` if it does not exist.
pub(super) fn read_if_exists(path: &Path) -> Result<Option<String>, DevPkiError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(io_error("read", path)(source)),
    }
}

/// Writes `contents` to a temporary file beside `path`, created with `mode`, then
/// renames it over `path`, so readers see the old file or the new one, never a
/// partial one, and a key is never readable by others even for a moment.
pub(super) fn write_atomically(path: &Path, contents: &[u8], mode: u32) -> Result<(), DevPkiError> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{file_name}.{}.tmp", std::process::id()));
    let written = write_then_rename(&temp, path, contents, mode);
    if written.is_err() {
        let _ = fs::remove_file(&temp);
    }
    written.map_err(io_error("write", path))
}

fn write_then_rename(temp: &Path, path: &Path, contents: &[u8], mode: u32) -> io::Result<()> {
    // A leftover from a crashed run of this process id would make `create_new` fail.
    match fs::remove_file(temp) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    fs::rename(temp, path)?;
    // Make the rename itself durable.
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}
