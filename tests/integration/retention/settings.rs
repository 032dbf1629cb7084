//! Tenant settings (admin.proto TenantSettings, docs/LEGAL.md "Retention"): what is
//! set reads back, absent fields keep their value, impossible periods are refused and
//! change nothing, only the admin changes them; 0 means the server default of 365
//! days.

use chrono::Duration;
use supportgate::proto::{LegalContact, SetTenantSettingsRequest};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::*;
use crate::harness::{assert_status, World};

fn legal_department() -> LegalContact {
    LegalContact {
        name: "Legal Department".into(),
        email: "legal@acme.example".into(),
        phone: "+1 555 0199".into(),
        postal_address: "1 Acme Way, Springfield".into(),
        organisation: "Acme Corporation".into(),
    }
}

backend_tests! {
    async fn tenant_settings_read_back_what_was_set_and_refuse_impossible_periods(backend: Backend) {
        let world = World::build(backend).await;
        let (acme, globex, admin) = (&world.acme, &world.globex, &world.admin);

        let fresh = get_settings(&world, admin, &acme.id).await.expect("a tenant has settings from the start");
        assert_eq!((fresh.tenant_id.as_str(), fresh.customer_data_retention_seconds, fresh.legal_contact.as_ref()), (acme.id.as_str(), 0, None));

        let both = SetTenantSettingsRequest {
            tenant_id: acme.id.clone(),
            legal_contact: Some(legal_department()),
            customer_data_retention_seconds: Some(days(30)),
        };
        let set = set_settings(&world, admin, both).await.expect("the admin sets both");
        assert_eq!(set.tenant_id, acme.id);
        assert_eq!(set.legal_contact, Some(legal_department()));
        assert_eq!(set.customer_data_retention_seconds, days(30));
        assert_eq!(set.updated_at, Some(ts(now(&world))));
        assert_eq!(get_settings(&world, admin, &acme.id).await.unwrap(), set, "GetTenantSettings returns what was set");

        // Absent fields keep their value.
        advance(&world, Duration::minutes(5));
        let ten_years = days(3650);
        let period = set_retention(&world, &acme.id, ten_years).await.expect("ten years");
        assert_eq!((period.customer_data_retention_seconds, period.legal_contact.clone()), (ten_years, Some(legal_department())));
        assert_eq!(period.updated_at, Some(ts(now(&world))));
        let contact_only = SetTenantSettingsRequest {
            tenant_id: acme.id.clone(),
            legal_contact: Some(LegalContact { phone: String::new(), ..legal_department() }),
            customer_data_retention_seconds: None,
        };
        let changed = set_settings(&world, admin, contact_only).await.expect("only the contact");
        assert_eq!(changed.customer_data_retention_seconds, ten_years, "an absent period keeps its value");
        assert_eq!(changed.legal_contact.as_ref().map(|c| c.phone.as_str()), Some(""));
        assert_eq!(get_settings(&world, admin, &acme.id).await.unwrap(), changed);

        // Up to a hundred years is a period; beyond is refused and changes nothing.
        let century = set_retention(&world, &acme.id, days(36_500)).await.expect("a hundred years");
        assert_eq!(century.customer_data_retention_seconds, days(36_500));
        let zero = set_retention(&world, &acme.id, 0).await.expect("0 = the server default");
        assert_eq!(zero.customer_data_retention_seconds, 0);
        for (what, seconds) in [
            ("101 years", days(101 * 366)),
            ("1000 years", days(365_250)),
            ("-1 as an int64", u64::MAX),
            ("i64::MIN as an int64", 1u64 << 63),
            ("i64::MAX seconds", i64::MAX as u64),
        ] {
            let r = set_retention(&world, &acme.id, seconds).await;
            assert_eq!(r.map_err(|s| s.code()).err(), Some(Code::InvalidArgument), "{what}");
        }
        let after = get_settings(&world, admin, &acme.id).await.unwrap();
        assert_eq!((after.customer_data_retention_seconds, after.legal_contact), (0, changed.legal_contact.clone()), "refusals change nothing");
        let globex_settings = get_settings(&world, admin, &globex.id).await.unwrap();
        assert_eq!((globex_settings.customer_data_retention_seconds, globex_settings.legal_contact), (0, None), "another tenant's settings are its own");

        // Unknown and missing tenants; roles that may not.
        let unknown = uuid::Uuid::new_v4().to_string();
        assert_status(set_retention(&world, &unknown, days(30)).await, Code::NotFound, "NOT_FOUND");
        assert_status(get_settings(&world, admin, &unknown).await, Code::NotFound, "NOT_FOUND");
        assert_status(set_retention(&world, "", days(30)).await, Code::InvalidArgument, "FIELD_REQUIRED");
        for actor in [&acme.customer, &acme.engineer, &world.counsel, &world.reviewer] {
            let request = SetTenantSettingsRequest { tenant_id: acme.id.clone(), legal_contact: None, customer_data_retention_seconds: Some(days(1)) };
            assert_status(set_settings(&world, actor, request).await, Code::PermissionDenied, "ROLE_DENIED");
        }
        for actor in [&acme.customer, &acme.engineer] {
            assert_status(get_settings(&world, actor, &acme.id).await, Code::PermissionDenied, "ROLE_DENIED");
        }
        assert_eq!(get_settings(&world, admin, &acme.id).await.unwrap().customer_data_retention_seconds, 0);
    }

    async fn a_period_of_zero_is_the_server_default_of_365_days(backend: Backend) {
        let mut world = World::build(backend).await;
        let (acme, globex, admin) = (&world.acme, &world.globex, &world.admin);
        // Acme had 30 days and went back to the default; globex never set one.
        set_retention(&world, &acme.id, days(30)).await.expect("30 days");
        set_retention(&world, &acme.id, 0).await.expect("back to the default");
        let (ours, _) = closed_case(&world, acme, "ours").await;
        advance(&world, Duration::minutes(1));
        let (theirs, _) = closed_case(&world, globex, "theirs").await;

        let at = |d: i64| Some(now(&world) + Duration::days(d));
        for d in [31, 364] {
            let early = run_retention_as(&world, admin, "", true, at(d)).await.expect("a dry run");
            assert!(early.cases.is_empty(), "{d} days after closing is within 365: {early:?}");
        }
        let late = run_retention_as(&world, admin, "", true, at(366)).await.expect("a dry run");
        assert_eq!(reported(&late), [(ours.clone(), String::new()), (theirs.clone(), String::new())], "{late:?}");
        let only_globex = run_retention_as(&world, admin, &globex.id, true, at(366)).await.unwrap();
        assert_eq!(reported(&only_globex), [(theirs.clone(), String::new())], "a run for one tenant lists only its cases");

        pass_time(&mut world, Duration::days(366)).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let run = run_retention(&world, false).await;
        assert_eq!(reported(&run), reported(&late), "{run:?}");
        for (engineer, case) in [(&acme.engineer, &ours), (&globex.engineer, &theirs)] {
            let read = get_case(&world.server, engineer, case).await;
            assert_eq!(read.map_err(|s| s.code()).err(), Some(Code::FailedPrecondition), "{case} is purged after a year");
        }
    }
}
