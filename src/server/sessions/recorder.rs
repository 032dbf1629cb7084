//! The recorder of one live session: frames are numbered and encoded on the relay's
//! path into a bounded batch, sealed in bulk by a task that owns the recording writer,
//! and made durable every [`RelaySettings::flush_interval`](super::RelaySettings).
//!
//! ## Why a shared batch and a task
//! Sealing is cheap and synchronous; making segments durable is I/O. The relay encodes
//! each frame into the batch before relaying it (so nothing is relayed that was not
//! recorded first) and never waits on the disk, except when the batch is full: then
//! the relay waits, the senders' streams stop being read, and HTTP/2 flow control slows
//! them down. Handing the task one frame at a time would cost a queue slot, an
//! allocation and a wake-up per frame, several times the cost of the frame itself;
//! the task is woken only when a flush must be scheduled, when the batch has a few
//! segments' worth, or to finish. If the writer fails the task ends the session
//! (`RECORDING_FAILED`) and closes the recorder, so no later frame can be relayed
//! unrecorded.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use supportgate_service::{RecordingWriter, Services};
use supportgate_store::EndReason;
use supportgate_types::RecordingId;
use tokio::sync::{oneshot, Notify};
use tokio::time::Instant;

use super::end::EndSignal;
use crate::proto::{self, frame::Kind, FrameDirection};
use crate::recording::{FrameEncoder, FrameOrigin};

/// Encoded bytes in the batch at which the relay wakes the writer: a few segments,
/// sealed in one go.
const WAKE_AT: usize = 16 * 1024;
/// Encoded bytes in the batch at which the relay waits for the writer. One frame may
/// go past it, so a batch holds at most this plus one frame. Large enough that the
/// relay goes on while the writer waits for a flush of [`FLUSH_AT`] bytes.
const FULL_AT: usize = 1024 * 1024;
/// Bytes appended since the last flush at which the writer flushes before the
/// deadline: the writer's sealed segments stay bounded whatever the stream's rate,
/// and each flush's write is short.
const FLUSH_AT: usize = 1024 * 1024;

/// The recording could not take the frame; the session is (being) ended.
#[derive(Debug)]
pub struct RecordingStopped;

/// The relay's handle on a session's recording.
pub struct Recorder {
    id: RecordingId,
    services: Services,
    epoch: Instant,
    shared: Arc<Shared>,
}

/// What the relay and the writer task share.
struct Shared {
    state: Mutex<State>,
    /// Wakes the writer: frames to schedule a flush for, a full batch, or the end.
    work: Notify,
    /// Wakes relays waiting for room: the writer took the batch, or stopped.
    room: Notify,
}

/// The relay's side of the recording, under [`Shared::state`].
struct State {
    encoder: FrameEncoder,
    /// Encoded frames the writer has not taken yet, back to back.
    batch: Vec<u8>,
    /// Whether the writer will come for the batch without being woken: it has a
    /// flush pending. The first frame after a flush wakes it to schedule one.
    scheduled: bool,
    /// The terminal size the agent first reported (players start with it).
    size: Option<(u32, u32)>,
    size_noted: bool,
    /// No frame is taken any more: the recording is finishing, failed or abandoned.
    closed: bool,
    end: End,
}

