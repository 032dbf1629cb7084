//! The gateway's signing key as the access log uses it: it signs checkpoints and export
//! bundles, and it is the key verification trusts.

use std::sync::Arc;
use std::time::Duration;

use supportgate_audit::{CheckpointSigner, SignatureCheck, SignatureVerifier};
use supportgate_crypto::{verify_signature, SignatureDomain, SigningKey};
use supportgate_store::LogOptions;
use supportgate_types::Clock;

/// The gateway's Ed25519 key with its public id.
#[derive(Debug)]
pub struct GatewayKey {
    key: SigningKey,
    key_id: String,
}

impl GatewayKey {
    /// Wraps the key loaded at start-up.
    pub fn new(key: SigningKey) -> Arc<GatewayKey> {
        let key_id = key.key_id();
        Arc::new(GatewayKey { key, key_id })
    }

    /// The key credentials are signed with too.
    pub(crate) fn signing_key(&self) -> &SigningKey {
        &self.key
    }

    /// The raw public key.
    pub fn public_key(&self) -> &[u8] {
        self.key.public_key()
    }

    /// The public id checkpoints and bundles name.
    pub fn id(&self) -> &str {
        &self.key_id
    }

    /// Signs the digest of an export bundle.
    pub fn sign_bundle(&self, digest: &[u8]) -> Vec<u8> {
        self.key.sign(SignatureDomain::LogBundle, digest)
    }

    /// The log writer's options: checkpoints signed with this key, times from `clock`.
    pub fn log_options(
        self: &Arc<Self>,
        clock: Arc<dyn Clock>,
        checkpoint_every: u64,
        checkpoint_interval: Duration,
    ) -> LogOptions {
        LogOptions {
            signer: Some(self.clone()),
            clock,
            checkpoint_every,
            checkpoint_interval,
            ..LogOptions::default()
        }
    }
}

impl CheckpointSigner for GatewayKey {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.key.sign(SignatureDomain::Checkpoint, message)
    }
}

/// Public keys a verifier trusts, by id: the gateway's own on the server; the one given
/// on the command line offline.
#[derive(Clone, Debug, Default)]
pub struct TrustedKeys {
    keys: Vec<(String, [u8; 32])>,
}

impl TrustedKeys {
    /// Trusts `public_key`, under the id derived from it.
    pub fn with(mut self, public_key: [u8; 32]) -> Self {
        self.keys
            .push((supportgate_crypto::public_key_id(&public_key), public_key));
        self
    }

    /// The trusted key with id `key_id`.
    pub fn get(&self, key_id: &str) -> Option<&[u8; 32]> {
        self.keys
            .iter()
            .find(|(id, _)| id == key_id)
            .map(|(_, key)| key)
    }

    /// Checks a bundle signature over `digest` by key `key_id`.
    pub fn check_bundle(&self, key_id: &str, digest: &[u8], signature: &[u8]) -> SignatureCheck {
        self.check_domain(SignatureDomain::LogBundle, key_id, digest, signature)
    }

    fn check_domain(
        &self,
        domain: SignatureDomain,
        key_id: &str,
        bytes: &[u8],
        signature: &[u8],
    ) -> SignatureCheck {
        match self.get(key_id) {
            None => SignatureCheck::UnknownKey,
            Some(key) if verify_signature(key, domain, bytes, signature) => SignatureCheck::Valid,
            Some(_) => SignatureCheck::Invalid,
        }
    }
}

impl SignatureVerifier for TrustedKeys {
    fn check(&self, key_id: &str, message: &[u8], signature: &[u8]) -> SignatureCheck {
        self.check_domain(SignatureDomain::Checkpoint, key_id, message, signature)
    }
}
