//! Key rotation without downtime: after a rotation, files stored before it still
//! download byte-identical, their data keys are wrapped under the new version, and new
//! uploads go under it too; contacts created before it are still found by e-mail.

use std::path::Path;

use supportgate::proto::{OpenWorkspaceRequest, RotateKeysRequest};
use supportgate_testkit::backend_tests;
use tokio::process::Command;

use crate::harness::world::open_case;
use crate::harness::{Actor, TestServer, World};

const BIN: &str = env!("CARGO_BIN_EXE_supportgate");

/// Runs the CLI as `actor` in `dir`; returns stdout, failing the test on a non-zero exit.
async fn cli(server: &TestServer, actor: &Actor, dir: &Path, args: &[&str]) -> String {
    let output = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .env("SUPPORTGATE_SERVER", server.url())
        .env("SUPPORTGATE_CA", server.ca_path())
        .env("SUPPORTGATE_TOKEN", &actor.token)
        .output()
        .await
        .unwrap();
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

backend_tests! {
    async fn files_stored_before_a_rotation_still_download_and_are_rewrapped(backend: Backend) {
        let world = World::build(backend).await;
        let (server, acme) = (&world.server, &world.acme);
        let dir = tempfile::tempdir().unwrap();
        let data: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_le_bytes()).collect();
        std::fs::write(dir.path().join("before.bin"), &data).unwrap();
        std::fs::write(dir.path().join("after.bin"), &data[..1000]).unwrap();
        let workspace = server
            .as_actor(&acme.engineer)
            .await
            .transfers()
            .open_workspace(OpenWorkspaceRequest { case_id: acme.case.clone() })
            .await
            .unwrap()
            .into_inner()
            .workspace_id;
        let uploaded = cli(server, &acme.customer, dir.path(), &["upload", "before.bin", "--workspace", &workspace, "--output", "json"]).await;
        let file: serde_json::Value = serde_json::from_str(&uploaded).unwrap();
        let file_id = file[0]["file_id"].as_str().unwrap().to_owned();

        let rotated = server
            .admin()
            .await
            .admin()
            .rotate_keys(RotateKeysRequest { tenant_id: acme.id.clone(), data_class: 0 })
            .await
            .unwrap()
            .into_inner();
        let customer = rotated.new_keys.iter().find(|k| k.data_class == 2).expect("the customer-data key rotated");
        assert_eq!((customer.version, customer.wrapped_data_keys), (2, 1), "one data key re-wrapped under version 2");
        assert_eq!(rotated.previous_keys.iter().find(|k| k.data_class == 2).unwrap().version, 1);

        cli(server, &acme.engineer, dir.path(), &["download", &file_id, "--out", "back.bin", "--purpose", "provide-support"]).await;
        assert_eq!(std::fs::read(dir.path().join("back.bin")).unwrap(), data, "a file sealed before the rotation opens after it");
        cli(server, &acme.customer, dir.path(), &["upload", "after.bin", "--workspace", &workspace]).await;

        let again = server
            .admin()
            .await
            .admin()
            .rotate_keys(RotateKeysRequest { tenant_id: acme.id.clone(), data_class: 2 })
            .await
            .unwrap()
            .into_inner();
        assert_eq!((again.new_keys[0].version, again.new_keys[0].wrapped_data_keys), (3, 2), "both files move to version 3");
    }

    async fn a_returning_contact_is_found_after_a_contact_key_rotation_not_duplicated(backend: Backend) {
        let world = World::build(backend).await;
        let (server, acme) = (&world.server, &world.acme);
        let first = open_case(server, &acme.customer, None, "before", "returning@acme.example").await;
        for _ in 0..2 {
            server
                .admin()
                .await
                .admin()
                .rotate_keys(RotateKeysRequest { tenant_id: acme.id.clone(), data_class: supportgate::proto::DataClass::Contact as i32 })
                .await
                .unwrap();
        }
        let again = open_case(server, &acme.customer, None, "after two rotations", "returning@acme.example").await;
        let other = open_case(server, &acme.customer, None, "someone else", "new@acme.example").await;
        let cases = server.as_actor(&acme.customer).await.cases();
        let meta = |case: String| {
            let mut cases = cases.clone();
            async move {
                cases
                    .list_cases(supportgate::proto::ListCasesRequest { page_size: 100, ..Default::default() })
                    .await
                    .unwrap()
                    .into_inner()
                    .cases
                    .into_iter()
                    .find(|c| c.case_id == case)
                    .unwrap()
                    .contact_id
            }
        };
        let (first, again, other) = (meta(first).await, meta(again).await, meta(other).await);
        assert_eq!(first, again, "the same e-mail address is the same contact across rotations");
        assert_ne!(first, other, "another address is another contact");
    }
}
