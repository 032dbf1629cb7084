//! The protobuf codec of every generated service and client: prost, except that a
//! message that does not parse is the caller's fault (`INVALID_ARGUMENT`, reason
//! `MALFORMED_MESSAGE`), not the server's (`INTERNAL`, tonic's default).
//!
//! `build.rs` points tonic's code generator here (`codec_path`).

use std::marker::PhantomData;

use prost::Message;
use tonic::codec::{BufferSettings, Codec, DecodeBuf, Decoder};
use tonic::{Code, Status};
use tonic_prost::{ProstCodec, ProstDecoder, ProstEncoder};

use super::status::with_reason;

/// The buffer each stream starts with, in each direction.
///
/// ## Why small
/// tonic allocates it eagerly for every call and keeps it for the call's life (8 KiB
/// by default), while a buffer grows to whatever message arrives: the decoder reserves
/// a message's whole length once its header is read. A session holds two streams for
/// hours and its frames are mostly small, so the default would be most of an idle
/// session's memory.
const INITIAL_BUFFER: usize = 512;

/// How much encoded output a stream gathers before handing it to the transport
/// (tonic's default): batching many small messages into one write.
const YIELD_THRESHOLD: usize = 32 * 1024;

fn buffers() -> BufferSettings {
    BufferSettings::new(INITIAL_BUFFER, YIELD_THRESHOLD)
}

/// prost encoding with precise decode errors, and small initial buffers.
#[derive(Debug, Clone)]
pub struct StrictCodec<T, U> {
    _types: PhantomData<(T, U)>,
}

impl<T, U> Default for StrictCodec<T, U> {
    fn default() -> Self {
        Self {
            _types: PhantomData,
        }
    }
}

impl<T, U> Codec for StrictCodec<T, U>
where
    T: Message + Send + 'static,
    U: Message + Default + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = ProstEncoder<T>;
    type Decoder = StrictDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        ProstCodec::<T, U>::raw_encoder(buffers())
    }

    fn decoder(&mut self) -> Self::Decoder {
        StrictDecoder {
            inner: ProstCodec::<T, U>::raw_decoder(buffers()),
        }
    }
}

/// See [`StrictCodec`].
#[derive(Debug)]
pub struct StrictDecoder<U> {
    inner: ProstDecoder<U>,
}

impl<U: Message + Default> Decoder for StrictDecoder<U> {
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        self.inner.decode(buf).map_err(|status| {
            with_reason(
                Code::InvalidArgument,
                "MALFORMED_MESSAGE",
                format!(
                    "the message is not valid protobuf for this RPC: {}",
                    status.message()
                ),
            )
        })
    }

    fn buffer_settings(&self) -> BufferSettings {
        self.inner.buffer_settings()
    }
}
