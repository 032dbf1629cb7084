//! The response stream type every server-streaming RPC shares.

use tonic::Status;

/// The response stream type of every server-streaming RPC.
pub type ServerStream<T> = std::pin::Pin<Box<dyn futures::Stream<Item = Result<T, Status>> + Send>>;
