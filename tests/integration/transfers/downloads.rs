//! Downloads: byte ranges decrypted from any offset, and who may read a file for which
//! purpose (DESIGN section 3), with compliance reviewers seeing metadata only; damaged
//! stored content answered as the gateway's loss; `supportgate download` resuming its
//! own partial file and no other.

use supportgate::proto::{ListFilesRequest, Purpose};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::process::Shell;
use super::{acme_workspace, download, download_raw, list_files, random, sha256, upload, SEGMENT};
use crate::harness::{assert_status, World};

backend_tests! {
    async fn ranged_downloads_return_exactly_the_requested_bytes(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let data = random(3 * SEGMENT as usize + 12_345);
        let size = data.len() as u64;
        let file = upload(&customer, &workspace, "ranges.bin", &data).await.file_id;

        let seg = SEGMENT;
        let ranges: [(u64, u64, u64, u64); 11] = [
            // (offset, length asked, first byte served, bytes served)
            (0, 0, 0, size),
            (0, 1, 0, 1),
            (100, 1000, 100, 1000),
            (seg - 10, 20, seg - 10, 20),
            (seg, seg, seg, seg),
            (2 * seg + 1, 0, 2 * seg + 1, size - 2 * seg - 1),
            (1, size - 2, 1, size - 2),
            (size - 5, 0, size - 5, 5),
            (1000, 10 * size, 1000, size - 1000),
            (size - 1, u64::MAX, size - 1, 1),
            (size, 0, size, 0),
        ];
        for (offset, length, from, len) in ranges {
            let (header, got) = download(&engineer, &file, Purpose::ProvideSupport, Some((offset, length))).await
                .unwrap_or_else(|e| panic!("range {offset}+{length}: {e:?}"));
            assert_eq!((header.offset, header.length), (from, len), "range {offset}+{length}");
            assert_eq!((header.total_size, header.sha256.to_vec()), (size, sha256(&data)));
            assert_eq!(header.object_id, file);
            assert!(got == data[from as usize..(from + len) as usize], "range {offset}+{length} is exact");
        }
        let (_, tail) = download(&engineer, &file, Purpose::ProvideSupport, Some((size, 10))).await.unwrap();
        assert!(tail.is_empty(), "a range starting at the end is empty");
        for offset in [size + 1, size + seg, u64::MAX] {
            let past = download(&engineer, &file, Purpose::ProvideSupport, Some((offset, 0))).await;
            assert_status(past, Code::OutOfRange, "RANGE_NOT_SATISFIABLE");
        }
    }

    async fn who_may_download_follows_the_data_use_chart(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let acme = &world.acme;
        let customer = world.server.as_actor(&acme.customer).await;
        let data = random(SEGMENT as usize + 1);
        let file = upload(&customer, &workspace, "who.bin", &data).await.file_id;

        let allowed = [
            (&acme.engineer, Purpose::ProvideSupport),
            (&acme.quality, Purpose::ImproveSupport),
            (&acme.customer, Purpose::ProvideSupport),
        ];
        for (actor, purpose) in allowed {
            let clients = world.server.as_actor(actor).await;
            let (_, got) = download(&clients, &file, purpose, None).await
                .unwrap_or_else(|e| panic!("{} for {purpose:?}: {e:?}", actor.name));
            assert!(got == data, "{} reads the file", actor.name);
            let listed = list_files(&clients, &workspace, purpose).await.unwrap();
            assert_eq!((listed.len(), listed[0].name.as_str()), (1, "who.bin"), "{} lists it with its name", actor.name);
        }

        let other = world.server.as_actor(&acme.other_engineer).await;
        assert_status(download(&other, &file, Purpose::ProvideSupport, None).await, Code::PermissionDenied, "NOT_ASSIGNED");
        assert_status(list_files(&other, &workspace, Purpose::ProvideSupport).await, Code::PermissionDenied, "NOT_ASSIGNED");

        let prohibited = [Purpose::Marketing, Purpose::Advertising, Purpose::ThirdPartyAdvertisingTransfer, Purpose::VoluntaryLawEnforcementDisclosure];
        for actor in [&acme.engineer, &acme.customer, &acme.quality] {
            let clients = world.server.as_actor(actor).await;
            for purpose in prohibited {
                assert_status(download(&clients, &file, purpose, None).await, Code::PermissionDenied, "PURPOSE_PROHIBITED");
                assert_status(list_files(&clients, &workspace, purpose).await, Code::PermissionDenied, "PURPOSE_PROHIBITED");
            }
            assert_status(download(&clients, &file, Purpose::Unspecified, None).await, Code::InvalidArgument, "PURPOSE_REQUIRED");
            assert_status(list_files(&clients, &workspace, Purpose::Unspecified).await, Code::InvalidArgument, "PURPOSE_REQUIRED");
            assert_status(download_raw(&clients, &file, 99, None).await, Code::InvalidArgument, "PURPOSE_UNKNOWN");
            let comms = download(&clients, &file, Purpose::Communications, None).await;
            assert_status(comms, Code::PermissionDenied, "PURPOSE_NOT_PERMITTED_FOR_CLASS");
            let legal = download(&clients, &file, Purpose::LegalCompelled, None).await;
            assert_status(legal, Code::PermissionDenied, "LEGAL_FLOW_ONLY");
        }
        // A purpose that exists, but is not this role's.
        let quality = world.server.as_actor(&acme.quality).await;
        assert_status(download(&quality, &file, Purpose::ProvideSupport, None).await, Code::PermissionDenied, "PURPOSE_NOT_PERMITTED_FOR_ROLE");

        // Another tenant's staff find nothing at all.
        let globex = world.server.as_actor(&world.globex.engineer).await;
        assert_status(download(&globex, &file, Purpose::ProvideSupport, None).await, Code::NotFound, "NOT_FOUND");
    }

    async fn compliance_reviewers_list_files_without_names_and_cannot_download(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let data = random(5000);
        let begun = customer.transfers().begin_upload(supportgate::proto::BeginUploadRequest {
            workspace_id: workspace.clone(),
            name: "secret-name.pcap".into(),
            size: data.len() as u64,
            sha256: sha256(&data).into(),
            media_type: "application/vnd.tcpdump.pcap".into(),
        }).await.unwrap().into_inner();
        crate::transfers::send_rest(&customer, &begun.upload_id, &data, 0).await.unwrap();
        crate::transfers::complete(&customer, &begun.upload_id).await.unwrap();

        for reviewer in [&world.acme.reviewer, &world.reviewer] {
            let clients = world.server.as_actor(reviewer).await;
            for purpose in [Purpose::Unspecified, Purpose::ProvideSupport] {
                let request = ListFilesRequest { workspace_id: workspace.clone(), purpose: purpose.into(), ..Default::default() };
                let files = clients.transfers().list_files(request).await
                    .unwrap_or_else(|e| panic!("{} lists metadata: {e:?}", reviewer.name)).into_inner().files;
                assert_eq!(files.len(), 1, "{}", reviewer.name);
                let f = &files[0];
                assert_eq!((f.name.as_str(), f.media_type.as_str()), ("", ""), "{} sees no customer data", reviewer.name);
                assert_eq!((f.file_id.as_str(), f.size, f.sha256.to_vec()), (begun.file_id.as_str(), data.len() as u64, sha256(&data)));
                assert_eq!((f.case_id.as_str(), f.tenant_id.as_str()), (world.acme.case.as_str(), world.acme.id.as_str()));
                assert_eq!(f.uploaded_by, world.acme.customer.subject_id);
            }
            for purpose in [Purpose::ProvideSupport, Purpose::ImproveSupport, Purpose::Unspecified] {
                let fetched = download(&clients, &begun.file_id, purpose, None).await;
                assert_eq!(fetched.unwrap_err().code(), Code::PermissionDenied, "{} cannot download", reviewer.name);
            }
        }
        // Globex's reviewer sees nothing of acme's workspace.
        let globex = world.server.as_actor(&world.globex.reviewer).await;
        let request = ListFilesRequest { workspace_id: workspace.clone(), ..Default::default() };
        match globex.transfers().list_files(request).await {
            Ok(r) => assert!(r.into_inner().files.is_empty(), "globex's reviewer sees acme's files"),
            Err(status) => assert_eq!(status.code(), Code::NotFound),
        }
        // The engineer sees the name and media type.
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let named = list_files(&engineer, &workspace, Purpose::ProvideSupport).await.unwrap();
        assert_eq!((named[0].name.as_str(), named[0].media_type.as_str()), ("secret-name.pcap", "application/vnd.tcpdump.pcap"));
        let (header, _) = download(&engineer, &begun.file_id, Purpose::ProvideSupport, None).await.unwrap();
        assert_eq!(header.media_type, "application/vnd.tcpdump.pcap");
    }

    async fn list_files_pages_through_every_file_exactly_once(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(upload(&customer, &workspace, &format!("f{i}.log"), &random(10 + i)).await.file_id);
        }
        ids.sort();
        for (actor, purpose) in [(&world.acme.engineer, Purpose::ProvideSupport), (&world.acme.reviewer, Purpose::Unspecified)] {
            let clients = world.server.as_actor(actor).await;
            let mut seen = Vec::new();
            let mut token = String::new();
            for _ in 0..10 {
                let request = ListFilesRequest { workspace_id: workspace.clone(), purpose: purpose.into(), page_size: 2, page_token: token };
                let page = clients.transfers().list_files(request).await.unwrap().into_inner();
                assert!(page.files.len() <= 2);
                seen.extend(page.files.into_iter().map(|f| f.file_id));
                token = page.next_page_token;
                if token.is_empty() {
                    break;
                }
            }
            assert!(token.is_empty(), "paging ends");
            assert_eq!(seen, ids, "{} pages through every file once", actor.name);
        }
    }
}

