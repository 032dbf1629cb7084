//! The access log's model: what an entry says, how it is encoded and chained, signed
//! checkpoints, and the verifier.
//!
//! Invariants:
//! - no I/O: storage implements [`AuditSink`] elsewhere; signing and signature checks
//!   come in through [`CheckpointSigner`] and [`SignatureVerifier`];
//! - an entry never holds content, keys or credentials: only who, what, why, the
//!   decision and when (DESIGN section 6);
//! - a [`Receipt`] means the entry is durable; the policy releases nothing before it has one;
//! - an entry's hash commits to its canonical encoding ([`encode_entry`]) and to the
//!   previous entry's hash, so any change, removal, insertion or reordering is found by
//!   [`Verifier`] and named by sequence number.

mod chain;
mod checkpoint;
mod encoding;
mod entry;
mod sink;
mod verify;

pub use chain::{entry_hash, hex, Hash, GENESIS};
pub use checkpoint::{
    checkpoint_message, Checkpoint, CheckpointSigner, SignatureCheck, SignatureVerifier,
};
pub use encoding::{encode_entry, ENTRY_FORMAT};
pub use entry::{Decision, Entry, NewEntry, StoredFields};
pub use sink::{AuditError, AuditSink, Receipt};
pub use verify::{Link, Problem, ProblemKind, Report, Verifier, MAX_PROBLEMS};
