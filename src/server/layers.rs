//! The tower layers around every RPC, outermost first (see `Server::bind`):
//!
//! 1. [`RequestIdLayer`]: every request has a request id (the client's, if it sent a
//!    valid one) in `x-request-id`, and every response echoes it, so a user can quote
//!    it and an operator can find the request in the server log and the access log.
//! 2. load shedding + a global concurrency limit: past `max_in_flight_requests`, new
//!    requests are refused at once with `UNAVAILABLE` instead of queueing without bound.
//! 3. [`OversizeStatusLayer`]: tonic refuses an oversized request with `OUT_OF_RANGE`;
//!    gRPC clients expect `RESOURCE_EXHAUSTED` for a message over the limit.
//!
//! The per-RPC tracing span comes from [`rpc_span`], installed with tonic's `trace_fn`.

use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{HeaderValue, Request, Response};
use supportgate_types::RequestId;
use tower::{Layer, Service};

use super::status::with_reason;

/// The metadata key that carries the request id both ways.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The span every RPC runs in; the gate records the caller's fields once it knows them.
pub fn rpc_span(request: &Request<()>) -> tracing::Span {
    tracing::info_span!(
        "rpc",
        rpc = %request.uri().path(),
        request_id = tracing::field::Empty,
        subject = tracing::field::Empty,
        role = tracing::field::Empty,
        tenant = tracing::field::Empty,
    )
}

/// Gives every request a request id and echoes it on the response.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequestIdLayer;

impl<S> Layer<S> for RequestIdLayer {
    type Service = RequestIdService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        RequestIdService { inner }
    }
}

/// See [`RequestIdLayer`].
#[derive(Clone, Debug)]
pub struct RequestIdService<S> {
    inner: S,
}

/// The client's request id if it is a UUID (anything else could be a log-injection
/// attempt), otherwise a fresh one.
fn request_id_of<B>(request: &Request<B>) -> RequestId {
    request
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| RequestId::parse(v).ok())
        .unwrap_or_default()
}

impl<S, B, R> Service<Request<B>> for RequestIdService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> Self::Future {
        let id = request_id_of(&request);
        let value = HeaderValue::from_str(&id.to_string()).ok();
        if let Some(value) = &value {
            request
                .headers_mut()
                .insert(REQUEST_ID_HEADER, value.clone());
        }
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            if let Some(value) = value {
                response.headers_mut().insert(REQUEST_ID_HEADER, value);
            }
            Ok(response)
        })
    }
}

/// Rewrites tonic's `OUT_OF_RANGE` for an oversized request to `RESOURCE_EXHAUSTED`.
#[derive(Clone, Copy, Debug, Default)]
pub struct OversizeStatusLayer;

impl<S> Layer<S> for OversizeStatusLayer {
    type Service = OversizeStatusService<S>;
    fn layer(&self, inner: S) -> Self::Service {
        OversizeStatusService { inner }
    }
}

/// See [`OversizeStatusLayer`].
#[derive(Clone, Debug)]
pub struct OversizeStatusService<S> {
    inner: S,
}

/// The start of tonic's message for a request over `max_decoding_message_size`.
const TONIC_TOO_LARGE: &str = "Error, decoded message length too large";

/// Applies the rewrite to a trailers-only response (how a unary refusal travels),
/// adding the `MESSAGE_TOO_LARGE` reason every refusal of ours carries.
fn fix_oversize_status(headers: &mut http::HeaderMap) {
    let Some(status) = tonic::Status::from_header_map(headers) else {
        return;
    };
    if status.code() != tonic::Code::OutOfRange || !status.message().starts_with(TONIC_TOO_LARGE) {
        return;
    }
    let replacement = with_reason(
        tonic::Code::ResourceExhausted,
        "MESSAGE_TOO_LARGE",
        format!(
            "{} (max_message_bytes / max_stream_message_bytes)",
            status.message()
        ),
    );
    if let Err(error) = replacement.add_header(headers) {
        tracing::warn!(%error, "cannot rewrite an oversize refusal");
    }
}

impl<S, B, R> Service<Request<B>> for OversizeStatusService<S>
where
    S: Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let response = self.inner.call(request);
        Box::pin(async move {
            let mut response = response.await?;
            fix_oversize_status(response.headers_mut());
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tonics_oversize_refusal_becomes_resource_exhausted() {
        let mut oversize = http::HeaderMap::new();
        oversize.insert("grpc-status", HeaderValue::from_static("11"));
        oversize.insert(
            "grpc-message",
            HeaderValue::from_static("Error,%20decoded%20message%20length%20too%20large:%20found"),
        );
        fix_oversize_status(&mut oversize);
        let status = tonic::Status::from_header_map(&oversize).unwrap();
        assert_eq!(status.code(), tonic::Code::ResourceExhausted);
        let details = tonic_types::StatusExt::get_error_details(&status);
        assert_eq!(
            details.error_info().map(|i| i.reason.as_str()),
            Some("MESSAGE_TOO_LARGE")
        );

        let mut other = http::HeaderMap::new();
        other.insert("grpc-status", HeaderValue::from_static("11"));
        other.insert(
            "grpc-message",
            HeaderValue::from_static("offset%20beyond%20end"),
        );
        fix_oversize_status(&mut other);
        assert_eq!(other["grpc-status"], "11");
    }
}
