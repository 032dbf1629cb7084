//! The recorder of one live session: frames are numbered and encoded on the relay's
//! path, sealed by a task that owns the recording writer, and made durable in a batch
//! every [`RelaySettings::flush_interval`](super::RelaySettings).
//!
//! ## Why a task and a bounded queue
//! Sealing is cheap and synchronous; making segments durable is I/O. The relay hands
//! each encoded frame to the task before relaying it (so nothing is relayed that was
//! not recorded first) and never waits on the disk, except when the queue is full: then
//! the relay waits, the senders' streams stop being read, and HTTP/2 flow control slows
//! them down. If the writer fails the task ends the session (`RECORDING_FAILED`) and
//! the queue closes, so no later frame can be relayed unrecorded.

use std::time::Duration;

use supportgate_service::{RecordingWriter, Services};
use supportgate_store::EndReason;
use supportgate_types::RecordingId;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::end::EndSignal;
use crate::proto::{self, frame::Kind, FrameDirection};
use crate::recording::{FrameEncoder, FrameOrigin};

/// Encoded frames queued for the writer before the relay waits.
const QUEUE: usize = 64;

enum Command {
    Frame(Vec<u8>),
    /// The terminal size the agent first reported (players start with it).
    Size(u32, u32),
    Finish(Vec<u8>, oneshot::Sender<bool>),
}

/// The recording could not take the frame; the session is (being) ended.
#[derive(Debug)]
pub struct RecordingStopped;

/// The relay's handle on a session's recording.
pub struct Recorder {
    id: RecordingId,
    encoder: FrameEncoder,
    epoch: Instant,
    services: Services,
    queue: mpsc::Sender<Command>,
    size_noted: bool,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("recording", &self.id)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts the writer task; a write failure ends the session through `end`.
    pub fn spawn(
        writer: RecordingWriter,
        services: Services,
        flush_interval: Duration,
        end: EndSignal,
    ) -> Recorder {
        let id = writer.id();
        let (queue, commands) = mpsc::channel(QUEUE);
        tokio::spawn(write_loop(writer, commands, flush_interval, end));
        Recorder {
            id,
            encoder: FrameEncoder::new(),
            epoch: Instant::now(),
            services,
            queue,
            size_noted: false,
        }
    }

    /// The recording's id.
    pub fn id(&self) -> RecordingId {
        self.id
    }

    fn encode(
        &mut self,
        direction: FrameDirection,
        participant_id: &str,
        frame: proto::Frame,
    ) -> Result<Vec<u8>, RecordingStopped> {
        let origin = FrameOrigin {
            elapsed_micros: u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX),
            time: self.services.now(),
            direction,
            participant_id,
        };
        let mut encoded = Vec::new();
        self.encoder
            .encode(origin, frame, &mut encoded)
            .map_err(|_| RecordingStopped)?;
        Ok(encoded)
    }

    /// Records one frame; returns once the writer has it queued.
    pub async fn record(
        &mut self,
        direction: FrameDirection,
        participant_id: &str,
        frame: proto::Frame,
    ) -> Result<(), RecordingStopped> {
        if let (false, FrameDirection::AgentToViewers, Some(Kind::Resize(size))) =
            (self.size_noted, direction, frame.kind.as_ref())
        {
            self.size_noted = true;
            self.queue
                .send(Command::Size(size.cols, size.rows))
                .await
                .map_err(|_| RecordingStopped)?;
        }
        let encoded = self.encode(direction, participant_id, frame)?;
        self.queue
            .send(Command::Frame(encoded))
            .await
            .map_err(|_| RecordingStopped)
    }

    /// Ends the recording with `closing` as its last frame; `true` once it is complete
    /// and durable.
    pub async fn finish(mut self, closing: proto::Frame) -> bool {
        let Ok(encoded) = self.encode(FrameDirection::Broadcast, "", closing) else {
            return false;
        };
        let (done, finished) = oneshot::channel();
        if self
            .queue
            .send(Command::Finish(encoded, done))
            .await
            .is_err()
        {
            return false;
        }
        finished.await.unwrap_or(false)
    }
}

/// Owns the writer: appends, flushes on a deadline, finishes or truncates.
async fn write_loop(
    mut writer: RecordingWriter,
    mut commands: mpsc::Receiver<Command>,
    flush_interval: Duration,
    end: EndSignal,
) {
    let mut flush_at: Option<Instant> = None;
    loop {
        let deadline = flush_at;
        let command = tokio::select! {
            command = commands.recv() => command,
            () = sleep_until(deadline), if deadline.is_some() => {
                flush_at = None;
                if let Err(error) = writer.flush().await {
                    fail(writer, &end, &error).await;
                    return;
                }
                continue;
            }
        };
        match command {
            Some(Command::Frame(frame)) => {
                if let Err(error) = writer.append(&frame) {
                    fail(writer, &end, &error).await;
                    return;
                }
                flush_at.get_or_insert_with(|| Instant::now() + flush_interval);
            }
            Some(Command::Size(cols, rows)) => writer.initial_size(cols, rows),
            Some(Command::Finish(closing, done)) => {
                let id = writer.id();
                let finished = writer.finish(&closing).await;
                if let Err(error) = &finished {
                    tracing::error!(recording = %id, error = %crate::error_chain(error),
                        "the recording could not be completed; it is marked truncated on the next start");
                }
                let _ = done.send(finished.is_ok());
                return;
            }
            None => {
                let id = writer.id();
                if let Err(error) = writer.truncate().await {
                    tracing::error!(recording = %id, error = %crate::error_chain(&error),
                        "the recording could not be closed; it is marked truncated on the next start");
                }
                return;
            }
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}

/// A write failed: what is durable stays readable (truncated), and the session ends.
async fn fail(writer: RecordingWriter, end: &EndSignal, error: &supportgate_service::ServiceError) {
    let id = writer.id();
    tracing::error!(recording = %id, error = %crate::error_chain(error),
        "recording write failed: ending the session (fail-closed)");
    end.end(EndReason::RecordingFailed);
    if let Err(error) = writer.truncate().await {
        tracing::error!(recording = %id, error = %crate::error_chain(&error),
            "the failed recording could not be marked truncated; it is on the next start");
    }
}
