//! Decoding the stored form as it arrives, in chunks of any size.

use std::io::{ErrorKind, Read};

use bytes::{Buf, BytesMut};
use prost::Message;

use super::{RecordingError, RecordingFormatError, MAX_FRAME_LEN};
use crate::proto::RecordedFrame;

/// Decodes a stored recording incrementally: [`push`](Self::push) bytes as they
/// arrive, take frames with [`next`](Self::next) until it returns `Ok(None)`, and call
/// [`finish`](Self::finish) after the last bytes.
///
/// Zero padding is skipped, frames may be split anywhere across pushes, sequences are
/// checked (1, 2, 3…), and a length above the maximum is refused as soon as it is read,
/// before any of the frame is buffered. After an error the decoder stays failed:
/// every later call returns the same error and pushed bytes are dropped.
///
/// Memory: drained after each push, the decoder holds at most one incomplete frame
/// plus the chunk last pushed. Decoded `bytes` fields share the pushed buffer.
#[derive(Debug)]
pub struct FrameDecoder {
    buf: BytesMut,
    /// Offset in the stored form of `buf[0]`.
    offset: u64,
    last_sequence: u64,
    max_frame_len: usize,
    failed: Option<RecordingFormatError>,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        Self::new()
    }
}

/// What the start of the buffer holds.
enum Head {
    /// Nothing but (possibly) part of a length prefix.
    Incomplete,
    /// A frame of `len` message bytes after a `prefix`-byte length.
    Frame { prefix: usize, len: usize },
}

impl FrameDecoder {
    /// A decoder accepting frames up to [`MAX_FRAME_LEN`].
    pub fn new() -> Self {
        Self::with_max_frame_len(MAX_FRAME_LEN)
    }

    /// A decoder accepting frames up to `max_frame_len` message bytes.
    pub fn with_max_frame_len(max_frame_len: usize) -> Self {
        Self {
            buf: BytesMut::new(),
            offset: 0,
            last_sequence: 0,
            max_frame_len,
            failed: None,
        }
    }

    /// Appends the next bytes of the stored form.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// The next whole frame, `Ok(None)` when more bytes are needed, or why the stream
    /// is malformed.
    ///
    /// ## Why not `Iterator`
    /// `None` here means "push more", not "the end": an iterator that yields again
    /// after `None` would surprise every adapter.
    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Result<Option<RecordedFrame>, RecordingFormatError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        self.decode_next().inspect_err(|e| {
            self.buf = BytesMut::new();
            self.failed = Some(e.clone());
        })
    }

    /// Checks that the stream ended on a frame boundary (trailing padding is fine).
    /// Call it once every byte was pushed and `next` returned `Ok(None)`; returns the
    /// number of frames decoded.
    pub fn finish(&mut self) -> Result<u64, RecordingFormatError> {
        if let Some(frame) = self.next()? {
            return Err(RecordingFormatError::UnreadFrame {
                sequence: frame.sequence,
            });
        }
        if self.buf.is_empty() {
            return Ok(self.last_sequence);
        }
        let error = match self.head() {
            Ok(Head::Frame { prefix, len }) => RecordingFormatError::Truncated {
                offset: self.offset,
                have: self.buf.len() as u64,
                need: (prefix + len) as u64,
            },
            _ => RecordingFormatError::TruncatedLength {
                offset: self.offset,
            },
        };
        self.failed = Some(error.clone());
        Err(error)
    }

    /// The sequence of the last frame returned (0 before the first).
    pub fn last_sequence(&self) -> u64 {
        self.last_sequence
    }

    /// Offset in the stored form of the first byte not yet consumed.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    fn decode_next(&mut self) -> Result<Option<RecordedFrame>, RecordingFormatError> {
        loop {
            self.skip_padding();
            let (prefix, len) = match self.head()? {
                Head::Incomplete => return Ok(None),
                Head::Frame { prefix, len } => (prefix, len),
            };
            if self.buf.len() < prefix + len {
                return Ok(None);
            }
            let offset = self.offset;
            self.buf.advance(prefix);
            let message = self.buf.split_to(len).freeze();
            self.offset += (prefix + len) as u64;
            if len == 0 {
                // A zero-length message spelled with a longer varint: padding too.
                continue;
            }
            let frame = RecordedFrame::decode(message)
                .map_err(|source| RecordingFormatError::Malformed { offset, source })?;
            let expected = self.last_sequence + 1;
            if frame.sequence != expected {
                return Err(RecordingFormatError::SequenceGap {
                    offset,
                    expected,
                    found: frame.sequence,
                });
            }
            self.last_sequence = frame.sequence;
            return Ok(Some(frame));
        }
    }

    fn skip_padding(&mut self) {
        let zeros = self.buf.iter().take_while(|b| **b == 0).count();
        self.buf.advance(zeros);
        self.offset += zeros as u64;
    }

    /// Parses the length prefix at the start of the buffer.
    fn head(&self) -> Result<Head, RecordingFormatError> {
        let offset = self.offset;
        let mut value: u64 = 0;
        for (i, byte) in self.buf.iter().enumerate() {
            // Ten bytes hold 64 bits; the tenth may only carry the top bit.
            if i == 9 && *byte > 1 {
                return Err(RecordingFormatError::BadLength { offset });
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte & 0x80 == 0 {
                let len = usize::try_from(value)
                    .ok()
                    .filter(|len| *len <= self.max_frame_len)
                    .ok_or(RecordingFormatError::FrameTooLarge {
                        offset,
                        len: value,
                        max: self.max_frame_len,
                    })?;
                return Ok(Head::Frame { prefix: i + 1, len });
            }
        }
        Ok(Head::Incomplete)
    }
}

/// The frames of a stored recording read from `R`, in order; a format error, a read
/// error or the truncation found at the end is the last item.
#[derive(Debug)]
pub struct FrameReader<R> {
    reader: R,
    decoder: FrameDecoder,
    chunk: Vec<u8>,
    done: bool,
}

impl<R: Read> FrameReader<R> {
    /// Reads `reader` in 64 KiB chunks.
    pub fn new(reader: R) -> Self {
        Self::with_decoder(reader, FrameDecoder::new())
    }

    /// Reads `reader` through `decoder` (for a different maximum frame size).
    pub fn with_decoder(reader: R, decoder: FrameDecoder) -> Self {
        Self {
            reader,
            decoder,
            chunk: vec![0; 64 * 1024],
            done: false,
        }
    }

    fn read_next(&mut self) -> Result<Option<RecordedFrame>, RecordingError> {
        loop {
            if let Some(frame) = self.decoder.next()? {
                return Ok(Some(frame));
            }
            match self.reader.read(&mut self.chunk) {
                Ok(0) => {
                    self.decoder.finish()?;
                    return Ok(None);
                }
                Ok(n) => self.decoder.push(&self.chunk[..n]),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(RecordingError::Read(e)),
            }
        }
    }
}

impl<R: Read> Iterator for FrameReader<R> {
    type Item = Result<RecordedFrame, RecordingError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let item = self.read_next().transpose();
        self.done = !matches!(item, Some(Ok(_)));
        item
    }
}

#[cfg(test)]
mod tests;
