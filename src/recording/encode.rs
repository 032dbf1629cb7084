//! Numbering and encoding frames as the relay records them.

use chrono::{DateTime, Utc};
use prost::Message;

use super::{RecordingFormatError, MAX_FRAME_LEN};
use crate::proto;

/// What the recording adds to a relayed frame: when, which way and from whom.
#[derive(Debug, Clone, Copy)]
pub struct FrameOrigin<'a> {
    /// Monotonic time since the session started, in microseconds.
    pub elapsed_micros: u64,
    /// Wall-clock time the gateway relayed the frame (read from the injected clock).
    pub time: DateTime<Utc>,
    /// Which way the frame travelled.
    pub direction: proto::FrameDirection,
    /// The sending connection's participant id (`Joined.participant_id`); empty for
    /// frames from the gateway itself (Presence, End). Subject ids are not repeated
    /// here: Chat and Presence frames carry their own.
    pub participant_id: &'a str,
}

/// Turns relayed frames into the stored form (see the [module docs](super)), numbering
/// them 1, 2, 3….
///
/// ## Why the encoder owns the sequence
/// Readers refuse gaps, so the number is handed out only once a frame has been
/// encoded: a refused frame does not use one up.
#[derive(Debug)]
pub struct FrameEncoder {
    next_sequence: u64,
}

impl Default for FrameEncoder {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameEncoder {
    /// An encoder for a new recording: its first frame is sequence 1.
    pub fn new() -> Self {
        Self { next_sequence: 1 }
    }

    /// The sequence the next frame will get.
    pub fn next_sequence(&self) -> u64 {
        self.next_sequence
    }

    /// How many frames have been encoded.
    pub fn frames_encoded(&self) -> u64 {
        self.next_sequence - 1
    }

    /// Numbers `frame`, appends its stored form (length varint, then the
    /// `RecordedFrame`) to `out`, and returns the sequence it got.
    ///
    /// A frame whose encoding exceeds [`MAX_FRAME_LEN`] is refused with
    /// [`RecordingFormatError::TooLargeToRecord`]; `out` and the sequence are left
    /// unchanged.
    pub fn encode(
        &mut self,
        origin: FrameOrigin<'_>,
        frame: proto::Frame,
        out: &mut Vec<u8>,
    ) -> Result<u64, RecordingFormatError> {
        let sequence = self.next_sequence;
        let recorded = recorded_frame(sequence, origin, frame);
        let len = recorded.encoded_len();
        let too_large = RecordingFormatError::TooLargeToRecord {
            sequence,
            len,
            max: MAX_FRAME_LEN,
        };
        if len > MAX_FRAME_LEN {
            return Err(too_large);
        }
        out.reserve(prost::length_delimiter_len(len) + len);
        // A Vec grows on demand: the only error prost reports, a full buffer, cannot
        // happen here.
        recorded
            .encode_length_delimited(out)
            .map_err(|_| too_large)?;
        self.next_sequence += 1;
        Ok(sequence)
    }
}

/// The `RecordedFrame` for `frame` relayed as `origin` says.
fn recorded_frame(
    sequence: u64,
    origin: FrameOrigin<'_>,
    frame: proto::Frame,
) -> proto::RecordedFrame {
    proto::RecordedFrame {
        sequence,
        elapsed_micros: origin.elapsed_micros,
        time: Some(prost_types::Timestamp {
            seconds: origin.time.timestamp(),
            // A leap second reads as nanos past 1e9, which a Timestamp cannot hold.
            nanos: i32::try_from(origin.time.timestamp_subsec_nanos().min(999_999_999))
                .unwrap_or(0),
        }),
        direction: origin.direction as i32,
        participant_id: origin.participant_id.to_owned(),
        frame: Some(frame),
    }
}
