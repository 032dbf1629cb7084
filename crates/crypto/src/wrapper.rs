//! `KeyWrapper`: the pluggable master key.

use std::fmt;

use crate::{CryptoError, SecretKey};

/// A master key that wraps (encrypts) and unwraps other keys.
///
/// [`LocalMasterKey`](crate::LocalMasterKey) implements it for a key held in memory; a
/// KMS client can implement it later without any change to the key hierarchy above it.
///
/// Contract for implementors:
/// - `wrap` output must be authenticated: `unwrap_key` must fail with
///   [`CryptoError::Open`] when the wrapped bytes were changed or `aad` differs from the
///   one given to `wrap`.
/// - `key_id` names the master key (for example to record which one wrapped a key, so
///   master keys can rotate). It is not secret and must not be derived from the key in a
///   way that reveals it.
/// - `Debug` must not print key material.
pub trait KeyWrapper: Send + Sync + fmt::Debug {
    /// A stable, non-secret name of this master key.
    fn key_id(&self) -> &str;

    /// Encrypts `key`, binding the result to `aad`.
    fn wrap(&self, key: &SecretKey, aad: &[u8]) -> Result<Vec<u8>, CryptoError>;

    /// Decrypts the output of [`KeyWrapper::wrap`] made with the same `aad`.
    fn unwrap_key(&self, wrapped: &[u8], aad: &[u8]) -> Result<SecretKey, CryptoError>;
}
