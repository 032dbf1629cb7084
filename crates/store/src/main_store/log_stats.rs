//! What the access log's writer has done since start, for metrics: commits, their
//! entries and time, failures, and refusals by reason. Counters only, updated by the
//! one writer task after each commit and read at any time.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use supportgate_audit::{Decision, NewEntry};

/// Live counters of the log writer.
#[derive(Debug, Default)]
pub(crate) struct LogStats {
    batches: AtomicU64,
    entries: AtomicU64,
    failed_batches: AtomicU64,
    commit_micros: AtomicU64,
    denials: Mutex<BTreeMap<&'static str, u64>>,
}

/// A copy of the counters at one moment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LogStatsSnapshot {
    /// Group commits that succeeded.
    pub batches: u64,
    /// Entries they made durable.
    pub entries: u64,
    /// Group commits that failed (their accesses were refused).
    pub failed_batches: u64,
    /// Time spent in successful commits, in microseconds.
    pub commit_micros: u64,
    /// Durable `denied` entries by reason code.
    pub denials: BTreeMap<&'static str, u64>,
}

impl LogStats {
    /// Records a successful commit of `entries` that took `took`.
    pub(crate) fn committed(&self, entries: &[Box<NewEntry>], took: Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.entries
            .fetch_add(entries.len() as u64, Ordering::Relaxed);
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.commit_micros.fetch_add(micros, Ordering::Relaxed);
        if let Ok(mut denials) = self.denials.lock() {
            for entry in entries.iter().filter(|e| e.decision == Decision::Denied) {
                *denials.entry(entry.reason).or_default() += 1;
            }
        }
    }

    /// Records a failed commit.
    pub(crate) fn failed(&self) {
        self.failed_batches.fetch_add(1, Ordering::Relaxed);
    }

    /// The counters now.
    pub(crate) fn snapshot(&self) -> LogStatsSnapshot {
        LogStatsSnapshot {
            batches: self.batches.load(Ordering::Relaxed),
            entries: self.entries.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            commit_micros: self.commit_micros.load(Ordering::Relaxed),
            denials: self.denials.lock().map(|d| d.clone()).unwrap_or_default(),
        }
    }
}
