//! `LocalMasterKey`: a master key held in process memory (development, single node).

use std::fmt::Write as _;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::digest::{digest, SHA256};
use zeroize::Zeroizing;

use crate::{aead, CryptoError, KeyWrapper, SecretKey};

pub(crate) mod file;

/// Format version of [`LocalMasterKey::wrap`] output.
const WRAP_VERSION: u8 = 1;

/// Length of a wrapped [`SecretKey`]: version, nonce, key, tag.
const WRAPPED_LEN: usize = 1 + aead::OVERHEAD + SecretKey::LEN;

/// A [`KeyWrapper`] over a 256-bit key in memory, using AES-256-GCM.
///
/// Wrapped keys are `version (1) | nonce (12) | encrypted key (32) | tag (16)`; the
/// version byte and the caller's AAD are authenticated.
///
/// The key comes from a file ([`LocalMasterKey::load_or_create_file`]) or an environment
/// value ([`LocalMasterKey::from_env_value`]) in development; production can swap in a
/// KMS-backed [`KeyWrapper`]. `Debug` shows the key id only.
#[derive(Debug)]
pub struct LocalMasterKey {
    key_id: String,
    key: SecretKey,
}

impl LocalMasterKey {
    /// A master key with an explicit, non-secret `key_id`.
    pub fn new(key_id: String, key: SecretKey) -> LocalMasterKey {
        LocalMasterKey { key_id, key }
    }

    /// A master key from the standard base64 (with padding) of 32 bytes. Surrounding
    /// whitespace is ignored.
    pub fn from_base64(key_id: String, encoded: &str) -> Result<LocalMasterKey, CryptoError> {
        Ok(LocalMasterKey::new(key_id, decode_key(encoded)?))
    }

    /// A master key from an environment variable's value: the base64 of 32 bytes, as in a
    /// key file. The key id is derived as for a key file (see [`Self::fingerprint_id`]).
    ///
    /// Reading the variable is the caller's job; this crate does no I/O here.
    pub fn from_env_value(value: &str) -> Result<LocalMasterKey, CryptoError> {
        let key = decode_key(value)?;
        Ok(LocalMasterKey::new(Self::fingerprint_id(&key), key))
    }

    /// `"local:"` followed by the first 16 hex digits of SHA-256 of the key.
    ///
    /// ## Why a fingerprint
    ///
    /// A key loaded from a file or the environment has no name of its own; the
    /// fingerprint tells keys apart (for rotation) and reveals nothing useful about a
    /// random 256-bit key.
    pub fn fingerprint_id(key: &SecretKey) -> String {
        let hash = digest(&SHA256, key.expose());
        let mut id = String::from("local:");
        for byte in hash.as_ref().iter().take(8) {
            // Writing to a String cannot fail.
            let _ = write!(id, "{byte:02x}");
        }
        id
    }
}

impl KeyWrapper for LocalMasterKey {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn wrap(&self, key: &SecretKey, aad: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let cipher = aead::cipher_key(&self.key)?;
        aead::seal(&cipher, &[WRAP_VERSION], aad, key.expose())
    }

    fn unwrap_key(&self, wrapped: &[u8], aad: &[u8]) -> Result<SecretKey, CryptoError> {
        let version = *wrapped.first().ok_or(CryptoError::Malformed {
            what: "wrapped key (empty)",
        })?;
        if version != WRAP_VERSION {
            return Err(CryptoError::UnsupportedVersion { version });
        }
        if wrapped.len() != WRAPPED_LEN {
            return Err(CryptoError::Malformed {
                what: "wrapped key (length)",
            });
        }
        let cipher = aead::cipher_key(&self.key)?;
        let plain = Zeroizing::new(aead::open(&cipher, 1, wrapped, aad)?);
        SecretKey::from_bytes(&plain)
    }
}

/// Decodes the standard base64 of a 32-byte key, zeroizing the intermediate buffer.
fn decode_key(encoded: &str) -> Result<SecretKey, CryptoError> {
    let bytes = Zeroizing::new(
        STANDARD
            .decode(encoded.trim())
            .map_err(|_| CryptoError::KeyEncoding)?,
    );
    SecretKey::from_bytes(&bytes)
}

/// The standard base64 of a key, in a buffer zeroized on drop.
fn encode_key(key: &SecretKey) -> Zeroizing<String> {
    Zeroizing::new(STANDARD.encode(key.expose()))
}

#[cfg(test)]
mod tests;
