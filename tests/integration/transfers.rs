//! Diagnostic transfers through the real interface: a customer uploads, the assigned
//! engineer downloads the same bytes, and the blob store holds only ciphertext.

use supportgate::proto::{
    download_file_response::Part, BeginUploadRequest, Chunk, CompleteUploadRequest,
    DownloadFileRequest, OpenWorkspaceRequest, Purpose,
};
use supportgate_testkit::backend_tests;

use crate::harness::World;

/// Deterministic bytes that no encryption would reproduce by chance.
fn content(len: usize) -> Vec<u8> {
    (0..len).map(|i| ((i * 7919) % 251) as u8).collect()
}

fn sha256(data: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, data)
        .as_ref()
        .to_vec()
}

/// Every file under `dir`, read whole.
fn stored_bytes(dir: &std::path::Path) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(stored_bytes(&path));
        } else {
            out.push(std::fs::read(path).unwrap());
        }
    }
    out
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

        for blob in stored_bytes(&world.server.blob_dir()) {
            for run in data.chunks(64) {
                assert!(!blob.windows(64).any(|w| w == run), "a 64-byte run of plaintext is in the blob store");
            }
        }
    }
}
