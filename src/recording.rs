//! Session recordings: their stored form, and what players make of it.
//!
//! # The stored form
//!
//! A session recording (media type `application/x-supportgate-frames`) is, in
//! plaintext — before the segmented encryption that makes it durable, after the
//! decryption that reads it back — exactly what `DownloadRecording` returns:
//!
//! ```text
//! recording = *( padding / frame )
//! padding   = %x00                 ; skipped by readers
//! frame     = length message       ; what prost's `encode_length_delimited` writes
//! length    = varint               ; protobuf base-128 varint: the message's size, >= 1
//! message   = RecordedFrame        ; `length` bytes, protobuf binary encoding
//! ```
//!
//! - `RecordedFrame` (proto/supportgate/v1/recording.proto) carries the `sequence`,
//!   the monotonic `elapsed_micros` since the session started, the wall-clock `time`,
//!   the `direction`, the sending `participant_id` (empty for the gateway's own
//!   frames) and the session `Frame` as relayed (Output, Input, Resize, Chat,
//!   Presence or End).
//! - Sequences are 1, 2, 3… in stream order, without gaps. Readers refuse anything
//!   else ([`RecordingFormatError::SequenceGap`]).
//! - A message is at most [`MAX_FRAME_LEN`] bytes (8 MiB). The encoder never writes a
//!   larger one; the decoder refuses its length before buffering any of it.
//! - Padding: a `0x00` where a length is expected is a zero-length message, i.e. an
//!   empty `RecordedFrame` with sequence 0, which no real frame has. The writer pads a
//!   fixed-size encrypted segment with zero bytes when it makes it durable early, so
//!   runs of them may sit between frames and at the end; readers skip them.
//! - A complete recording ends on a frame boundary (possibly followed by padding). A
//!   recording cut short by a crash may end inside a frame: readers hand out every
//!   whole frame before the cut, then report it
//!   ([`RecordingFormatError::is_truncation`]).
//!
//! # What is here
//!
//! Pure code, no I/O beyond the `Read`/`Write` values it is given:
//! [`FrameEncoder`] numbers and encodes frames as the relay records them,
//! [`FrameDecoder`] (and [`FrameReader`] over any `Read`) decodes a stream that
//! arrives in chunks, [`AsciicastWriter`] exports a terminal recording as asciicast v2,
//! and [`Playback`] times a terminal replay for `supportgate recording play`.

mod asciicast;
mod decode;
mod encode;
mod playback;
#[cfg(test)]
mod test_support;
mod utf8;

pub use asciicast::{initial_size, AsciicastHeader, AsciicastWriter, TerminalSize};
pub use decode::{FrameDecoder, FrameReader};
pub use encode::{FrameEncoder, FrameOrigin};
pub use playback::{
    playback, InvalidSpeed, Playback, PlaybackOptions, PlaybackStep, PlaybackTimer,
};

/// The largest encoded `RecordedFrame` the encoder writes and the decoder accepts.
///
/// ## Why
/// Frames on the session stream are far smaller (the gateway caps them); the bound
/// keeps a reader of a corrupt or hostile stream from buffering without limit.
pub const MAX_FRAME_LEN: usize = 8 * 1024 * 1024;

/// Why bytes are not (or do not end) a well-formed stored recording, or why a frame
/// cannot be recorded. Offsets count bytes from the start of the stored form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordingFormatError {
    /// A length prefix longer than ten bytes or past `u64`.
    #[error("frame at byte {offset} has a malformed length prefix")]
    BadLength {
        /// Where the frame starts.
        offset: u64,
    },
    /// A length prefix above the maximum; nothing of the frame was buffered.
    #[error("frame at byte {offset} declares {len} bytes, more than the maximum of {max}")]
    FrameTooLarge {
        /// Where the frame starts.
        offset: u64,
        /// The length it declares.
        len: u64,
        /// The maximum accepted.
        max: usize,
    },
    /// The message bytes are not a `RecordedFrame`.
    #[error("frame at byte {offset} is not a valid RecordedFrame")]
    Malformed {
        /// Where the frame starts.
        offset: u64,
        /// What protobuf decoding found.
        #[source]
        source: prost::DecodeError,
    },
    /// A frame out of order, repeated, after a gap, or numbered 0.
    #[error("frame at byte {offset} has sequence {found}, expected {expected}")]
    SequenceGap {
        /// Where the frame starts.
        offset: u64,
        /// The sequence that should come next.
        expected: u64,
        /// The sequence found.
        found: u64,
    },
    /// The stream ends inside a frame's length prefix.
    #[error("recording ends inside the length prefix of the frame at byte {offset}")]
    TruncatedLength {
        /// Where the cut frame starts.
        offset: u64,
    },
    /// The stream ends inside a frame's message.
    #[error("recording ends inside the frame at byte {offset}: {have} of {need} bytes present")]
    Truncated {
        /// Where the cut frame starts.
        offset: u64,
        /// Bytes of the frame (prefix included) present.
        have: u64,
        /// Bytes the frame needs (prefix included).
        need: u64,
    },
    /// `finish` was called while a whole frame was still waiting to be read with
    /// `next`: a bug in the caller, not in the stream.
    #[error("frame {sequence} was never read before the end of the recording")]
    UnreadFrame {
        /// The frame left behind.
        sequence: u64,
    },
    /// The encoder was given a frame larger than [`MAX_FRAME_LEN`]; it wrote nothing.
    #[error("frame {sequence} encodes to {len} bytes, more than the maximum of {max}")]
    TooLargeToRecord {
        /// The sequence it would have had (not used up).
        sequence: u64,
        /// Its encoded size.
        len: usize,
        /// The maximum.
        max: usize,
    },
}

impl RecordingFormatError {
    /// True when the stream merely stops inside a frame: every frame before it was
    /// whole, which is what a recording cut short by a crash looks like.
    pub fn is_truncation(&self) -> bool {
        matches!(self, Self::Truncated { .. } | Self::TruncatedLength { .. })
    }
}

/// A recording could not be read, or an export not written.
#[derive(Debug, thiserror::Error)]
pub enum RecordingError {
    /// The bytes are not a well-formed recording.
    #[error(transparent)]
    Format(#[from] RecordingFormatError),
    /// Reading the recording failed.
    #[error("reading the recording failed")]
    Read(#[source] std::io::Error),
    /// Writing the export failed.
    #[error("writing the export failed")]
    Write(#[source] std::io::Error),
}

impl RecordingError {
    /// True when the recording merely stops inside a frame (see
    /// [`RecordingFormatError::is_truncation`]).
    pub fn is_truncation(&self) -> bool {
        matches!(self, Self::Format(e) if e.is_truncation())
    }
}
