//! The gRPC server: TLS listener, tower layers, every `supportgate.v1` service, health
//! and reflection, graceful shutdown.
//!
//! Invariants:
//! - this module and `cli` are the only code that knows gRPC; use cases arrive through
//!   `supportgate_service::Services` and leave through [`status::to_status`], the one
//!   error-to-status mapping;
//! - the listener only ever speaks TLS ([`tls::server_config`] decides how);
//! - every RPC of the descriptor set passes [`gate::Edge::caller`] first: authentication,
//!   then the role table of [`authz`], with the refusal logged.

pub mod access_log;
pub mod admin;
pub mod authz;
pub mod cases;
pub mod codec;
pub mod contacts;
pub mod content;
pub mod convert;
pub mod dev_pki;
pub mod gate;
pub mod hints;
pub mod layers;
pub mod legal;
pub mod metrics;
pub mod peer;
pub mod pending;
pub mod recordings;
pub mod sessions;
pub mod status;
pub mod tls;
pub mod transfers;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use supportgate_service::Services;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tonic_health::ServingStatus;

use self::gate::Edge;
use crate::proto;

/// Explicit transport limits, so that no default of tonic or hyper decides them silently.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest decoded message of a unary RPC (requests of this size are refused with
    /// `RESOURCE_EXHAUSTED` before a handler runs).
    pub max_message_bytes: usize,
    /// Largest message on a streaming RPC (upload chunks, recording imports); session
    /// frames have their own fixed limit.
    pub max_stream_message_bytes: usize,
    /// HTTP/2 streams one connection may have open at once.
    pub max_concurrent_streams: u32,
    /// Requests the whole server works on at once; past it, new ones are shed with
    /// `UNAVAILABLE` rather than queued without bound.
    pub max_in_flight_requests: usize,
    /// HTTP/2 receive window of one stream: large enough that an upload over a link with
    /// 50 ms round trips is not throttled by flow control.
    pub stream_window_bytes: u32,
    /// HTTP/2 receive window of a whole connection.
    pub connection_window_bytes: u32,
    /// Time after which a silent connection is probed with an HTTP/2 ping.
    pub keepalive_interval: Duration,
    /// How long an unanswered ping may wait before the connection is closed.
    pub keepalive_timeout: Duration,
    /// How the session relay treats slow or silent participants.
    pub sessions: sessions::RelaySettings,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 1024 * 1024,
            max_stream_message_bytes: 4 * 1024 * 1024,
            max_concurrent_streams: 256,
            max_in_flight_requests: 4096,
            stream_window_bytes: 4 * 1024 * 1024,
            connection_window_bytes: 16 * 1024 * 1024,
            keepalive_interval: Duration::from_secs(30),
            keepalive_timeout: Duration::from_secs(20),
            sessions: sessions::RelaySettings::default(),
        }
    }
}

/// Everything the server needs besides the listener and the use cases.
#[derive(Debug)]
pub struct ServerSettings {
    /// The listener's TLS configuration, from [`tls::server_config`].
    pub tls: Arc<rustls::ServerConfig>,
    /// Transport limits.
    pub limits: Limits,
    /// Where `/metrics` and `/ready` are served (plain HTTP); `None` = not at all.
    pub metrics: Option<TcpListener>,
}

