//! The gateway's Ed25519 signing key: bearer credentials now, log checkpoints later.
//!
//! Every signature is domain-separated: the signed bytes start with a label naming what
//! is signed, so a signature over a credential can never pass as a checkpoint's.

use std::fmt;
use std::path::Path;

use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};

use crate::{CryptoError, SecretKey};

/// What a signature is for; its label is prefixed to the signed bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureDomain {
    /// A bearer credential issued by the gateway.
    Credential,
    /// An access-log checkpoint.
    Checkpoint,
}

impl SignatureDomain {
    fn label(self) -> &'static [u8] {
        match self {
            SignatureDomain::Credential => b"supportgate/credential/v1\0",
            SignatureDomain::Checkpoint => b"supportgate/checkpoint/v1\0",
        }
    }
}

fn message(domain: SignatureDomain, bytes: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(domain.label().len() + bytes.len());
    m.extend_from_slice(domain.label());
    m.extend_from_slice(bytes);
    m
}

/// The gateway's signing key (from a 32-byte seed).
pub struct SigningKey {
    pair: Ed25519KeyPair,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningKey(public: {})", hex_prefix(self.public_key()))
    }
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

impl SigningKey {
    /// A key from a 32-byte seed.
    pub fn from_seed(seed: &SecretKey) -> Result<SigningKey, CryptoError> {
        let pair = Ed25519KeyPair::from_seed_unchecked(seed.expose())
            .map_err(|_| CryptoError::KeySetup)?;
        Ok(SigningKey { pair })
    }

    /// Loads the seed from `path`, or creates the file (mode 0600) with a fresh one.
    /// Returns the key and whether the file was created.
    pub fn load_or_create_file(path: &Path) -> Result<(SigningKey, bool), CryptoError> {
        let (seed, created) = crate::master::file::load_or_create_secret(path)?;
        Ok((SigningKey::from_seed(&seed)?, created))
    }

    /// The 32-byte public key, which verifiers need and nothing else.
    pub fn public_key(&self) -> &[u8] {
        self.pair.public_key().as_ref()
    }

    /// Signs `bytes` for `domain`.
    pub fn sign(&self, domain: SignatureDomain, bytes: &[u8]) -> Vec<u8> {
        self.pair.sign(&message(domain, bytes)).as_ref().to_vec()
    }
}

/// Checks a signature made by [`SigningKey::sign`] for the same domain.
pub fn verify_signature(
    public_key: &[u8],
    domain: SignatureDomain,
    bytes: &[u8],
    signature: &[u8],
) -> bool {
    UnparsedPublicKey::new(&ED25519, public_key)
        .verify(&message(domain, bytes), signature)
        .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_verify_only_for_their_domain_and_bytes() {
        let key = SigningKey::from_seed(&SecretKey::generate().unwrap()).unwrap();
        let sig = key.sign(SignatureDomain::Credential, b"payload");
        assert!(verify_signature(
            key.public_key(),
            SignatureDomain::Credential,
            b"payload",
            &sig
        ));
        assert!(!verify_signature(
            key.public_key(),
            SignatureDomain::Checkpoint,
            b"payload",
            &sig
        ));
        assert!(!verify_signature(
            key.public_key(),
            SignatureDomain::Credential,
            b"payloaD",
            &sig
        ));
    }

    #[test]
    fn the_key_file_is_created_once_and_reloaded() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("signing.key");
        let (a, created) = SigningKey::load_or_create_file(&path).unwrap();
        let (b, again) = SigningKey::load_or_create_file(&path).unwrap();
        assert!(created && !again);
        assert_eq!(a.public_key(), b.public_key());
        assert!(
            !format!("{a:?}").contains(&std::fs::read_to_string(&path).unwrap().trim().to_string())
        );
    }
}
