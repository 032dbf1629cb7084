//! Prometheus metrics and readiness, on their own plain-HTTP listener.
//!
//! ## Why a separate listener
//! The gRPC listener speaks only TLS and authenticates every call; a scraper and a
//! load balancer's readiness probe should need neither, and must never reach data. The
//! metrics listener serves two read-only paths, `/metrics` (OpenMetrics text) and
//! `/ready` (200 when both databases and the blob store answer, 503 otherwise), and
//! binds where the operator
//! says (loopback, or a cluster-internal address), off by default.
//!
//! What is counted: every RPC by name and final status code, with its duration (to its
//! trailers, so a stream's whole life); upload bytes
//! committed and uploads completed; live sessions on this instance; the access log's
//! group commits, entries, commit time and failures; and durable refusals by reason.
//! Names carry no tenant, subject or id: nothing here identifies a customer.

mod layer;

use std::sync::Arc;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use supportgate_service::Services;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use layer::MetricsLayer;

use super::sessions::hub::SessionHub;

/// An RPC and how it ended.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcLabels {
    rpc: String,
    code: String,
}

/// An RPC.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RpcName {
    rpc: String,
}

/// The gateway's metrics.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    rpcs: Family<RpcLabels, Counter>,
    rpc_seconds: Family<RpcName, Histogram>,
    upload_bytes: Counter,
    uploads_completed: Counter,
}

/// Values read at scrape time from the services and the session hub.
#[derive(Debug)]
struct Live {
    services: Services,
    sessions: Arc<SessionHub>,
}

/// A refusal reason.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: String,
}

impl Collector for Live {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let stats = self.services.log_stats();
        let counters = [
            (
                "supportgate_log_commits",
                "Access-log group commits that made their entries durable",
                stats.batches,
            ),
            (
                "supportgate_log_entries",
                "Access-log entries made durable",
                stats.entries,
            ),
            (
                "supportgate_log_commit_failures",
                "Access-log group commits that failed (their accesses were refused)",
                stats.failed_batches,
            ),
        ];
        for (name, help, value) in counters {
            let counter = ConstCounter::new(value);
            counter.encode(encoder.encode_descriptor(
                name,
                help,
                None,
                counter.metric_type(),
            )?)?;
        }
        let seconds = ConstCounter::new(stats.commit_micros as f64 / 1e6);
        seconds.encode(encoder.encode_descriptor(
            "supportgate_log_commit_seconds",
            "Time spent in successful access-log group commits (divide by commits for the mean latency, entries by commits for the mean batch size)",
            None,
            seconds.metric_type(),
        )?)?;
        let live = ConstGauge::new(i64::try_from(self.sessions.len()).unwrap_or(i64::MAX));
        live.encode(encoder.encode_descriptor(
            "supportgate_live_sessions",
            "Remote-access sessions live on this gateway instance",
            None,
            live.metric_type(),
        )?)?;
        let mut denials = encoder.encode_descriptor(
            "supportgate_denials",
            "Refusals made durable in the access log, by reason code",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (reason, count) in stats.denials {
            let label = ReasonLabel {
                reason: reason.to_owned(),
            };
            ConstCounter::new(count).encode(denials.encode_family(&label)?)?;
        }
        Ok(())
    }
}

impl Metrics {
    /// The metrics of one gateway, reading live values from `services` and `sessions`.
    pub fn new(services: Services, sessions: Arc<SessionHub>) -> Metrics {
        let mut registry = Registry::default();
        let rpcs = Family::<RpcLabels, Counter>::default();
        registry.register(
            "supportgate_rpc_requests",
            "RPCs by full method name and gRPC status code",
            rpcs.clone(),
        );
        let rpc_seconds = Family::<RpcName, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "supportgate_rpc_duration_seconds",
            "Time from an RPC's arrival to its end (its trailers)",
            rpc_seconds.clone(),
        );
        let upload_bytes = Counter::default();
        registry.register(
            "supportgate_upload_bytes",
            "Upload bytes committed (sealed and durable)",
            upload_bytes.clone(),
        );
        let uploads_completed = Counter::default();
        registry.register(
            "supportgate_uploads_completed",
            "Uploads verified and made available",
            uploads_completed.clone(),
        );
        registry.register_collector(Box::new(Live { services, sessions }));
        Metrics {
            registry,
            rpcs,
            rpc_seconds,
            upload_bytes,
            uploads_completed,
        }
    }

    /// Records one RPC.
    pub fn observe_rpc(&self, rpc: &str, code: &str, seconds: f64) {
        self.rpcs
            .get_or_create(&RpcLabels {
                rpc: rpc.to_owned(),
                code: code.to_owned(),
            })
            .inc();
        self.rpc_seconds
            .get_or_create(&RpcName {
                rpc: rpc.to_owned(),
            })
            .observe(seconds);
    }

    /// Records upload bytes committed.
    pub fn upload_committed(&self, bytes: u64) {
        self.upload_bytes.inc_by(bytes);
    }

    /// Records an upload made available.
    pub fn upload_completed(&self) {
        self.uploads_completed.inc();
    }

    /// The OpenMetrics text of every metric now.
    pub fn render(&self) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry)?;
        Ok(text)
    }
}

/// Serves `/metrics` and `/ready` on `listener` until `shutdown`.
pub fn serve(
    listener: TcpListener,
    metrics: Arc<Metrics>,
    services: Services,
    shutdown: CancellationToken,
) {
    use axum::http::{header, StatusCode};
    use axum::routing::get;

    let scrape = {
        let metrics = metrics.clone();
        move || {
            let metrics = metrics.clone();
            async move {
                match metrics.render() {
                    Ok(text) => (
                        StatusCode::OK,
                        [(
                            header::CONTENT_TYPE,
                            "application/openmetrics-text; version=1.0.0; charset=utf-8",
                        )],
                        text,
                    ),
                    Err(_) => (
                        StatusCode::INTERNAL_SERVER_ERROR,
                        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                        "metrics could not be encoded\n".to_owned(),
                    ),
                }
            }
        }
    };
    let ready = move || {
        let services = services.clone();
        async move {
            match services.ping().await {
                Ok(()) => (StatusCode::OK, "ready\n"),
                Err(_) => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "not ready: a database or the blob store does not answer\n",
                ),
            }
        }
    };
    let app = axum::Router::new()
        .route("/metrics", get(scrape))
        .route("/ready", get(ready));
    tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move { shutdown.cancelled().await })
            .await;
        if let Err(error) = served {
            tracing::warn!(%error, "the metrics listener stopped");
        }
    });
}
