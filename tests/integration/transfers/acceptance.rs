//! The acceptance paragraph of issue 4: a 200 MiB random file through `supportgate
//! upload` and `supportgate download`, uploads interrupted by SIGKILL of the client and
//! of the gateway and completed by rerunning the same command, a wrong SHA-256 that
//! leaves nothing behind, and roles that see no files at all.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use supportgate::proto::{
    AbortUploadRequest, ListEntriesRequest, ListWorkspacesRequest, Purpose, UploadState,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::process::{bytes_under, desk, Gateway, Shell};
use super::{
    acme_workspace, assert_no_sampled_plaintext_run, begin, chunk, complete, declare, download,
    list_files, random, send_rest, sha256, sql_count_is, stream, upload, upload_status,
};
use crate::harness::{assert_status, World};

const MIB: usize = 1024 * 1024;

/// Starts `args` as `token` and SIGKILLs the client once the gateway's upload area holds
/// more than `at` bytes; panics if the upload ends first.
async fn kill_client_midway(shell: &Shell, token: &Path, args: &[&str], uploads: &Path, at: u64) {
    let mut child = shell
        .command(token, args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the upload");
    wait_for_bytes(uploads, at, || child.try_wait().unwrap()).await;
    child.start_kill().expect("SIGKILL the client");
    child.wait().await.expect("the client dies");
}

/// Polls until `dir` holds more than `at` bytes; `finished` reports an upload that ended
/// too early.
async fn wait_for_bytes(
    dir: &Path,
    at: u64,
    mut finished: impl FnMut() -> Option<std::process::ExitStatus>,
) {
    let deadline = Instant::now() + Duration::from_secs(300);
    while bytes_under(dir) <= at {
        if let Some(status) = finished() {
            panic!("the upload ended ({status}) before it could be interrupted");
        }
        assert!(Instant::now() < deadline, "the upload made no progress");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The one uploaded file of a `supportgate upload --output json` run.
fn uploaded(stdout: &str) -> Value {
    let value: Value = serde_json::from_str(stdout.trim()).expect("one JSON value on stdout");
    value[0].clone()
}

/// Reruns the interrupted command: it must say it resumed, complete and verify.
async fn rerun_resumes(shell: &Shell, token: &Path, args: &[&str], data: &[u8]) -> String {
    let run = shell.run(token, args).await;
    assert_eq!(run.code, 0, "the rerun completes: {}", run.stderr);
    assert!(
        run.stderr.contains("resuming at byte"),
        "the rerun says it resumed: {}",
        run.stderr
    );
    let file = uploaded(&run.stdout);
    let resumed = file["resumed_from"].as_u64().expect("resumed_from");
    assert!(
        resumed > 0 && resumed < data.len() as u64,
        "resumed midway: {file}"
    );
    assert_eq!(file["size"].as_u64(), Some(data.len() as u64));
    assert_eq!(
        file["sha256"].as_str(),
        Some(hex::encode(sha256(data)).as_str())
    );
    file["file_id"].as_str().expect("file id").to_owned()
}

/// Eve downloads `file` for support; it must equal `data`.
async fn eve_downloads(shell: &Shell, file: &str, out: &str, data: &[u8]) {
    let eve = shell.token("eve");
    let args = [
        "download",
        file,
        "--out",
        out,
        "--purpose",
        "provide-support",
    ];
    shell.ok(&eve, &args).await;
    let got = std::fs::read(shell.dir.join(out)).expect("the download is written");
    assert_eq!(got.len(), data.len());
    assert!(got == data, "the download is byte-identical");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mib_upload_interrupted_by_killing_the_client_resumes_and_downloads_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("sg-data");
    let gateway = Gateway::dev(&data_dir, "127.0.0.1:0").await;
    let shell = Shell {
        dir: dir.path().to_owned(),
        server: gateway.url(),
        ca: data_dir.join("tls/ca.pem"),
    };
    let workspace = desk(&shell, &data_dir.join("admin.token")).await;
    let data = random(200 * MIB);
    std::fs::write(dir.path().join("diag.bin"), &data).unwrap();
    let carol = shell.token("carol");
    let args = [
        "upload",
        "diag.bin",
        "--workspace",
        &workspace,
        "--output",
        "json",
    ];

    let uploads = data_dir.join("blobs");
    kill_client_midway(&shell, &carol, &args, &uploads, 40 * MIB as u64).await;
    let file = rerun_resumes(&shell, &carol, &args, &data).await;

    eve_downloads(&shell, &file, "got.bin", &data).await;
    assert_no_sampled_plaintext_run(&data_dir.join("blobs"), &data, 16384);

    let (files, _) = shell
        .json(
            &shell.token("eve"),
            &[
                "transfer",
                "files",
                &workspace,
                "--purpose",
                "provide-support",
            ],
        )
        .await;
    assert_eq!(files[0]["name"], "diag.bin", "{files}");
    assert_eq!(
        files.as_array().map(Vec::len),
        Some(1),
        "one file, listed once: {files}"
    );
    for who in ["cora", "sam"] {
        let token = shell.token(who);
        let line = shell
            .refused(
                &token,
                &[
                    "transfer",
                    "files",
                    &workspace,
                    "--purpose",
                    "provide-support",
                ],
            )
            .await;
        assert!(
            line.starts_with("error: PERMISSION_DENIED"),
            "{who}: {line}"
        );
        let line = shell
            .refused(
                &token,
                &[
                    "download",
                    &file,
                    "--out",
                    "x.bin",
                    "--purpose",
                    "provide-support",
                ],
            )
            .await;
        assert!(
            line.starts_with("error: PERMISSION_DENIED"),
            "{who}: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_upload_interrupted_by_sigkill_of_the_gateway_completes_when_the_same_command_is_rerun()
{
    let dir = tempfile::tempdir().unwrap();
    let data_dir = dir.path().join("sg-data");
    let gateway = Gateway::dev(&data_dir, "127.0.0.1:0").await;
    let shell = Shell {
        dir: dir.path().to_owned(),
        server: gateway.url(),
        ca: data_dir.join("tls/ca.pem"),
    };
    let workspace = desk(&shell, &data_dir.join("admin.token")).await;
    let data = random(64 * MIB);
    std::fs::write(dir.path().join("trace.bin"), &data).unwrap();
    let carol = shell.token("carol");
    let args = [
        "upload",
        "trace.bin",
        "--workspace",
        &workspace,
        "--output",
        "json",
    ];

    let mut client = shell
        .command(&carol, &args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the upload");
    wait_for_bytes(&data_dir.join("blobs"), 8 * MIB as u64, || {
        client.try_wait().unwrap()
    })
    .await;
    let addr = gateway.addr.clone();
    gateway.kill().await;
    // The client retries a few times, then gives up with an error.
    let failed = tokio::time::timeout(Duration::from_secs(60), client.wait_with_output())
        .await
        .expect("the client gives up once the gateway is gone")
        .unwrap();
    assert!(
        !failed.status.success(),
        "the interrupted upload fails: {failed:?}"
    );

    let _gateway = Gateway::dev(&data_dir, &addr).await;
    let file = rerun_resumes(&shell, &carol, &args, &data).await;
    eve_downloads(&shell, &file, "trace-got.bin", &data).await;
}

backend_tests! {
    async fn a_wrong_declared_sha256_leaves_the_file_failed_unlisted_undownloadable_and_its_key_destroyed(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let data = random(150_000);
        let wrong = sha256(b"not the content");
        let begun = declare(&customer, &workspace, "config.tar", data.len() as u64, wrong.clone()).await.unwrap();
        let key_rows = format!("SELECT COUNT(*) FROM object_keys WHERE object_id = '{}'", begun.file_id);
        assert!(sql_count_is(&world.server, &key_rows, 1).await, "the upload has a data key");
        assert_eq!(send_rest(&customer, &begun.upload_id, &data, 0).await.unwrap(), data.len() as u64);

        let refused = complete(&customer, &begun.upload_id).await;
        let status = assert_status(refused, Code::FailedPrecondition, "SHA256_MISMATCH");
        assert!(status.message().contains("SHA-256"), "a clear message: {}", status.message());
        let after = upload_status(&customer, &begun.upload_id).await;
        assert_eq!(after.state(), UploadState::Failed);
        assert_eq!(after.failure_reason, "SHA256_MISMATCH");

        for clients in [&customer, &engineer] {
            let files = list_files(clients, &workspace, Purpose::ProvideSupport).await.unwrap();
            assert!(files.is_empty(), "a failed upload is not listed: {files:?}");
            let fetched = download(clients, &begun.file_id, Purpose::ProvideSupport, None).await;
            assert_status(fetched, Code::NotFound, "NOT_FOUND");
        }
        assert!(sql_count_is(&world.server, &key_rows, 0).await, "its data key is destroyed");
        let tenant = &world.acme.id;
        let blobs = world.server.blob_dir();
        assert!(!blobs.join(format!("uploads/{tenant}/{}", begun.upload_id)).exists(), "its content is deleted");
        assert!(!blobs.join(format!("files/{tenant}/{}", begun.file_id)).exists(), "nothing was promoted");

        // Nothing more goes into it; it cannot be completed or aborted into another state.
        let more = stream(&customer, vec![chunk(&begun.upload_id, 0, &data[..10])]).await;
        assert_status(more, Code::FailedPrecondition, "UPLOAD_NOT_IN_PROGRESS");
        assert_status(complete(&customer, &begun.upload_id).await, Code::FailedPrecondition, "UPLOAD_NOT_IN_PROGRESS");
        let abort = customer.transfers().abort_upload(AbortUploadRequest { upload_id: begun.upload_id.clone() }).await;
        assert_status(abort, Code::FailedPrecondition, "UPLOAD_NOT_IN_PROGRESS");
        assert_eq!(upload_status(&customer, &begun.upload_id).await.state(), UploadState::Failed);

        // The same wrong declaration is a new upload, not the failed one resumed.
        let again = declare(&customer, &workspace, "config.tar", data.len() as u64, wrong).await.unwrap();
        assert_ne!(again.upload_id, begun.upload_id);
        // The right declaration of the same bytes goes through.
        let good = upload(&customer, &workspace, "config.tar", &data).await;
        let (_, got) = download(&engineer, &good.file_id, Purpose::ProvideSupport, None).await.unwrap();
        assert!(got == data, "the correct upload downloads byte-identical");
    }

    async fn communications_and_sales_cannot_list_or_download_anything_and_are_logged(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(70_000);
        let file = upload(&customer, &workspace, "netstat.txt", &data).await.file_id;
        let purposes = [Purpose::ProvideSupport, Purpose::ImproveSupport, Purpose::Communications];
        for actor in [&world.acme.communications, &world.acme.sales] {
            let clients = world.server.as_actor(actor).await;
            for purpose in purposes {
                let listed = list_files(&clients, &workspace, purpose).await;
                assert_eq!(listed.unwrap_err().code(), Code::PermissionDenied, "{} lists for {purpose:?}", actor.name);
                let fetched = download(&clients, &file, purpose, None).await;
                assert_eq!(fetched.unwrap_err().code(), Code::PermissionDenied, "{} downloads for {purpose:?}", actor.name);
            }
            let workspaces = clients.transfers().list_workspaces(ListWorkspacesRequest { case_id: world.acme.case.clone(), ..Default::default() }).await;
            assert_eq!(workspaces.unwrap_err().code(), Code::PermissionDenied, "{} lists workspaces", actor.name);
            let declared = begin(&clients, &workspace, "x.bin", &data).await;
            assert_eq!(declared.unwrap_err().code(), Code::PermissionDenied, "{} uploads", actor.name);

            let mine = world.log(ListEntriesRequest { subject_id: actor.subject_id.clone(), ..Default::default() }).await;
            for action in ["transfer.file.list", "transfer.download", "transfer.workspace.list", "transfer.upload.begin"] {
                let denied = mine.iter().filter(|e| e.action == action && e.decision() == supportgate::proto::Decision::Denied).count();
                let expected = if action.starts_with("transfer.file") || action == "transfer.download" { purposes.len() } else { 1 };
                assert_eq!(denied, expected, "{}'s {action} denials are logged: {mine:?}", actor.name);
            }
            assert!(mine.iter().all(|e| e.decision() != supportgate::proto::Decision::Allowed), "nothing allowed for {}", actor.name);
        }
    }

    async fn the_cli_uploads_and_downloads_an_empty_file(backend: Backend) {
        let (server, dir, shell) = cli_desk(backend).await;
        let workspace = desk(&shell, &dir.path().join("admin.token")).await;
        std::fs::write(dir.path().join("empty.txt"), b"").unwrap();
        let carol = shell.token("carol");
        let (done, _) = shell.json(&carol, &["upload", "empty.txt", "--workspace", &workspace]).await;
        assert_eq!((done[0]["size"].as_u64(), done[0]["name"].as_str()), (Some(0), Some("empty.txt")), "{done}");
        let file = done[0]["file_id"].as_str().unwrap().to_owned();
        eve_downloads(&shell, &file, "empty-got.txt", b"").await;
        drop(server);
    }

    async fn rerunning_a_finished_upload_command_does_not_store_the_file_twice(backend: Backend) {
        // upload.rs: "Running the same command again resumes an interrupted upload"; a
        // finished one has nothing left to send.
        let (server, dir, shell) = cli_desk(backend).await;
        let workspace = desk(&shell, &dir.path().join("admin.token")).await;
        let data = random(100_000);
        std::fs::write(dir.path().join("once.bin"), &data).unwrap();
        let carol = shell.token("carol");
        let args = ["upload", "once.bin", "--workspace", &workspace];
        let (first, _) = shell.json(&carol, &args).await;
        let (second, _) = shell.json(&carol, &args).await;
        let (files, _) = shell.json(&shell.token("eve"), &["transfer", "files", &workspace, "--purpose", "provide-support"]).await;
        assert_eq!(files.as_array().map(Vec::len), Some(1), "one file after two identical runs: {files}");
        assert_eq!(first[0]["file_id"], second[0]["file_id"], "the rerun names the file already there");
        drop(server);
    }
}

/// A test server on `backend` and a shell holding its admin token.
async fn cli_desk(
    backend: supportgate_testkit::Backend,
) -> (crate::harness::TestServer, tempfile::TempDir, Shell) {
    let server = crate::harness::TestServer::start(backend).await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("admin.token"), &server.admin_actor().token).unwrap();
    let shell = Shell {
        dir: dir.path().to_owned(),
        server: server.url(),
        ca: server.ca_path(),
    };
    (server, dir, shell)
}
