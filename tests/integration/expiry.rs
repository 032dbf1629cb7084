//! Uploads that are never finished do not hold their bytes or their quota forever: the
//! gateway's sweep aborts them after their lifetime, destroys their data key and content,
//! and logs it.

use supportgate::proto::{
    BeginUploadRequest, GetUploadStatusRequest, IssueCredentialRequest, ListEntriesRequest,
    ListWorkspacesRequest, OpenWorkspaceRequest, UploadState,
};
use supportgate_testkit::backend_tests;

use crate::harness::{Actor, Clients, TestServer, World};

/// Clients for `actor` with a credential issued now (the clock moved past the old one).
async fn fresh(server: &TestServer, actor: &Actor) -> Clients {
    let issued = server
        .admin()
        .await
        .admin()
        .issue_credential(IssueCredentialRequest {
            subject_id: actor.subject_id.clone(),
            ttl_seconds: 0,
        })
        .await
        .unwrap()
        .into_inner();
    Clients::new(server.channel().await, Some(&issued.token))
}

fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

backend_tests! {
    async fn an_expired_upload_is_aborted_its_content_destroyed_and_its_quota_released(backend: Backend) {
        let world = World::build(backend).await;
        let (server, acme) = (&world.server, &world.acme);
        let workspace = server
            .as_actor(&acme.engineer)
            .await
            .transfers()
            .open_workspace(OpenWorkspaceRequest { case_id: acme.case.clone() })
            .await
            .unwrap()
            .into_inner()
            .workspace_id;
        let begun = server
            .as_actor(&acme.customer)
            .await
            .transfers()
            .begin_upload(BeginUploadRequest {
                workspace_id: workspace.clone(),
                name: "never-finished.log".into(),
                size: 1000,
                sha256: vec![7; 32].into(),
                media_type: String::new(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(files_under(&server.blob_dir()).iter().any(|p| p.ends_with(&begun.upload_id)));
        assert_eq!(server.services.uploads_expire().await.unwrap(), 0, "nothing has expired yet");

        server.clock.advance(chrono::Duration::days(8));
        assert_eq!(server.services.uploads_expire().await.unwrap(), 1);

        let customer = fresh(server, &acme.customer).await;
        let status = customer
            .transfers()
            .get_upload_status(GetUploadStatusRequest { upload_id: begun.upload_id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((status.state(), status.failure_reason.as_str()), (UploadState::Aborted, "EXPIRED"));
        assert!(!files_under(&server.blob_dir()).iter().any(|p| p.ends_with(&begun.upload_id)), "the content is gone");
        let engineer = fresh(server, &acme.engineer).await;
        let workspaces = engineer
            .transfers()
            .list_workspaces(ListWorkspacesRequest { case_id: acme.case.clone(), page_size: 0, page_token: String::new() })
            .await
            .unwrap()
            .into_inner()
            .workspaces;
        assert_eq!(workspaces[0].used_bytes, 0, "the quota reservation is released");

        let reviewer = fresh(server, &world.reviewer).await;
        let entries = reviewer.log().list_entries(ListEntriesRequest { page_size: 1000, ..Default::default() }).await.unwrap().into_inner().entries;
        assert!(
            entries.iter().any(|e| e.action == "transfer.upload.expire"
                && e.reason == "EXPIRED"
                && e.subject_id.is_empty()
                && e.resource_id == begun.upload_id),
            "the sweep is logged as the gateway's own event"
        );
    }
}
