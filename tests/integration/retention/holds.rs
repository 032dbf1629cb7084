//! Legal holds (docs/LEGAL.md "Legal holds"): a cleared hold lets the next retention
//! run catch up; a tenant-wide hold keeps every case of its tenant and no other
//! tenant's; holds are legal counsel's, on cases and tenants that exist, with a reason;
//! the admin lists them to explain what retention skipped.

use chrono::Duration;
use supportgate::proto::{ListEntriesRequest, ListLegalHoldsRequest, SetLegalHoldRequest};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::*;
use crate::harness::{assert_status, World};

fn on_case(case: &str, reason: &str) -> SetLegalHoldRequest {
    SetLegalHoldRequest {
        tenant_id: String::new(),
        case_id: case.into(),
        reason: reason.into(),
        request_id: String::new(),
    }
}

fn on_tenant(tenant: &str, reason: &str) -> SetLegalHoldRequest {
    SetLegalHoldRequest {
        tenant_id: tenant.into(),
        case_id: String::new(),
        reason: reason.into(),
        request_id: String::new(),
    }
}

backend_tests! {
    async fn a_cleared_hold_lets_the_next_run_purge_the_case_and_cannot_be_cleared_twice(backend: Backend) {
        let mut world = World::build(backend).await;
        let acme = &world.acme;
        let stocked = stocked_case(&world, acme, "disputed").await;
        let hold = hold_case(&world, &stocked.case, "Preservation letter 2026-03").await;
        set_retention(&world, &acme.id, days(30)).await.expect("30 days");
        pass_time(&mut world, Duration::days(45)).await;
        let (server, acme) = (&world.server, &world.acme);

        let held = run_retention(&world, false).await;
        assert_eq!(reported(&held), [(stocked.case.clone(), hold.hold_id.clone())], "{held:?}");
        assert_eq!((held.cases_purged, held.cases_held, held.objects_purged), (0, 1, 0));
        assert_intact(&world, &acme.engineer, &stocked, "while held").await;

        let cleared = clear_hold(&world, &world.counsel, &hold.hold_id, "Matter settled")
            .await
            .expect("counsel clears the hold");
        assert_eq!((cleared.hold_id.as_str(), cleared.case_id.as_str()), (hold.hold_id.as_str(), stocked.case.as_str()));
        assert_eq!((cleared.cleared_by.as_str(), cleared.clear_reason.as_str()), (world.counsel.subject_id.as_str(), "Matter settled"));
        assert_eq!(cleared.cleared_at, Some(ts(now(&world))), "cleared now: {cleared:?}");
        assert_eq!(cleared.reason, "Preservation letter 2026-03", "the hold's own reason stays");
        let again = clear_hold(&world, &world.counsel, &hold.hold_id, "Matter settled, again").await;
        assert_status(again, Code::FailedPrecondition, "HOLD_ALREADY_CLEARED");
        // Clearing takes nothing away by itself: the next run does.
        assert_intact(&world, &acme.engineer, &stocked, "cleared, before the next run").await;

        let run = run_retention(&world, false).await;
        assert_eq!(reported(&run), [(stocked.case.clone(), String::new())], "{run:?}");
        assert_eq!((run.cases_purged, run.cases_held, run.objects_purged), (1, 0, 2));
        let file = file_content(server, &acme.engineer, &stocked.file).await;
        assert_eq!(file.map_err(|s| s.code()).err(), Some(Code::NotFound), "the formerly held file is purged");
        let recording = recording_content(server, &acme.engineer, &stocked.recording).await;
        assert_eq!(recording.map_err(|s| s.code()).err(), Some(Code::NotFound), "the formerly held recording is purged");
        for object in [&stocked.file, &stocked.recording] {
            assert_eq!(object_keys(server, object).await, 0, "{object}'s data key is destroyed");
        }
        assert!(case_meta(server, &acme.customer, &stocked.case).await.purged_at.is_some());

        // The admin sees the hold, cleared, and no longer among the active ones.
        let all = list_holds(&world, &world.admin, ListLegalHoldsRequest { tenant_id: acme.id.clone(), ..Default::default() })
            .await
            .expect("the admin lists holds");
        assert_eq!(all.len(), 1, "{all:?}");
        assert_eq!(all[0], cleared, "the listing shows the hold as clearing left it");
        let active = list_holds(&world, &world.admin, ListLegalHoldsRequest { tenant_id: acme.id.clone(), active_only: true, ..Default::default() })
            .await
            .unwrap();
        assert!(active.is_empty(), "a cleared hold is not active: {active:?}");

        // Both steps are provider entries (no tenant) naming the case.
        for action in ["legal.hold.set", "legal.hold.clear"] {
            let logged = world.log(ListEntriesRequest { action: action.into(), subject_id: world.counsel.subject_id.clone(), ..Default::default() }).await;
            assert!(!logged.is_empty(), "{action} is logged");
            assert!(logged.iter().all(|e| e.tenant_id.is_empty()), "{action} is a provider entry: {logged:?}");
            assert!(logged.iter().any(|e| e.case_id == stocked.case), "{action} names the case: {logged:?}");
        }
        assert_log_verifies(&world).await;
    }

    async fn a_tenant_wide_hold_keeps_every_case_of_its_tenant_and_no_other_tenants(backend: Backend) {
        let mut world = World::build(backend).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let (first, _) = closed_case(&world, acme, "first").await;
        advance(&world, Duration::minutes(1));
        let (second, _) = closed_case(&world, acme, "second").await;
        advance(&world, Duration::minutes(1));
        let (theirs, _) = closed_case(&world, globex, "theirs").await;
        for tenant in [&acme.id, &globex.id] {
            set_retention(&world, tenant, days(30)).await.expect("30 days");
        }
        let tenant_hold = hold_tenant(&world, &acme.id, "Regulator inquiry into Acme").await;
        assert_eq!((tenant_hold.tenant_id.as_str(), tenant_hold.case_id.as_str()), (acme.id.as_str(), ""), "{tenant_hold:?}");
        // The first case has a hold of its own too.
        let case_hold = hold_case(&world, &first, "Subpoena 17-204").await;
        pass_time(&mut world, Duration::days(31)).await;
        let (server, acme, globex) = (&world.server, &world.acme, &world.globex);

        let run = run_retention(&world, false).await;
        let report = reported(&run);
        assert_eq!(report.len(), 3, "{run:?}");
        assert_eq!((run.cases_purged, run.cases_held), (1, 2), "{run:?}");
        let held_by = |case: &str| report.iter().find(|(c, _)| c == case).map(|(_, h)| h.clone());
        let first_held_by = held_by(&first).expect("the first case is reported");
        assert!(first_held_by == tenant_hold.hold_id || first_held_by == case_hold.hold_id, "{run:?}");
        assert_eq!(held_by(&second), Some(tenant_hold.hold_id.clone()), "the tenant hold keeps a case that has no hold of its own");
        assert_eq!(held_by(&theirs), Some(String::new()), "another tenant's case is purged");
        for case in [&first, &second] {
            assert!(get_case(server, &acme.engineer, case).await.is_ok(), "{case} is kept");
        }
        let read = get_case(server, &globex.engineer, &theirs).await;
        assert_eq!(read.map_err(|s| s.code()).err(), Some(Code::FailedPrecondition), "globex's case is purged");

        // Without the tenant hold, the case hold still keeps the first case.
        clear_hold(&world, &world.counsel, &tenant_hold.hold_id, "Inquiry closed").await.expect("cleared");
        let run = run_retention(&world, false).await;
        assert_eq!(reported(&run), [(first.clone(), case_hold.hold_id.clone()), (second.clone(), String::new())], "{run:?}");
        assert_eq!((run.cases_purged, run.cases_held), (1, 1));
        assert!(get_case(server, &acme.engineer, &first).await.is_ok(), "the case hold still keeps it");
        let read = get_case(server, &acme.engineer, &second).await;
        assert_eq!(read.map_err(|s| s.code()).err(), Some(Code::FailedPrecondition), "the second case is purged");

        let active = list_holds(&world, &world.admin, ListLegalHoldsRequest { active_only: true, ..Default::default() }).await.unwrap();
        assert_eq!(active.iter().map(|h| h.hold_id.as_str()).collect::<Vec<_>>(), [case_hold.hold_id.as_str()]);
        // Filtered by case: the case's own hold, never another case's (a tenant-wide
        // hold, which covers the case too, may be listed with it).
        let elsewhere = hold_case(&world, &acme.case, "Hold on an open case").await;
        let for_case = list_holds(&world, &world.counsel, ListLegalHoldsRequest { case_id: first.clone(), ..Default::default() }).await.unwrap();
        assert!(for_case.iter().any(|h| h.hold_id == case_hold.hold_id), "{for_case:?}");
        assert!(for_case.iter().all(|h| h.hold_id != elsewhere.hold_id), "another case's hold is filtered out: {for_case:?}");
        assert!(for_case.iter().all(|h| h.case_id == first || (h.case_id.is_empty() && h.tenant_id == acme.id)), "{for_case:?}");
    }

    async fn holds_are_counsels_on_cases_and_tenants_that_exist_with_a_reason(backend: Backend) {
        let world = World::build(backend).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let counsel = &world.counsel;
        let unknown = uuid::Uuid::new_v4().to_string();

        let r = set_hold(&world, counsel, on_case(&unknown, "Subpoena")).await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let r = set_hold(&world, counsel, on_tenant(&unknown, "Subpoena")).await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let r = set_hold(&world, counsel, on_case(&acme.case, "")).await;
        assert_status(r, Code::InvalidArgument, "FIELD_REQUIRED");
        let r = set_hold(&world, counsel, on_tenant(&acme.id, "")).await;
        assert_status(r, Code::InvalidArgument, "FIELD_REQUIRED");
        let r = set_hold(&world, counsel, on_case("", "Subpoena")).await;
        assert_status(r, Code::InvalidArgument, "FIELD_REQUIRED");
        let mismatched = SetLegalHoldRequest { tenant_id: globex.id.clone(), ..on_case(&acme.case, "Subpoena") };
        let r = set_hold(&world, counsel, mismatched).await;
        assert_eq!(r.map_err(|s| s.code()).err(), Some(Code::InvalidArgument), "a tenant that is not the case's");
        for actor in [&world.admin, &acme.customer, &acme.engineer, &acme.reviewer, &world.reviewer, &world.agency] {
            let r = set_hold(&world, actor, on_case(&acme.case, "Subpoena")).await;
            assert_status(r, Code::PermissionDenied, "ROLE_DENIED");
            let r = set_hold(&world, actor, on_tenant(&acme.id, "Subpoena")).await;
            assert_status(r, Code::PermissionDenied, "ROLE_DENIED");
        }
        let none = list_holds(&world, &world.admin, ListLegalHoldsRequest::default()).await.expect("the admin lists holds");
        assert!(none.is_empty(), "no refused request left a hold: {none:?}");

        let hold = hold_case(&world, &acme.case, "Subpoena 17-204").await;
        for actor in [&world.admin, &acme.customer] {
            let r = clear_hold(&world, actor, &hold.hold_id, "Not needed").await;
            assert_status(r, Code::PermissionDenied, "ROLE_DENIED");
        }
        let r = clear_hold(&world, counsel, &hold.hold_id, "").await;
        assert_status(r, Code::InvalidArgument, "FIELD_REQUIRED");
        let r = clear_hold(&world, counsel, &unknown, "Not needed").await;
        assert_status(r, Code::NotFound, "NOT_FOUND");

        // The admin sees it, still active; customers do not list holds.
        for actor in [&world.admin, counsel] {
            let listed = list_holds(&world, actor, ListLegalHoldsRequest { active_only: true, ..Default::default() })
                .await
                .unwrap_or_else(|s| panic!("{} lists holds: {s:?}", actor.name));
            assert_eq!(listed, std::slice::from_ref(&hold), "{} sees the hold", actor.name);
        }
        let by_tenant = list_holds(&world, &world.admin, ListLegalHoldsRequest { tenant_id: globex.id.clone(), ..Default::default() }).await.unwrap();
        assert!(by_tenant.is_empty(), "no hold on globex: {by_tenant:?}");
        for actor in [&acme.customer, &acme.engineer] {
            let r = list_holds(&world, actor, ListLegalHoldsRequest::default()).await;
            assert_status(r, Code::PermissionDenied, "ROLE_DENIED");
        }

        // A hold is a provider entry: the customer, reading who touched their case,
        // does not learn of it.
        let customer_view = world
            .server
            .as_actor(&acme.customer)
            .await
            .log()
            .list_entries(ListEntriesRequest { case_id: acme.case.clone(), page_size: 500, ..Default::default() })
            .await
            .expect("the customer reads the log of their case")
            .into_inner()
            .entries;
        assert!(!customer_view.is_empty(), "the customer sees entries about their case");
        assert!(customer_view.iter().all(|e| e.subject_id != counsel.subject_id), "the customer sees counsel's hold: {customer_view:?}");
        let logged = entries(&world, "legal.hold.set", &acme.case).await;
        assert!(logged.iter().any(|e| e.subject_id == counsel.subject_id && e.tenant_id.is_empty()), "{logged:?}");
    }
}
