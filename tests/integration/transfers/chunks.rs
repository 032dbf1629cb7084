//! Bad chunks: each refused with its precise status and reason, and afterwards the
//! committed offset is what it was, and a correct resume completes and verifies.

use std::time::Duration;

use supportgate::proto::{AbortUploadRequest, Chunk, Purpose, UploadState};
use supportgate_testkit::backend_tests;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

use super::proxy::Proxy;
use super::{
    acme_workspace, begin, chunk, chunks, committed, complete, download, eventually, random,
    send_rest, stream, upload, upload_status, SEGMENT,
};
use crate::harness::{assert_status, reason, Clients, World};

/// Resumes `upload` from its committed offset, completes it, and checks the engineer
/// downloads exactly `data`.
async fn resume_and_verify(
    world: &World,
    customer: &Clients,
    upload: &str,
    file: &str,
    data: &[u8],
) {
    let from = committed(customer, upload).await;
    if from < data.len() as u64 {
        assert_eq!(
            send_rest(customer, upload, data, from).await.unwrap(),
            data.len() as u64
        );
    }
    let done = complete(customer, upload)
        .await
        .expect("the resumed upload completes");
    assert_eq!(done.state(), UploadState::Available);
    let engineer = world.server.as_actor(&world.acme.engineer).await;
    let (_, got) = download(&engineer, file, Purpose::ProvideSupport, None)
        .await
        .unwrap_or_else(|e| panic!("the file CompleteUpload made available downloads: {e:?}"));
    assert!(got == data, "the resumed upload downloads byte-identical");
}

