//! Numbering and encoding frames as the relay records them.

use chrono::{DateTime, Utc};
use prost::encoding::{
    encode_key, encode_varint, encoded_len_varint, int32, key_len, message, uint64, WireType,
};

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
    ///
    /// ## Why the message is written field by field
    /// The relay records every frame on its path: building a `RecordedFrame` would copy
    /// the participant id and the frame for each one. The bytes are those prost writes
    /// for the same message (fields in order, defaults left out), which a test checks.
    pub fn encode(
        &mut self,
        origin: FrameOrigin<'_>,
        frame: &proto::Frame,
        out: &mut Vec<u8>,
    ) -> Result<u64, RecordingFormatError> {
        let sequence = self.next_sequence;
        let fields = Fields::new(sequence, origin, frame);
        let len = fields.encoded_len();
        if len > MAX_FRAME_LEN {
            return Err(RecordingFormatError::TooLargeToRecord {
                sequence,
                len,
                max: MAX_FRAME_LEN,
            });
        }
        out.reserve(encoded_len_varint(len as u64) + len);
        encode_varint(len as u64, out);
        fields.encode(out);
        self.next_sequence += 1;
        Ok(sequence)
    }
}

/// The fields of the `RecordedFrame` for `frame` relayed as `origin` says, borrowed.
struct Fields<'a> {
    sequence: u64,
    elapsed_micros: u64,
    time: prost_types::Timestamp,
    direction: i32,
    participant_id: &'a str,
    frame: &'a proto::Frame,
}

impl<'a> Fields<'a> {
    fn new(sequence: u64, origin: FrameOrigin<'a>, frame: &'a proto::Frame) -> Self {
        Fields {
            sequence,
            elapsed_micros: origin.elapsed_micros,
            time: prost_types::Timestamp {
                seconds: origin.time.timestamp(),
                // A leap second reads as nanos past 1e9, which a Timestamp cannot hold.
                nanos: i32::try_from(origin.time.timestamp_subsec_nanos().min(999_999_999))
                    .unwrap_or(0),
            },
            direction: origin.direction as i32,
            participant_id: origin.participant_id,
            frame,
        }
    }

    fn participant_id_len(&self) -> usize {
        if self.participant_id.is_empty() {
            return 0;
        }
        let len = self.participant_id.len();
        key_len(5) + encoded_len_varint(len as u64) + len
    }

    fn encoded_len(&self) -> usize {
        let sequence = match self.sequence {
            0 => 0,
            v => uint64::encoded_len(1, &v),
        };
        let elapsed = match self.elapsed_micros {
            0 => 0,
            v => uint64::encoded_len(2, &v),
        };
        let direction = match self.direction {
            0 => 0,
            v => int32::encoded_len(4, &v),
        };
        sequence
            + elapsed
            + message::encoded_len(3, &self.time)
            + direction
            + self.participant_id_len()
            + message::encoded_len(6, self.frame)
    }

    fn encode(&self, out: &mut Vec<u8>) {
        if self.sequence != 0 {
            uint64::encode(1, &self.sequence, out);
        }
        if self.elapsed_micros != 0 {
            uint64::encode(2, &self.elapsed_micros, out);
        }
        message::encode(3, &self.time, out);
        if self.direction != 0 {
            int32::encode(4, &self.direction, out);
        }
        if !self.participant_id.is_empty() {
            encode_key(5, WireType::LengthDelimited, out);
            encode_varint(self.participant_id.len() as u64, out);
            out.extend_from_slice(self.participant_id.as_bytes());
        }
        message::encode(6, self.frame, out);
    }
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;
    use prost::Message;

    use super::*;
    use crate::proto::frame::Kind;

    fn recorded(sequence: u64, origin: FrameOrigin<'_>, frame: &proto::Frame) -> Vec<u8> {
        let message = proto::RecordedFrame {
            sequence,
            elapsed_micros: origin.elapsed_micros,
            time: Some(prost_types::Timestamp {
                seconds: origin.time.timestamp(),
                nanos: i32::try_from(origin.time.timestamp_subsec_nanos()).unwrap(),
            }),
            direction: origin.direction as i32,
            participant_id: origin.participant_id.to_owned(),
            frame: Some(frame.clone()),
        };
        message.encode_length_delimited_to_vec()
    }

    #[test]
    fn the_bytes_are_those_prost_writes_for_the_message() {
        let frames = [
            proto::Frame {
                kind: Some(Kind::Output(proto::Output {
                    data: vec![b'o'; 300].into(),
                })),
            },
            proto::Frame {
                kind: Some(Kind::End(proto::End { reason: 0 })),
            },
            proto::Frame { kind: None },
        ];
        let origins = [
            FrameOrigin {
                elapsed_micros: 0,
                time: DateTime::from_timestamp(0, 0).unwrap(),
                direction: proto::FrameDirection::Unspecified,
                participant_id: "",
            },
            FrameOrigin {
                elapsed_micros: 1_234_567,
                time: DateTime::from_timestamp(1_700_000_000, 999_999_999).unwrap(),
                direction: proto::FrameDirection::AgentToViewers,
                participant_id: "agent-1",
            },
        ];
        for frame in &frames {
            for origin in origins {
                let mut encoder = FrameEncoder::new();
                let mut out = Vec::new();
                assert_eq!(encoder.encode(origin, frame, &mut out), Ok(1));
                assert_eq!(out, recorded(1, origin, frame));
            }
        }
    }
}
