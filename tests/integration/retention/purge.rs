//! What a retention run purges (docs/LEGAL.md "Retention"): only cases closed longer
//! ago than their tenant's period, never an open case however old; `as_of` in the
//! future only for a dry run; only the admin runs it, per tenant or for all; a second
//! run purges nothing more; a purge interrupted half-way is finished by the next run.

use chrono::Duration;
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::*;
use crate::harness::{assert_status, World};

backend_tests! {
    async fn only_cases_closed_longer_ago_than_the_period_are_purged_and_open_ones_never(backend: Backend) {
        let mut world = World::build(backend).await;
        set_retention(&world, &world.acme.id, days(30)).await.expect("30 days");
        let (old, _) = closed_case(&world, &world.acme, "old").await;
        pass_time(&mut world, Duration::days(20)).await;
        let (recent, _) = closed_case(&world, &world.acme, "recent").await;
        pass_time(&mut world, Duration::days(11)).await;
        let (server, acme) = (&world.server, &world.acme);

        // `old` closed 31 days ago, `recent` 11 days ago; the world's cases were opened
        // 31 days ago and are still open.
        let run = run_retention(&world, false).await;
        assert_eq!(reported(&run), [(old.clone(), String::new())], "only the case closed 31 days ago goes: {run:?}");
        assert_eq!((run.cases_purged, run.cases_held), (1, 0));
        let gone = get_case(server, &acme.engineer, &old).await;
        assert_eq!(gone.map_err(|s| s.code()).err(), Some(Code::FailedPrecondition), "the old case is purged");
        for case in [&recent, &acme.case, &acme.opted_out_case] {
            let view = get_case(server, &acme.engineer, case).await.unwrap_or_else(|s| panic!("{case} is kept: {s:?}"));
            assert!(!view.summary.is_empty(), "{case} keeps its summary");
            assert_eq!(case_meta(server, &acme.customer, case).await.purged_at, None);
        }

        // Ten years on: the recently closed case goes too; open cases never do.
        pass_time(&mut world, Duration::days(3650)).await;
        let (server, acme) = (&world.server, &world.acme);
        let run = run_retention(&world, false).await;
        assert_eq!(reported(&run), [(recent.clone(), String::new())], "{run:?}");
        for case in [&acme.case, &acme.opted_out_case] {
            let view = get_case(server, &acme.engineer, case).await.unwrap_or_else(|s| panic!("the open {case} is kept: {s:?}"));
            assert!(view.summary.contains("acme"), "{case} keeps its summary: {view:?}");
        }
        // Globex never set a period: its open cases stay as well.
        let view = get_case(server, &world.globex.engineer, &world.globex.case).await;
        assert!(view.is_ok(), "globex's open case: {view:?}");
    }

    async fn a_future_as_of_is_accepted_only_for_a_dry_run(backend: Backend) {
        let mut world = World::build(backend).await;
        set_retention(&world, &world.acme.id, days(30)).await.expect("30 days");
        let (case, closed_at) = closed_case(&world, &world.acme, "soon").await;
        pass_time(&mut world, Duration::days(10)).await;
        let (server, acme, admin) = (&world.server, &world.acme, &world.admin);

        let future = now(&world) + Duration::days(25);
        let early = run_retention_as(&world, admin, "", false, Some(future)).await;
        assert_eq!(early.map_err(|s| s.code()).err(), Some(Code::InvalidArgument), "a purge as of a future time");
        let early = run_retention_as(&world, admin, &acme.id, false, Some(now(&world) + Duration::seconds(1))).await;
        assert_eq!(early.map_err(|s| s.code()).err(), Some(Code::InvalidArgument), "a purge as of one second from now");
        assert!(get_case(server, &acme.engineer, &case).await.is_ok(), "nothing was purged early");

        let preview = run_retention_as(&world, admin, "", true, Some(future)).await.expect("a dry run may look ahead");
        assert_eq!(reported(&preview), [(case.clone(), String::new())], "{preview:?}");
        assert_eq!(preview.cases[0].closed_at.as_ref(), Some(&closed_at));
        assert_eq!((preview.cases_purged, preview.cases_held), (1, 0));
        let nearer = run_retention_as(&world, admin, "", true, Some(now(&world) + Duration::days(19))).await.unwrap();
        assert!(nearer.cases.is_empty() && nearer.cases_purged == 0, "29 days after closing is not yet 30: {nearer:?}");
        assert!(get_case(server, &acme.engineer, &case).await.is_ok(), "a dry run purges nothing");

        // A past as_of purges as of then: nothing had expired 10 days ago.
        let past = run_retention_as(&world, admin, "", false, Some(now(&world) - Duration::days(1))).await.expect("a past as_of");
        assert!(past.cases.is_empty() && past.cases_purged == 0, "{past:?}");
        let today = run_retention(&world, false).await;
        assert!(today.cases.is_empty(), "nothing is due yet: {today:?}");

        // When the time comes, the purge happens.
        pass_time(&mut world, Duration::days(25)).await;
        let (server, acme) = (&world.server, &world.acme);
        let due = run_retention(&world, false).await;
        assert_eq!(reported(&due), reported(&preview), "what the look-ahead announced goes: {due:?}");
        let read = get_case(server, &acme.engineer, &case).await;
        assert_eq!(read.map_err(|s| s.code()).err(), Some(Code::FailedPrecondition));
    }

    async fn only_the_admin_runs_retention_per_tenant_and_a_second_run_purges_nothing_more(backend: Backend) {
        let mut world = World::build(backend).await;
        let stocked = stocked_case(&world, &world.acme, "expired").await;
        set_retention(&world, &world.acme.id, days(30)).await.expect("30 days");
        pass_time(&mut world, Duration::days(31)).await;
        let (server, acme, globex) = (&world.server, &world.acme, &world.globex);

        for actor in [&acme.customer, &acme.engineer, &acme.reviewer, &world.reviewer, &world.counsel] {
            for dry_run in [true, false] {
                let r = run_retention_as(&world, actor, "", dry_run, None).await;
                assert_status(r, Code::PermissionDenied, "ROLE_DENIED");
            }
        }
        assert_intact(&world, &acme.engineer, &stocked, "after refused runs").await;

        // A run for globex leaves acme alone.
        let other = run_retention_as(&world, &world.admin, &globex.id, false, None).await.expect("a run for globex");
        assert!(other.cases.is_empty() && other.cases_purged == 0, "{other:?}");
        assert_intact(&world, &acme.engineer, &stocked, "after globex's run").await;

        let first = run_retention_as(&world, &world.admin, &acme.id, false, None).await.expect("a run for acme");
        assert_eq!(reported(&first), [(stocked.case.clone(), String::new())]);
        assert_eq!((first.cases_purged, first.objects_purged), (1, 2));
        let logged = entries(&world, "retention.purge", &stocked.case).await.len();
        assert!(logged > 0, "the purge is logged");

        for tenant in [acme.id.as_str(), ""] {
            let again = run_retention_as(&world, &world.admin, tenant, false, None).await.expect("a second run");
            assert_eq!((again.cases_purged, again.objects_purged, again.cases_held), (0, 0, 0), "{again:?}");
            assert!(again.cases.is_empty(), "a purged case is not purged again: {again:?}");
            let dry = run_retention_as(&world, &world.admin, tenant, true, None).await.expect("a dry run");
            assert!(dry.cases.is_empty() && dry.cases_purged == 0, "{dry:?}");
        }
        assert_eq!(entries(&world, "retention.purge", &stocked.case).await.len(), logged, "no second purge is logged");
        let meta = case_meta(server, &acme.customer, &stocked.case).await;
        assert!(meta.purged_at.is_some(), "{meta:?}");
        for object in [&stocked.file, &stocked.recording] {
            assert_eq!(object_keys(server, object).await, 0);
        }
        assert_log_verifies(&world).await;
    }

    async fn a_purge_interrupted_after_its_keys_or_blobs_went_is_finished_by_the_next_run(backend: Backend) {
        let mut world = World::build(backend).await;
        let first = stocked_case(&world, &world.acme, "keys-gone").await;
        advance(&world, Duration::minutes(1));
        let second = stocked_case(&world, &world.acme, "blobs-gone").await;
        set_retention(&world, &world.acme.id, days(30)).await.expect("30 days");
        pass_time(&mut world, Duration::days(31)).await;
        let (server, acme) = (&world.server, &world.acme);
        let blobs = server.blob_dir();
        let first_sealed = SealedSnapshot::take(server, &first).await;
        let second_sealed = SealedSnapshot::take(server, &second).await;

        // As if a run had crashed after destroying the keys of the first case, and
        // after deleting the blobs of the second.
        let delete_keys = |s: &Stocked| format!("DELETE FROM object_keys WHERE object_id IN ('{}', '{}')", s.file, s.recording);
        server.sql(&[&delete_keys(&first), &delete_keys(&second)]).await;
        for path in [file_blob(&blobs, &acme.id, &second.file), recording_blob(&blobs, &acme.id, &second.recording)] {
            std::fs::remove_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        }

        let run = run_retention(&world, false).await;
        assert_eq!(reported(&run), [(first.case.clone(), String::new()), (second.case.clone(), String::new())], "{run:?}");
        assert_eq!((run.cases_purged, run.cases_held), (2, 0));
        for (stocked, sealed) in [(&first, &first_sealed), (&second, &second_sealed)] {
            assert_eq!(sealed.unchanged(server).await, 0, "{} is wiped", stocked.case);
            for path in [file_blob(&blobs, &acme.id, &stocked.file), recording_blob(&blobs, &acme.id, &stocked.recording)] {
                assert!(!path.exists(), "{} is deleted", path.display());
            }
            let file = file_content(server, &acme.engineer, &stocked.file).await;
            assert_eq!(file.map_err(|s| s.code()).err(), Some(Code::NotFound), "{}'s file", stocked.case);
            let recording = recording_content(server, &acme.engineer, &stocked.recording).await;
            assert_eq!(recording.map_err(|s| s.code()).err(), Some(Code::NotFound), "{}'s recording", stocked.case);
            assert!(!entries(&world, "retention.purge", &stocked.case).await.is_empty(), "the finished purge is logged");
        }
        let again = run_retention(&world, false).await;
        assert!(again.cases.is_empty() && again.cases_purged == 0, "finished once, not again: {again:?}");
        assert_log_verifies(&world).await;
    }
}