backend_tests! {
    async fn out_of_order_and_overlapping_chunks_are_refused_and_committed_data_is_kept(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(4 * SEGMENT as usize + 777);
        let begun = begin(&customer, &workspace, "trace.log", &data).await.unwrap();
        let id = begun.upload_id.as_str();
        let two = 2 * SEGMENT;
        assert_eq!(stream(&customer, chunks(id, &data, 0, two, 50_000)).await.unwrap(), two);

        let at = |offset: u64, len: usize| chunk(id, offset, &data[offset as usize..][..len]);
        let refused: Vec<(&str, Vec<Chunk>)> = vec![
            ("a chunk from the start again", vec![at(0, 100)]),
            ("a chunk overlapping the committed end by one byte", vec![at(two - 1, 100)]),
            ("a chunk leaving a one-byte gap", vec![at(two + 1, 100)]),
            ("a chunk a whole segment ahead", vec![at(3 * SEGMENT, 100)]),
            ("a chunk overlapping the previous one in the stream", vec![at(two, 1000), at(two + 500, 1000)]),
            ("chunks in reverse order", vec![at(two + 1000, 1000), at(two, 1000)]),
        ];
        for (what, chunks) in refused {
            let result = stream(&customer, chunks).await;
            assert_status(result, Code::FailedPrecondition, "CHUNK_OFFSET_MISMATCH");
            assert_eq!(committed(&customer, id).await, two, "{what} changes nothing committed");
        }
        // What a stream committed before its bad chunk stays committed.
        let three = 3 * SEGMENT;
        let result = stream(&customer, vec![at(two, SEGMENT as usize), at(three + 1, 10)]).await;
        assert_status(result, Code::FailedPrecondition, "CHUNK_OFFSET_MISMATCH");
        assert_eq!(committed(&customer, id).await, three);
        assert_eq!(upload_status(&customer, id).await.state(), UploadState::InProgress);
        resume_and_verify(&world, &customer, id, &begun.file_id, &data).await;
    }

    async fn an_offset_mismatch_tells_the_client_the_committed_offset_in_its_details(backend: Backend) {
        // transfer.proto: "the status details carry the committed offset".
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(2 * SEGMENT as usize + 10);
        let begun = begin(&customer, &workspace, "trace.log", &data).await.unwrap();
        stream(&customer, chunks(&begun.upload_id, &data, 0, SEGMENT, 40_000)).await.unwrap();
        let status = assert_status(
            stream(&customer, vec![chunk(&begun.upload_id, 0, &data[..10])]).await,
            Code::FailedPrecondition,
            "CHUNK_OFFSET_MISMATCH",
        );
        use tonic_types::StatusExt;
        let details = status.get_error_details();
        let info = details.error_info().expect("error info");
        assert_eq!(
            info.metadata.get("committed_offset").map(String::as_str),
            Some(SEGMENT.to_string().as_str()),
            "the details carry the committed offset: {info:?}"
        );
    }

    async fn a_chunk_whose_crc32c_does_not_match_is_refused_and_nothing_of_it_is_committed(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(3 * SEGMENT as usize + 5);
        let begun = begin(&customer, &workspace, "dump.bin", &data).await.unwrap();
        let id = begun.upload_id.as_str();

        let mut wrong = chunk(id, 0, &data[..SEGMENT as usize]);
        wrong.crc32c ^= 1;
        assert_status(stream(&customer, vec![wrong]).await, Code::InvalidArgument, "CHUNK_CHECKSUM_MISMATCH");
        assert_eq!(committed(&customer, id).await, 0);

        // Good chunks, then one corrupted in transit: the good ones stay committed.
        let mut flipped = chunk(id, SEGMENT, &data[SEGMENT as usize..2 * SEGMENT as usize]);
        let mut bytes = flipped.data.to_vec();
        bytes[1234] ^= 0x40;
        flipped.data = bytes.into();
        let mut sent = chunks(id, &data, 0, SEGMENT, 30_000);
        sent.push(flipped);
        assert_status(stream(&customer, sent).await, Code::InvalidArgument, "CHUNK_CHECKSUM_MISMATCH");
        assert_eq!(committed(&customer, id).await, SEGMENT);
        resume_and_verify(&world, &customer, id, &begun.file_id, &data).await;
    }

    async fn data_past_the_declared_size_is_refused_and_the_declared_bytes_still_complete(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(2 * SEGMENT as usize + 300);
        let size = data.len() as u64;
        let begun = begin(&customer, &workspace, "big.log", &data).await.unwrap();
        let id = begun.upload_id.as_str();

        let mut longer = data.clone();
        longer.push(0);
        let result = stream(&customer, vec![chunk(id, 0, &longer)]).await;
        assert_status(result, Code::InvalidArgument, "UPLOAD_EXCEEDS_DECLARED_SIZE");
        assert_eq!(committed(&customer, id).await, 0);

        assert_eq!(stream(&customer, chunks(id, &data, 0, 2 * SEGMENT, 65_536)).await.unwrap(), 2 * SEGMENT);
        let across = chunk(id, 2 * SEGMENT, &longer[2 * SEGMENT as usize..]);
        assert_status(stream(&customer, vec![across]).await, Code::InvalidArgument, "UPLOAD_EXCEEDS_DECLARED_SIZE");
        assert_eq!(committed(&customer, id).await, 2 * SEGMENT);

        assert_eq!(send_rest(&customer, id, &data, 2 * SEGMENT).await.unwrap(), size);
        let extra = stream(&customer, vec![chunk(id, size, b"x")]).await;
        assert_status(extra, Code::InvalidArgument, "UPLOAD_EXCEEDS_DECLARED_SIZE");
        assert_eq!(committed(&customer, id).await, size);
        resume_and_verify(&world, &customer, id, &begun.file_id, &data).await;
    }

    async fn a_stream_opened_after_every_byte_is_committed_keeps_the_files_last_segment(backend: Backend) {
        // A client retrying its last chunk after a lost answer, before CompleteUpload.
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(SEGMENT as usize + 300);
        let size = data.len() as u64;
        let begun = begin(&customer, &workspace, "tail.bin", &data).await.unwrap();
        let id = begun.upload_id.as_str();
        assert_eq!(send_rest(&customer, id, &data, 0).await.unwrap(), size);
        let retried = stream(&customer, vec![chunk(id, SEGMENT, &data[SEGMENT as usize..])]).await;
        assert_status(retried, Code::FailedPrecondition, "CHUNK_OFFSET_MISMATCH");
        assert_eq!(committed(&customer, id).await, size);
        resume_and_verify(&world, &customer, id, &begun.file_id, &data).await;
    }

    async fn chunks_after_completion_are_refused_and_the_file_is_unchanged(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let data = random(SEGMENT as usize + 99);
        let size = data.len() as u64;
        let begun = upload(&customer, &workspace, "done.txt", &data).await;
        let id = begun.upload_id.as_str();

        for offset in [0, SEGMENT, size] {
            let late = stream(&customer, vec![chunk(id, offset, b"late bytes")]).await;
            assert_status(late, Code::FailedPrecondition, "UPLOAD_NOT_IN_PROGRESS");
        }
        let again = complete(&customer, id).await.expect("completing again is idempotent");
        assert_eq!((again.state(), again.committed_offset), (UploadState::Available, size));
        let abort = customer.transfers().abort_upload(AbortUploadRequest { upload_id: id.into() }).await;
        assert_status(abort, Code::FailedPrecondition, "UPLOAD_NOT_IN_PROGRESS");
        let (_, got) = download(&engineer, &begun.file_id, Purpose::ProvideSupport, None).await.unwrap();
        assert!(got == data, "the completed file is unchanged");

        // An aborted upload takes no chunks either.
        let other = random(1000);
        let aborted = begin(&customer, &workspace, "other.txt", &other).await.unwrap();
        customer.transfers().abort_upload(AbortUploadRequest { upload_id: aborted.upload_id.clone() }).await.unwrap();
        let late = stream(&customer, vec![chunk(&aborted.upload_id, 0, &other)]).await;
        assert_status(late, Code::FailedPrecondition, "UPLOAD_NOT_IN_PROGRESS");
        assert_eq!(upload_status(&customer, &aborted.upload_id).await.state(), UploadState::Aborted);
    }

    async fn completing_before_every_byte_is_committed_is_refused_and_the_upload_stays_resumable(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(3 * SEGMENT as usize + 1);
        let begun = begin(&customer, &workspace, "half.bin", &data).await.unwrap();
        let id = begun.upload_id.as_str();
        assert_status(complete(&customer, id).await, Code::FailedPrecondition, "UPLOAD_INCOMPLETE");
        stream(&customer, chunks(id, &data, 0, 2 * SEGMENT + 10, 50_000)).await.unwrap();
        let early = complete(&customer, id).await;
        let status = assert_status(early, Code::FailedPrecondition, "UPLOAD_INCOMPLETE");
        assert!(status.message().contains(&(2 * SEGMENT).to_string()), "says where to resume: {}", status.message());
        let now = upload_status(&customer, id).await;
        assert_eq!((now.state(), now.committed_offset), (UploadState::InProgress, 2 * SEGMENT));
        resume_and_verify(&world, &customer, id, &begun.file_id, &data).await;
    }

    async fn a_client_that_stops_sending_mid_chunk_loses_nothing_committed_and_resumes(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(2 * SEGMENT as usize + 100 + 900_000);
        let begun = begin(&customer, &workspace, "core.dump", &data).await.unwrap();
        let id = begun.upload_id.clone();

        let proxy = Proxy::start(world.server.addr).await;
        let flaky = proxy.clients(&world.server, &world.acme.customer).await;
        let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(4);
        let sending = tokio::spawn(async move {
            flaky.transfers().upload_chunks(ReceiverStream::new(receiver)).await
        });
        let first = 2 * SEGMENT + 100;
        sender.send(chunk(&id, 0, &data[..first as usize])).await.unwrap();
        eventually("the first chunk is committed", || async {
            committed(&customer, &id).await == 2 * SEGMENT
        }).await;
        // 64 KiB of a 900 000-byte chunk get through, then the connection is gone.
        proxy.cut_after(64 * 1024);
        sender.send(chunk(&id, first, &data[first as usize..])).await.unwrap();
        let ended = tokio::time::timeout(Duration::from_secs(60), sending).await.unwrap().unwrap();
        assert!(ended.is_err(), "the cut stream fails on the client: {ended:?}");
        drop(sender);

        let status = upload_status(&customer, &id).await;
        assert_eq!((status.state(), status.committed_offset), (UploadState::InProgress, 2 * SEGMENT));
        // The gateway notices the vanished client and frees the upload for a resume.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let resumed = loop {
            match send_rest(&customer, &id, &data, 2 * SEGMENT).await {
                Err(status) if reason(&status).as_deref() == Some("UPLOAD_BUSY") => {
                    assert!(tokio::time::Instant::now() < deadline, "the upload stays busy after its client vanished");
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => break other,
            }
        };
        assert_eq!(resumed.unwrap(), data.len() as u64);
        resume_and_verify(&world, &customer, &id, &begun.file_id, &data).await;
    }

    async fn a_second_stream_of_an_upload_is_refused_while_the_first_is_open(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(3 * SEGMENT as usize + 12);
        let begun = begin(&customer, &workspace, "twice.bin", &data).await.unwrap();
        let id = begun.upload_id.clone();

        let (sender, receiver) = tokio::sync::mpsc::channel::<Chunk>(4);
        let first = customer.clone();
        let open = tokio::spawn(async move { first.transfers().upload_chunks(ReceiverStream::new(receiver)).await });
        sender.send(chunk(&id, 0, &data[..SEGMENT as usize])).await.unwrap();
        eventually("the first stream committed a segment", || async { committed(&customer, &id).await == SEGMENT }).await;

        for offset in [SEGMENT, 0] {
            let second = stream(&customer, vec![chunk(&id, offset, &data[offset as usize..][..SEGMENT as usize])]).await;
            assert_status(second, Code::FailedPrecondition, "UPLOAD_BUSY");
        }
        assert_eq!(committed(&customer, &id).await, SEGMENT, "the refused stream wrote nothing");

        // The first stream is unaffected and carries on.
        sender.send(chunk(&id, SEGMENT, &data[SEGMENT as usize..2 * SEGMENT as usize])).await.unwrap();
        drop(sender);
        let done = open.await.unwrap().expect("the first stream ends cleanly");
        assert_eq!(done.into_inner().committed_offset, 2 * SEGMENT);
        resume_and_verify(&world, &customer, &id, &begun.file_id, &data).await;
    }

    async fn a_stream_that_switches_uploads_midway_is_refused_and_keeps_what_it_committed(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let (a, b) = (random(2 * SEGMENT as usize + 3), random(SEGMENT as usize + 3));
        let first = begin(&customer, &workspace, "a.bin", &a).await.unwrap();
        let second = begin(&customer, &workspace, "b.bin", &b).await.unwrap();
        let mixed = vec![chunk(&first.upload_id, 0, &a[..SEGMENT as usize]), chunk(&second.upload_id, 0, &b[..100])];
        assert_status(stream(&customer, mixed).await, Code::InvalidArgument, "UPLOAD_ID_CHANGED");
        assert_eq!(committed(&customer, &first.upload_id).await, SEGMENT);
        assert_eq!(committed(&customer, &second.upload_id).await, 0);
        assert_status(stream(&customer, Vec::new()).await, Code::InvalidArgument, "FIELD_REQUIRED");
        resume_and_verify(&world, &customer, &first.upload_id, &first.file_id, &a).await;
        resume_and_verify(&world, &customer, &second.upload_id, &second.file_id, &b).await;
    }
}