/// Why the server stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The listener's address could not be read.
    #[error("cannot read the listener's address")]
    LocalAddr(#[source] std::io::Error),
    /// The reflection service could not read the descriptor set (a build defect).
    #[error("cannot build the reflection service")]
    Reflection(#[source] tonic_reflection::server::Error),
    /// The HTTP/2 server failed.
    #[error("the gRPC server failed")]
    Transport(#[source] tonic::transport::Error),
    /// The server task panicked or was aborted.
    #[error("the server task ended abnormally")]
    Join(#[source] tokio::task::JoinError),
}

/// A server that is accepting connections.
#[derive(Debug)]
pub struct Running {
    /// The address it listens on (the real port when bound to port 0).
    pub addr: SocketAddr,
    /// Where metrics and readiness are served, if anywhere.
    pub metrics_addr: Option<SocketAddr>,
    shutdown: CancellationToken,
    task: JoinHandle<Result<(), ServeError>>,
}

impl Running {
    /// Asks the server to stop: it stops accepting, lets in-flight calls finish, and
    /// then [`Running::wait`] returns.
    pub fn shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the server has stopped (after shutdown, or on a fatal error).
    pub async fn wait(self) -> Result<(), ServeError> {
        self.task.await.map_err(ServeError::Join)?
    }
}

/// The gateway's gRPC server.
#[derive(Debug)]
pub struct Server;

impl Server {
    /// Serves every `supportgate.v1` service, health and reflection over TLS on a
    /// pre-bound `listener` until `shutdown` is cancelled.
    ///
    /// ## Why a pre-bound listener
    /// Tests bind `127.0.0.1:0` and learn the port before any client connects; the
    /// binary binds the configured address. Either way there is no race on the port.
    pub fn bind(
        listener: TcpListener,
        services: Services,
        settings: ServerSettings,
        shutdown: CancellationToken,
    ) -> Result<Running, ServeError> {
        let addr = listener.local_addr().map_err(ServeError::LocalAddr)?;
        let limits = settings.limits.clone();
        let edge = Edge::new(services.clone(), shutdown.clone(), limits.clone());
        let metrics_addr = match settings.metrics {
            Some(listener) => {
                let metrics_addr = listener.local_addr().map_err(ServeError::LocalAddr)?;
                metrics::serve(
                    listener,
                    edge.metrics.clone(),
                    services.clone(),
                    shutdown.clone(),
                );
                tracing::info!(addr = %metrics_addr, "serving metrics and readiness over http");
                Some(metrics_addr)
            }
            None => None,
        };
        let (health_reporter, health_service) = tonic_health::server::health_reporter();
        let reflection = tonic_reflection::server::Builder::configure()
            .register_encoded_file_descriptor_set(proto::FILE_DESCRIPTOR_SET)
            .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
            .build_v1()
            .map_err(ServeError::Reflection)?;
        let incoming = tls::accept_stream(listener, settings.tls.clone(), shutdown.clone());
        let router = tonic::transport::Server::builder()
            .max_concurrent_streams(limits.max_concurrent_streams)
            .initial_stream_window_size(limits.stream_window_bytes)
            .initial_connection_window_size(limits.connection_window_bytes)
            .http2_keepalive_interval(Some(limits.keepalive_interval))
            .http2_keepalive_timeout(Some(limits.keepalive_timeout))
            .tcp_nodelay(true)
            .trace_fn(layers::rpc_span)
            .layer(metrics::MetricsLayer::new(edge.metrics.clone()))
            .layer(layers::RequestIdLayer)
            .layer(tower::load_shed::LoadShedLayer::new())
            .layer(tower::limit::GlobalConcurrencyLimitLayer::new(
                limits.max_in_flight_requests,
            ))
            .layer(layers::OversizeStatusLayer)
            .add_service(health_service)
            .add_service(reflection);
        let router = routes(router, &edge, &limits);
        let stopping = shutdown.clone();
        let task = tokio::spawn(async move {
            set_health(&health_reporter, ServingStatus::Serving).await;
            let served = router
                .serve_with_incoming_shutdown(incoming, stopping.cancelled())
                .await
                .map_err(ServeError::Transport);
            set_health(&health_reporter, ServingStatus::NotServing).await;
            services.close().await;
            tracing::info!("server stopped");
            served
        });
        tracing::info!(%addr, "serving grpc over tls");
        Ok(Running {
            addr,
            metrics_addr,
            shutdown,
            task,
        })
    }
}

/// The service names health checking reports on: the overall server ("") and each one.
const SERVICE_NAMES: [&str; 9] = [
    "",
    "supportgate.v1.AdminService",
    "supportgate.v1.CaseService",
    "supportgate.v1.ContactService",
    "supportgate.v1.TransferService",
    "supportgate.v1.SessionService",
    "supportgate.v1.RecordingService",
    "supportgate.v1.AccessLogService",
    "supportgate.v1.LegalService",
];

async fn set_health(reporter: &tonic_health::server::HealthReporter, status: ServingStatus) {
    for name in SERVICE_NAMES {
        reporter.set_service_status(name, status).await;
    }
}

type Router<L> = tonic::transport::server::Router<L>;

/// Adds every `supportgate.v1` service with its message-size limits.
fn routes<L>(router: Router<L>, edge: &Edge, limits: &Limits) -> Router<L> {
    use proto::access_log_service_server::AccessLogServiceServer;
    use proto::admin_service_server::AdminServiceServer;
    use proto::case_service_server::CaseServiceServer;
    use proto::contact_service_server::ContactServiceServer;
    use proto::legal_service_server::LegalServiceServer;
    use proto::recording_service_server::RecordingServiceServer;
    use proto::session_service_server::SessionServiceServer;
    use proto::transfer_service_server::TransferServiceServer;

    let unary = limits.max_message_bytes;
    let stream = limits.max_stream_message_bytes;
    router
        .add_service(AdminServiceServer::new(edge.clone()).max_decoding_message_size(unary))
        .add_service(CaseServiceServer::new(edge.clone()).max_decoding_message_size(unary))
        .add_service(ContactServiceServer::new(edge.clone()).max_decoding_message_size(unary))
        .add_service(AccessLogServiceServer::new(edge.clone()).max_decoding_message_size(unary))
        .add_service(LegalServiceServer::new(edge.clone()).max_decoding_message_size(unary))
        .add_service(TransferServiceServer::new(edge.clone()).max_decoding_message_size(stream))
        .add_service(
            SessionServiceServer::new(edge.clone())
                .max_decoding_message_size(sessions::MAX_FRAME_MESSAGE),
        )
        .add_service(RecordingServiceServer::new(edge.clone()).max_decoding_message_size(stream))
}
