//! Calling any RPC by path with raw bytes, for tests driven by the descriptor set and for
//! sending messages no generated client would build (malformed, oversized).

use bytes::{Buf, BufMut, Bytes};
use prost::Message;
use prost_types::FileDescriptorSet;
use tonic::codec::{Codec, DecodeBuf, Decoder, EncodeBuf, Encoder};
use tonic::{Request, Status};

use super::clients::Clients;

/// One RPC of the descriptor set.
#[derive(Clone, Debug)]
pub struct Rpc {
    /// `/supportgate.v1.CaseService/GetCase`.
    pub path: String,
    pub client_streaming: bool,
    pub server_streaming: bool,
}

/// Every RPC of `supportgate.v1`, from the descriptor set the server reflects.
pub fn all_rpcs() -> Vec<Rpc> {
    let set =
        FileDescriptorSet::decode(supportgate::proto::FILE_DESCRIPTOR_SET).expect("descriptor set");
    let mut rpcs = Vec::new();
    for file in set.file.iter().filter(|f| f.package() == "supportgate.v1") {
        for service in &file.service {
            for method in &service.method {
                rpcs.push(Rpc {
                    path: format!("/supportgate.v1.{}/{}", service.name(), method.name()),
                    client_streaming: method.client_streaming(),
                    server_streaming: method.server_streaming(),
                });
            }
        }
    }
    rpcs
}

/// Passes bytes through unchanged, both ways.
#[derive(Clone, Copy, Debug, Default)]
pub struct RawCodec;

#[derive(Clone, Copy, Debug, Default)]
pub struct RawCoder;

impl Encoder for RawCoder {
    type Item = Bytes;
    type Error = Status;
    fn encode(&mut self, item: Bytes, dst: &mut EncodeBuf<'_>) -> Result<(), Status> {
        dst.put(item);
        Ok(())
    }
}

impl Decoder for RawCoder {
    type Item = Bytes;
    type Error = Status;
    fn decode(&mut self, src: &mut DecodeBuf<'_>) -> Result<Option<Bytes>, Status> {
        Ok(Some(src.copy_to_bytes(src.remaining())))
    }
}

impl Codec for RawCodec {
    type Encode = Bytes;
    type Decode = Bytes;
    type Encoder = RawCoder;
    type Decoder = RawCoder;
    fn encoder(&mut self) -> RawCoder {
        RawCoder
    }
    fn decoder(&mut self) -> RawCoder {
        RawCoder
    }
}

/// Calls `rpc` with `body` as its (only) request message, as `clients`' actor, and
/// returns the first response message or the status.
pub async fn call(clients: &Clients, rpc: &Rpc, body: Bytes) -> Result<Option<Bytes>, Status> {
    let mut grpc = tonic::client::Grpc::new(clients.channel.clone())
        .max_decoding_message_size(usize::MAX)
        .max_encoding_message_size(usize::MAX);
    grpc.ready()
        .await
        .map_err(|e| Status::unavailable(e.to_string()))?;
    let path: http::uri::PathAndQuery = rpc.path.parse().expect("rpc path");
    let header = clients.bearer_header();
    let with_auth = |message| authed(message, header.clone());
    let with_auth_stream = |messages| authed(messages, header.clone());
    match (rpc.client_streaming, rpc.server_streaming) {
        (false, false) => grpc
            .unary(with_auth(body), path, RawCodec)
            .await
            .map(|r| Some(r.into_inner())),
        (false, true) => {
            let mut stream = grpc
                .server_streaming(with_auth(body), path, RawCodec)
                .await?
                .into_inner();
            stream.message().await
        }
        (true, false) => {
            let messages = futures::stream::iter([body]);
            grpc.client_streaming(with_auth_stream(messages), path, RawCodec)
                .await
                .map(|r| Some(r.into_inner()))
        }
        (true, true) => {
            let messages = futures::stream::iter([body]);
            let mut stream = grpc
                .streaming(with_auth_stream(messages), path, RawCodec)
                .await?
                .into_inner();
            stream.message().await
        }
    }
}

fn authed<T>(
    message: T,
    header: Option<tonic::metadata::MetadataValue<tonic::metadata::Ascii>>,
) -> Request<T> {
    let mut request = Request::new(message);
    if let Some(value) = header {
        request.metadata_mut().insert("authorization", value);
    }
    request
}
