//! Issue 4, item 7: every upload step, denial and verification failure, and every
//! download, is in the access log under the request that caused it; and the log still
//! verifies afterwards.

use std::time::Duration;

use supportgate::proto::{
    AbortUploadRequest, AccessLogEntry, BeginUploadRequest, Chunk, CompleteUploadRequest, Decision,
    DownloadFileRequest, ListEntriesRequest, ListFilesRequest, Purpose, Role, VerifyRequest,
};
use supportgate_service::TransferLimits;
use supportgate_testkit::backend_tests;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request};

use super::{acme_workspace, chunk, chunks, committed, eventually, random, sha256, Desk, SEGMENT};
use crate::harness::{Actor, Clients, TestServer, World};

/// `message` with our own `x-request-id`, so its log entries can be found.
fn tagged<T>(message: T) -> (Request<T>, String) {
    let id = uuid::Uuid::new_v4().to_string();
    let mut request = Request::new(message);
    request.metadata_mut().insert(
        "x-request-id",
        id.parse().expect("a uuid is a header value"),
    );
    (request, id)
}

fn declaration(workspace: &str, name: &str, data: &[u8]) -> BeginUploadRequest {
    BeginUploadRequest {
        workspace_id: workspace.into(),
        name: name.into(),
        size: data.len() as u64,
        sha256: sha256(data).into(),
        media_type: String::new(),
    }
}

/// `(action, decision, reason)` of every entry made under `request_id`.
fn made_by(log: &[AccessLogEntry], request_id: &str) -> Vec<(String, Decision, String)> {
    log.iter()
        .filter(|e| e.request_id == request_id)
        .map(|e| (e.action.clone(), e.decision(), e.reason.clone()))
        .collect()
}

fn triple(action: &str, decision: Decision, reason: &str) -> (String, Decision, String) {
    (action.into(), decision, reason.into())
}

/// The whole log, read by `reviewer`.
async fn whole_log(server: &TestServer, reviewer: &Actor) -> Vec<AccessLogEntry> {
    server
        .as_actor(reviewer)
        .await
        .log_entries(ListEntriesRequest::default())
        .await
}

async fn assert_log_verifies(server: &TestServer, reviewer: &Actor) {
    let report = server
        .as_actor(reviewer)
        .await
        .log()
        .verify(VerifyRequest { range: None })
        .await
        .unwrap()
        .into_inner();
    assert!(report.ok, "the log verifies: {:?}", report.problems);
    assert!(report.entries_checked > 0);
}

async fn tagged_download(clients: &Clients, file: &str, purpose: Purpose) -> String {
    let request = DownloadFileRequest {
        file_id: file.into(),
        purpose: purpose.into(),
        range: None,
    };
    let (request, id) = tagged(request);
    if let Ok(response) = clients.transfers().download_file(request).await {
        let mut stream = response.into_inner();
        while let Ok(Some(_)) = stream.message().await {}
    }
    id
}

