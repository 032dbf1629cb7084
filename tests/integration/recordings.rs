//! Recordings imported from other systems (DESIGN sections 4.6, 5 and 6) through the
//! real interface: gRPC over TLS against a real gateway, on both engines. Session
//! recordings (which need a live remote session) are the sessions tests' business.
//!
//! * this file: an imported phone call becomes AVAILABLE, is listed, described and
//!   downloads byte-identical, whole and in ranges; its content is stored encrypted;
//! * `imports`: imports whose bytes, stream or declaration are wrong, imports into
//!   cases the engineer may not write, repeated external ids — each refused precisely,
//!   leaving nothing listed and no blob behind;
//! * `interrupted`: an import half-way through is not visible; a client that goes away
//!   leaves nothing;
//! * `reading`: who may get, download and list for which purpose; export of an
//!   imported recording;
//! * `audit`: every import, read and refusal is in the access log, where the customer
//!   sees who read their recordings;
//! * `support`: content, declarations and one-line wrappers around each call.

use supportgate::proto::{RecordingKind, RecordingSource, RecordingState};
use supportgate_testkit::backend_tests;
use tonic::Code;

use crate::harness::{assert_status, World};

mod audit;
mod imports;
mod interrupted;
mod reading;
mod support;

pub use support::*;

backend_tests! {
    async fn an_imported_phone_call_is_available_listed_described_and_downloads_byte_identical(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let engineer = world.server.as_actor(&acme.engineer).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let data = content(300_000);
        let declared = metadata(&acme.case, RecordingKind::Phone, &data);
        let sent = messages(declared.clone(), &data);
        assert!(sent.len() > 4, "the content travels in several chunks");

        let call = import_stream(&engineer, sent).await.expect("the assigned engineer imports");
        assert_eq!(call.state(), RecordingState::Available);
        assert_eq!((call.size, call.sha256.to_vec()), (data.len() as u64, sha256(&data)));
        assert_eq!((call.kind(), call.source()), (RecordingKind::Phone, RecordingSource::Imported));
        assert_eq!((call.tenant_id.as_str(), call.case_id.as_str()), (acme.id.as_str(), acme.case.as_str()));
        assert_eq!((call.session_id.as_str(), call.media_type.as_str()), ("", "audio/ogg"));
        assert_eq!(call.created_by, acme.engineer.subject_id);
        assert_eq!(call.started_at.as_ref().map(|t| t.seconds), Some(STARTED));
        assert_eq!(call.ended_at.as_ref().map(|t| t.seconds), Some(ENDED));
        assert!(uuid::Uuid::parse_str(&call.recording_id).is_ok(), "a canonical id: {}", call.recording_id);

        let transcript = b"carol: the vpn drops\nengineer: send me the trace\n".to_vec();
        let chat = import(&engineer, metadata(&acme.case, RecordingKind::Chat, &transcript), &transcript)
            .await
            .expect("a chat transcript imports too");

        // Listed for the case, and filtered by kind.
        let all = list(&customer, &acme.case, RecordingKind::Unspecified).await.unwrap();
        let mut ids: Vec<&str> = all.iter().map(|r| r.recording_id.as_str()).collect();
        ids.sort_unstable();
        let mut expected = vec![call.recording_id.as_str(), chat.recording_id.as_str()];
        expected.sort_unstable();
        assert_eq!(ids, expected);
        let listed = all.iter().find(|r| r.recording_id == call.recording_id).unwrap();
        assert_eq!(listed, &call, "the listing shows what the import returned");
        let phones = list(&customer, &acme.case, RecordingKind::Phone).await.unwrap();
        assert_eq!(phones, vec![call.clone()]);
        let chats = list(&customer, &acme.case, RecordingKind::Chat).await.unwrap();
        assert_eq!(chats.iter().map(|r| r.recording_id.as_str()).collect::<Vec<_>>(), [chat.recording_id.as_str()]);
        assert!(list(&customer, &acme.case, RecordingKind::Screen).await.unwrap().is_empty());
        assert!(list(&customer, &acme.opted_out_case, RecordingKind::Unspecified).await.unwrap().is_empty(), "only its own case lists it");

        // Title and description come back for a purpose.
        let view = get(&customer, &call.recording_id, PROVIDE).await.expect("the customer reads it");
        assert_eq!((view.title.as_str(), view.description.as_str()), (declared.title.as_str(), declared.description.as_str()));
        assert_eq!(view.recording.as_ref(), Some(&call));
        assert!(view.participants.is_empty(), "an import has no session participants");

        // The whole recording, byte-identical, with a header a client can verify.
        let (header, got) = download(&engineer, &call.recording_id, PROVIDE, None).await.expect("download");
        assert_eq!(header.object_id, call.recording_id);
        assert_eq!((header.total_size, header.sha256.to_vec()), (data.len() as u64, sha256(&data)));
        assert_eq!((header.offset, header.length, header.media_type.as_str()), (0, data.len() as u64, "audio/ogg"));
        assert!(got == data, "the download is byte-identical");
        let (_, got) = download(&customer, &chat.recording_id, PROVIDE, None).await.unwrap();
        assert_eq!(got, transcript);

        // Byte ranges: exactly the requested bytes, cut at the end, never padded.
        let size = data.len() as u64;
        for (offset, length, from, len) in [
            (100_000, 50_000, 100_000, 50_000),
            (1, 0, 1, size - 1),
            (65_530, 20, 65_530, 20),
            (size - 10, 0, size - 10, 10),
            (size - 10, 1_000, size - 10, 10),
            (size, 0, size, 0),
        ] {
            let (header, got) = download(&engineer, &call.recording_id, PROVIDE, Some((offset, length)))
                .await
                .unwrap_or_else(|e| panic!("range {offset}+{length}: {e:?}"));
            assert_eq!((header.offset, header.length, header.total_size), (from, len, size), "range {offset}+{length}");
            assert!(got == data[from as usize..(from + len) as usize], "range {offset}+{length} is byte-identical");
        }
        let past = download(&engineer, &call.recording_id, PROVIDE, Some((size + 1, 0))).await;
        assert_status(past, Code::OutOfRange, "RANGE_NOT_SATISFIABLE");
        let far = download(&engineer, &call.recording_id, PROVIDE, Some((u64::MAX, 1))).await;
        assert_status(far, Code::OutOfRange, "RANGE_NOT_SATISFIABLE");
    }

    async fn an_imported_recording_is_stored_only_encrypted(backend: Backend) {
        let imported = Imported::build(backend).await;
        let world = &imported.world;
        assert!(contains(&imported.data, MARKER), "the content carries the marker");
        let blobs = recording_blobs(&world.server);
        let tenant = world.acme.id.as_str();
        assert!(
            blobs.iter().any(|p| p.ends_with(format!("{tenant}/{}", imported.id()))),
            "the recording is stored under its tenant and id: {blobs:?}"
        );
        let stored = files_under(&world.server.blob_dir());
        assert!(!stored.is_empty());
        for (path, bytes) in &stored {
            assert!(!contains(bytes, MARKER), "{} holds the plaintext marker", path.display());
            assert!(!contains(bytes, &imported.data[1_000..1_064]), "{} holds a plaintext run", path.display());
        }
        // Sealed at rest, not lost: the content still reads back.
        let customer = world.server.as_actor(&world.acme.customer).await;
        let (_, got) = download(&customer, imported.id(), PROVIDE, None).await.unwrap();
        assert!(got == imported.data);
    }
}
