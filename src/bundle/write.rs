//! Writing a bundle: records out as length-delimited protobuf, the running SHA-256 of
//! every byte, and the closing signature record.

use bytes::{Bytes, BytesMut};
use prost::Message;
use ring::digest::{Context, SHA256};

use crate::proto::{bundle_record::Record, BundleRecord, BundleSignature};

/// Encodes bundle records; output is taken in chunks so memory stays bounded.
pub struct BundleWriter {
    digest: Context,
    buffer: BytesMut,
}

impl std::fmt::Debug for BundleWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BundleWriter")
            .field("buffered", &self.buffer.len())
            .finish()
    }
}

impl Default for BundleWriter {
    fn default() -> Self {
        BundleWriter {
            digest: Context::new(&SHA256),
            buffer: BytesMut::new(),
        }
    }
}

impl BundleWriter {
    /// Appends one record (and hashes its bytes).
    pub fn push(&mut self, record: Record) {
        let start = self.buffer.len();
        let message = BundleRecord {
            record: Some(record),
        };
        // Encoding into a growable buffer cannot fail.
        let _ = message.encode_length_delimited(&mut self.buffer);
        self.digest.update(&self.buffer[start..]);
    }

    /// Bytes buffered so far.
    pub fn buffered(&self) -> usize {
        self.buffer.len()
    }

    /// Takes the bytes written so far.
    pub fn take(&mut self) -> Bytes {
        self.buffer.split().freeze()
    }

    /// The SHA-256 of every byte pushed so far: what the closing signature covers.
    pub fn digest(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(self.digest.clone().finish().as_ref());
        out
    }

    /// Appends the closing signature record and returns the last bytes.
    pub fn finish(mut self, key_id: String, signature: Vec<u8>) -> Bytes {
        let record = BundleRecord {
            record: Some(Record::Signature(BundleSignature {
                key_id,
                signature: signature.into(),
            })),
        };
        let _ = record.encode_length_delimited(&mut self.buffer);
        self.buffer.freeze()
    }
}
