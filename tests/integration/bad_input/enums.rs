//! Enum values the gateway does not know, purposes that are missing, prohibited or only
//! for the legal flow, and list parameters that make no sense: each a precise
//! INVALID_ARGUMENT or PERMISSION_DENIED, logged when it is an access decision.

use supportgate::proto::{
    DataClass, GetCaseRequest, GetContactRequest, ListCasesRequest,
    ListCommunicationRecipientsRequest, ListEntriesRequest, ListSubjectsRequest,
    ListTenantsRequest, Purpose,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{assert_denial, assert_invalid, assert_refused, assert_unchanged, last_by, stored};
use crate::harness::World;

/// The prohibited purposes: understood, always denied, always logged.
const PROHIBITED: [Purpose; 4] = [
    Purpose::Marketing,
    Purpose::Advertising,
    Purpose::ThirdPartyAdvertisingTransfer,
    Purpose::VoluntaryLawEnforcementDisclosure,
];

backend_tests! {
    async fn an_unknown_purpose_value_is_invalid_argument_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let engineer = world.server.as_actor(&acme.engineer).await;
        let comms = world.server.as_actor(&acme.communications).await;

        for value in [99, 5, -1, i32::MAX] {
            let what = format!("purpose {value}");
            let r = engineer
                .cases()
                .get_case(GetCaseRequest {
                    case_id: acme.case.clone(),
                    purpose: value,
                })
                .await;
            assert_refused(&what, r, Code::InvalidArgument, "PURPOSE_UNKNOWN");
            let entry = last_by(&world, &acme.engineer, "case.get").await;
            assert_denial(&what, &entry, "PURPOSE_UNKNOWN", Purpose::Unspecified);
            assert_eq!(
                (entry.case_id.as_str(), entry.data_class),
                (acme.case.as_str(), DataClass::Customer as i32)
            );

            let r = engineer
                .contacts()
                .get_contact(GetContactRequest {
                    case_id: acme.case.clone(),
                    purpose: value,
                })
                .await;
            assert_refused(&what, r, Code::InvalidArgument, "PURPOSE_UNKNOWN");
            let entry = last_by(&world, &acme.engineer, "contact.get").await;
            assert_denial(&what, &entry, "PURPOSE_UNKNOWN", Purpose::Unspecified);

            let r = comms
                .contacts()
                .list_communication_recipients(ListCommunicationRecipientsRequest {
                    purpose: value,
                    ..Default::default()
                })
                .await;
            assert_refused(&what, r, Code::InvalidArgument, "PURPOSE_UNKNOWN");
            let entry = last_by(&world, &acme.communications, "contact.recipients").await;
            assert_denial(&what, &entry, "PURPOSE_UNKNOWN", Purpose::Unspecified);

            let r = world
                .server
                .as_actor(&world.reviewer)
                .await
                .log()
                .list_entries(ListEntriesRequest {
                    purpose: value,
                    ..Default::default()
                })
                .await;
            assert_refused(
                &format!("log filter, {what}"),
                r,
                Code::InvalidArgument,
                "PURPOSE_UNKNOWN",
            );
        }
        assert_unchanged(&world, &before, "unknown purposes").await;
    }

    async fn a_missing_purpose_is_invalid_argument_purpose_required_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let unspecified = Purpose::Unspecified as i32;

        for actor in [&acme.engineer, &acme.customer] {
            let clients = world.server.as_actor(actor).await;
            let r = clients
                .cases()
                .get_case(GetCaseRequest {
                    case_id: acme.case.clone(),
                    purpose: unspecified,
                })
                .await;
            assert_refused(&actor.name, r, Code::InvalidArgument, "PURPOSE_REQUIRED");
            let entry = last_by(&world, actor, "case.get").await;
            assert_denial(
                &actor.name,
                &entry,
                "PURPOSE_REQUIRED",
                Purpose::Unspecified,
            );
            assert_eq!(entry.case_id, acme.case);

            let r = clients
                .contacts()
                .get_contact(GetContactRequest {
                    case_id: acme.case.clone(),
                    purpose: unspecified,
                })
                .await;
            assert_refused(&actor.name, r, Code::InvalidArgument, "PURPOSE_REQUIRED");
            let entry = last_by(&world, actor, "contact.get").await;
            assert_denial(
                &actor.name,
                &entry,
                "PURPOSE_REQUIRED",
                Purpose::Unspecified,
            );
        }
        let r = world
            .server
            .as_actor(&acme.communications)
            .await
            .contacts()
            .list_communication_recipients(ListCommunicationRecipientsRequest::default())
            .await;
        assert_refused("recipients", r, Code::InvalidArgument, "PURPOSE_REQUIRED");
        let entry = last_by(&world, &acme.communications, "contact.recipients").await;
        assert_denial(
            "recipients",
            &entry,
            "PURPOSE_REQUIRED",
            Purpose::Unspecified,
        );

        assert_unchanged(&world, &before, "missing purposes").await;
    }

    async fn prohibited_purposes_are_permission_denied_and_logged_with_the_purpose(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;

        for purpose in PROHIBITED {
            for actor in [
                &acme.engineer,
                &acme.customer,
                &acme.quality,
                &acme.communications,
            ] {
                let what = format!("{} with {purpose:?}", actor.name);
                let clients = world.server.as_actor(actor).await;
                let r = clients
                    .cases()
                    .get_case(GetCaseRequest {
                        case_id: acme.case.clone(),
                        purpose: purpose.into(),
                    })
                    .await;
                assert_refused(&what, r, Code::PermissionDenied, "PURPOSE_PROHIBITED");
                let entry = last_by(&world, actor, "case.get").await;
                assert_denial(&what, &entry, "PURPOSE_PROHIBITED", purpose);
                assert_eq!(entry.case_id, acme.case, "{what}: {entry:?}");

                let r = clients
                    .contacts()
                    .get_contact(GetContactRequest {
                        case_id: acme.case.clone(),
                        purpose: purpose.into(),
                    })
                    .await;
                assert_refused(&what, r, Code::PermissionDenied, "PURPOSE_PROHIBITED");
                let entry = last_by(&world, actor, "contact.get").await;
                assert_denial(&what, &entry, "PURPOSE_PROHIBITED", purpose);
            }
            let what = format!("recipients with {purpose:?}");
            let r = world
                .server
                .as_actor(&acme.communications)
                .await
                .contacts()
                .list_communication_recipients(ListCommunicationRecipientsRequest {
                    purpose: purpose.into(),
                    ..Default::default()
                })
                .await;
            assert_refused(&what, r, Code::PermissionDenied, "PURPOSE_PROHIBITED");
            let entry = last_by(&world, &acme.communications, "contact.recipients").await;
            assert_denial(&what, &entry, "PURPOSE_PROHIBITED", purpose);
        }
        assert_unchanged(&world, &before, "prohibited purposes").await;
    }

    async fn legal_compelled_outside_the_legal_flow_is_denied_and_logged(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let legal = Purpose::LegalCompelled;

        for actor in [&acme.engineer, &acme.customer] {
            let clients = world.server.as_actor(actor).await;
            let r = clients
                .cases()
                .get_case(GetCaseRequest {
                    case_id: acme.case.clone(),
                    purpose: legal.into(),
                })
                .await;
            assert_refused(&actor.name, r, Code::PermissionDenied, "LEGAL_FLOW_ONLY");
            let entry = last_by(&world, actor, "case.get").await;
            assert_denial(&actor.name, &entry, "LEGAL_FLOW_ONLY", legal);

            let r = clients
                .contacts()
                .get_contact(GetContactRequest {
                    case_id: acme.case.clone(),
                    purpose: legal.into(),
                })
                .await;
            assert_refused(&actor.name, r, Code::PermissionDenied, "LEGAL_FLOW_ONLY");
            let entry = last_by(&world, actor, "contact.get").await;
            assert_denial(&actor.name, &entry, "LEGAL_FLOW_ONLY", legal);
        }
        let r = world
            .server
            .as_actor(&acme.communications)
            .await
            .contacts()
            .list_communication_recipients(ListCommunicationRecipientsRequest {
                purpose: legal.into(),
                ..Default::default()
            })
            .await;
        assert_refused("recipients", r, Code::PermissionDenied, "LEGAL_FLOW_ONLY");
        let entry = last_by(&world, &acme.communications, "contact.recipients").await;
        assert_denial("recipients", &entry, "LEGAL_FLOW_ONLY", legal);

        assert_unchanged(&world, &before, "legal_compelled outside the legal flow").await;
    }

    async fn unknown_enum_values_and_hostile_list_parameters_are_invalid_argument(backend: Backend) {
        let world = World::build(backend).await;
        let before = stored(&world).await;
        let customer = world.server.as_actor(&world.acme.customer).await;
        let admin = world.server.admin().await;
        let mut log = world.server.as_actor(&world.reviewer).await.log();

        for state in [3, 99, -1] {
            let r = customer
                .cases()
                .list_cases(ListCasesRequest {
                    state,
                    ..Default::default()
                })
                .await;
            assert_invalid(&format!("case state {state}"), r, "INVALID_FIELD", "state");
        }
        for decision in [4, 99, -1] {
            let r = log
                .list_entries(ListEntriesRequest {
                    decision,
                    ..Default::default()
                })
                .await;
            assert_invalid(
                &format!("decision {decision}"),
                r,
                "INVALID_FIELD",
                "decision",
            );
        }
        for action in [
            "case get".to_owned(),
            "case.get\n".into(),
            "case.get\0".into(),
            "a".repeat(201),
        ] {
            let r = log
                .list_entries(ListEntriesRequest {
                    action: action.clone(),
                    ..Default::default()
                })
                .await;
            assert_invalid(
                &format!("action {:?}", &action[..action.len().min(20)]),
                r,
                "INVALID_FIELD",
                "action",
            );
        }
        // Quotes are printable: they are matched as data, never interpreted.
        let quoted = log
            .list_entries(ListEntriesRequest {
                action: "x'OR'1'='1".into(),
                ..Default::default()
            })
            .await
            .expect("a printable action filter")
            .into_inner();
        assert!(quoted.entries.is_empty(), "{quoted:?}");
        let bad_time = prost_types::Timestamp {
            seconds: 0,
            nanos: -1,
        };
        let r = log
            .list_entries(ListEntriesRequest {
                since: Some(bad_time),
                ..Default::default()
            })
            .await;
        assert_invalid("since with negative nanos", r, "INVALID_FIELD", "since");
        let bad_time = prost_types::Timestamp {
            seconds: i64::MAX,
            nanos: 0,
        };
        let r = log
            .list_entries(ListEntriesRequest {
                until: Some(bad_time),
                ..Default::default()
            })
            .await;
        assert_invalid("until beyond any date", r, "INVALID_FIELD", "until");

        for (what, token) in [
            ("SQL", "'; DROP TABLE cases; --".to_owned()),
            ("a path", "../../etc/passwd".into()),
            ("NUL", "abc\0".into()),
            ("right-to-left override", "abc\u{202E}".into()),
            ("129 characters", "a".repeat(129)),
        ] {
            let r = customer
                .cases()
                .list_cases(ListCasesRequest {
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await;
            assert_invalid(
                &format!("ListCases page token, {what}"),
                r,
                "INVALID_PAGE_TOKEN",
                "page_token",
            );
            let r = log
                .list_entries(ListEntriesRequest {
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await;
            assert_invalid(
                &format!("ListEntries page token, {what}"),
                r,
                "INVALID_PAGE_TOKEN",
                "page_token",
            );
            let r = admin
                .admin()
                .list_subjects(ListSubjectsRequest {
                    page_token: token.clone(),
                    ..Default::default()
                })
                .await;
            assert_invalid(
                &format!("ListSubjects page token, {what}"),
                r,
                "INVALID_PAGE_TOKEN",
                "page_token",
            );
            let r = admin
                .admin()
                .list_tenants(ListTenantsRequest {
                    page_token: token,
                    ..Default::default()
                })
                .await;
            assert_invalid(
                &format!("ListTenants page token, {what}"),
                r,
                "INVALID_PAGE_TOKEN",
                "page_token",
            );
        }

        assert_unchanged(&world, &before, "hostile list parameters").await;
    }
}
