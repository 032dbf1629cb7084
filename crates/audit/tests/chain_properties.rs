//! Property tests of the access log's tamper evidence. For random chains of 1 to 59
//! entries with random values in every field (empty, non-ASCII and control-character
//! strings, absent and present ids, every role, class, purpose and decision), with
//! checkpoints signed by a real Ed25519 key at random entries and always at the head,
//! read as a bundle, as the store's `log_verify` reads them, and as links without
//! `prev_hash`, the verifier
//!
//! 1. passes an intact chain and reports its counts, ends, head and last checkpoint
//!    (`intact`);
//! 2. names the entry one of whose fields, stored hash or recorded previous hash changed,
//!    and nothing else (`tampering`);
//! 3. names a removed entry by its sequence, and a removed head by its checkpoint;
//! 4. names a forged entry inserted anywhere, however self-consistent its hash, and shows
//!    one appended past the last checkpoint as not covered by it;
//! 5. names the first position of two swapped entries (or swapped row contents), and the
//!    first position disturbed by any entry moved;
//! 6. catches a rewritten entry whose later hashes were all recomputed at the first
//!    checkpoint covering it, and vouches for no checkpoint from there on (`checkpoints`);
//! 7. reports a checkpoint with any single bit of its signature, head hash, sequence or
//!    time flipped, one under an unknown key id, and one signed by another key;
//! 8. verifies a tenant export where redacted links stand in for other entries, and names
//!    a redacted link whose hashes, or a shown entry whose fields, changed (`redaction`);
//! 9. rests on an entry encoding that is stable and injective: a decoder written from the
//!    documented format inverts it, and different fields never share bytes (`encoding`).
//!
//! `PROPTEST_CASES=1000 cargo test -p supportgate-audit --test chain_properties` runs
//! deeper than the default.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "chain_properties/fixtures.rs"]
mod fixtures;
#[path = "chain_properties/keys.rs"]
mod keys;
#[path = "chain_properties/mutations.rs"]
mod mutations;

#[path = "chain_properties/checkpoints.rs"]
mod checkpoints;
#[path = "chain_properties/encoding.rs"]
mod encoding;
#[path = "chain_properties/intact.rs"]
mod intact;
#[path = "chain_properties/redaction.rs"]
mod redaction;
#[path = "chain_properties/tampering.rs"]
mod tampering;
