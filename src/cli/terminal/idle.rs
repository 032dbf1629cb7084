//! When a piped `supportgate terminal` is done: its standard input has ended and the
//! shell has printed nothing for `--idle-exit`.

use std::time::{Duration, Instant};

/// Tracks the end of piped input and the last output.
#[derive(Debug, Clone)]
pub struct IdleExit {
    idle: Duration,
    input_done: Option<Instant>,
    last_output: Option<Instant>,
}

impl IdleExit {
    /// Exits `idle` after both the input has ended and the output has gone quiet.
    pub fn new(idle: Duration) -> Self {
        Self {
            idle,
            input_done: None,
            last_output: None,
        }
    }

    /// All input has been delivered (standard input ended and nothing is queued).
    pub fn input_done(&mut self, now: Instant) {
        if self.input_done.is_none() {
            self.input_done = Some(now);
        }
    }

    /// Output arrived.
    pub fn output(&mut self, now: Instant) {
        self.last_output = Some(now);
    }

    /// When to end the session: `None` while input is still being sent.
    pub fn deadline(&self) -> Option<Instant> {
        let done = self.input_done?;
        let quiet_since = self.last_output.map_or(done, |last| last.max(done));
        quiet_since.checked_add(self.idle)
    }
}
