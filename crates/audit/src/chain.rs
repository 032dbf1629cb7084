//! The hash chain: each entry's hash commits to the previous entry's hash and to its own
//! canonical encoding, so changing, removing, inserting or reordering any entry changes
//! every hash after it.

use ring::digest::{Context, SHA256};

/// A SHA-256 value.
pub type Hash = [u8; 32];

/// The `prev_hash` of entry 1.
pub const GENESIS: Hash = [0; 32];

/// Domain separation: an entry hash can never be confused with any other SHA-256 the
/// gateway computes.
const ENTRY_DOMAIN: &[u8] = b"supportgate/log-entry/v1\0";

/// `SHA-256(domain | prev | encoded)`.
pub fn entry_hash(prev: &Hash, encoded: &[u8]) -> Hash {
    let mut context = Context::new(&SHA256);
    context.update(ENTRY_DOMAIN);
    context.update(prev);
    context.update(encoded);
    let mut hash = [0u8; 32];
    hash.copy_from_slice(context.finish().as_ref());
    hash
}

/// Lower-case hex, for messages and logs.
pub fn hex(hash: &[u8]) -> String {
    use std::fmt::Write as _;
    hash.iter()
        .fold(String::with_capacity(hash.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}
