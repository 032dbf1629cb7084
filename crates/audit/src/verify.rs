//! The verifier: walks the chain in order, recomputes every hash it can, checks every
//! checkpoint signature, and names each problem by sequence number.
//!
//! It holds only the previous link and a bounded list of problems, so a log of any size
//! verifies in constant memory. The same code checks the live log (server side) and an
//! export bundle (offline): callers only turn their records into [`Link`]s.

use crate::checkpoint::{checkpoint_message, SignatureCheck, SignatureVerifier};
use crate::{encode_entry, entry_hash, hex, Checkpoint, Hash, StoredFields, GENESIS};

/// Problems kept in a report; past this only the count grows (a wholly rewritten log
/// would otherwise make the report as large as the log).
pub const MAX_PROBLEMS: usize = 1000;

/// What kind of damage was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProblemKind {
    /// The entry's fields do not hash to its stored hash: it was changed.
    EntryHashMismatch,
    /// The entry's `prev_hash` is not the previous entry's hash: something before it
    /// was removed, inserted or reordered.
    ChainBroken,
    /// A sequence number is missing or repeated.
    SequenceGap,
    /// A checkpoint's head hash does not match the entry at its sequence.
    CheckpointMismatch,
    /// A checkpoint's signature does not verify under its key.
    BadSignature,
    /// A checkpoint names a key the verifier does not trust.
    UnknownKey,
}

/// One problem, by sequence number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The entry (or checkpoint) concerned.
    pub sequence: u64,
    /// What is wrong.
    pub kind: ProblemKind,
    /// An explanation with hashes in hex; never entry content.
    pub detail: String,
}

/// One link of the chain, as the caller read it.
#[derive(Clone, Copy, Debug)]
pub enum Link<'a> {
    /// A whole entry: its hash is recomputed from its fields.
    Entry {
        /// Its sequence number.
        sequence: u64,
        /// Its fields.
        fields: &'a StoredFields,
        /// The previous hash it claims. Bundles and the store record one; without it a
        /// change to a recorded previous hash could not be seen.
        prev_hash: Option<Hash>,
        /// The hash it is stored with.
        entry_hash: Hash,
    },
    /// An entry known only by its hashes (another tenant's, in a tenant export).
    Redacted {
        /// Its sequence number.
        sequence: u64,
        /// The previous hash it claims.
        prev_hash: Hash,
        /// Its hash.
        entry_hash: Hash,
    },
}

/// The verdict.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Links checked (whole entries and redacted ones).
    pub entries_checked: u64,
    /// Checkpoints checked.
    pub checkpoints_checked: u64,
    /// The first problems found, in the order met (at most [`MAX_PROBLEMS`]).
    pub problems: Vec<Problem>,
    /// How many problems there were in all.
    pub problem_count: u64,
    /// Sequence of the first link checked.
    pub first_sequence: Option<u64>,
    /// Sequence of the last link checked.
    pub last_sequence: Option<u64>,
    /// The stored hash of the last link checked.
    pub head_hash: Option<Hash>,
    /// The last checkpoint whose signature and head hash were both right, with no
    /// problem found before it.
    pub last_valid_checkpoint: Option<Checkpoint>,
}

impl Report {
    /// Whether nothing was wrong.
    pub fn ok(&self) -> bool {
        self.problem_count == 0
    }

    /// The first problem met, in the order links and checkpoints were fed; fed in
    /// sequence order (each checkpoint right after its entry), it names the first entry
    /// changed, removed or reordered.
    pub fn first_problem(&self) -> Option<&Problem> {
        self.problems.first()
    }
}

/// Walks a chain; see the module docs.
pub struct Verifier<'v> {
    signatures: &'v dyn SignatureVerifier,
    next_sequence: u64,
    prev_hash: Hash,
    report: Report,
}

impl std::fmt::Debug for Verifier<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("next_sequence", &self.next_sequence)
            .finish_non_exhaustive()
    }
}

impl<'v> Verifier<'v> {
    /// A verifier for a chain whose first link is `first_sequence` and whose previous
    /// hash is `prev_hash` ([`GENESIS`] when starting at 1).
    pub fn new(
        signatures: &'v dyn SignatureVerifier,
        first_sequence: u64,
        prev_hash: Hash,
    ) -> Self {
        Verifier {
            signatures,
            next_sequence: first_sequence,
            prev_hash,
            report: Report::default(),
        }
    }

    /// A verifier for a whole log, from entry 1.
    pub fn from_genesis(signatures: &'v dyn SignatureVerifier) -> Self {
        Self::new(signatures, 1, GENESIS)
    }

    fn problem(&mut self, sequence: u64, kind: ProblemKind, detail: String) {
        self.report.problem_count += 1;
        if self.report.problems.len() < MAX_PROBLEMS {
            self.report.problems.push(Problem {
                sequence,
                kind,
                detail,
            });
        }
    }

    /// Records a problem the caller found itself (for example a stored value that
    /// cannot be decoded).
    pub fn report_problem(&mut self, sequence: u64, kind: ProblemKind, detail: String) {
        self.problem(sequence, kind, detail);
    }

