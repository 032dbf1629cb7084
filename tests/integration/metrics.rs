//! Metrics and readiness on the plain-HTTP listener: every RPC counted by name and
//! final code (a stream's from its trailers), refusals by reason, upload bytes, the access log's commits, live sessions;
//! nothing that identifies a customer; `/ready` answers 503 once the stores do not.

use std::net::SocketAddr;

use supportgate::proto::{GetCaseRequest, Purpose};
use supportgate_testkit::backend_tests;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::harness::World;
use crate::transfers::{acme_workspace, download, upload};

/// `GET path` over plain HTTP/1.1; the status code and the body.
async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = tokio::net::TcpStream::connect(addr)
        .await
        .expect("connect to the metrics listener");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8(response).expect("an HTTP response is text");
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The value of the sample line `name{labels}` (or `name` without labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines()
        .find(|line| line.split_once(' ').is_some_and(|(name, _)| name == series))
        .and_then(|line| line.rsplit_once(' '))
        .and_then(|(_, value)| value.parse().ok())
}

backend_tests! {
    async fn metrics_count_rpcs_refusals_uploads_and_log_commits_and_name_no_customer(backend: Backend) {
        let world = World::build(backend).await;
        let server = &world.server;
        let addr = server.metrics_addr.expect("the harness serves metrics");
        let acme = &world.acme;
        let engineer = server.as_actor(&acme.engineer).await;
        let case = acme.case.clone();
        engineer
            .cases()
            .get_case(GetCaseRequest { case_id: case.clone(), purpose: Purpose::ProvideSupport.into() })
            .await
            .expect("the assigned engineer reads the case");
        let other = server.as_actor(&acme.other_engineer).await;
        let refused = other
            .cases()
            .get_case(GetCaseRequest { case_id: case.clone(), purpose: Purpose::ProvideSupport.into() })
            .await
            .expect_err("an engineer not assigned is refused");
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
        let customer = server.as_actor(&acme.customer).await;
        let workspace = acme_workspace(&world).await;
        let data = vec![7u8; 300_000];
        let file = upload(&customer, &workspace, "trace.log", &data).await.file_id;
        // A stream that answers, then one that fails after it started: their codes
        // come from the trailers, not the headers.
        download(&engineer, &file, Purpose::ProvideSupport, None).await.expect("the download");
        let path = server.blob_dir().join("files").join(&acme.id).join(&file);
        let mut stored = std::fs::read(&path).unwrap();
        let last = stored.len() - 1;
        stored[last] ^= 0x01;
        std::fs::write(&path, stored).unwrap();
        let damaged = download(&engineer, &file, Purpose::ProvideSupport, None).await.expect_err("the damaged download");
        assert_eq!(damaged.code(), tonic::Code::DataLoss);

        let (status, text) = get(addr, "/metrics").await;
        assert_eq!(status, 200, "{text}");
        let get_case = "/supportgate.v1.CaseService/GetCase";
        let ok = sample(&text, &format!("supportgate_rpc_requests_total{{rpc=\"{get_case}\",code=\"OK\"}}"));
        assert!(ok.is_some_and(|n| n >= 1.0), "GetCase OK counted: {text}");
        let denied = sample(&text, &format!("supportgate_rpc_requests_total{{rpc=\"{get_case}\",code=\"PERMISSION_DENIED\"}}"));
        assert_eq!(denied, Some(1.0), "the refusal counted by its code: {text}");
        let latencies = sample(&text, &format!("supportgate_rpc_duration_seconds_count{{rpc=\"{get_case}\"}}"));
        assert!(latencies.is_some_and(|n| n >= 2.0), "both calls timed: {text}");
        assert_eq!(sample(&text, "supportgate_denials_total{reason=\"NOT_ASSIGNED\"}"), Some(1.0), "{text}");
        let download_file = "/supportgate.v1.TransferService/DownloadFile";
        for code in ["OK", "DATA_LOSS"] {
            let series = format!("supportgate_rpc_requests_total{{rpc=\"{download_file}\",code=\"{code}\"}}");
            assert_eq!(sample(&text, &series), Some(1.0), "the download that ended {code}: {text}");
        }
        assert!(sample(&text, "supportgate_upload_bytes_total").is_some_and(|n| n >= data.len() as f64), "{text}");
        assert_eq!(sample(&text, "supportgate_uploads_completed_total"), Some(1.0), "{text}");
        let commits = sample(&text, "supportgate_log_commits_total").expect("log commits");
        let entries = sample(&text, "supportgate_log_entries_total").expect("log entries");
        assert!(commits >= 1.0 && entries >= commits, "entries {entries} in {commits} commits");
        assert!(sample(&text, "supportgate_log_commit_seconds_total").is_some_and(|s| s > 0.0), "{text}");
        assert_eq!(sample(&text, "supportgate_log_commit_failures_total"), Some(0.0), "{text}");
        assert_eq!(sample(&text, "supportgate_live_sessions"), Some(0.0), "{text}");
        for private in [&acme.id, &case, &acme.engineer.subject_id, &acme.customer.subject_id, &workspace] {
            assert!(!text.contains(private.as_str()), "metrics name no tenant, case, subject or workspace: {private}");
        }

        let (status, body) = get(addr, "/ready").await;
        assert_eq!((status, body.as_str()), (200, "ready\n"));
        let (status, _) = get(addr, "/anything-else").await;
        assert_eq!(status, 404, "only /metrics and /ready are served");

        // A gateway whose blob store or databases no longer answer is not ready.
        let blobs = server.blob_dir();
        let moved = blobs.with_extension("moved");
        std::fs::rename(&blobs, &moved).unwrap();
        let (status, body) = get(addr, "/ready").await;
        assert_eq!(status, 503, "without its blob directory: {body}");
        std::fs::rename(&moved, &blobs).unwrap();
        assert_eq!(get(addr, "/ready").await.0, 200, "ready again once it is back");
        server.services.close().await;
        let (status, body) = get(addr, "/ready").await;
        assert_eq!(status, 503, "{body}");
    }
}
