//! What a customer declares in BeginUpload: file names, SHA-256, the workspace (someone
//! else's), empty files, and the same declaration repeated (the resume handshake).

use supportgate::proto::{AbortUploadRequest, ListWorkspacesRequest, Purpose, Role, UploadState};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{
    acme_workspace, begin, chunk, chunks, committed, complete, declare, download, list_files,
    open_workspace, random, sha256, sql_count_is, stream, upload, upload_status, SEGMENT,
};
use crate::harness::{assert_status, World};

/// Names that must never be accepted: paths, traversal, control and bidi characters,
/// blank, too long.
fn hostile_names() -> Vec<String> {
    let mut names: Vec<String> = [
        "../../etc/passwd",
        "/etc/shadow",
        "logs/trace.log",
        "..\\..\\windows\\system32\\config",
        "C:\\boot.ini",
        "..",
        ".",
        "",
        "   ",
        "trace\n.log",
        "trace\r.log",
        "nul\0byte.log",
        "tab\there",
        "bell\u{7}.log",
        "del\u{7f}.log",
        "c1\u{85}control",
        "\u{202e}gpj.exe",
        "invisible\u{2066}isolate",
        "\u{1b}[31mred.log",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    names.push("a".repeat(256));
    names.push("é".repeat(128)); // 128 characters, 256 bytes
    names
}

backend_tests! {
    async fn path_like_and_hostile_file_names_are_refused_and_nothing_is_declared(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(100);
        for name in hostile_names() {
            let result = begin(&customer, &workspace, &name, &data).await;
            assert_status(result, Code::InvalidArgument, "INVALID_FIELD");
        }
        assert!(sql_count_is(&world.server, "SELECT COUNT(*) FROM uploads", 0).await, "no upload was stored");
        assert!(sql_count_is(&world.server, "SELECT COUNT(*) FROM object_keys", 0).await, "no data key was made");

        // Odd but harmless names are kept exactly.
        let longest = "n".repeat(255);
        let fine = ["trace (1).log", "résumé.pdf", "...", "..hidden", "日本語.txt", "a b", longest.as_str()];
        for name in fine {
            upload(&customer, &workspace, name, name.as_bytes()).await;
        }
        let listed = list_files(&customer, &workspace, Purpose::ProvideSupport).await.unwrap();
        let mut names: Vec<&str> = listed.iter().map(|f| f.name.as_str()).collect();
        let mut expected = fine.to_vec();
        names.sort_unstable();
        expected.sort_unstable();
        assert_eq!(names, expected);
    }

    async fn a_sha256_that_is_not_32_bytes_is_refused_with_invalid_sha256(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let digest = sha256(b"content");
        let hex_text = hex::encode(&digest).into_bytes();
        for sha in [Vec::new(), digest[..31].to_vec(), [digest.clone(), vec![0]].concat(), hex_text] {
            let len = sha.len();
            let result = declare(&customer, &workspace, "x.bin", 7, sha).await;
            let status = assert_status(result, Code::InvalidArgument, "INVALID_SHA256");
            assert!(status.message().contains(&len.to_string()), "names the length: {}", status.message());
        }
        assert!(sql_count_is(&world.server, "SELECT COUNT(*) FROM uploads", 0).await);
    }

    async fn uploads_into_another_tenants_workspace_are_not_found_and_its_uploads_are_untouchable(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let acme = world.server.as_actor(&world.acme.customer).await;
        let globex = world.server.as_actor(&world.globex.customer).await;
        let globex_engineer = world.server.as_actor(&world.globex.engineer).await;
        let data = random(2 * SEGMENT as usize + 5);

        assert_status(begin(&globex, &workspace, "evil.sh", &data).await, Code::NotFound, "NOT_FOUND");
        let nowhere = uuid::Uuid::new_v4().to_string();
        assert_status(begin(&acme, &nowhere, "a.log", &data).await, Code::NotFound, "NOT_FOUND");
        assert_eq!(begin(&acme, "../workspace", "a.log", &data).await.unwrap_err().code(), Code::InvalidArgument);

        let begun = begin(&acme, &workspace, "acme.log", &data).await.unwrap();
        let id = begun.upload_id.as_str();
        assert_eq!(stream(&acme, chunks(id, &data, 0, SEGMENT, 40_000)).await.unwrap(), SEGMENT);
        // A second customer of acme is not the uploader either.
        let colleague = world.server.create_subject(Some(&world.acme.id), Role::Customer, "acme-colleague").await;
        let colleague = world.server.as_actor(&colleague).await;
        for (who, clients) in [("globex", &globex), ("a colleague", &colleague)] {
            let status = clients.transfers().get_upload_status(supportgate::proto::GetUploadStatusRequest { upload_id: id.into() }).await;
            assert_status(status, Code::NotFound, "NOT_FOUND");
            let write = stream(clients, vec![chunk(id, SEGMENT, &data[SEGMENT as usize..][..100])]).await;
            assert_status(write, Code::NotFound, "NOT_FOUND");
            assert_status(complete(clients, id).await, Code::NotFound, "NOT_FOUND");
            let abort = clients.transfers().abort_upload(AbortUploadRequest { upload_id: id.into() }).await;
            assert_status(abort, Code::NotFound, "NOT_FOUND");
            let status = upload_status(&acme, id).await;
            assert_eq!((status.state(), status.committed_offset), (UploadState::InProgress, SEGMENT), "{who} changed nothing");
        }
        assert_eq!(stream(&acme, chunks(id, &data, SEGMENT, data.len() as u64, 40_000)).await.unwrap(), data.len() as u64);
        complete(&acme, id).await.unwrap();

        assert_status(list_files(&globex, &workspace, Purpose::ProvideSupport).await, Code::NotFound, "NOT_FOUND");
        assert_status(list_files(&globex_engineer, &workspace, Purpose::ProvideSupport).await, Code::NotFound, "NOT_FOUND");
        for clients in [&globex, &globex_engineer] {
            let fetched = download(clients, &begun.file_id, Purpose::ProvideSupport, None).await;
            assert_status(fetched, Code::NotFound, "NOT_FOUND");
        }
        let listed = globex.transfers().list_workspaces(ListWorkspacesRequest { case_id: world.acme.case.clone(), ..Default::default() }).await;
        assert!(listed.map(|r| r.into_inner().workspaces.is_empty()).unwrap_or(true), "acme's workspaces are invisible to globex");
        // Globex's own workspace works for globex, and holds nothing of acme's.
        let own = open_workspace(&world.server, &world.globex.engineer, &world.globex.case).await;
        upload(&globex, &own, "globex.log", &data).await;
        let theirs = list_files(&globex, &own, Purpose::ProvideSupport).await.unwrap();
        assert_eq!(theirs.len(), 1);
        assert_ne!(theirs[0].file_id, begun.file_id);
    }

    async fn a_zero_length_file_uploads_and_downloads_empty(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let engineer = world.server.as_actor(&world.acme.engineer).await;

        // One byte into an empty file is refused; the empty file still completes.
        let begun = begin(&customer, &workspace, "empty.log", b"").await.unwrap();
        let surplus = stream(&customer, vec![chunk(&begun.upload_id, 0, b"x")]).await;
        assert_status(surplus, Code::InvalidArgument, "UPLOAD_EXCEEDS_DECLARED_SIZE");
        let done = complete(&customer, &begun.upload_id).await.expect("an empty file completes");
        assert_eq!((done.state(), done.committed_offset, done.size), (UploadState::Available, 0, 0));

        let listed = list_files(&engineer, &workspace, Purpose::ProvideSupport).await.unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!((listed[0].name.as_str(), listed[0].size), ("empty.log", 0));
        assert_eq!(listed[0].sha256.to_vec(), sha256(b""));
        for (range, who) in [(None, &engineer), (Some((0, 0)), &customer), (Some((0, 10)), &engineer)] {
            let (header, data) = download(who, &begun.file_id, Purpose::ProvideSupport, range).await.unwrap();
            assert_eq!((header.total_size, header.length, data.len()), (0, 0, 0));
            assert_eq!(header.sha256.to_vec(), sha256(b""));
        }
        let past = download(&engineer, &begun.file_id, Purpose::ProvideSupport, Some((1, 0))).await;
        assert_status(past, Code::OutOfRange, "RANGE_NOT_SATISFIABLE");
    }

    async fn repeating_a_declaration_returns_the_same_upload_and_reserves_its_size_once(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(2 * SEGMENT as usize + 7);
        let first = begin(&customer, &workspace, "again.bin", &data).await.unwrap();
        stream(&customer, chunks(&first.upload_id, &data, 0, SEGMENT, 30_000)).await.unwrap();

        let second = begin(&customer, &workspace, "again.bin", &data).await.unwrap();
        assert_eq!((&second.upload_id, &second.file_id), (&first.upload_id, &first.file_id));
        assert_eq!(second.expires_at, first.expires_at);
        assert_eq!(committed(&customer, &second.upload_id).await, SEGMENT, "the resume point survives");
        let used = customer.transfers().list_workspaces(ListWorkspacesRequest { case_id: world.acme.case.clone(), ..Default::default() })
            .await.unwrap().into_inner().workspaces;
        assert_eq!(used[0].used_bytes, data.len() as u64, "reserved once");

        // Any difference is a different file.
        let renamed = begin(&customer, &workspace, "other.bin", &data).await.unwrap();
        let mut changed = data.clone();
        changed[0] ^= 1;
        let rehashed = begin(&customer, &workspace, "again.bin", &changed).await.unwrap();
        let resized = begin(&customer, &workspace, "again.bin", &data[1..]).await.unwrap();
        let colleague = world.server.create_subject(Some(&world.acme.id), Role::Customer, "acme-colleague").await;
        let theirs = begin(&world.server.as_actor(&colleague).await, &workspace, "again.bin", &data).await.unwrap();
        let ids = [&first.upload_id, &renamed.upload_id, &rehashed.upload_id, &resized.upload_id, &theirs.upload_id];
        let distinct: std::collections::HashSet<_> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "every different declaration is its own upload");

        // Once completed, the same declaration names the available file: a rerun stores
        // nothing twice.
        stream(&customer, chunks(&first.upload_id, &data, SEGMENT, data.len() as u64, 30_000)).await.unwrap();
        complete(&customer, &first.upload_id).await.unwrap();
        let after = begin(&customer, &workspace, "again.bin", &data).await.unwrap();
        assert_eq!((&after.upload_id, &after.file_id), (&first.upload_id, &first.file_id));
        assert_eq!(committed(&customer, &after.upload_id).await, data.len() as u64);
    }
}