backend_tests! {
    async fn corrupt_stored_content_is_data_loss_never_blamed_on_the_client(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let data = random(3 * SEGMENT as usize + 100);
        let file = upload(&customer, &workspace, "damaged.bin", &data).await.file_id;
        let path = world.server.blob_dir().join("files").join(&world.acme.id).join(&file);
        let original = std::fs::read(&path).unwrap();
        let damaged = |at: usize| {
            let mut bytes = original.clone();
            bytes[at] ^= 0x01;
            bytes
        };

        // One flipped bit in the middle segment: what precedes it still serves, the
        // whole file does not.
        std::fs::write(&path, damaged(original.len() / 2)).unwrap();
        let whole = download(&engineer, &file, Purpose::ProvideSupport, None).await;
        let status = assert_status(whole, Code::DataLoss, "CONTENT_CORRUPT");
        assert!(status.message().contains("request id"), "the client sees only a request id: {status:?}");
        let (_, head) = download(&engineer, &file, Purpose::ProvideSupport, Some((0, 1000))).await.unwrap();
        assert!(head == data[..1000], "the undamaged first segment still serves");
        let from_damaged = download(&engineer, &file, Purpose::ProvideSupport, Some((SEGMENT + 10, 10))).await;
        assert_status(from_damaged, Code::DataLoss, "CONTENT_CORRUPT");

        // A damaged stream header, and a blob cut short.
        for (what, bytes) in [
            ("magic", damaged(0)),
            ("header field", damaged(20)),
            ("cut short", original[..original.len() - 10].to_vec()),
            ("header only", original[..30].to_vec()),
        ] {
            std::fs::write(&path, &bytes).unwrap();
            let got = download(&engineer, &file, Purpose::ProvideSupport, None).await;
            let status = got.expect_err(what);
            assert_eq!(
                (status.code(), crate::harness::reason(&status).as_deref()),
                (Code::DataLoss, Some("CONTENT_CORRUPT")),
                "{what}: {status:?}"
            );
        }

        // Put back, the file serves byte-identical: the refusals changed nothing.
        std::fs::write(&path, &original).unwrap();
        let (_, got) = download(&engineer, &file, Purpose::ProvideSupport, None).await.unwrap();
        assert!(got == data, "the restored file downloads byte-identical");
    }

    async fn the_cli_download_resumes_its_own_partial_file_and_not_another_outputs(backend: Backend) {
        let world = World::build(backend).await;
        let workspace = acme_workspace(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let log = random(2 * SEGMENT as usize + 17);
        let txt = random(SEGMENT as usize + 5);
        let log_file = upload(&customer, &workspace, "trace.log", &log).await.file_id;
        let txt_file = upload(&customer, &workspace, "trace.txt", &txt).await.file_id;
        let dir = tempfile::tempdir().unwrap();
        let shell = Shell { dir: dir.path().to_owned(), server: world.server.url(), ca: world.server.ca_path() };
        let eve = shell.token("eve");
        std::fs::write(&eve, &world.acme.engineer.token).unwrap();
        let half = log.len() / 2;
        let download = |file: &str, out: &str| {
            let args = ["download", file, "--out", out, "--purpose", "provide-support"];
            args.map(str::to_owned)
        };

        // An interrupted download of trace.log left trace.log.partial: a rerun continues it.
        std::fs::write(dir.path().join("trace.log.partial"), &log[..half]).unwrap();
        let args = download(&log_file, "trace.log");
        let (done, _) = shell.json(&eve, &args.iter().map(String::as_str).collect::<Vec<_>>()).await;
        assert_eq!(done["resumed_from"].as_u64(), Some(half as u64), "{done}");
        assert!(std::fs::read(dir.path().join("trace.log")).unwrap() == log, "trace.log is byte-identical");
        assert!(!dir.path().join("trace.log.partial").exists(), "the partial file got its final name");

        // trace.txt, differing only by extension, never picks up trace.log's partial file.
        std::fs::write(dir.path().join("trace.log.partial"), &log[..half]).unwrap();
        let args = download(&txt_file, "trace.txt");
        let (done, _) = shell.json(&eve, &args.iter().map(String::as_str).collect::<Vec<_>>()).await;
        assert_eq!(done["resumed_from"].as_u64(), Some(0), "{done}");
        assert!(std::fs::read(dir.path().join("trace.txt")).unwrap() == txt, "trace.txt is byte-identical");
        assert!(
            std::fs::read(dir.path().join("trace.log.partial")).unwrap() == log[..half],
            "trace.log's partial file is left alone"
        );
        assert!(!dir.path().join("trace.partial").exists());
    }
}
