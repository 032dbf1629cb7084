//! The object level of the key hierarchy: one random data key per stored object, kept
//! only wrapped under its tenant key (DESIGN §8).
//!
//! Wrapped layout, 65 bytes:
//!
//! ```text
//! version 1 (1) | tenant key_version (u32 BE) | nonce (12) | encrypted key (32) | tag (16)
//! ```
//!
//! sealed with AES-256-GCM under the tenant key's HKDF subkey `"data-key-wrap"`. The
//! first five bytes are authenticated, and so is the context: tenant, class, key version
//! and object id. A wrapped key copied to another object's row, another tenant or class,
//! or relabelled with another key version fails to unwrap with [`CryptoError::Open`].
//!
//! ## Why the wrapped key is stored apart from the content
//!
//! The wrapped key lives in the database, the sealed content in the blob store. Deleting
//! the database row destroys the only copy of the data key, which crypto-shreds the
//! content even where a copy of the blob survives (a backup, a replica, a lagging
//! delete).

use std::fmt;

use ring::aead::LessSafeKey;
use zeroize::Zeroizing;

use crate::{aead, encode, CryptoError, KeyClass, SecretKey};

/// Format version of wrapped data keys.
const WRAP_VERSION: u8 = 1;
/// `version (1) | key_version (4, big-endian)`.
const HEADER_LEN: usize = 5;
/// Length of a wrapped data key: header, nonce, key, tag.
const WRAPPED_LEN: usize = HEADER_LEN + aead::OVERHEAD + SecretKey::LEN;
/// Domain label of the AAD that binds a wrapped data key to its object.
const AAD_LABEL: &[u8] = b"supportgate/data-key/v1";

/// A random 256-bit AES-256-GCM key for the content of one stored object.
///
/// Made by [`DataKey::generate`], stored only as
/// [`TenantKey::wrap_data_key`](crate::TenantKey::wrap_data_key) output, and used through
/// [`SegmentCipher`](crate::SegmentCipher). The bytes are zeroized on drop (they live in
/// a [`SecretKey`]) and never leave this crate unwrapped; `Debug` prints
/// `DataKey(<redacted>)`. Deliberately not `Clone`, like [`SecretKey`].
pub struct DataKey {
    key: SecretKey,
}

impl DataKey {
    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<DataKey, CryptoError> {
        Ok(DataKey {
            key: SecretKey::generate()?,
        })
    }

    /// The AES-256-GCM key schedule (inside `ring`, which does not zeroize it).
    pub(crate) fn cipher_key(&self) -> Result<LessSafeKey, CryptoError> {
        aead::cipher_key(&self.key)
    }
}

impl fmt::Debug for DataKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DataKey(<redacted>)")
    }
}

/// Where a wrapped data key belongs; every field is bound into the wrapping.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WrapContext<'a> {
    /// The tenant owning the object.
    pub(crate) tenant: &'a str,
    /// The data class of the tenant key.
    pub(crate) class: KeyClass,
    /// The tenant key version that wraps the data key.
    pub(crate) key_version: u32,
    /// The object the data key encrypts.
    pub(crate) object_id: &'a str,
}

impl WrapContext<'_> {
    /// `label | tenant | class | object id` length-prefixed, then the key version as u32
    /// big-endian.
    fn aad(&self) -> Vec<u8> {
        let mut aad = encode::parts(&[
            AAD_LABEL,
            self.tenant.as_bytes(),
            self.class.as_str().as_bytes(),
            self.object_id.as_bytes(),
        ]);
        aad.extend_from_slice(&self.key_version.to_be_bytes());
        aad
    }
}

/// Wraps `key` under `wrap_key` (the tenant key's data-key subkey) for `context`.
pub(crate) fn wrap(
    wrap_key: &LessSafeKey,
    context: &WrapContext<'_>,
    key: &DataKey,
) -> Result<Vec<u8>, CryptoError> {
    let [a, b, c, d] = context.key_version.to_be_bytes();
    let header: [u8; HEADER_LEN] = [WRAP_VERSION, a, b, c, d];
    aead::seal(wrap_key, &header, &context.aad(), key.key.expose())
}

/// Unwraps the output of [`wrap`] made for the same `context`.
pub(crate) fn unwrap(
    wrap_key: &LessSafeKey,
    context: &WrapContext<'_>,
    wrapped: &[u8],
) -> Result<DataKey, CryptoError> {
    let found = key_version_of(wrapped)?;
    if found != context.key_version {
        return Err(CryptoError::KeyVersionMismatch {
            expected: context.key_version,
            found,
        });
    }
    if wrapped.len() != WRAPPED_LEN {
        return Err(CryptoError::Malformed {
            what: "wrapped data key (length)",
        });
    }
    let plain = Zeroizing::new(aead::open(wrap_key, HEADER_LEN, wrapped, &context.aad())?);
    Ok(DataKey {
        key: SecretKey::from_bytes(&plain)?,
    })
}

/// The tenant key version recorded in a wrapped data key's (not yet authenticated)
/// header.
pub(crate) fn key_version_of(wrapped: &[u8]) -> Result<u32, CryptoError> {
    let version = *wrapped.first().ok_or(CryptoError::Malformed {
        what: "wrapped data key (empty)",
    })?;
    if version != WRAP_VERSION {
        return Err(CryptoError::UnsupportedVersion { version });
    }
    let bytes: [u8; 4] = wrapped
        .get(1..HEADER_LEN)
        .and_then(|b| b.try_into().ok())
        .ok_or(CryptoError::Malformed {
            what: "wrapped data key (header)",
        })?;
    Ok(u32::from_be_bytes(bytes))
}

#[cfg(test)]
mod tests;
