//! THE ONLY I/O IN THIS CRATE: loading (or creating) a key file (master or signing key).

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::Path;

use zeroize::Zeroizing;

use super::{decode_key, encode_key, LocalMasterKey};
use crate::{CryptoError, SecretKey};

impl LocalMasterKey {
    /// Loads the master key from `path`, or creates it there with a fresh random key if
    /// no file exists. Returns the key and whether the file was created.
    ///
    /// The file is created exclusively (never overwriting one that appeared meanwhile)
    /// with mode `0600` on Unix, holds the standard base64 of the key and a newline, and
    /// is synced. The parent directory must exist. The key id is
    /// [`LocalMasterKey::fingerprint_id`].
    ///
    /// A file that exists but does not hold the base64 of 32 bytes is an error, never
    /// replaced: losing a master key loses every tenant key wrapped under it.
    pub fn load_or_create_file(path: &Path) -> Result<(LocalMasterKey, bool), CryptoError> {
        let (key, created) = load_or_create_secret(path)?;
        let id = LocalMasterKey::fingerprint_id(&key);
        Ok((LocalMasterKey::new(id, key), created))
    }
}

/// THE ONLY I/O IN THIS CRATE: reads a 32-byte secret from a key file, or creates the
/// file with a fresh random secret. Returns the secret and whether the file was created.
pub(crate) fn load_or_create_secret(path: &Path) -> Result<(SecretKey, bool), CryptoError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok((from_file_text(path, &Zeroizing::new(text))?, false)),
        Err(err) if err.kind() == io::ErrorKind::NotFound => create(path),
        Err(source) => Err(key_file_error(path, source)),
    }
}

/// Creates the key file, or loads it if another process created it first.
fn create(path: &Path) -> Result<(SecretKey, bool), CryptoError> {
    let key = SecretKey::generate()?;
    let mut file = match open_new(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            return load_or_create_secret(path);
        }
        Err(source) => return Err(key_file_error(path, source)),
    };
    let mut text = Zeroizing::new(encode_key(&key));
    text.push('\n');
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(source) = written {
        // Do not leave a half-written key behind for the next start to trip over.
        drop(file);
        let _ = fs::remove_file(path);
        return Err(key_file_error(path, source));
    }
    Ok((key, true))
}

fn from_file_text(path: &Path, text: &str) -> Result<SecretKey, CryptoError> {
    decode_key(text).map_err(|source| CryptoError::KeyFileContent {
        path: path.to_path_buf(),
        source: Box::new(source),
    })
}

#[cfg(unix)]
fn open_new(path: &Path) -> io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt as _;
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn open_new(path: &Path) -> io::Result<fs::File> {
    OpenOptions::new().write(true).create_new(true).open(path)
}

fn key_file_error(path: &Path, source: io::Error) -> CryptoError {
    CryptoError::KeyFile {
        path: path.to_path_buf(),
        source,
    }
}
