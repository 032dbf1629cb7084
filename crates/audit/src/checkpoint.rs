//! Signed checkpoints: the gateway's statement that the log had `sequence` entries
//! ending in `head_hash` at `time`.

use chrono::{DateTime, Utc};

use crate::Hash;

/// A checkpoint as stored and exported.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// Sequence number of the last entry covered.
    pub sequence: u64,
    /// That entry's hash.
    pub head_hash: Hash,
    /// When it was signed.
    pub time: DateTime<Utc>,
    /// Which key signed it.
    pub key_id: String,
    /// The Ed25519 signature over [`checkpoint_message`].
    pub signature: Vec<u8>,
}

/// The bytes a checkpoint signature covers (the signer adds its own domain label):
/// `sequence u64 | head_hash [32] | time i64 µs`, big-endian.
pub fn checkpoint_message(sequence: u64, head_hash: &Hash, time: DateTime<Utc>) -> Vec<u8> {
    let mut message = Vec::with_capacity(48);
    message.extend_from_slice(&sequence.to_be_bytes());
    message.extend_from_slice(head_hash);
    message.extend_from_slice(&time.timestamp_micros().to_be_bytes());
    message
}

/// Signs checkpoints; the service implements it with the gateway's key.
pub trait CheckpointSigner: Send + Sync + std::fmt::Debug {
    /// The id verifiers look the public key up by.
    fn key_id(&self) -> &str;
    /// Signs [`checkpoint_message`] bytes.
    fn sign(&self, message: &[u8]) -> Vec<u8>;
}

/// What a verifier concluded about one signature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignatureCheck {
    /// The key is known and the signature is valid.
    Valid,
    /// The key is known and the signature is not valid.
    Invalid,
    /// No trusted key has this id.
    UnknownKey,
}

/// Checks checkpoint signatures against trusted keys (the service or the offline CLI
/// implements it with the gateway's public key).
pub trait SignatureVerifier: Sync {
    /// Checks `signature` over [`checkpoint_message`] bytes under key `key_id`.
    fn check(&self, key_id: &str, message: &[u8], signature: &[u8]) -> SignatureCheck;
}
