//! A gateway that dies in the middle of `CompleteUpload` and starts again: the retry
//! finds where the first attempt stopped from what is stored (its in-memory SHA-256 is
//! gone), completes, and leaves no blob behind under the wrong name.

use supportgate::proto::{Purpose, UploadState};
use supportgate_store::{BlobKey, BlobStore, LocalBlobStore};
use supportgate_testkit::backend_tests;
use supportgate_types::TenantId;

use super::{acme_workspace, begin, complete, download, random, send_rest, upload_status, SEGMENT};
use crate::harness::World;

/// Where a completion had got to when the gateway died.
#[derive(Clone, Copy, Debug)]
enum DiedAfter {
    /// The `VERIFIED` entry: the content is still under `uploads/`.
    Verifying,
    /// `BlobStore::promote`: the content is under `files/`, the row still in progress.
    Renaming,
}

backend_tests! {
    async fn a_completion_cut_short_by_a_crash_completes_on_retry_after_a_restart(backend: Backend) {
        for died in [DiedAfter::Verifying, DiedAfter::Renaming] {
            let mut world = World::build(backend).await;
            let workspace = acme_workspace(&world).await;
            let customer = world.server.as_actor(&world.acme.customer).await;
            let data = random(2 * SEGMENT as usize + 777);
            let begun = begin(&customer, &workspace, "trace.log", &data).await.unwrap();
            let sent = send_rest(&customer, &begun.upload_id, &data, 0).await.unwrap();
            assert_eq!(sent, data.len() as u64);

            let blob_dir = world.server.blob_dir();
            let tenant = TenantId::parse(&world.acme.id).unwrap();
            let uploading = BlobKey::upload(tenant, &begun.upload_id).unwrap();
            let completed = BlobKey::file(tenant, &begun.file_id).unwrap();
            if let DiedAfter::Renaming = died {
                // The rename the first completion made, exactly as it makes it.
                let blobs = LocalBlobStore::open(&blob_dir).unwrap();
                blobs.promote(&uploading, &completed).await.unwrap();
            }
            world.server.restart().await;

            let customer = world.server.as_actor(&world.acme.customer).await;
            let status = upload_status(&customer, &begun.upload_id).await;
            assert_eq!((status.state(), status.committed_offset), (UploadState::InProgress, data.len() as u64), "{died:?}");
            let done = complete(&customer, &begun.upload_id).await
                .unwrap_or_else(|e| panic!("{died:?}: the retry completes: {e:?}"));
            assert_eq!(done.state(), UploadState::Available, "{died:?}");
            let again = complete(&customer, &begun.upload_id).await.unwrap();
            assert_eq!(again.state(), UploadState::Available, "{died:?}: a further retry changes nothing");

            let engineer = world.server.as_actor(&world.acme.engineer).await;
            let (header, got) = download(&engineer, &begun.file_id, Purpose::ProvideSupport, None).await
                .unwrap_or_else(|e| panic!("{died:?}: {e:?}"));
            assert_eq!(header.total_size, data.len() as u64);
            assert!(got == data, "{died:?}: the download is byte-identical");
            let blobs = LocalBlobStore::open(&blob_dir).unwrap();
            assert_eq!(blobs.len(&uploading).await.unwrap(), None, "{died:?}: nothing left under uploads/");
            assert!(blobs.len(&completed).await.unwrap().is_some(), "{died:?}: the file is under files/");
        }
    }
}
