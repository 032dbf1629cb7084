//! Imports that must not succeed: bytes that do not match the declaration, malformed
//! streams and declarations, cases the engineer may not write to, a repeated external
//! id. Each is refused with its precise status, and afterwards nothing new is listed for
//! the case and no blob is left behind.

use supportgate::proto::{
    CloseCaseRequest, ImportRecordingMetadata, ImportRecordingRequest, RecordingKind,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{
    chunk_message, content, download, get, import, import_stream, listed_ids, messages,
    meta_message, metadata, recording_blobs, sha256, Imported, CHUNK, PROVIDE,
};
use crate::harness::world::open_case;
use crate::harness::{assert_status, World};

/// `messages(m, data)` with the chunk at `index` moved to `offset`.
fn with_offset(
    m: ImportRecordingMetadata,
    data: &[u8],
    index: usize,
    offset: u64,
) -> Vec<ImportRecordingRequest> {
    let mut all = messages(m, data);
    all[index + 1] = chunk_message(offset, &data[index * CHUNK..][..CHUNK]);
    all
}

/// After a refused import: acme's case lists only `kept`, and the blob store holds
/// exactly the blobs it held before.
async fn nothing_left(imported: &Imported, what: &str, blobs: &[std::path::PathBuf]) {
    let world = &imported.world;
    let customer = world.server.as_actor(&world.acme.customer).await;
    assert_eq!(
        listed_ids(&customer, &world.acme.case).await,
        [imported.id()],
        "{what}: nothing new is listed for the case"
    );
    assert_eq!(
        recording_blobs(&world.server),
        blobs,
        "{what}: no blob is left behind"
    );
}

backend_tests! {
    async fn imports_whose_bytes_do_not_match_the_declaration_are_refused_and_leave_nothing(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        let case = world.acme.case.clone();
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let blobs = recording_blobs(&world.server);
        assert_eq!(blobs.len(), 1, "the first import is stored: {blobs:?}");
        let data = content(150_000);
        let m = || metadata(&case, RecordingKind::Phone, &data);
        let longer = [data.as_slice(), b"!"].concat();
        let mut flipped = data.clone();
        flipped[77_777] ^= 1;
        let cases: Vec<(&str, Vec<ImportRecordingRequest>, Code, &str)> = vec![
            ("one byte fewer", messages(m(), &data[..data.len() - 1]), Code::FailedPrecondition, "SIZE_MISMATCH"),
            ("a whole chunk fewer", messages(m(), &data[..2 * CHUNK]), Code::FailedPrecondition, "SIZE_MISMATCH"),
            ("the metadata alone", vec![meta_message(m())], Code::FailedPrecondition, "SIZE_MISMATCH"),
            ("one byte more", messages(m(), &longer), Code::InvalidArgument, "UPLOAD_EXCEEDS_DECLARED_SIZE"),
            ("a whole copy more", messages(m(), &[data.as_slice(), &data].concat()), Code::InvalidArgument, "UPLOAD_EXCEEDS_DECLARED_SIZE"),
            (
                "another sha256",
                messages(ImportRecordingMetadata { sha256: sha256(b"something else").into(), ..m() }, &data),
                Code::FailedPrecondition,
                "SHA256_MISMATCH",
            ),
            ("one byte flipped", messages(m(), &flipped), Code::FailedPrecondition, "SHA256_MISMATCH"),
            ("a chunk one byte late", with_offset(m(), &data, 1, CHUNK as u64 + 1), Code::InvalidArgument, "CHUNK_OFFSET_MISMATCH"),
            ("a chunk one byte early", with_offset(m(), &data, 1, CHUNK as u64 - 1), Code::InvalidArgument, "CHUNK_OFFSET_MISMATCH"),
            ("the first chunk at 1", with_offset(m(), &data, 0, 1), Code::InvalidArgument, "CHUNK_OFFSET_MISMATCH"),
            ("a chunk sent twice", with_offset(m(), &data, 1, 0), Code::InvalidArgument, "CHUNK_OFFSET_MISMATCH"),
        ];
        for (what, sent, code, reason) in cases {
            let result = import_stream(&engineer, sent).await;
            let status = assert_status(result, code, reason);
            assert!(!status.message().is_empty(), "{what}: a message a user can act on");
            nothing_left(&imported, what, &blobs).await;
        }
        // The first import is intact.
        let (_, got) = download(&engineer, imported.id(), PROVIDE, None).await.unwrap();
        assert!(got == imported.data, "the earlier recording still reads back");
    }

    async fn malformed_import_streams_and_declarations_are_invalid_argument_and_leave_nothing(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        let case = world.acme.case.clone();
        let engineer = world.server.as_actor(&world.acme.engineer).await;
        let blobs = recording_blobs(&world.server);
        let data = content(100_000);
        let m = || metadata(&case, RecordingKind::Phone, &data);
        let digest = sha256(&data);
        let repeated = {
            let mut all = messages(m(), &data);
            all.insert(2, meta_message(m()));
            all
        };
        let declared = |d: ImportRecordingMetadata| messages(d, &data);
        let cases: Vec<(&str, Vec<ImportRecordingRequest>, &str)> = vec![
            ("a chunk first", vec![chunk_message(0, &data)], "METADATA_REQUIRED"),
            ("content without metadata", messages(m(), &data)[1..].to_vec(), "METADATA_REQUIRED"),
            ("an empty message first", vec![ImportRecordingRequest { part: None }, meta_message(m())], "METADATA_REQUIRED"),
            ("an empty stream", vec![], "METADATA_REQUIRED"),
            ("metadata between chunks", repeated, "METADATA_REPEATED"),
            ("metadata twice", vec![meta_message(m()), meta_message(m())], "METADATA_REPEATED"),
            ("a TERMINAL recording", declared(ImportRecordingMetadata { kind: RecordingKind::Terminal.into(), ..m() }), "TERMINAL_NOT_IMPORTABLE"),
            ("no kind", declared(ImportRecordingMetadata { kind: RecordingKind::Unspecified.into(), ..m() }), "UNKNOWN_KIND"),
            ("an unknown kind", declared(ImportRecordingMetadata { kind: 99, ..m() }), "UNKNOWN_KIND"),
            ("a 31-byte sha256", declared(ImportRecordingMetadata { sha256: digest[..31].to_vec().into(), ..m() }), "INVALID_SHA256"),
            ("a 33-byte sha256", declared(ImportRecordingMetadata { sha256: [digest.as_slice(), &[0]].concat().into(), ..m() }), "INVALID_SHA256"),
            ("no sha256", declared(ImportRecordingMetadata { sha256: Vec::new().into(), ..m() }), "INVALID_SHA256"),
            ("a hex sha256", declared(ImportRecordingMetadata { sha256: hex::encode(&digest).into_bytes().into(), ..m() }), "INVALID_SHA256"),
            ("no case", declared(ImportRecordingMetadata { case_id: String::new(), ..m() }), "FIELD_REQUIRED"),
            ("a malformed case id", declared(ImportRecordingMetadata { case_id: "../case".into(), ..m() }), "INVALID_ID"),
            ("a media type without subtype", declared(ImportRecordingMetadata { media_type: "audio".into(), ..m() }), "INVALID_FIELD"),
            ("a title with control characters", declared(ImportRecordingMetadata { title: "call\u{1b}[2J".into(), ..m() }), "INVALID_FIELD"),
        ];
        for (what, sent, reason) in cases {
            let result = import_stream(&engineer, sent).await;
            let status = assert_status(result, Code::InvalidArgument, reason);
            assert!(!status.message().is_empty(), "{what}: a message a user can act on");
            nothing_left(&imported, what, &blobs).await;
        }
    }

    async fn imports_into_a_case_the_caller_may_not_write_are_refused_precisely(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let blobs = recording_blobs(&world.server);
        let data = content(70_000);
        let unknown = uuid::Uuid::new_v4().to_string();
        let cases = [
            ("an unknown case", &acme.engineer, unknown.as_str(), Code::NotFound, "NOT_FOUND"),
            ("another tenant's case", &acme.engineer, globex.case.as_str(), Code::NotFound, "NOT_FOUND"),
            ("the other tenant's engineer", &globex.engineer, acme.case.as_str(), Code::NotFound, "NOT_FOUND"),
            ("an engineer not assigned to the case", &acme.other_engineer, acme.case.as_str(), Code::PermissionDenied, "NOT_ASSIGNED"),
            ("the tenant's customer", &acme.customer, acme.case.as_str(), Code::PermissionDenied, "ROLE_DENIED"),
            ("support quality", &acme.quality, acme.case.as_str(), Code::PermissionDenied, "ROLE_DENIED"),
            ("the customer agent", &acme.agent, acme.case.as_str(), Code::PermissionDenied, "ROLE_DENIED"),
            ("sales", &acme.sales, acme.case.as_str(), Code::PermissionDenied, "ROLE_DENIED"),
        ];
        for (what, actor, case, code, reason) in cases {
            let clients = world.server.as_actor(actor).await;
            let result = import(&clients, metadata(case, RecordingKind::Phone, &data), &data).await;
            assert_status(result, code, reason);
            nothing_left(&imported, what, &blobs).await;
            let globex_customer = world.server.as_actor(&globex.customer).await;
            assert!(listed_ids(&globex_customer, &globex.case).await.is_empty(), "{what}: nothing in globex's case");
        }
    }

    async fn an_import_into_a_closed_case_is_refused_with_case_closed(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let case = open_case(&world.server, &acme.customer, Some(&acme.engineer), "modem resolved", "carol@acme.example").await;
        let customer = world.server.as_actor(&acme.customer).await;
        customer.cases().close_case(CloseCaseRequest { case_id: case.clone() }).await.expect("the customer closes the case");
        let engineer = world.server.as_actor(&acme.engineer).await;
        let data = content(70_000);
        let result = import(&engineer, metadata(&case, RecordingKind::Phone, &data), &data).await;
        assert_status(result, Code::FailedPrecondition, "CASE_CLOSED");
        assert!(listed_ids(&customer, &case).await.is_empty(), "nothing is listed for the closed case");
        assert!(recording_blobs(&world.server).is_empty(), "no blob is left behind");
    }

    async fn a_second_import_with_the_same_external_id_is_already_exists_and_the_first_stays_intact(backend: Backend) {
        let world = World::build(backend).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let engineer = world.server.as_actor(&acme.engineer).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let first_data = content(120_000);
        let with_id = |case: &str, data: &[u8], external_id: &str| ImportRecordingMetadata {
            external_id: external_id.into(),
            ..metadata(case, RecordingKind::Phone, data)
        };
        let first = import(&engineer, with_id(&acme.case, &first_data, "pbx-call-4711"), &first_data).await.unwrap();
        let blobs = recording_blobs(&world.server);
        assert_eq!(blobs.len(), 1);

        let other_data = content(90_000)[..89_999].to_vec();
        let again = ImportRecordingMetadata { title: "Someone else's call".into(), ..with_id(&acme.case, &other_data, "pbx-call-4711") };
        assert_status(import(&engineer, again, &other_data).await, Code::AlreadyExists, "ALREADY_EXISTS");
        let same = with_id(&acme.case, &first_data, "pbx-call-4711");
        assert_status(import(&engineer, same, &first_data).await, Code::AlreadyExists, "ALREADY_EXISTS");
        // Into another case of the same tenant: still the same call, still refused.
        let elsewhere = with_id(&acme.opted_out_case, &other_data, "pbx-call-4711");
        assert_status(import(&engineer, elsewhere, &other_data).await, Code::AlreadyExists, "ALREADY_EXISTS");

        assert_eq!(listed_ids(&customer, &acme.case).await, [first.recording_id.as_str()]);
        assert!(listed_ids(&customer, &acme.opted_out_case).await.is_empty());
        assert_eq!(recording_blobs(&world.server), blobs, "no blob is left behind by the refused imports");
        let (header, got) = download(&customer, &first.recording_id, PROVIDE, None).await.unwrap();
        assert_eq!((header.total_size, header.sha256.to_vec()), (first_data.len() as u64, sha256(&first_data)));
        assert!(got == first_data, "the first import is intact");
        let view = get(&customer, &first.recording_id, PROVIDE).await.unwrap();
        assert_eq!(view.title, metadata(&acme.case, RecordingKind::Phone, &first_data).title);
        assert_eq!(view.recording.as_ref(), Some(&first));

        // The same external id is another tenant's own business.
        let globex_engineer = world.server.as_actor(&globex.engineer).await;
        let theirs = import(&globex_engineer, with_id(&globex.case, &other_data, "pbx-call-4711"), &other_data)
            .await
            .expect("the same external_id in the other tenant is fine");
        let globex_customer = world.server.as_actor(&globex.customer).await;
        assert_eq!(listed_ids(&globex_customer, &globex.case).await, [theirs.recording_id.as_str()]);
        assert_eq!(listed_ids(&customer, &acme.case).await, [first.recording_id.as_str()]);

        // Another external id, or none at all (twice), imports fine.
        let next = import(&engineer, with_id(&acme.case, &other_data, "pbx-call-4712"), &other_data).await.unwrap();
        let bare_a = import(&engineer, with_id(&acme.case, &other_data, ""), &other_data).await.unwrap();
        let bare_b = import(&engineer, with_id(&acme.case, &other_data, ""), &other_data).await.unwrap();
        let mut listed = listed_ids(&customer, &acme.case).await;
        listed.sort_unstable();
        let mut expected = vec![first.recording_id, next.recording_id, bare_a.recording_id, bare_b.recording_id];
        expected.sort_unstable();
        assert_eq!(listed, expected);
    }
}
