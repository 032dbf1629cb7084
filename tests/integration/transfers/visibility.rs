//! No partial file is ever visible: an upload is listed and downloadable only once it
//! is verified, and an aborted one leaves neither content nor key behind.

use supportgate::proto::{AbortUploadRequest, Chunk, ListFilesRequest, Purpose};
use supportgate_testkit::backend_tests;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

use super::{
    acme_workspace, begin, chunk, chunks, committed, complete, download, eventually, list_files,
    random, sql_count_is, stream, upload, SEGMENT,
};
use crate::harness::{assert_status, Clients, World};

/// The ids every reader sees in `workspace`, which must agree.
async fn visible(world: &World, workspace: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let readers = [
        (&world.acme.customer, Purpose::ProvideSupport),
        (&world.acme.engineer, Purpose::ProvideSupport),
        (&world.acme.quality, Purpose::ImproveSupport),
        (&world.acme.reviewer, Purpose::Unspecified),
        (&world.reviewer, Purpose::Unspecified),
    ];
    for (actor, purpose) in readers {
        let clients = world.server.as_actor(actor).await;
        let request = ListFilesRequest {
            workspace_id: workspace.into(),
            purpose: purpose.into(),
            ..Default::default()
        };
        let files = clients
            .transfers()
            .list_files(request)
            .await
            .unwrap()
            .into_inner()
            .files;
        let mut ids: Vec<String> = files.into_iter().map(|f| f.file_id).collect();
        ids.sort();
        if actor.subject_id != world.acme.customer.subject_id {
            assert_eq!(ids, seen, "{} sees what the customer sees", actor.name);
        }
        seen = ids;
    }
    seen
}

async fn not_downloadable(world: &World, file: &str) {
    for actor in [&world.acme.customer, &world.acme.engineer] {
        let clients: Clients = world.server.as_actor(actor).await;
        let fetched = download(&clients, file, Purpose::ProvideSupport, None).await;
        assert_status(fetched, Code::NotFound, "NOT_FOUND");
        let ranged = download(&clients, file, Purpose::ProvideSupport, Some((0, 1))).await;
        assert_status(ranged, Code::NotFound, "NOT_FOUND");
    }
}

backend_tests! {
    async fn an_upload_is_neither_listed_nor_downloadable_until_it_is_verified(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let done = upload(&customer, &workspace, "done.log", &random(1000)).await;
        let data = random(3 * SEGMENT as usize + 17);
        let begun = begin(&customer, &workspace, "partial.bin", &data).await.unwrap();
        let id = begun.upload_id.clone();
        let only_done = vec![done.file_id.clone()];

        assert_eq!(visible(&world, &workspace).await, only_done, "declared only");
        not_downloadable(&world, &begun.file_id).await;

        // While a stream is open and part of the file committed.
        let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(4);
        let clients = customer.clone();
        let open = tokio::spawn(async move { clients.transfers().upload_chunks(ReceiverStream::new(receiver)).await });
        sender.send(chunk(&id, 0, &data[..2 * SEGMENT as usize + 5])).await.unwrap();
        eventually("two segments are committed", || async { committed(&customer, &id).await == 2 * SEGMENT }).await;
        assert_eq!(visible(&world, &workspace).await, only_done, "mid-stream");
        not_downloadable(&world, &begun.file_id).await;
        drop(sender);
        open.await.unwrap().unwrap();

        // Every byte committed, not yet completed.
        let size = data.len() as u64;
        assert_eq!(stream(&customer, chunks(&id, &data, 2 * SEGMENT, size, 50_000)).await.unwrap(), size);
        assert_eq!(visible(&world, &workspace).await, only_done, "complete but unverified");
        not_downloadable(&world, &begun.file_id).await;

        complete(&customer, &id).await.unwrap();
        let mut both = vec![done.file_id.clone(), begun.file_id.clone()];
        both.sort();
        assert_eq!(visible(&world, &workspace).await, both, "verified");
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let (_, got) = download(&engineer, &begun.file_id, Purpose::ProvideSupport, None).await.unwrap();
        assert!(got == data);
    }

    async fn an_aborted_upload_is_never_visible_and_its_key_and_content_are_destroyed(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(2 * SEGMENT as usize + 3);
        let begun = begin(&customer, &workspace, "oops.bin", &data).await.unwrap();
        stream(&customer, chunks(&begun.upload_id, &data, 0, data.len() as u64, 50_000)).await.unwrap();
        let keys = format!("SELECT COUNT(*) FROM object_keys WHERE object_id = '{}'", begun.file_id);
        assert!(sql_count_is(&world.server, &keys, 1).await);

        customer.transfers().abort_upload(AbortUploadRequest { upload_id: begun.upload_id.clone() }).await.unwrap();
        assert!(visible(&world, &workspace).await.is_empty());
        not_downloadable(&world, &begun.file_id).await;
        assert_status(complete(&customer, &begun.upload_id).await, Code::FailedPrecondition, "UPLOAD_NOT_IN_PROGRESS");
        assert!(sql_count_is(&world.server, &keys, 0).await, "the data key is destroyed");
        let left: Vec<_> = crate::transfers::stored_bytes(&world.server.blob_dir());
        assert!(left.is_empty(), "no content is left in the blob store");
        let listed = list_files(&customer, &workspace, Purpose::ProvideSupport).await.unwrap();
        assert!(listed.is_empty());
    }

    async fn the_assigned_engineer_reads_an_uploads_progress_but_nobody_else_does(backend: Backend) {
        // transfer.proto, GetUploadStatus: "Only the uploader (or an engineer assigned to
        // the case, read-only)."
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(SEGMENT as usize + 1);
        let begun = begin(&customer, &workspace, "progress.bin", &data).await.unwrap();
        stream(&customer, vec![chunk(&begun.upload_id, 0, &data[..SEGMENT as usize])]).await.unwrap();
        let request = || supportgate::proto::GetUploadStatusRequest { upload_id: begun.upload_id.clone() };
        let other = world.server.as_actor(&world.acme.other_engineer).await;
        let code = other.transfers().get_upload_status(request()).await.unwrap_err().code();
        assert!(matches!(code, Code::PermissionDenied | Code::NotFound), "an unassigned engineer: {code:?}");
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let seen = engineer.transfers().get_upload_status(request()).await
            .unwrap_or_else(|e| panic!("the assigned engineer reads the upload's status: {e:?}"))
            .into_inner();
        assert_eq!(seen.committed_offset, SEGMENT);
    }
}
