//! The gateway's checkpoint key as the tests hold it: a real Ed25519 key pair from a fixed
//! seed, signing and checking with the same domain label as `supportgate-crypto`.

use std::sync::OnceLock;

use chrono::{DateTime, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};
use supportgate_audit::{
    checkpoint_message, Checkpoint, CheckpointSigner, Hash, SignatureCheck, SignatureVerifier,
};

/// The id the trusted gateway key is known by.
pub const KEY_ID: &str = "gateway-test-key";

/// The label the gateway prefixes to checkpoint bytes before signing
/// (`supportgate-crypto`'s `SignatureDomain::Checkpoint`).
const CHECKPOINT_LABEL: &[u8] = b"supportgate/checkpoint/v1\0";

/// An Ed25519 checkpoint signer from a fixed seed.
#[derive(Debug)]
pub struct TestSigner {
    key_id: String,
    pair: Ed25519KeyPair,
}

impl TestSigner {
    fn from_seed(key_id: &str, seed: [u8; 32]) -> TestSigner {
        let pair = Ed25519KeyPair::from_seed_unchecked(&seed).unwrap();
        TestSigner {
            key_id: key_id.to_owned(),
            pair,
        }
    }

    /// The gateway's key (made once: deriving a key pair costs as much as a signature).
    pub fn gateway() -> &'static TestSigner {
        static GATEWAY: OnceLock<TestSigner> = OnceLock::new();
        GATEWAY.get_or_init(|| TestSigner::from_seed(KEY_ID, [0x5e; 32]))
    }

    /// Another key that claims the gateway's key id.
    pub fn impostor() -> TestSigner {
        TestSigner::from_seed(KEY_ID, [0xa7; 32])
    }

    /// A checkpoint saying entry `sequence` had hash `head_hash` at `time`, signed by this key.
    pub fn checkpoint(&self, sequence: u64, head_hash: Hash, time: DateTime<Utc>) -> Checkpoint {
        let signature = self.sign(&checkpoint_message(sequence, &head_hash, time));
        Checkpoint {
            sequence,
            head_hash,
            time,
            key_id: self.key_id.clone(),
            signature,
        }
    }
}

impl CheckpointSigner for TestSigner {
    fn key_id(&self) -> &str {
        &self.key_id
    }

    fn sign(&self, message: &[u8]) -> Vec<u8> {
        let labelled = [CHECKPOINT_LABEL, message].concat();
        self.pair.sign(&labelled).as_ref().to_vec()
    }
}

/// Trusts exactly the gateway key, under [`KEY_ID`].
#[derive(Debug)]
pub struct TrustedKeys {
    public_key: &'static [u8],
}

impl TrustedKeys {
    pub fn gateway() -> TrustedKeys {
        TrustedKeys {
            public_key: TestSigner::gateway().pair.public_key().as_ref(),
        }
    }
}

impl SignatureVerifier for TrustedKeys {
    fn check(&self, key_id: &str, message: &[u8], signature: &[u8]) -> SignatureCheck {
        if key_id != KEY_ID {
            return SignatureCheck::UnknownKey;
        }
        let labelled = [CHECKPOINT_LABEL, message].concat();
        match UnparsedPublicKey::new(&ED25519, self.public_key).verify(&labelled, signature) {
            Ok(()) => SignatureCheck::Valid,
            Err(_) => SignatureCheck::Invalid,
        }
    }
}
