//! Ids that are not UUIDs, that exist nowhere, or that belong to another tenant:
//! INVALID_ARGUMENT, NOT_FOUND or a precise refusal, logged where it is an access
//! decision, and nothing stored changes.

use supportgate::proto::{
    AssignEngineerRequest, CloseCaseRequest, CorrectContactRequest, CreateSubjectRequest, Decision,
    GetCaseRequest, GetContactRequest, IssueCredentialRequest, ListEntriesRequest, Purpose,
    RevokeCredentialRequest, Role, SetCommunicationsOptOutRequest,
};
use supportgate_testkit::{backend_tests, Backend};
use tonic::Code;

use super::{
    assert_denial, assert_invalid, assert_unchanged, entries_by, last_by, stored, subjects,
};
use crate::harness::{assert_status, World};

/// Ids that are not UUIDs.
fn not_uuids() -> Vec<(&'static str, String)> {
    vec![
        ("a word", "not-a-uuid".into()),
        ("SQL", "'; DROP TABLE cases; --".into()),
        (
            "SQL after a UUID",
            "6f1c1e52-3f0f-4a53-9d5c-2b8f1f0e9a11' OR '1'='1".into(),
        ),
        ("a path", "../../etc/passwd".into()),
        ("a number", "12345".into()),
        (
            "a non-hex digit",
            "6f1c1e52-3f0f-4a53-9d5c-2b8f1f0e9a1g".into(),
        ),
        ("NUL", "6f1c1e52-3f0f-4a53-9d5c-2b8f1f0e9a11\0".into()),
        (
            "right-to-left override",
            "\u{202E}6f1c1e52-3f0f-4a53-9d5c-2b8f1f0e9a11".into(),
        ),
        ("100 KB", "a".repeat(100 * 1024)),
    ]
}

