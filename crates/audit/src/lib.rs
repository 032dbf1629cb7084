//! The access log's model: what an entry says and the sink entries are appended to.
//!
//! Invariants:
//! - no I/O: storage implements [`AuditSink`] elsewhere;
//! - an entry never holds content, keys or credentials: only who, what, why, the
//!   decision and when (DESIGN section 6);
//! - a [`Receipt`] means the entry is durable; the policy releases nothing before it has one.

mod entry;
mod sink;

pub use entry::{Decision, Entry, NewEntry, StoredFields};
pub use sink::{AuditError, AuditSink, Receipt};
