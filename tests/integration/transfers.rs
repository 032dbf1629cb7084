//! Diagnostic transfers (issue 4, DESIGN sections 5 and 8) through the real interface:
//! gRPC over TLS against a real gateway, and the real `supportgate` binary where the
//! issue names CLI behaviour.
//!
//! * this file: the round trip on both engines; `support`: the helpers every part shares;
//! * `acceptance`: 200 MiB through `supportgate upload` / `download`, the client and the
//!   gateway killed mid-upload and the same command rerun, a wrong SHA-256, roles that
//!   must not see files;
//! * `chunks`: out-of-order, overlapping, corrupt, oversized and surplus chunks, chunks
//!   after completion, a client that stops mid-chunk, a second stream of one upload;
//! * `declarations`: hostile names, malformed SHA-256, another tenant's workspace, empty
//!   files, repeated declarations;
//! * `limits`: file size, workspace quota, chunk size, concurrent streams per tenant;
//! * `visibility`: nothing unverified is ever listed or downloadable;
//! * `downloads`: ranges, purposes and who may read, damaged content, the CLI's partial
//!   file;
//! * `audit`: every step, denial and verification failure is in the access log, and the
//!   log still verifies;
//! * `process`, `proxy`: the real binary as client and as `serve --dev`, and a TCP proxy
//!   that cuts a connection in the middle of a chunk;
//! * `restarts`: a gateway that dies midway through `CompleteUpload`, restarted, and the
//!   completion retried.

use supportgate::proto::{
    download_file_response::Part, BeginUploadRequest, Chunk, CompleteUploadRequest,
    DownloadFileRequest, OpenWorkspaceRequest, Purpose,
};
use supportgate_testkit::backend_tests;

use crate::harness::World;

mod acceptance;
mod audit;
mod chunks;
mod declarations;
mod downloads;
mod limits;
mod process;
mod proxy;
mod restarts;
mod support;
mod visibility;

pub use support::*;

/// Deterministic bytes that no encryption would reproduce by chance.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7919) % 251) as u8).collect()
}

backend_tests! {
    async fn an_uploaded_file_downloads_byte_identical_and_is_stored_encrypted(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let engineer = world.server.as_actor(&acme.engineer).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let workspace = engineer
            .transfers()
            .open_workspace(OpenWorkspaceRequest { case_id: acme.case.clone() })
            .await
            .unwrap()
            .into_inner();
        let data = content(300_000);
        let begun = customer
            .transfers()
            .begin_upload(BeginUploadRequest {
                workspace_id: workspace.workspace_id.clone(),
                name: "trace.log".into(),
                size: data.len() as u64,
                sha256: sha256(&data).into(),
                media_type: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        let chunks: Vec<Chunk> = data
            .chunks(100_000)
            .enumerate()
            .map(|(i, part)| Chunk {
                upload_id: begun.upload_id.clone(),
                offset: (i * 100_000) as u64,
                data: part.to_vec().into(),
                crc32c: crc32c::crc32c(part),
            })
            .collect();
        let committed = customer.transfers().upload_chunks(futures::stream::iter(chunks)).await.unwrap().into_inner();
        assert_eq!(committed.committed_offset, data.len() as u64);
        customer.transfers().complete_upload(CompleteUploadRequest { upload_id: begun.upload_id.clone() }).await.unwrap();

        let request = DownloadFileRequest { file_id: begun.file_id.clone(), purpose: Purpose::ProvideSupport.into(), range: None };
        let mut stream = engineer.transfers().download_file(request).await.unwrap().into_inner();
        let mut downloaded = Vec::new();
        while let Some(message) = stream.message().await.unwrap() {
            if let Some(Part::Chunk(chunk)) = message.part {
                assert_eq!(chunk.offset, downloaded.len() as u64, "chunks arrive in order, without gaps");
                downloaded.extend_from_slice(&chunk.data);
            }
        }
        assert_eq!(downloaded, data);

        assert_no_plaintext_run(&world.server.blob_dir(), &data);
    }

    async fn a_random_file_leaves_no_64_byte_run_of_plaintext_in_the_blob_store(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        // Three whole segments and a short tail, every window checked.
        let data = random(3 * SEGMENT as usize + 4321);
        let begun = upload(&customer, &workspace, "dump.bin", &data).await;
        assert_no_plaintext_run(&world.server.blob_dir(), &data);
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let (header, got) = download(&engineer, &begun.file_id, Purpose::ProvideSupport, None).await.unwrap();
        assert_eq!((header.total_size, header.sha256.to_vec()), (data.len() as u64, sha256(&data)));
        assert!(got == data, "the download is byte-identical");
    }
}

/// The leak detectors themselves: a run of plaintext planted at an odd offset in a blob
/// is found by both.
#[test]
fn the_blob_scans_find_a_planted_run_of_plaintext() {
    let data = random(1 << 20);
    let samples = 64;
    let stride = (data.len() - 64) / samples;
    // Sample 7 starts at 7 * stride + 7 % 61.
    let planted = 7 * stride + 7;
    for offset in [0usize, 1, 56, 57, 1001] {
        let dir = tempfile::tempdir().unwrap();
        let mut blob = random(5000);
        blob.splice(offset..offset, data[planted..planted + 64].iter().copied());
        std::fs::create_dir_all(dir.path().join("files/t")).unwrap();
        std::fs::write(dir.path().join("files/t/f"), &blob).unwrap();
        let sampled = std::panic::catch_unwind(|| {
            assert_no_sampled_plaintext_run(dir.path(), &data, samples)
        });
        assert!(
            sampled.is_err(),
            "the sampled scan finds the run at {offset}"
        );
        let every = std::panic::catch_unwind(|| assert_no_plaintext_run(dir.path(), &data));
        assert!(every.is_err(), "the full scan finds the run at {offset}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("clean"), random(5000)).unwrap();
    assert_no_sampled_plaintext_run(dir.path(), &data, samples);
}
