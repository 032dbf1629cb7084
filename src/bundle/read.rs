//! Reading a bundle record by record from any `Read`, in bounded memory, hashing the
//! bytes the closing signature covers.

use std::io::Read;

use prost::Message;
use ring::digest::{Context, SHA256};

use crate::proto::{bundle_record::Record, BundleRecord};

/// The largest record a bundle may hold; entries are far smaller, so anything larger is
/// corruption, refused before allocating.
const MAX_RECORD: u64 = 1024 * 1024;

/// Why a bundle could not be read.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    /// The file could not be read.
    #[error("cannot read the bundle")]
    Io(#[source] std::io::Error),
    /// The bytes are not a bundle.
    #[error("the bundle is malformed at byte {offset}: {problem}")]
    Malformed {
        /// Where.
        offset: u64,
        /// What.
        problem: String,
    },
}

/// Yields records; hashes every byte up to (not including) the signature record.
pub struct BundleReader<R> {
    input: R,
    offset: u64,
    digest: Context,
}

impl<R> std::fmt::Debug for BundleReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleReader")
            .field("offset", &self.offset)
            .finish()
    }
}

impl<R: Read> BundleReader<R> {
    /// A reader over `input`.
    pub fn new(input: R) -> Self {
        BundleReader {
            input,
            offset: 0,
            digest: Context::new(&SHA256),
        }
    }

    fn malformed(&self, problem: impl Into<String>) -> BundleError {
        BundleError::Malformed {
            offset: self.offset,
            problem: problem.into(),
        }
    }

    /// Reads one varint; `None` at a clean end of input.
    fn varint(&mut self, raw: &mut Vec<u8>) -> Result<Option<u64>, BundleError> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let mut byte = [0u8; 1];
            match self.input.read(&mut byte).map_err(BundleError::Io)? {
                0 if raw.is_empty() => return Ok(None),
                0 => return Err(self.malformed("the file ends inside a record length")),
                _ => {}
            }
            raw.push(byte[0]);
            value |= u64::from(byte[0] & 0x7f) << shift;
            if byte[0] & 0x80 == 0 {
                return Ok(Some(value));
            }
        }
        Err(self.malformed("a record length is not a valid varint"))
    }

    /// The next record, `None` at the end. The signature record is not hashed.
    pub fn next_record(&mut self) -> Result<Option<Record>, BundleError> {
        let start = self.offset;
        let mut raw = Vec::new();
        let Some(len) = self.varint(&mut raw)? else {
            return Ok(None);
        };
        if len > MAX_RECORD {
            return Err(self.malformed(format!(
                "a record claims {len} bytes, more than any record can hold"
            )));
        }
        let mut body = vec![0u8; usize::try_from(len).unwrap_or(0)];
        self.input
            .read_exact(&mut body)
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::UnexpectedEof => BundleError::Malformed {
                    offset: start,
                    problem: "the file ends inside a record (truncated)".into(),
                },
                _ => BundleError::Io(e),
            })?;
        self.offset = start + raw.len() as u64 + len;
        let record = BundleRecord::decode(body.as_slice())
            .map_err(|e| BundleError::Malformed {
                offset: start,
                problem: format!("not a bundle record: {e}"),
            })?
            .record
            .ok_or(BundleError::Malformed {
                offset: start,
                problem: "an empty record".into(),
            })?;
        if !matches!(record, Record::Signature(_)) {
            self.digest.update(&raw);
            self.digest.update(&body);
        }
        Ok(Some(record))
    }

    /// The SHA-256 of every record read so far except signature records.
    pub fn digest(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.digest.clone().finish().as_ref());
        out
    }

    /// Where the reader is.
    pub fn offset(&self) -> u64 {
        self.offset
    }
}
