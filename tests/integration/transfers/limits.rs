//! The configurable limits of issue 4 (file size, workspace quota, chunk size,
//! concurrent upload streams per tenant), each enforced with its status, its reason and
//! the limit in the message, and each leaving committed data intact.

use std::time::Duration;

use supportgate::proto::{AbortUploadRequest, Chunk, ListWorkspacesRequest, Purpose, UploadState};
use supportgate_service::TransferLimits;
use supportgate_testkit::backend_tests;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

use super::{
    begin, chunk, chunks, committed, complete, declare, download, eventually, open_workspace,
    random, sha256, stream, Desk, SEGMENT,
};
use crate::harness::assert_status;

const MAX_FILE: u64 = 512 * 1024;
const QUOTA: u64 = 1024 * 1024;
const MAX_CHUNK: u32 = 64 * 1024;

fn limits() -> TransferLimits {
    TransferLimits {
        max_file_size: MAX_FILE,
        workspace_quota: QUOTA,
        max_chunk_size: MAX_CHUNK,
        max_concurrent_uploads_per_tenant: 2,
        upload_ttl: Duration::from_secs(3600),
    }
}

/// Sends `data[from..]` in chunks of the largest allowed size; returns the committed offset.
async fn send_rest(desk: &Desk, upload: &str, data: &[u8], from: u64) -> u64 {
    let sent = chunks(upload, data, from, data.len() as u64, MAX_CHUNK as usize);
    stream(&desk.customer().await, sent)
        .await
        .expect("UploadChunks")
}

async fn used_bytes(desk: &Desk) -> u64 {
    let request = ListWorkspacesRequest {
        case_id: desk.case.clone(),
        ..Default::default()
    };
    let list = desk
        .customer()
        .await
        .transfers()
        .list_workspaces(request)
        .await
        .unwrap()
        .into_inner();
    list.workspaces
        .iter()
        .find(|w| w.workspace_id == desk.workspace)
        .expect("the workspace")
        .used_bytes
}

