//! Field-by-field encryption of contact data (DESIGN §8).

use std::fmt;

use ring::aead::LessSafeKey;

use crate::{aead, encode, CryptoError};

/// Format version of sealed fields.
const FORMAT_VERSION: u8 = 1;
/// `version (1) | key_version (4, big-endian)`.
const HEADER_LEN: usize = 5;
/// Domain label of the field AAD encoding.
const AAD_LABEL: &[u8] = b"supportgate/field/v1";

/// Where a sealed value belongs. Bound into the ciphertext, so a value sealed for one
/// tenant, record or field fails to open for any other.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldAad<'a> {
    /// The owning tenant.
    pub tenant: &'a str,
    /// The record (row) the value belongs to.
    pub record_id: &'a str,
    /// The field (column) name.
    pub field: &'a str,
}

impl FieldAad<'_> {
    /// A domain label and the three parts, each length-prefixed, so no two different
    /// `FieldAad`s encode alike.
    fn encode(&self) -> Vec<u8> {
        encode::parts(&[
            AAD_LABEL,
            self.tenant.as_bytes(),
            self.record_id.as_bytes(),
            self.field.as_bytes(),
        ])
    }
}

/// AES-256-GCM for individual fields, under one tenant key version.
///
/// Sealed layout: `version 1 (1) | key_version (u32 BE) | nonce (12) | ciphertext | tag
/// (16)`, with the header authenticated. Obtained from
/// [`TenantKey::field_cipher`](crate::TenantKey::field_cipher); `Debug` shows the key
/// version only.
#[derive(Clone)]
pub struct FieldCipher {
    key: LessSafeKey,
    key_version: u32,
}

impl FieldCipher {
    /// Bytes [`FieldCipher::seal`] adds to the plaintext.
    pub const OVERHEAD: usize = HEADER_LEN + aead::OVERHEAD;

    /// Only [`crate::TenantKey`] builds these, from its HKDF field subkey.
    pub(crate) fn new(key: LessSafeKey, key_version: u32) -> FieldCipher {
        FieldCipher { key, key_version }
    }

    /// The tenant key version this cipher seals under.
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// Encrypts `plaintext` for the place named by `aad`, with a fresh random nonce.
    pub fn seal(&self, aad: &FieldAad<'_>, plaintext: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let [a, b, c, d] = self.key_version.to_be_bytes();
        let header: [u8; HEADER_LEN] = [FORMAT_VERSION, a, b, c, d];
        aead::seal(&self.key, &header, &aad.encode(), plaintext)
    }

    /// Decrypts a value from [`FieldCipher::seal`].
    ///
    /// Fails with [`CryptoError::KeyVersionMismatch`] if it was sealed under another key
    /// version (use [`FieldCipher::key_version_of`] to pick the right cipher), and with
    /// [`CryptoError::Open`] if it was changed or `aad` is not where it was sealed for.
    pub fn open(&self, aad: &FieldAad<'_>, sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let found = FieldCipher::key_version_of(sealed)?;
        if found != self.key_version {
            return Err(CryptoError::KeyVersionMismatch {
                expected: self.key_version,
                found,
            });
        }
        aead::open(&self.key, HEADER_LEN, sealed, &aad.encode())
    }

    /// The tenant key version a value was sealed under, read from its (not yet
    /// authenticated) header: for choosing the key and for rotation.
    pub fn key_version_of(sealed: &[u8]) -> Result<u32, CryptoError> {
        let version = *sealed.first().ok_or(CryptoError::Malformed {
            what: "sealed field (empty)",
        })?;
        if version != FORMAT_VERSION {
            return Err(CryptoError::UnsupportedVersion { version });
        }
        let bytes: [u8; 4] = sealed
            .get(1..HEADER_LEN)
            .and_then(|b| b.try_into().ok())
            .ok_or(CryptoError::Malformed {
                what: "sealed field (header)",
            })?;
        Ok(u32::from_be_bytes(bytes))
    }
}

impl fmt::Debug for FieldCipher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FieldCipher")
            .field("key_version", &self.key_version)
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests;
