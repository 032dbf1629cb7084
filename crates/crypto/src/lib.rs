//! Key hierarchy, field encryption, keyed lookup hashes and the segmented content
//! stream for supportgate (DESIGN §8).
//!
//! ```text
//! KeyWrapper (master key: LocalMasterKey today, a KMS later)
//!   └─ wraps TenantKey (one per tenant × KeyClass × key_version)
//!        ├─ HKDF "field-cipher"  → FieldCipher  (AES-256-GCM, contact fields, summaries)
//!        ├─ HKDF "lookup-hash"   → LookupHasher (HMAC-SHA256, e-mail lookups)
//!        └─ HKDF "data-key-wrap" → wraps one DataKey per stored object
//!              └─ SegmentCipher (AES-256-GCM STREAM segments of files and recordings)
//! ```
//!
//! # Invariants
//!
//! - **No I/O**, except the key-file loader behind [`LocalMasterKey::load_or_create_file`]
//!   and [`SigningKey::load_or_create_file`], which reads (and, the first time, creates) a key file. Everything else is pure computation
//!   plus the operating system's random number generator (through `ring`).
//! - **No secrets in `Debug` or `Display`.** Every type holding key material prints
//!   `<redacted>` in its place, and no [`CryptoError`] message carries key bytes, key
//!   encodings or plaintext.
//! - **Key material is zeroized on drop** where this crate owns it ([`SecretKey`]). The
//!   expanded AES and HMAC key schedules live inside `ring`, which does not zeroize them.
//! - **Every ciphertext is bound to its context.** A wrapped tenant key is bound to its
//!   tenant, class and version; a sealed field to its tenant, record and field name. Moving
//!   either elsewhere fails to open with [`CryptoError::Open`].
//! - **Every format is versioned**: a leading version byte (after a magic number for the
//!   stream header), checked before anything else.
//! - `ring` does all the cryptography; this crate only composes it.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod aead;
mod ct;
mod data_key;
mod encode;
mod error;
mod field;
mod keys;
mod lookup;
mod master;
mod secret;
mod segmented;
mod signing;
mod wrapper;

pub use ct::constant_time_eq;
pub use data_key::DataKey;
pub use error::CryptoError;
pub use field::{FieldAad, FieldCipher};
pub use keys::{KeyClass, TenantKey};
pub use lookup::{normalize_email, LookupHasher};
pub use master::LocalMasterKey;
pub use secret::SecretKey;
pub use segmented::{
    SegmentCipher, StreamHeader, MAX_SEGMENT_SIZE, MIN_SEGMENT_SIZE, SEGMENT_SIZE,
};
pub use signing::{
    parse_public_key_pem, public_key_id, public_key_pem, verify_signature, SignatureDomain,
    SigningKey,
};
pub use wrapper::KeyWrapper;