backend_tests! {
    async fn a_file_larger_than_the_maximum_is_refused_with_file_too_large_naming_the_limit(backend: Backend) {
        let desk = Desk::start(backend, limits()).await;
        let customer = desk.customer().await;
        for size in [MAX_FILE + 1, u64::MAX / 2, u64::MAX] {
            let result = declare(&customer, &desk.workspace, "huge.bin", size, sha256(b"x")).await;
            let status = assert_status(result, Code::ResourceExhausted, "FILE_TOO_LARGE");
            assert!(status.message().contains(&MAX_FILE.to_string()), "names the limit: {}", status.message());
        }
        assert_eq!(used_bytes(&desk).await, 0, "a refused declaration reserves nothing");
        let data = random(MAX_FILE as usize);
        let begun = begin(&customer, &desk.workspace, "biggest.bin", &data).await.expect("exactly the maximum is fine");
        assert_eq!(send_rest(&desk, &begun.upload_id, &data, 0).await, MAX_FILE);
        complete(&customer, &begun.upload_id).await.unwrap();
        let engineer = desk.server.as_actor(&desk.engineer).await;
        let (_, got) = download(&engineer, &begun.file_id, Purpose::ProvideSupport, None).await.unwrap();
        assert!(got == data);
    }

    async fn the_workspace_quota_counts_uploads_in_progress_and_is_released_by_abort_and_failure(backend: Backend) {
        let desk = Desk::start(backend, limits()).await;
        let customer = desk.customer().await;
        let (a, b, c) = (random(MAX_FILE as usize), random(400 * 1024), random(200 * 1024));
        let first = begin(&customer, &desk.workspace, "a.bin", &a).await.unwrap();
        let second = begin(&customer, &desk.workspace, "b.bin", &b).await.unwrap();
        assert_eq!(used_bytes(&desk).await, (a.len() + b.len()) as u64, "declared sizes are reserved");

        let refused = begin(&customer, &desk.workspace, "c.bin", &c).await;
        let status = assert_status(refused, Code::ResourceExhausted, "WORKSPACE_QUOTA_EXCEEDED");
        assert!(status.message().contains(&QUOTA.to_string()), "names the quota: {}", status.message());
        assert_eq!(used_bytes(&desk).await, (a.len() + b.len()) as u64, "the refusal reserved nothing");

        // Another workspace, and another tenant, have their own quota.
        let other = open_workspace(&desk.server, &desk.engineer, &desk.case).await;
        begin(&customer, &other, "c.bin", &c).await.expect("a fresh workspace has room");
        let globex = desk.server.as_actor(&desk.globex_customer).await;
        begin(&globex, &desk.globex_workspace, "c.bin", &c).await.expect("globex has room");

        // Aborting releases the reservation.
        customer.transfers().abort_upload(AbortUploadRequest { upload_id: second.upload_id.clone() }).await.unwrap();
        begin(&customer, &desk.workspace, "c.bin", &c).await.expect("room after the abort");
        assert_eq!(used_bytes(&desk).await, (a.len() + c.len()) as u64);

        // So does a failed verification.
        let (d, e) = (random(300 * 1024), random(300 * 1024));
        let wrong = declare(&customer, &desk.workspace, "d.bin", d.len() as u64, sha256(b"wrong")).await.unwrap();
        assert_status(begin(&customer, &desk.workspace, "e.bin", &e).await, Code::ResourceExhausted, "WORKSPACE_QUOTA_EXCEEDED");
        assert_eq!(send_rest(&desk, &wrong.upload_id, &d, 0).await, d.len() as u64);
        assert_status(complete(&customer, &wrong.upload_id).await, Code::FailedPrecondition, "SHA256_MISMATCH");
        begin(&customer, &desk.workspace, "e.bin", &e).await.expect("room after the failure");

        // A completed file keeps counting.
        assert_eq!(send_rest(&desk, &first.upload_id, &a, 0).await, a.len() as u64);
        complete(&customer, &first.upload_id).await.unwrap();
        assert_eq!(used_bytes(&desk).await, (a.len() + c.len() + e.len()) as u64);
    }

    async fn a_chunk_larger_than_the_maximum_or_empty_is_refused_with_chunk_size(backend: Backend) {
        let desk = Desk::start(backend, limits()).await;
        let customer = desk.customer().await;
        let data = random(3 * SEGMENT as usize + 10);
        let begun = begin(&customer, &desk.workspace, "chunky.bin", &data).await.unwrap();
        assert_eq!(begun.max_chunk_size, MAX_CHUNK, "the client is told the limit");
        let id = begun.upload_id.as_str();
        let too_big = chunk(id, 0, &data[..MAX_CHUNK as usize + 1]);
        let status = assert_status(stream(&customer, vec![too_big]).await, Code::InvalidArgument, "CHUNK_SIZE");
        assert!(status.message().contains(&MAX_CHUNK.to_string()), "names the limit: {}", status.message());
        assert_status(stream(&customer, vec![chunk(id, 0, b"")]).await, Code::InvalidArgument, "CHUNK_SIZE");
        assert_eq!(committed(&customer, id).await, 0);

        let sent = vec![chunk(id, 0, &data[..SEGMENT as usize]), chunk(id, SEGMENT, &data[SEGMENT as usize..][..MAX_CHUNK as usize + 1])];
        assert_status(stream(&customer, sent).await, Code::InvalidArgument, "CHUNK_SIZE");
        assert_eq!(committed(&customer, id).await, SEGMENT, "the good chunk stays committed");
        assert_eq!(send_rest(&desk, id, &data, SEGMENT).await, data.len() as u64);
        complete(&customer, id).await.unwrap();
        let engineer = desk.server.as_actor(&desk.engineer).await;
        let (_, got) = download(&engineer, &begun.file_id, Purpose::ProvideSupport, None).await.unwrap();
        assert!(got == data);
    }

    async fn too_many_concurrent_upload_streams_of_one_tenant_are_refused_with_too_many_uploads(backend: Backend) {
        let desk = Desk::start(backend, limits()).await;
        let customer = desk.customer().await;
        let files: Vec<Vec<u8>> = (0..3).map(|_| random(2 * SEGMENT as usize + 1)).collect();
        let mut begun = Vec::new();
        for (i, data) in files.iter().enumerate() {
            begun.push(begin(&customer, &desk.workspace, &format!("f{i}.bin"), data).await.unwrap());
        }
        // Two streams held open, each with one segment committed.
        let mut open = Vec::new();
        for (data, b) in files.iter().zip(&begun).take(2) {
            let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(4);
            let clients = customer.clone();
            let task = tokio::spawn(async move { clients.transfers().upload_chunks(ReceiverStream::new(receiver)).await });
            sender.send(chunk(&b.upload_id, 0, &data[..SEGMENT as usize])).await.unwrap();
            let id = b.upload_id.clone();
            eventually("the stream is open", || async { committed(&customer, &id).await == SEGMENT }).await;
            open.push((sender, task));
        }
        let third = &begun[2];
        let refused = stream(&customer, vec![chunk(&third.upload_id, 0, &files[2][..1000])]).await;
        let status = assert_status(refused, Code::ResourceExhausted, "TOO_MANY_UPLOADS");
        assert!(status.message().contains('2'), "names the limit: {}", status.message());
        assert_eq!(committed(&customer, &third.upload_id).await, 0);

        // Another tenant is not held up by acme's streams.
        let globex = desk.server.as_actor(&desk.globex_customer).await;
        let theirs = random(1000);
        let g = begin(&globex, &desk.globex_workspace, "g.bin", &theirs).await.unwrap();
        assert_eq!(stream(&globex, vec![chunk(&g.upload_id, 0, &theirs)]).await.unwrap(), 1000);

        // Once one stream ends, the third goes through; every upload completes intact.
        let (sender, task) = open.pop().unwrap();
        drop(sender);
        assert_eq!(task.await.unwrap().unwrap().into_inner().committed_offset, SEGMENT);
        assert_eq!(send_rest(&desk, &third.upload_id, &files[2], 0).await, files[2].len() as u64);
        let (sender, task) = open.pop().unwrap();
        drop(sender);
        task.await.unwrap().unwrap();
        let engineer = desk.server.as_actor(&desk.engineer).await;
        for (data, b) in files.iter().zip(&begun) {
            let from = committed(&customer, &b.upload_id).await;
            if from < data.len() as u64 {
                send_rest(&desk, &b.upload_id, data, from).await;
            }
            assert_eq!(complete(&customer, &b.upload_id).await.unwrap().state(), UploadState::Available);
            let (_, got) = download(&engineer, &b.file_id, Purpose::ProvideSupport, None).await.unwrap();
            assert!(&got == data);
        }
    }

    async fn an_expired_upload_takes_no_more_chunks_cannot_be_completed_and_is_not_resumed(backend: Backend) {
        let desk = Desk::start(backend, limits()).await;
        let customer = desk.customer().await;
        let (a, b) = (random(2 * SEGMENT as usize + 1), random(SEGMENT as usize + 1));
        let partial = begin(&customer, &desk.workspace, "a.bin", &a).await.unwrap();
        assert_eq!(send_rest(&desk, &partial.upload_id, &a[..SEGMENT as usize], 0).await, SEGMENT);
        let whole = begin(&customer, &desk.workspace, "b.bin", &b).await.unwrap();
        assert_eq!(send_rest(&desk, &whole.upload_id, &b, 0).await, b.len() as u64);

        desk.server.clock.advance(chrono::Duration::hours(2));
        let late = stream(&customer, vec![chunk(&partial.upload_id, SEGMENT, &a[SEGMENT as usize..][..10])]).await;
        assert_status(late, Code::FailedPrecondition, "UPLOAD_EXPIRED");
        assert_eq!(committed(&customer, &partial.upload_id).await, SEGMENT);
        let again = begin(&customer, &desk.workspace, "a.bin", &a).await.unwrap();
        assert_ne!(again.upload_id, partial.upload_id, "an expired upload is not resumed");
        // transfer.proto: "An upload not completed by then is aborted and its content destroyed."
        assert_status(complete(&customer, &whole.upload_id).await, Code::FailedPrecondition, "UPLOAD_EXPIRED");
        let engineer = desk.server.as_actor(&desk.engineer).await;
        assert_status(download(&engineer, &whole.file_id, Purpose::ProvideSupport, None).await, Code::NotFound, "NOT_FOUND");
    }
}