/// How the writer is to end, once the relay has said.
enum End {
    Running,
    /// Complete the recording with this closing frame, then report whether it is.
    Finish(Vec<u8>, oneshot::Sender<bool>),
    /// Keep what is durable, mark the recording truncated.
    Abandon,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("recording", &self.id)
            .finish_non_exhaustive()
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding the lock leaves plain data behind; keep recording.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
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
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                encoder: FrameEncoder::new(),
                batch: Vec::new(),
                scheduled: false,
                size: None,
                size_noted: false,
                closed: false,
                end: End::Running,
            }),
            work: Notify::new(),
            room: Notify::new(),
        });
        // Boxed: the task's future would otherwise hold the writer more than once
        // (each way of ending it moves it), for the whole session.
        tokio::spawn(write_loop(
            Box::new(writer),
            shared.clone(),
            flush_interval,
            end,
        ));
        Recorder {
            id,
            services,
            epoch: Instant::now(),
            shared,
        }
    }

    /// The recording's id.
    pub fn id(&self) -> RecordingId {
        self.id
    }

    /// Appends `frame` to `out`, numbered by `encoder`.
    fn encode(
        &self,
        encoder: &mut FrameEncoder,
        direction: FrameDirection,
        participant_id: &str,
        frame: &proto::Frame,
        out: &mut Vec<u8>,
    ) -> Result<(), RecordingStopped> {
        // Read under the state's lock, so that times follow the sequence.
        let origin = FrameOrigin {
            elapsed_micros: u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX),
            time: self.services.now(),
            direction,
            participant_id,
        };
        encoder
            .encode(origin, frame, out)
            .map(|_| ())
            .map_err(|_| RecordingStopped)
    }

    /// Records one frame; returns once it is in the batch (waiting while the batch is
    /// full).
    pub async fn record(
        &self,
        direction: FrameDirection,
        participant_id: &str,
        frame: &proto::Frame,
    ) -> Result<(), RecordingStopped> {
        loop {
            let room = {
                let mut state = self.shared.state();
                if state.closed {
                    return Err(RecordingStopped);
                }
                if state.batch.len() < FULL_AT {
                    return self.append(&mut state, direction, participant_id, frame);
                }
                // Registered under the lock: the writer's next take wakes it.
                self.shared.room.notified()
            };
            room.await;
        }
    }

    /// Records the presence of those already here as the recording starts; never
    /// waits (there are at most [`super::live::MAX_PARTICIPANTS`] of them), so that it
    /// can be done under the roster's lock.
    pub fn record_start(&self, frame: &proto::Frame) -> Result<(), RecordingStopped> {
        let mut state = self.shared.state();
        if state.closed {
            return Err(RecordingStopped);
        }
        self.append(&mut state, FrameDirection::Broadcast, "", frame)
    }

    fn append(
        &self,
        state: &mut State,
        direction: FrameDirection,
        participant_id: &str,
        frame: &proto::Frame,
    ) -> Result<(), RecordingStopped> {
        if let (false, FrameDirection::AgentToViewers, Some(Kind::Resize(size))) =
            (state.size_noted, direction, frame.kind.as_ref())
        {
            state.size_noted = true;
            state.size = Some((size.cols, size.rows));
        }
        let before = state.batch.len();
        self.encode(
            &mut state.encoder,
            direction,
            participant_id,
            frame,
            &mut state.batch,
        )?;
        let wake = !state.scheduled || (before < WAKE_AT && state.batch.len() >= WAKE_AT);
        state.scheduled = true;
        if wake {
            self.shared.work.notify_one();
        }
        Ok(())
    }

    /// Ends the recording with `closing` as its last frame; `true` once it is complete
    /// and durable. Nothing is recorded after it.
    pub async fn finish(&self, closing: &proto::Frame) -> bool {
        let (done, finished) = oneshot::channel();
        {
            let mut state = self.shared.state();
            if state.closed {
                return false;
            }
            state.closed = true;
            let mut encoded = Vec::new();
            if self
                .encode(
                    &mut state.encoder,
                    FrameDirection::Broadcast,
                    "",
                    closing,
                    &mut encoded,
                )
                .is_err()
            {
                state.end = End::Abandon;
                self.shared.work.notify_one();
                return false;
            }
            state.end = End::Finish(encoded, done);
        }
        self.shared.work.notify_one();
        finished.await.unwrap_or(false)
    }

    /// Stops recording without completing it: what is durable stays readable, and the
    /// recording is marked truncated.
    pub fn abandon(&self) {
        let mut state = self.shared.state();
        if !state.closed {
            state.closed = true;
            state.end = End::Abandon;
            self.shared.work.notify_one();
        }
    }
}

impl Drop for Recorder {
    /// A recorder neither finished nor abandoned (its session gone) still closes its
    /// recording, so the writer task does not wait forever.
    fn drop(&mut self) {
        self.abandon();
    }
}

