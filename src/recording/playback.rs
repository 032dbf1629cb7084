//! Timing of a terminal replay (`supportgate recording play REC --speed X --max-idle D`).
//!
//! Pure: the caller sleeps for each step's delay and writes its bytes.

use std::time::Duration;

use bytes::Bytes;

use crate::proto::{frame::Kind, RecordedFrame};

/// A playback speed that is not a positive finite number.
#[derive(Debug, Clone, Copy, PartialEq, thiserror::Error)]
#[error("playback speed must be a positive finite number, got {0}")]
pub struct InvalidSpeed(pub f64);

/// How fast to replay, and the longest pause to sit through.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaybackOptions {
    speed: f64,
    max_idle: Option<Duration>,
}

impl Default for PlaybackOptions {
    /// Real time, no cap on pauses.
    fn default() -> Self {
        Self {
            speed: 1.0,
            max_idle: None,
        }
    }
}

impl PlaybackOptions {
    /// `speed` divides every delay (2.0 = twice as fast); `max_idle` caps each pause
    /// between outputs, measured in recording time, before the speed applies.
    ///
    /// ## Why cap before dividing
    /// It is what asciinema does with `--idle-time-limit` and `--speed`, so the same
    /// flags give the same replay in both players.
    pub fn new(speed: f64, max_idle: Option<Duration>) -> Result<Self, InvalidSpeed> {
        if speed.is_finite() && speed > 0.0 {
            Ok(Self { speed, max_idle })
        } else {
            Err(InvalidSpeed(speed))
        }
    }

    /// The speed factor.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The longest pause, in recording time.
    pub fn max_idle(&self) -> Option<Duration> {
        self.max_idle
    }
}

/// One step of a replay: wait `delay`, then write `data` to the terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlaybackStep {
    /// How long to wait after the previous step (or the start).
    pub delay: Duration,
    /// The agent's output, as recorded.
    pub data: Bytes,
}

/// Turns frames, one at a time, into replay steps: only agent Output is replayed, and
/// each delay is the recorded gap since the previous output (since the session start
/// for the first), capped and divided by the speed.
#[derive(Debug, Clone)]
pub struct PlaybackTimer {
    options: PlaybackOptions,
    last_micros: u64,
}

impl PlaybackTimer {
    /// A timer at the start of the session.
    pub fn new(options: PlaybackOptions) -> Self {
        Self {
            options,
            last_micros: 0,
        }
    }

    /// The step for `frame`, or `None` when it is not agent output.
    pub fn step(&mut self, frame: &RecordedFrame) -> Option<PlaybackStep> {
        let Some(Kind::Output(output)) = frame.frame.as_ref()?.kind.as_ref() else {
            return None;
        };
        let gap = Duration::from_micros(frame.elapsed_micros.saturating_sub(self.last_micros));
        self.last_micros = self.last_micros.max(frame.elapsed_micros);
        let gap = self.options.max_idle.map_or(gap, |max| gap.min(max));
        let delay = Duration::try_from_secs_f64(gap.as_secs_f64() / self.options.speed)
            .unwrap_or(Duration::MAX);
        Some(PlaybackStep {
            delay,
            data: output.data.clone(),
        })
    }
}

/// The replay steps of `frames`, in order (see [`PlaybackTimer`]; for a fallible
/// source such as [`FrameReader`](super::FrameReader), call the timer directly).
pub fn playback<I: IntoIterator<Item = RecordedFrame>>(
    frames: I,
    options: PlaybackOptions,
) -> Playback<I::IntoIter> {
    Playback {
        frames: frames.into_iter(),
        timer: PlaybackTimer::new(options),
    }
}

/// Iterator returned by [`playback`].
#[derive(Debug, Clone)]
pub struct Playback<I> {
    frames: I,
    timer: PlaybackTimer,
}

impl<I: Iterator<Item = RecordedFrame>> Iterator for Playback<I> {
    type Item = PlaybackStep;

    fn next(&mut self) -> Option<PlaybackStep> {
        self.frames.by_ref().find_map(|f| self.timer.step(&f))
    }
}

#[cfg(test)]
mod tests;
