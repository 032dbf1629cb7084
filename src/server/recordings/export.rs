//! Exporting a terminal recording as asciicast v2 while it is read: stored form in,
//! JSON lines out, one bounded chunk at a time.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use supportgate_service::{DownloadChunk, RecordingContent};
use supportgate_store::RecordingState;
use supportgate_types::RequestId;
use tonic::{Code, Status};

use super::super::content::ChunkSource;
use super::super::status::{to_status, with_reason};
use crate::recording::{AsciicastWriter, FrameDecoder, TerminalSize};

/// The media type of asciicast v2.
pub const ASCIICAST_MEDIA_TYPE: &str = "application/x-asciicast";

/// Export bytes gathered before a chunk is sent.
const CHUNK: usize = 64 * 1024;

/// What the asciicast writer writes into, drained into chunks as it fills.
#[derive(Clone, Debug, Default)]
struct Spool(Arc<Mutex<Vec<u8>>>);

impl Spool {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }

    fn len(&self) -> usize {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).len()
    }
}

impl Write for Spool {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The asciicast export of one recording, as a source of chunks.
#[derive(Debug)]
pub struct AsciicastSource {
    content: RecordingContent,
    decoder: FrameDecoder,
    writer: Option<AsciicastWriter<Spool>>,
    spool: Spool,
    offset: u64,
    truncated: bool,
    request_id: RequestId,
}

fn corrupt(error: impl std::fmt::Display) -> Status {
    with_reason(
        Code::DataLoss,
        "RECORDING_CORRUPT",
        format!("the stored recording cannot be converted: {error}"),
    )
}

impl AsciicastSource {
    /// Starts the export (the header line is written at once).
    pub fn new(
        content: RecordingContent,
        include_input: bool,
        request_id: RequestId,
    ) -> Result<Self, Status> {
        let size = content
            .record
            .initial_size
            .map_or(TerminalSize::DEFAULT, |(cols, rows)| TerminalSize {
                cols,
                rows,
            });
        let spool = Spool::default();
        let start = content.record.started_at.map(|t| t.timestamp());
        let writer = AsciicastWriter::new(spool.clone(), size.cols, size.rows, start, None)
            .map_err(corrupt)?
            .include_input(include_input);
        let truncated = content.record.state == RecordingState::Truncated;
        Ok(Self {
            content,
            decoder: FrameDecoder::new(),
            writer: Some(writer),
            spool,
            offset: 0,
            truncated,
            request_id,
        })
    }

    fn chunk(&mut self, data: Vec<u8>) -> DownloadChunk {
        let chunk = DownloadChunk {
            offset: self.offset,
            data: Bytes::from(data),
        };
        self.offset += chunk.data.len() as u64;
        chunk
    }

    fn convert_ready(&mut self) -> Result<(), Status> {
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        while let Some(frame) = self.decoder.next().map_err(corrupt)? {
            writer.write_frame(&frame).map_err(corrupt)?;
        }
        Ok(())
    }

    /// The stored form is read to its end: a truncated recording may stop inside a
    /// frame, which is expected; anything else malformed is not.
    fn close(&mut self) -> Result<(), Status> {
        match self.decoder.finish() {
            Ok(_) => {}
            Err(e) if self.truncated && e.is_truncation() => {}
            Err(e) => return Err(corrupt(e)),
        }
        if let Some(writer) = self.writer.take() {
            writer.finish().map_err(corrupt)?;
        }
        Ok(())
    }
}

impl ChunkSource for AsciicastSource {
    async fn next_chunk(&mut self) -> Result<Option<DownloadChunk>, Status> {
        while self.spool.len() < CHUNK && self.writer.is_some() {
            match self.content.next_chunk().await {
                Ok(Some(stored)) => {
                    self.decoder.push(&stored.data);
                    self.convert_ready()?;
                }
                Ok(None) => self.close()?,
                Err(error) => return Err(to_status(error, self.request_id)),
            }
        }
        let data = self.spool.take();
        Ok((!data.is_empty()).then(|| self.chunk(data)))
    }
}