    /// Records a link whose stored values cannot be read (a column was tampered with
    /// beyond decoding): named as changed, and the chain goes on from its stored hash when
    /// that much is readable.
    pub fn unreadable(&mut self, sequence: u64, stored_hash: Option<Hash>, what: &str) {
        self.check_sequence(sequence);
        let detail = format!("entry {sequence} holds a {what} that cannot be read: it was changed");
        self.problem(sequence, ProblemKind::EntryHashMismatch, detail);
        if let Some(hash) = stored_hash {
            self.prev_hash = hash;
        }
        let report = &mut self.report;
        report.entries_checked += 1;
        report.first_sequence.get_or_insert(sequence);
        report.last_sequence = Some(sequence);
        report.head_hash = stored_hash;
    }

    /// Checks the next link.
    pub fn link(&mut self, link: Link<'_>) {
        let (sequence, claimed_prev, stored_hash) = match link {
            Link::Entry {
                sequence,
                prev_hash,
                entry_hash,
                ..
            } => (sequence, prev_hash, entry_hash),
            Link::Redacted {
                sequence,
                prev_hash,
                entry_hash,
            } => (sequence, Some(prev_hash), entry_hash),
        };
        self.check_sequence(sequence);
        let expected_prev = self.prev_hash;
        if let Some(claimed) = claimed_prev.filter(|claimed| *claimed != expected_prev) {
            self.problem(
                sequence,
                ProblemKind::ChainBroken,
                format!(
                    "entry {sequence} follows hash {} but the previous entry's hash is {}: an entry before it was removed, inserted or reordered",
                    hex(&claimed),
                    hex(&expected_prev)
                ),
            );
        }
        if let Link::Entry { fields, .. } = link {
            let encoded = encode_entry(sequence, fields);
            let computed = entry_hash(&claimed_prev.unwrap_or(expected_prev), &encoded);
            // When only the recorded previous hash was changed, the entry itself still
            // hashes right against the real previous entry: one problem, not two.
            let only_prev_changed = claimed_prev.is_some_and(|claimed| claimed != expected_prev)
                && entry_hash(&expected_prev, &encoded) == stored_hash;
            if computed != stored_hash && !only_prev_changed {
                self.problem(
                    sequence,
                    ProblemKind::EntryHashMismatch,
                    format!(
                        "entry {sequence} hashes to {} but is stored with {}: it was changed",
                        hex(&computed),
                        hex(&stored_hash)
                    ),
                );
            }
        }
        // Go on from the stored hash so that one damaged entry is reported once,
        // not as damage to everything after it.
        self.prev_hash = stored_hash;
        let report = &mut self.report;
        report.entries_checked += 1;
        report.first_sequence.get_or_insert(sequence);
        report.last_sequence = Some(sequence);
        report.head_hash = Some(stored_hash);
    }

    fn check_sequence(&mut self, sequence: u64) {
        let expected = self.next_sequence;
        if sequence > expected {
            let detail = if sequence - expected == 1 {
                format!("entry {expected} is missing: it was removed")
            } else {
                format!(
                    "entries {expected} to {} are missing: they were removed",
                    sequence - 1
                )
            };
            self.problem(expected, ProblemKind::SequenceGap, detail);
        } else if sequence < expected {
            self.problem(
                sequence,
                ProblemKind::SequenceGap,
                format!(
                    "entry {sequence} appears again after entry {}: inserted or reordered",
                    expected - 1
                ),
            );
        }
        self.next_sequence = sequence.saturating_add(1).max(expected);
    }

    /// Checks a checkpoint; it must come right after the link at its sequence.
    pub fn checkpoint(&mut self, checkpoint: &Checkpoint) {
        let sequence = checkpoint.sequence;
        self.report.checkpoints_checked += 1;
        let message = checkpoint_message(sequence, &checkpoint.head_hash, checkpoint.time);
        let signed =
            match self
                .signatures
                .check(&checkpoint.key_id, &message, &checkpoint.signature)
            {
                SignatureCheck::Valid => true,
                SignatureCheck::Invalid => {
                    let detail = format!(
                        "the signature of checkpoint {sequence} does not verify under key {}",
                        checkpoint.key_id
                    );
                    self.problem(sequence, ProblemKind::BadSignature, detail);
                    false
                }
                SignatureCheck::UnknownKey => {
                    let detail = format!(
                        "checkpoint {sequence} is signed by key {}, which is not trusted",
                        checkpoint.key_id
                    );
                    self.problem(sequence, ProblemKind::UnknownKey, detail);
                    false
                }
            };
        let matches = self.report.last_sequence == Some(sequence)
            && self.report.head_hash == Some(checkpoint.head_hash);
        if !matches {
            let detail = match (self.report.last_sequence, self.report.head_hash) {
                (Some(last), Some(head)) if last == sequence => format!(
                    "checkpoint {sequence} signs head hash {} but entry {sequence} is stored with {}",
                    hex(&checkpoint.head_hash),
                    hex(&head)
                ),
                _ => format!("checkpoint {sequence} does not follow entry {sequence}: the entry is missing or out of place"),
            };
            self.problem(sequence, ProblemKind::CheckpointMismatch, detail);
        }
        // A checkpoint vouches for the range only while nothing before it was wrong.
        if signed && matches && self.report.problem_count == 0 {
            self.report.last_valid_checkpoint = Some(checkpoint.clone());
        }
    }

    /// The sequence the next link should have.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// The verdict.
    pub fn finish(self) -> Report {
        self.report
    }
}

#[cfg(test)]
mod tests;