backend_tests! {
    async fn every_upload_step_denial_verification_failure_and_download_is_logged_and_the_log_verifies(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let other = world.server.as_actor(&world.acme.other_engineer).await;
        let data = random(2 * SEGMENT as usize + 9);
        let mut t = customer.transfers();

        let (request, begin_id) = tagged(declaration(&workspace, "log.bin", &data));
        let begun = t.begin_upload(request).await.unwrap().into_inner();
        let upload = begun.upload_id.clone();
        let (request, chunks_id) = tagged(futures::stream::iter(chunks(&upload, &data, 0, SEGMENT, 30_000)));
        t.upload_chunks(request).await.unwrap();
        let mut bad = chunk(&upload, SEGMENT, &data[SEGMENT as usize..][..100]);
        bad.crc32c ^= 0xff;
        let (request, crc_id) = tagged(futures::stream::iter(vec![bad]));
        assert!(t.upload_chunks(request).await.is_err());
        let (request, offset_id) = tagged(futures::stream::iter(vec![chunk(&upload, 0, &data[..10])]));
        assert!(t.upload_chunks(request).await.is_err());
        let (request, resume_id) = tagged(declaration(&workspace, "log.bin", &data));
        t.begin_upload(request).await.unwrap();
        t.upload_chunks(futures::stream::iter(chunks(&upload, &data, SEGMENT, data.len() as u64, 30_000))).await.unwrap();
        let (request, complete_id) = tagged(CompleteUploadRequest { upload_id: upload.clone() });
        t.complete_upload(request).await.unwrap();

        let wrong = t.begin_upload(BeginUploadRequest { sha256: sha256(b"other").into(), ..declaration(&workspace, "bad.bin", &data) })
            .await.unwrap().into_inner();
        t.upload_chunks(futures::stream::iter(chunks(&wrong.upload_id, &data, 0, data.len() as u64, 30_000))).await.unwrap();
        let (request, verify_id) = tagged(CompleteUploadRequest { upload_id: wrong.upload_id.clone() });
        assert_eq!(t.complete_upload(request).await.unwrap_err().code(), Code::FailedPrecondition);
        let doomed = upload_declared(&customer, &workspace).await;
        let (request, abort_id) = tagged(AbortUploadRequest { upload_id: doomed });
        t.abort_upload(request).await.unwrap();

        let (request, list_id) = tagged(ListFilesRequest { workspace_id: workspace.clone(), purpose: Purpose::ProvideSupport.into(), ..Default::default() });
        engineer.transfers().list_files(request).await.unwrap();
        let download_id = tagged_download(&engineer, &begun.file_id, Purpose::ProvideSupport).await;
        let unassigned_id = tagged_download(&other, &begun.file_id, Purpose::ProvideSupport).await;
        let prohibited_id = tagged_download(&engineer, &begun.file_id, Purpose::Marketing).await;
        let customer_id = tagged_download(&customer, &begun.file_id, Purpose::ProvideSupport).await;

        let log = world.log(ListEntriesRequest::default()).await;
        let expect = |id: &str, wanted: &[(String, Decision, String)]| {
            let made = made_by(&log, id);
            for w in wanted {
                assert!(made.contains(w), "{w:?} missing under request {id}: {made:?}");
            }
        };
        use Decision::{Allowed, Denied};
        expect(&begin_id, &[triple("transfer.upload.begin", Allowed, "OWN_TENANT")]);
        expect(&chunks_id, &[triple("transfer.upload.chunks", Allowed, "OWN_TENANT")]);
        expect(&crc_id, &[triple("transfer.upload.chunks", Denied, "CHUNK_CHECKSUM_MISMATCH")]);
        expect(&offset_id, &[triple("transfer.upload.chunks", Denied, "CHUNK_OFFSET_MISMATCH")]);
        expect(&resume_id, &[triple("transfer.upload.resume", Allowed, "OWN_TENANT")]);
        expect(&complete_id, &[triple("transfer.upload.complete", Allowed, "VERIFIED")]);
        expect(&verify_id, &[triple("transfer.upload.verify", Denied, "SHA256_MISMATCH")]);
        expect(&abort_id, &[triple("transfer.upload.abort", Allowed, "OWN_TENANT")]);
        expect(&list_id, &[triple("transfer.file.list", Allowed, "ASSIGNED_ENGINEER")]);
        expect(&download_id, &[triple("transfer.download", Allowed, "ASSIGNED_ENGINEER")]);
        expect(&unassigned_id, &[triple("transfer.download", Denied, "NOT_ASSIGNED")]);
        expect(&prohibited_id, &[triple("transfer.download", Denied, "PURPOSE_PROHIBITED")]);
        expect(&customer_id, &[triple("transfer.download", Allowed, "OWN_TENANT")]);

        // Entries name the right objects, case, tenant and purpose.
        let by = |id: &str, action: &str| log.iter().find(|e| e.request_id == id && e.action == action).cloned().unwrap();
        let d = by(&download_id, "transfer.download");
        assert_eq!((d.resource_id.as_str(), d.case_id.as_str(), d.tenant_id.as_str()), (begun.file_id.as_str(), world.acme.case.as_str(), world.acme.id.as_str()));
        assert_eq!((d.purpose(), d.role(), d.subject_id.as_str()), (Purpose::ProvideSupport, Role::SupportEngineer, world.acme.engineer.subject_id.as_str()));
        assert_eq!(by(&prohibited_id, "transfer.download").purpose(), Purpose::Marketing);
        let b = by(&begin_id, "transfer.upload.begin");
        assert_eq!((b.resource_id.as_str(), b.case_id.as_str()), (upload.as_str(), world.acme.case.as_str()));
        assert_eq!(by(&verify_id, "transfer.upload.verify").resource_id, wrong.upload_id);
        // A verification failure is not also logged as a completion.
        assert!(!made_by(&log, &verify_id).iter().any(|(a, d, _)| a == "transfer.upload.complete" && *d == Allowed));
        assert_log_verifies(&world.server, &world.reviewer).await;
    }

    async fn refused_declarations_and_streams_are_logged_as_denials_not_as_allowed(backend: Backend) {
        let limits = TransferLimits {
            max_file_size: 256 * 1024,
            workspace_quota: 300 * 1024,
            max_concurrent_uploads_per_tenant: 1,
            ..TransferLimits::default()
        };
        let desk = Desk::start(backend, limits).await;
        let reviewer = desk.server.create_subject(None, Role::ComplianceReviewer, "rex").await;
        let customer = desk.customer().await;
        let mut t = customer.transfers();
        let globex = desk.server.as_actor(&desk.globex_customer).await;

        let big = random(256 * 1024 + 1);
        let (request, too_large) = tagged(declaration(&desk.workspace, "big.bin", &big));
        assert_eq!(t.begin_upload(request).await.unwrap_err().code(), Code::ResourceExhausted);
        let first = random(200 * 1024);
        let held = t.begin_upload(declaration(&desk.workspace, "a.bin", &first)).await.unwrap().into_inner();
        let (request, quota) = tagged(declaration(&desk.workspace, "b.bin", &first));
        assert_eq!(t.begin_upload(request).await.unwrap_err().code(), Code::ResourceExhausted);
        let (request, elsewhere) = tagged(declaration(&desk.workspace, "c.bin", &random(10)));
        assert_eq!(globex.transfers().begin_upload(request).await.unwrap_err().code(), Code::NotFound);

        let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(2);
        let clients = customer.clone();
        let open = tokio::spawn(async move { clients.transfers().upload_chunks(ReceiverStream::new(receiver)).await });
        sender.send(chunk(&held.upload_id, 0, &first[..SEGMENT as usize])).await.unwrap();
        let id = held.upload_id.clone();
        eventually("the stream is open", || async { committed(&customer, &id).await == SEGMENT }).await;
        let small = random(10);
        let other = t.begin_upload(declaration(&desk.workspace, "s.bin", &small)).await.unwrap().into_inner();
        let (request, busy_tenant) = tagged(futures::stream::iter(vec![chunk(&other.upload_id, 0, &small)]));
        assert_eq!(t.upload_chunks(request).await.unwrap_err().code(), Code::ResourceExhausted);
        drop(sender);
        tokio::time::timeout(Duration::from_secs(30), open).await.unwrap().unwrap().unwrap();

        let log = whole_log(&desk.server, &reviewer).await;
        let mut missing = Vec::new();
        for (id, action, reason) in [
            (&too_large, "transfer.upload.begin", "FILE_TOO_LARGE"),
            (&quota, "transfer.upload.begin", "WORKSPACE_QUOTA_EXCEEDED"),
            (&elsewhere, "transfer.upload.begin", "NOT_FOUND"),
            (&busy_tenant, "transfer.upload.chunks", "TOO_MANY_UPLOADS"),
        ] {
            let made = made_by(&log, id);
            if !made.contains(&triple(action, Decision::Denied, reason)) {
                missing.push(format!("{action} denied {reason}: logged {made:?}"));
            }
            if made.iter().any(|(a, d, _)| a == action && *d == Decision::Allowed) {
                missing.push(format!("{action} refused with {reason} is logged as allowed: {made:?}"));
            }
        }
        assert!(missing.is_empty(), "refusals missing from the access log:\n{}", missing.join("\n"));
        assert_log_verifies(&desk.server, &reviewer).await;
    }
}

/// Declares a small file (for aborting); returns its upload id.
async fn upload_declared(customer: &Clients, workspace: &str) -> String {
    let data = random(100);
    super::begin(customer, workspace, "doomed.bin", &data)
        .await
        .unwrap()
        .upload_id
}