backend_tests! {
    async fn ids_that_are_not_uuids_are_invalid_argument_and_change_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let subjects_before = subjects(&world.server).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let engineer = world.server.as_actor(&acme.engineer).await;
        let admin = world.server.admin().await;
        let reviewer = world.server.as_actor(&world.reviewer).await;
        let provide = Purpose::ProvideSupport as i32;

        let mut values = not_uuids();
        values.push(("empty", String::new()));
        for (what, id) in values {
            let (reason_code, label) = if id.is_empty() {
                ("FIELD_REQUIRED", "empty id".to_owned())
            } else {
                ("INVALID_ID", format!("id that is {what}"))
            };
            let r = engineer
                .cases()
                .get_case(GetCaseRequest {
                    case_id: id.clone(),
                    purpose: provide,
                })
                .await;
            assert_invalid(&format!("GetCase, {label}"), r, reason_code, "case_id");
            let r = engineer
                .contacts()
                .get_contact(GetContactRequest {
                    case_id: id.clone(),
                    purpose: provide,
                })
                .await;
            assert_invalid(&format!("GetContact, {label}"), r, reason_code, "case_id");
            let r = customer
                .contacts()
                .correct_contact(CorrectContactRequest {
                    case_id: id.clone(),
                    name: Some("Mallory".into()),
                    ..Default::default()
                })
                .await;
            assert_invalid(
                &format!("CorrectContact, {label}"),
                r,
                reason_code,
                "case_id",
            );
            let r = customer
                .contacts()
                .set_communications_opt_out(SetCommunicationsOptOutRequest {
                    case_id: id.clone(),
                    opt_out: true,
                })
                .await;
            assert_invalid(
                &format!("SetCommunicationsOptOut, {label}"),
                r,
                reason_code,
                "case_id",
            );
            let r = customer
                .cases()
                .close_case(CloseCaseRequest {
                    case_id: id.clone(),
                })
                .await;
            assert_invalid(&format!("CloseCase, {label}"), r, reason_code, "case_id");
            let r = admin
                .cases()
                .assign_engineer(AssignEngineerRequest {
                    case_id: id.clone(),
                    engineer_id: acme.other_engineer.subject_id.clone(),
                })
                .await;
            assert_invalid(
                &format!("AssignEngineer case, {label}"),
                r,
                reason_code,
                "case_id",
            );
            let r = admin
                .cases()
                .assign_engineer(AssignEngineerRequest {
                    case_id: acme.case.clone(),
                    engineer_id: id.clone(),
                })
                .await;
            assert_invalid(
                &format!("AssignEngineer engineer, {label}"),
                r,
                reason_code,
                "engineer_id",
            );
            let r = admin
                .admin()
                .revoke_credential(RevokeCredentialRequest {
                    credential_id: id.clone(),
                })
                .await;
            assert_invalid(
                &format!("RevokeCredential, {label}"),
                r,
                reason_code,
                "credential_id",
            );
            let r = admin
                .admin()
                .issue_credential(IssueCredentialRequest {
                    subject_id: id.clone(),
                    ttl_seconds: 0,
                })
                .await;
            assert_invalid(
                &format!("IssueCredential, {label}"),
                r,
                reason_code,
                "subject_id",
            );
            if !id.is_empty() {
                // Optional ids: empty means "none", anything else must be a UUID.
                let r = admin
                    .admin()
                    .create_subject(CreateSubjectRequest {
                        tenant_id: id.clone(),
                        role: Role::Customer.into(),
                        name: "mallory".into(),
                        credential_ttl_seconds: 0,
                    })
                    .await;
                assert_invalid(
                    &format!("CreateSubject, {label}"),
                    r,
                    "INVALID_ID",
                    "tenant_id",
                );
                for (field, filter) in [
                    (
                        "tenant_id",
                        ListEntriesRequest {
                            tenant_id: id.clone(),
                            ..Default::default()
                        },
                    ),
                    (
                        "case_id",
                        ListEntriesRequest {
                            case_id: id.clone(),
                            ..Default::default()
                        },
                    ),
                    (
                        "subject_id",
                        ListEntriesRequest {
                            subject_id: id.clone(),
                            ..Default::default()
                        },
                    ),
                ] {
                    let r = reviewer.log().list_entries(filter).await;
                    assert_invalid(
                        &format!("ListEntries {field}, {label}"),
                        r,
                        "INVALID_ID",
                        field,
                    );
                }
            }
        }

        assert_unchanged(&world, &before, "ids that are not UUIDs").await;
        assert_eq!(subjects(&world.server).await, subjects_before);
    }

    async fn ids_that_exist_nowhere_are_refused_precisely_and_change_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let before = stored(&world).await;
        let subjects_before = subjects(&world.server).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let engineer = world.server.as_actor(&acme.engineer).await;
        let admin = world.server.admin().await;
        let nowhere = uuid::Uuid::new_v4().to_string();
        let provide = Purpose::ProvideSupport as i32;

        let r = engineer
            .cases()
            .get_case(GetCaseRequest {
                case_id: nowhere.clone(),
                purpose: provide,
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let entry = last_by(&world, &acme.engineer, "case.get").await;
        assert_denial("GetCase", &entry, "NOT_FOUND", Purpose::ProvideSupport);
        assert_eq!(entry.resource_id, nowhere);

        let r = customer
            .contacts()
            .correct_contact(CorrectContactRequest {
                case_id: nowhere.clone(),
                name: Some("Mallory".into()),
                ..Default::default()
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let entry = last_by(&world, &acme.customer, "contact.correct").await;
        assert_eq!(
            (entry.decision, entry.reason.as_str()),
            (Decision::Denied as i32, "NOT_FOUND")
        );

        let r = customer
            .cases()
            .close_case(CloseCaseRequest {
                case_id: nowhere.clone(),
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let r = admin
            .cases()
            .assign_engineer(AssignEngineerRequest {
                case_id: nowhere.clone(),
                engineer_id: acme.other_engineer.subject_id.clone(),
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let r = admin
            .cases()
            .assign_engineer(AssignEngineerRequest {
                case_id: acme.case.clone(),
                engineer_id: nowhere.clone(),
            })
            .await;
        assert_status(r, Code::InvalidArgument, "ENGINEER_UNKNOWN");
        let r = admin
            .admin()
            .revoke_credential(RevokeCredentialRequest {
                credential_id: nowhere.clone(),
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let r = admin
            .admin()
            .issue_credential(IssueCredentialRequest {
                subject_id: nowhere.clone(),
                ttl_seconds: 0,
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let r = admin
            .admin()
            .create_subject(CreateSubjectRequest {
                tenant_id: nowhere.clone(),
                role: Role::Customer.into(),
                name: "mallory".into(),
                credential_ttl_seconds: 0,
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");

        assert_unchanged(&world, &before, "ids that exist nowhere").await;
        assert_eq!(subjects(&world.server).await, subjects_before);
    }

    async fn another_tenants_ids_are_not_found_or_refused_and_change_nothing(backend: Backend) {
        let world = World::build(backend).await;
        let (acme, globex) = (&world.acme, &world.globex);
        let before = stored(&world).await;
        let intruder = world.server.as_actor(&globex.customer).await;

        // CorrectContact by a customer of another tenant.
        let r = intruder
            .contacts()
            .correct_contact(CorrectContactRequest {
                case_id: acme.case.clone(),
                name: Some("Mallory".into()),
                email: Some("mallory@globex.example".into()),
                ..Default::default()
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let entry = last_by(&world, &globex.customer, "contact.correct").await;
        assert_eq!(
            (
                entry.decision,
                entry.reason.as_str(),
                entry.tenant_id.as_str()
            ),
            (Decision::Denied as i32, "NOT_FOUND", globex.id.as_str()),
            "{entry:?}"
        );

        let r = intruder
            .contacts()
            .set_communications_opt_out(SetCommunicationsOptOutRequest {
                case_id: acme.case.clone(),
                opt_out: true,
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");
        let entry = last_by(&world, &globex.customer, "contact.opt_out").await;
        assert_eq!(
            (entry.decision, entry.reason.as_str()),
            (Decision::Denied as i32, "NOT_FOUND")
        );

        let r = intruder
            .cases()
            .close_case(CloseCaseRequest {
                case_id: acme.case.clone(),
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");

        let r = world
            .server
            .as_actor(&globex.engineer)
            .await
            .contacts()
            .get_contact(GetContactRequest {
                case_id: acme.case.clone(),
                purpose: Purpose::ProvideSupport.into(),
            })
            .await;
        assert_status(r, Code::NotFound, "NOT_FOUND");

        // An operator cannot put another tenant's engineer on the case.
        let r = world
            .server
            .admin()
            .await
            .cases()
            .assign_engineer(AssignEngineerRequest {
                case_id: acme.case.clone(),
                engineer_id: globex.engineer.subject_id.clone(),
            })
            .await;
        assert_status(r, Code::FailedPrecondition, "NOT_AN_ENGINEER_OF_TENANT");

        // A tenant reviewer cannot name another tenant.
        let r = world
            .server
            .as_actor(&globex.reviewer)
            .await
            .log()
            .list_entries(ListEntriesRequest {
                tenant_id: acme.id.clone(),
                ..Default::default()
            })
            .await;
        assert_status(r, Code::PermissionDenied, "OTHER_TENANT");

        assert_unchanged(&world, &before, "another tenant's ids").await;
        assert!(!before.contact.communications_opt_out);
    }
}

backend_tests! {
    async fn closing_another_tenants_case_is_logged_as_a_denial_not_as_allowed(backend: Backend) {
        closing_another_tenants_case_is_logged_as_a_denial_body(backend).await
    }
}

async fn closing_another_tenants_case_is_logged_as_a_denial_body(backend: Backend) {
    let world = World::build(backend).await;
    let (acme, globex) = (&world.acme, &world.globex);
    let before = stored(&world).await;

    let intruder = world.server.as_actor(&globex.customer).await;
    let r = intruder
        .cases()
        .close_case(CloseCaseRequest {
            case_id: acme.case.clone(),
        })
        .await;
    assert_status(r, Code::NotFound, "NOT_FOUND");
    assert_unchanged(&world, &before, "closing another tenant's case").await;

    // The attempt is a refused access decision, and the log must say so: a reviewer
    // must not read "case.close allowed" for a close that was refused.
    let entries = entries_by(&world, &globex.customer, "case.close").await;
    let claimed: Vec<_> = entries
        .iter()
        .filter(|e| e.decision == Decision::Allowed as i32)
        .collect();
    assert!(
        claimed.is_empty(),
        "the refused close is logged as allowed: {claimed:?}"
    );
    assert!(
        entries.iter().any(|e| e.decision == Decision::Denied as i32
            && e.reason == "NOT_FOUND"
            && e.resource_id == acme.case),
        "the refused close is not logged as a denial naming the case: {entries:?}"
    );
}
