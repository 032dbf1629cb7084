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
    /// An access-log export bundle (the digest of all its bytes before the signature).
    LogBundle,
}

impl SignatureDomain {
    fn label(self) -> &'static [u8] {
        match self {
            SignatureDomain::Credential => b"supportgate/credential/v1\0",
            SignatureDomain::Checkpoint => b"supportgate/checkpoint/v1\0",
            SignatureDomain::LogBundle => b"supportgate/log-bundle/v1\0",
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

    /// The key's public id: see [`public_key_id`].
    pub fn key_id(&self) -> String {
        public_key_id(self.public_key())
    }

    /// Signs `bytes` for `domain`.
    pub fn sign(&self, domain: SignatureDomain, bytes: &[u8]) -> Vec<u8> {
        self.pair.sign(&message(domain, bytes)).as_ref().to_vec()
    }
}

/// `ed25519:` and the first 16 hex digits of SHA-256 of the public key: how checkpoints
/// and bundles name the key that signed them.
pub fn public_key_id(public_key: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, public_key);
    let hex: String = digest
        .as_ref()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("ed25519:{hex}")
}

/// The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the raw key follows.
const ED25519_SPKI_PREFIX: [u8; 12] = [
    0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
];

/// The public key as a PEM `PUBLIC KEY` (what `openssl pkey -pubin` reads).
pub fn public_key_pem(public_key: &[u8]) -> String {
    use base64::Engine as _;
    let mut der = ED25519_SPKI_PREFIX.to_vec();
    der.extend_from_slice(public_key);
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    format!("-----BEGIN PUBLIC KEY-----\n{b64}\n-----END PUBLIC KEY-----\n")
}

/// Reads an Ed25519 public key from a PEM `PUBLIC KEY`.
pub fn parse_public_key_pem(pem: &str) -> Result<[u8; 32], CryptoError> {
    use base64::Engine as _;
    let body: String = pem
        .trim()
        .strip_prefix("-----BEGIN PUBLIC KEY-----")
        .and_then(|rest| rest.strip_suffix("-----END PUBLIC KEY-----"))
        .ok_or(CryptoError::PublicKey)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body)
        .map_err(|_| CryptoError::PublicKey)?;
    der.strip_prefix(&ED25519_SPKI_PREFIX[..])
        .and_then(|key| <[u8; 32]>::try_from(key).ok())
        .ok_or(CryptoError::PublicKey)
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
    fn a_public_key_round_trips_through_pem_and_other_text_is_refused() {
        let key = SigningKey::from_seed(&SecretKey::generate().unwrap()).unwrap();
        let pem = public_key_pem(key.public_key());
        assert_eq!(
            parse_public_key_pem(&pem).unwrap().as_slice(),
            key.public_key()
        );
        assert!(key.key_id().starts_with("ed25519:") && key.key_id().len() == 24);
        for bad in [
            "",
            "-----BEGIN PUBLIC KEY-----\n!!\n-----END PUBLIC KEY-----",
            &pem.replace("MCow", "MCox"),
        ] {
            assert!(parse_public_key_pem(bad).is_err(), "{bad}");
        }
    }

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
