//! Retention and legal holds (issue 6, docs/LEGAL.md "Legal holds" and "Retention")
//! through the real interface: gRPC over TLS against a real gateway, on both engines,
//! with the gateway's clock moved by hand past retention periods.
//!
//! * this file: the acceptance run: two identical closed cases, one under a legal
//!   hold; the dry run lists both and changes nothing; the real run keeps the held case
//!   byte for byte and crypto-shreds the other, so that even a backup of the blob
//!   directory taken before the purge no longer decrypts; the log says what went;
//! * `holds`: clearing a hold lets the next run purge; tenant-wide holds; who may set
//!   and clear holds, and on what;
//! * `purge`: open cases and recently closed cases stay; `as_of` in the future only
//!   for dry runs; only the admin runs retention; a second run purges nothing more;
//! * `settings`: tenant settings read back what was set and refuse impossible periods;
//!   the server default of 365 days;
//! * `support`: stocked cases and one-line wrappers around each call.

use std::collections::BTreeSet;

use chrono::Duration;
use supportgate::proto::{Decision, ListEntriesRequest, RecordingState};
use supportgate_testkit::backend_tests;
use tonic::Code;

use crate::harness::World;

mod holds;
mod purge;
mod settings;
mod support;

pub use support::*;

backend_tests! {
    async fn a_purge_crypto_shreds_an_expired_case_while_a_legal_hold_keeps_its_twin(backend: Backend) {
        let mut world = World::build(backend).await;
        let (server, acme) = (&world.server, &world.acme);
        let kept = stocked_case(&world, acme, "kept").await;
        // A minute apart, so that "oldest closing first" has one answer.
        advance(&world, Duration::minutes(1));
        let gone = stocked_case(&world, acme, "gone").await;
        let hold = hold_case(&world, &kept.case, "Litigation hold, Acme v. Initech").await;
        assert_eq!((hold.tenant_id.as_str(), hold.case_id.as_str()), (acme.id.as_str(), kept.case.as_str()), "the hold takes the case's tenant");
        assert_eq!(hold.set_by, world.counsel.subject_id);
        assert!(hold.cleared_at.is_none() && hold.cleared_by.is_empty(), "a new hold is active: {hold:?}");
        let settings = set_retention(&world, &acme.id, days(30)).await.expect("the admin sets 30 days");
        assert_eq!(settings.customer_data_retention_seconds, days(30));

        // Where the content lies, and a backup of all of it.
        let blobs = server.blob_dir();
        for object in [file_blob(&blobs, &acme.id, &gone.file), recording_blob(&blobs, &acme.id, &gone.recording)] {
            assert!(object.is_file(), "{} is stored", object.display());
        }
        let backup = tempfile::tempdir().unwrap();
        copy_dir(&blobs, backup.path());
        let kept_sealed = SealedSnapshot::take(server, &kept).await;
        let gone_sealed = SealedSnapshot::take(server, &gone).await;
        for object in [&kept.file, &kept.recording, &gone.file, &gone.recording] {
            assert_eq!(object_keys(server, object).await, 1, "{object} has its data key");
        }

        pass_time(&mut world, Duration::days(31)).await;
        let (server, acme) = (&world.server, &world.acme);

        // The dry run lists both, and touches nothing.
        let dry = run_retention(&world, true).await;
        assert_eq!(
            reported(&dry),
            [(kept.case.clone(), hold.hold_id.clone()), (gone.case.clone(), String::new())],
            "the dry run lists the held case (held by the hold) and the purgeable one, oldest closing first: {dry:?}"
        );
        assert_eq!((dry.cases_purged, dry.cases_held), (1, 1), "{dry:?}");
        for (listed, stocked) in dry.cases.iter().zip([&kept, &gone]) {
            assert_eq!(listed.tenant_id, acme.id);
            assert_eq!(listed.closed_at.as_ref(), Some(&stocked.closed_at), "{} closed when CloseCase said", stocked.case);
        }
        assert_eq!(dry.cases[1].objects, 2, "the purgeable case holds a file and a recording: {dry:?}");
        for stocked in [&kept, &gone] {
            assert_intact(&world, &acme.engineer, stocked, "after the dry run").await;
        }
        for object in [&kept.file, &kept.recording, &gone.file, &gone.recording] {
            assert_eq!(object_keys(server, object).await, 1, "after the dry run, {object} still has its data key");
        }
        assert_eq!(gone_sealed.unchanged(server).await, 5, "the dry run wipes nothing");
        assert!(file_blob(&blobs, &acme.id, &gone.file).is_file(), "the dry run deletes no blob");
        let logged = world.log(ListEntriesRequest { case_id: gone.case.clone(), ..Default::default() }).await;
        assert!(logged.iter().all(|e| !e.action.starts_with("retention.purge")), "a dry run logs no purge: {logged:?}");

        // The real run.
        let run = run_retention(&world, false).await;
        assert_eq!(reported(&run), reported(&dry), "the run does what the dry run said: {run:?}");
        assert_eq!((run.cases_purged, run.cases_held, run.objects_purged), (1, 1, 2), "{run:?}");
        assert_eq!(run.cases[1].objects, 2);

        // The held case: every byte still there.
        assert_intact(&world, &acme.engineer, &kept, "after the purge, the held case").await;
        assert_intact(&world, &acme.customer, &kept, "after the purge, for the customer").await;
        assert_eq!(kept_sealed.unchanged(server).await, 5, "the held case's sealed columns are untouched");
        for object in [&kept.file, &kept.recording] {
            assert_eq!(object_keys(server, object).await, 1, "the held {object} keeps its data key");
        }

        // The other case: metadata only.
        let meta = case_meta(server, &acme.customer, &gone.case).await;
        assert_eq!(meta.purged_at, Some(ts(now(&world))), "purged_at is the time of the run: {meta:?}");
        assert_eq!(meta.closed_at.as_ref(), Some(&gone.closed_at), "the metadata stays");
        assert_eq!(case_meta(server, &acme.customer, &kept.case).await.purged_at, None);
        let read = get_case(server, &acme.engineer, &gone.case).await;
        assert_eq!(read.map_err(|s| s.code()).err(), Some(Code::FailedPrecondition), "GetCase on a purged case");
        for actor in [&acme.engineer, &acme.customer] {
            let file = file_content(server, actor, &gone.file).await;
            assert_eq!(file.map_err(|s| s.code()).err(), Some(Code::NotFound), "{} downloads the purged file", actor.name);
            let recording = recording_content(server, actor, &gone.recording).await;
            assert_eq!(recording.map_err(|s| s.code()).err(), Some(Code::NotFound), "{} downloads the purged recording", actor.name);
        }
        let engineer = server.as_actor(&acme.engineer).await;
        match crate::transfers::list_files(&engineer, &gone.workspace, supportgate::proto::Purpose::ProvideSupport).await {
            Ok(files) => assert!(files.iter().all(|f| f.file_id != gone.file), "ListFiles shows the purged file: {files:?}"),
            Err(status) => assert!(matches!(status.code(), Code::NotFound | Code::FailedPrecondition), "ListFiles: {status:?}"),
        }
        let listed = crate::recordings::list(&engineer, &gone.case, supportgate::proto::RecordingKind::Unspecified).await;
        if let Ok(listed) = listed {
            for r in listed.iter().filter(|r| r.recording_id == gone.recording) {
                assert_eq!(r.state(), RecordingState::Purged, "a listed purged recording says so: {r:?}");
            }
        }
        assert_eq!(gone_sealed.unchanged(server).await, 0, "the summary, file name and media type, recording title and description are wiped");

        // Crypto-shredding: no data key is left for the purged objects, their blobs
        // are gone, and the backup's copies neither hold plaintext nor open again.
        for object in [&gone.file, &gone.recording] {
            assert_eq!(object_keys(server, object).await, 0, "no data key remains for {object}");
        }
        let live = [file_blob(&blobs, &acme.id, &gone.file), recording_blob(&blobs, &acme.id, &gone.recording)];
        let saved = [file_blob(backup.path(), &acme.id, &gone.file), recording_blob(backup.path(), &acme.id, &gone.recording)];
        for path in &live {
            assert!(!path.exists(), "{} is deleted", path.display());
        }
        let file_copy = std::fs::read(&saved[0]).expect("the backup holds the purged file's blob");
        let recording_copy = std::fs::read(&saved[1]).expect("the backup holds the purged recording's blob");
        assert!(!crate::recordings::contains(&file_copy, &gone.file_data[70_000..70_064]), "the backup holds no plaintext of the file");
        assert!(!crate::recordings::contains(&recording_copy, crate::recordings::MARKER), "the backup holds no plaintext of the recording");
        for (from, to) in saved.iter().zip(&live) {
            std::fs::create_dir_all(to.parent().unwrap()).unwrap();
            std::fs::copy(from, to).unwrap();
        }
        for actor in [&acme.engineer, &acme.customer] {
            let file = file_content(server, actor, &gone.file).await;
            assert_eq!(file.map_err(|s| s.code()).err(), Some(Code::NotFound), "the restored file blob does not open for {}", actor.name);
            let recording = recording_content(server, actor, &gone.recording).await;
            assert_eq!(recording.map_err(|s| s.code()).err(), Some(Code::NotFound), "the restored recording blob does not open for {}", actor.name);
        }
        for object in [&gone.file, &gone.recording] {
            assert_eq!(object_keys(server, object).await, 0, "restoring blobs brings no data key back for {object}");
        }

        // The log says what went, and only that.
        let purged = entries(&world, "retention.purge", &gone.case).await;
        assert!(!purged.is_empty(), "retention.purge is logged for the purged case");
        assert!(purged.iter().all(|e| e.case_id == gone.case && e.decision() == Decision::Allowed), "{purged:?}");
        // The objects it destroys are named too (as `retention.purge` entries or as
        // entries of a `retention.purge.…` action about the case).
        let about_case = world.log(ListEntriesRequest { case_id: gone.case.clone(), ..Default::default() }).await;
        let named: BTreeSet<&str> = about_case
            .iter()
            .filter(|e| e.action.starts_with("retention.purge") && e.decision() == Decision::Allowed)
            .map(|e| e.resource_id.as_str())
            .collect();
        for object in [&gone.file, &gone.recording] {
            assert!(named.contains(object.as_str()), "the purge log names {object}: {about_case:?}");
        }
        let held = world.log(ListEntriesRequest { case_id: kept.case.clone(), ..Default::default() }).await;
        assert!(
            held.iter().all(|e| !(e.action.starts_with("retention.purge") && e.decision() == Decision::Allowed)),
            "no purge of the held case is logged: {held:?}"
        );
        assert_log_verifies(&world).await;
    }
}
