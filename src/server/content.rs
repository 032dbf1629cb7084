//! Streaming content to a client: a `ContentHeader`, then `ContentChunk`s read one at a
//! time, with a small queue so a slow client holds back the reader instead of memory
//! growing. Downloads of files and recordings and recording exports share it.

use std::future::Future;

use supportgate_service::{Download, DownloadChunk, RecordingContent, ServiceError};
use supportgate_types::RequestId;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Status};

use super::pending::ServerStream;
use super::status::{to_status, with_reason};
use crate::proto;

/// Messages queued towards a slow client (each chunk at most 256 KiB).
const QUEUE: usize = 4;

/// Where chunks come from.
pub trait ChunkSource: Send + 'static {
    /// The next chunk, `None` after the last.
    fn next_chunk(&mut self) -> impl Future<Output = Result<Option<DownloadChunk>, Status>> + Send;
}

/// A source of chunks from the service, its errors mapped for `request_id`.
#[derive(Debug)]
pub struct Mapped<S> {
    source: S,
    request_id: RequestId,
}

impl<S> Mapped<S> {
    /// Wraps `source`.
    pub fn new(source: S, request_id: RequestId) -> Self {
        Self { source, request_id }
    }
}

macro_rules! service_source {
    ($($t:ty),+) => {$(
        impl ChunkSource for Mapped<$t> {
            async fn next_chunk(&mut self) -> Result<Option<DownloadChunk>, Status> {
                let request_id = self.request_id;
                self.source
                    .next_chunk()
                    .await
                    .map_err(|e: ServiceError| to_status(e, request_id))
            }
        }
    )+};
}

service_source!(Download, RecordingContent);

/// Streams `header` then every chunk of `source` as messages built by `header_msg` and
/// `chunk_msg`. A shutdown stops the stream with `UNAVAILABLE` (retry elsewhere or
/// later, resuming from the last offset received).
pub fn stream<M, S>(
    header: proto::ContentHeader,
    mut source: S,
    shutdown: CancellationToken,
    header_msg: fn(proto::ContentHeader) -> M,
    chunk_msg: fn(proto::ContentChunk) -> M,
) -> ServerStream<M>
where
    M: Send + 'static,
    S: ChunkSource,
{
    let (sender, receiver) = mpsc::channel(QUEUE);
    tokio::spawn(async move {
        if sender.send(Ok(header_msg(header))).await.is_err() {
            return;
        }
        loop {
            let next = tokio::select! {
                next = source.next_chunk() => next,
                () = shutdown.cancelled() => Err(with_reason(
                    Code::Unavailable,
                    "SHUTTING_DOWN",
                    "the gateway is shutting down; retry, resuming from the last offset received",
                )),
            };
            let message = match next {
                Ok(Some(chunk)) => Ok(chunk_msg(proto::ContentChunk {
                    offset: chunk.offset,
                    data: chunk.data,
                })),
                Ok(None) => return,
                Err(status) => Err(status),
            };
            let failed = message.is_err();
            if sender.send(message).await.is_err() || failed {
                return;
            }
        }
    });
    Box::pin(tokio_stream::wrappers::ReceiverStream::new(receiver))
}