/// Owns the writer: takes the batch when woken, appends its frames, flushes on the
/// deadline or once [`FLUSH_AT`] bytes wait, finishes or truncates.
async fn write_loop(
    mut writer: Box<RecordingWriter>,
    shared: Arc<Shared>,
    flush_interval: Duration,
    end: EndSignal,
) {
    // While busy, the batch is swapped with this one, so neither side allocates.
    let mut taken = Vec::new();
    let mut unflushed = 0;
    let mut flush_at: Option<Instant> = None;
    loop {
        let deadline = flush_at;
        let due = tokio::select! {
            () = shared.work.notified() => false,
            () = sleep_until(deadline), if deadline.is_some() => true,
        };
        let (size, ending) = {
            let mut state = shared.state();
            std::mem::swap(&mut state.batch, &mut taken);
            let ending = std::mem::replace(&mut state.end, End::Running);
            (state.size.take(), ending)
        };
        shared.room.notify_waiters();
        if let Some((cols, rows)) = size {
            writer.initial_size(cols, rows);
        }
        if let Err(error) = append_all(&mut writer, &taken) {
            return Box::pin(fail(writer, &shared, &end, &error)).await;
        }
        unflushed += taken.len();
        taken.clear();
        match ending {
            End::Running => {}
            End::Finish(closing, done) => {
                let id = writer.id();
                let finished = Box::pin(writer.finish(&closing)).await;
                if let Err(error) = &finished {
                    tracing::error!(recording = %id, error = %crate::error_chain(error),
                        "the recording could not be completed; it is marked truncated on the next start");
                }
                let _ = done.send(finished.is_ok());
                return;
            }
            End::Abandon => {
                let id = writer.id();
                if let Err(error) = Box::pin(writer.truncate()).await {
                    tracing::error!(recording = %id, error = %crate::error_chain(&error),
                        "the recording could not be closed; it is marked truncated on the next start");
                }
                return;
            }
        }
        if !due && unflushed < FLUSH_AT {
            if unflushed > 0 {
                flush_at.get_or_insert_with(|| Instant::now() + flush_interval);
            }
            continue;
        }
        let flushing = Instant::now();
        if let Err(error) = Box::pin(writer.flush()).await {
            return Box::pin(fail(writer, &shared, &end, &error)).await;
        }
        unflushed = 0;
        // Frames that came during the flush did not wake the writer: they get the next
        // flush. Without any, the next frame wakes it, and an idle recording keeps no
        // batch memory on either side.
        let pending = {
            let mut state = shared.state();
            state.scheduled = !state.batch.is_empty();
            if !state.scheduled {
                state.batch = Vec::new();
            }
            state.scheduled
        };
        flush_at = pending.then(|| flushing + flush_interval);
        if !pending {
            taken = Vec::new();
        }
    }
}

/// Appends each length-delimited frame of `batch` (the writer counts frames).
fn append_all(
    writer: &mut RecordingWriter,
    batch: &[u8],
) -> Result<(), supportgate_service::ServiceError> {
    let mut rest = batch;
    while !rest.is_empty() {
        let mut cursor = rest;
        // The batch holds only what the encoder wrote: the prefix is always valid.
        let len = prost::decode_length_delimiter(&mut cursor).unwrap_or(cursor.len());
        let frame_len = rest.len() - cursor.len() + len;
        let (frame, next) = rest.split_at(frame_len.min(rest.len()));
        writer.append(frame)?;
        rest = next;
    }
    Ok(())
}

async fn sleep_until(deadline: Option<Instant>) {
    if let Some(deadline) = deadline {
        tokio::time::sleep_until(deadline).await;
    }
}

/// A write failed: no frame is taken any more, what is durable stays readable
/// (truncated), and the session ends.
async fn fail(
    writer: Box<RecordingWriter>,
    shared: &Shared,
    end: &EndSignal,
    error: &supportgate_service::ServiceError,
) {
    shared.state().closed = true;
    shared.room.notify_waiters();
    let id = writer.id();
    tracing::error!(recording = %id, error = %crate::error_chain(error),
        "recording write failed: ending the session (fail-closed)");
    end.end(EndReason::RecordingFailed);
    if let Err(error) = writer.truncate().await {
        tracing::error!(recording = %id, error = %crate::error_chain(&error),
            "the failed recording could not be marked truncated; it is on the next start");
    }
}
