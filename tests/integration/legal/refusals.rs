//! Every refusal of docs/LEGAL.md: the status and `ErrorInfo` reason, a `denied` entry
//! of the step's action in the log (made under the refused call's request id), and
//! nothing produced.

use supportgate::proto::{
    legal_target::Target, LegalItemKind, LegalRequestState, LegalScope, LegalTarget, Purpose,
    SubmitRequestRequest,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::*;
use crate::harness::assert_status;
use crate::recordings::tagged;
use crate::transfers::{open_workspace, random, upload};

fn unknown() -> String {
    uuid::Uuid::new_v4().to_string()
}

backend_tests! {
    async fn scopes_outside_the_tenant_or_naming_nothing_that_exists_are_refused(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let counsel = legal.as_actor(&world.counsel).await;
        let globex_customer = legal.as_actor(&globex.customer).await;
        let globex_workspace = open_workspace(&world.server, &globex.engineer, &globex.case).await;
        let globex_file = upload(&globex_customer, &globex_workspace, "globex.log", &random(5_000)).await.file_id;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();

        let refusals: Vec<(&str, LegalScope, Code, &str)> = vec![
            ("globex's case", case_scope(&globex.case), Code::InvalidArgument, "SCOPE_OUTSIDE_TENANT"),
            ("globex's tenant", LegalScope { tenant_id: globex.id.clone(), ..case_scope(&acme.case) }, Code::InvalidArgument, "SCOPE_OUTSIDE_TENANT"),
            ("globex's tenant and case", LegalScope { tenant_id: globex.id.clone(), ..case_scope(&globex.case) }, Code::InvalidArgument, "SCOPE_OUTSIDE_TENANT"),
            ("globex's file in acme's case", scope(&acme.case, &[LegalItemKind::File], &[&globex_file]), Code::InvalidArgument, "SCOPE_OUTSIDE_TENANT"),
            ("a case that does not exist", case_scope(&unknown()), Code::NotFound, "SCOPE_ITEM_NOT_FOUND"),
            ("a file that does not exist", scope(&acme.case, &[LegalItemKind::File], &[&unknown()]), Code::NotFound, "SCOPE_ITEM_NOT_FOUND"),
            ("a recording that does not exist", scope(&acme.case, &[LegalItemKind::Recording], &[&unknown()]), Code::NotFound, "SCOPE_ITEM_NOT_FOUND"),
        ];
        let mut problems = Vec::new();
        for (what, scope, code, reason) in refusals {
            let (request, tag) = tagged(compulsion(id, scope, &legal.recipient()));
            let refused = record_compulsion(&counsel, request).await;
            problems.extend(status_problem(&refused, code, Some(reason)).map(|p| format!("{what}: {p}")));
            problems.extend(denial_problem(world, COMPEL, &tag, Some(reason)).await.map(|p| format!("{what}: {p}")));
            let stored = legal.request(id).await;
            assert_eq!(stored.state(), LegalRequestState::Redirected, "{what}: nothing recorded");
            assert!(stored.compulsion.is_none(), "{what}: nothing recorded: {stored:?}");
        }
        assert_nothing_produced(&legal, Some(id)).await;
        assert!(problems.is_empty(), "refusals that are not as docs/LEGAL.md says: {problems:#?}");
    }

    async fn compulsions_missing_a_field_or_with_a_bad_recipient_are_refused(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel = legal.as_actor(&world.counsel).await;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();
        let good = || compulsion(id, case_scope(&acme.case), &legal.recipient());

        let secret = {
            use age::secrecy::ExposeSecret;
            legal.identity.to_string().expose_secret().to_owned()
        };
        let refusals: Vec<(&str, supportgate::proto::RecordCompulsionRequest, Code, &str)> = vec![
            ("no order reference", supportgate::proto::RecordCompulsionRequest { order_reference: String::new(), ..good() }, Code::InvalidArgument, "FIELD_REQUIRED"),
            ("no authority", supportgate::proto::RecordCompulsionRequest { issuing_authority: String::new(), ..good() }, Code::InvalidArgument, "FIELD_REQUIRED"),
            ("no scope", supportgate::proto::RecordCompulsionRequest { scope: None, ..good() }, Code::InvalidArgument, "FIELD_REQUIRED"),
            ("no kind", supportgate::proto::RecordCompulsionRequest { scope: Some(scope(&acme.case, &[], &[])), ..good() }, Code::InvalidArgument, "FIELD_REQUIRED"),
            ("no recipient", supportgate::proto::RecordCompulsionRequest { recipient_public_key: String::new(), ..good() }, Code::InvalidArgument, "FIELD_REQUIRED"),
            ("not a key", supportgate::proto::RecordCompulsionRequest { recipient_public_key: "age1notakey".into(), ..good() }, Code::InvalidArgument, "RECIPIENT_KEY_INVALID"),
            ("the private key", supportgate::proto::RecordCompulsionRequest { recipient_public_key: secret, ..good() }, Code::InvalidArgument, "RECIPIENT_KEY_INVALID"),
            ("an SSH key", supportgate::proto::RecordCompulsionRequest { recipient_public_key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHf3Zc0t5BJ0jUH0bVx7yF1T0bUeS7Gfd5r2PqXb4w9Z agency".into(), ..good() }, Code::InvalidArgument, "RECIPIENT_KEY_INVALID"),
            ("a truncated key", supportgate::proto::RecordCompulsionRequest { recipient_public_key: legal.recipient()[..40].to_owned(), ..good() }, Code::InvalidArgument, "RECIPIENT_KEY_INVALID"),
            ("an unknown request", supportgate::proto::RecordCompulsionRequest { request_id: unknown(), ..good() }, Code::NotFound, "NOT_FOUND"),
        ];
        let mut problems = Vec::new();
        for (what, message, code, reason) in refusals {
            let (request, tag) = tagged(message);
            let refused = record_compulsion(&counsel, request).await;
            problems.extend(status_problem(&refused, code, Some(reason)).map(|p| format!("{what}: {p}")));
            problems.extend(denial_problem(world, COMPEL, &tag, Some(reason)).await.map(|p| format!("{what}: {p}")));
            assert!(legal.request(id).await.compulsion.is_none(), "{what}: nothing recorded");
        }

        // A compulsion on a request whose tenant could not be identified.
        let agency = legal.as_actor(&world.agency).await;
        let nameless = SubmitRequestRequest {
            target: Some(LegalTarget { target: Some(Target::OrganisationName("Initech".into())) }),
            ..submit_message("")
        };
        let answer = submit_request(&agency, nameless).await.expect("a request about an unknown organisation is redirected");
        let redirect = answer.redirect.expect("a redirect");
        assert_eq!(redirect.designated_contact, None);
        assert!(!redirect.message.trim().is_empty());
        assert_eq!(legal.request(&answer.request_id).await.tenant_id, "");
        let (request, tag) = tagged(compulsion(&answer.request_id, case_scope(&acme.case), &legal.recipient()));
        assert_status(record_compulsion(&counsel, request).await, Code::FailedPrecondition, "REQUEST_HAS_NO_TENANT");
        assert_denied(world, COMPEL, &tag, Some("REQUEST_HAS_NO_TENANT")).await;
        assert_nothing_produced(&legal, Some(id)).await;
        assert!(problems.is_empty(), "refusals that are not as docs/LEGAL.md says: {problems:#?}");
    }

    async fn approvals_of_nothing_pending_or_of_a_replaced_compulsion_are_refused(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel2 = legal.as_actor(&legal.counsel2).await;
        let third = world.server.create_subject(None, supportgate::proto::Role::LegalCounsel, "lou").await;
        let third = legal.as_actor(&third).await;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();

        // Nothing recorded: nothing to approve.
        let (request, tag) = tagged(supportgate::proto::ApproveCompulsionRequest { request_id: id.into(), compulsion_id: unknown() });
        assert_status(approve_compulsion(&counsel2, request).await, Code::FailedPrecondition, "NO_PENDING_COMPULSION");
        assert_denied(world, APPROVE, &tag, Some("NO_PENDING_COMPULSION")).await;

        // A compulsion replaced after the approver read it is not approved.
        let first = legal.compel(id, case_scope(&acme.case)).await;
        let second = legal.compel(id, scope(&acme.case, &[LegalItemKind::Contact], &[])).await;
        let (first_id, second_id) = (&first.compulsion.as_ref().unwrap().compulsion_id, &second.compulsion.as_ref().unwrap().compulsion_id);
        assert_ne!(first_id, second_id, "a new compulsion has a new id");
        assert_eq!(second.state(), LegalRequestState::CompulsionPendingApproval);
        let (request, tag) = tagged(approval(&first));
        assert_status(approve_compulsion(&counsel2, request).await, Code::FailedPrecondition, "COMPULSION_CHANGED");
        assert_denied(world, APPROVE, &tag, Some("COMPULSION_CHANGED")).await;
        let stored = legal.request(id).await;
        assert_eq!(stored.state(), LegalRequestState::CompulsionPendingApproval);
        assert_eq!(&stored.compulsion.as_ref().unwrap().compulsion_id, second_id, "the pending one is the replacement");
        assert!(stored.compulsion.as_ref().unwrap().approved_by.is_empty());

        // The pending one is approved; a replayed approval finds nothing pending.
        let approved = approve_compulsion(&counsel2, approval(&second)).await.expect("the current compulsion is approved");
        assert_eq!(approved.state(), LegalRequestState::CompulsionApproved);
        assert_eq!(approved.compulsion.as_ref().map(|c| c.scope.clone()), Some(second.compulsion.as_ref().unwrap().scope.clone()));
        for (who, clients) in [("the same approver", &counsel2), ("a third counsel", &third)] {
            let (request, tag) = tagged(approval(&second));
            assert_status(approve_compulsion(clients, request).await, Code::FailedPrecondition, "NO_PENDING_COMPULSION");
            assert_denied(world, APPROVE, &tag, Some("NO_PENDING_COMPULSION")).await;
            let stored = legal.request(id).await;
            assert_eq!(stored.compulsion.unwrap().approved_by, legal.counsel2.subject_id, "{who} changed nothing");
        }
        let (request, tag) = tagged(approval(&first));
        assert_status(approve_compulsion(&third, request).await, Code::FailedPrecondition, "NO_PENDING_COMPULSION");
        assert_denied(world, APPROVE, &tag, Some("NO_PENDING_COMPULSION")).await;

        // Unknown requests are not found.
        let (request, tag) = tagged(supportgate::proto::ApproveCompulsionRequest { request_id: unknown(), compulsion_id: second_id.clone() });
        assert_status(approve_compulsion(&counsel2, request).await, Code::NotFound, "NOT_FOUND");
        assert_denied(world, APPROVE, &tag, Some("NOT_FOUND")).await;
        assert_nothing_produced(&legal, Some(id)).await;
    }

    async fn non_disclosure_after_approval_and_notices_without_text_are_refused(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel = legal.as_actor(&world.counsel).await;
        let approved = legal.approved(&acme.id, case_scope(&acme.case)).await;
        let id = approved.request_id.as_str();

        let (request, tag) = tagged(non_disclosure(id, None));
        assert_status(record_non_disclosure(&counsel, request).await, Code::FailedPrecondition, "REQUEST_STATE");
        assert_denied(world, NON_DISCLOSURE, &tag, Some("REQUEST_STATE")).await;
        assert!(legal.request(id).await.non_disclosure.is_none(), "no obligation was recorded");

        let (request, tag) = tagged(supportgate::proto::RecordCustomerNoticeRequest { message: String::new(), ..notice(id, None) });
        assert_status(record_customer_notice(&counsel, request).await, Code::InvalidArgument, "FIELD_REQUIRED");
        assert_denied(world, NOTICE, &tag, Some("FIELD_REQUIRED")).await;
        assert!(legal.request(id).await.customer_notice.is_none(), "no notice was recorded");

        // An obligation must name its order.
        let fresh = legal.submit(&acme.id).await;
        legal.compel(&fresh.request_id, case_scope(&acme.case)).await;
        let (request, tag) = tagged(supportgate::proto::RecordNonDisclosureRequest { order_reference: String::new(), ..non_disclosure(&fresh.request_id, None) });
        assert_status(record_non_disclosure(&counsel, request).await, Code::InvalidArgument, "FIELD_REQUIRED");
        assert_denied(world, NON_DISCLOSURE, &tag, Some("FIELD_REQUIRED")).await;
        assert_nothing_produced(&legal, Some(id)).await;
    }

    async fn productions_for_any_purpose_but_legal_compelled_are_refused(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel = legal.as_actor(&world.counsel).await;
        // Ready in every other respect.
        let ready = legal.ready(&acme.id, case_scope(&acme.case)).await;
        let id = ready.request_id.as_str();

        for purpose in [Purpose::ProvideSupport, Purpose::ImproveSupport, Purpose::Communications, Purpose::Marketing] {
            let (request, tag) = tagged(produce_message(id, purpose as i32));
            let refused = produce(&counsel, request).await;
            assert_eq!(
                (refused.as_ref().err().map(tonic::Status::code), refused.as_ref().err().and_then(crate::harness::reason)),
                (Some(Code::PermissionDenied), Some("LEGAL_COMPELLED_REQUIRED".to_owned())),
                "{purpose:?}: {refused:?}"
            );
            assert_denied(world, PRODUCE, &tag, Some("LEGAL_COMPELLED_REQUIRED")).await;
        }
        let (request, tag) = tagged(produce_message(id, Purpose::Unspecified as i32));
        assert_status(produce(&counsel, request).await, Code::InvalidArgument, "PURPOSE_REQUIRED");
        assert_denied(world, PRODUCE, &tag, Some("PURPOSE_REQUIRED")).await;
        let (request, tag) = tagged(produce_message(&unknown(), COMPELLED));
        assert_status(produce(&counsel, request).await, Code::NotFound, "NOT_FOUND");
        assert_denied(world, PRODUCE, &tag, Some("NOT_FOUND")).await;
        assert_nothing_produced(&legal, Some(id)).await;
        assert_eq!(legal.request(id).await.state(), LegalRequestState::CompulsionApproved);
        let customer = legal.as_actor(&acme.customer).await;
        assert!(!notified(&customer, id).await.contains(&supportgate::proto::NotificationKind::ProductionCompleted));

        // The refusals cost nothing: with the right purpose it goes ahead.
        let production = legal.produce(id).await;
        assert_eq!(production.summary.items_produced, 1);
    }

    async fn submissions_missing_a_field_or_with_hostile_text_are_refused(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let agency = legal.as_actor(&world.agency).await;
        let counsel = legal.as_actor(&world.counsel).await;
        let good = || submit_message(&world.acme.id);

        let required: Vec<(&str, SubmitRequestRequest)> = vec![
            ("no agency", SubmitRequestRequest { agency: String::new(), ..good() }),
            ("no legal basis", SubmitRequestRequest { legal_basis: String::new(), ..good() }),
            ("no target", SubmitRequestRequest { target: None, ..good() }),
            ("an empty target", SubmitRequestRequest { target: Some(LegalTarget { target: None }), ..good() }),
        ];
        let mut problems = Vec::new();
        for (what, message) in required {
            let (request, tag) = tagged(message);
            let refused = submit_request(&agency, request).await;
            problems.extend(status_problem(&refused, Code::InvalidArgument, Some("FIELD_REQUIRED")).map(|p| format!("{what}: {p}")));
            problems.extend(denial_problem(world, SUBMIT, &tag, Some("FIELD_REQUIRED")).await.map(|p| format!("{what}: {p}")));
        }

        let hostile: Vec<(&str, SubmitRequestRequest)> = vec![
            ("a blank agency", SubmitRequestRequest { agency: "   ".into(), ..good() }),
            ("a 10 kB agency", SubmitRequestRequest { agency: "A".repeat(10 * 1024), ..good() }),
            ("a terminal escape in the agency", SubmitRequestRequest { agency: "Police \u{1b}[2J\u{1b}]0;pwned\u{7}".into(), ..good() }),
            ("a NUL in the agency", SubmitRequestRequest { agency: "Police\0Dept".into(), ..good() }),
            ("a newline in the agency", SubmitRequestRequest { agency: "Police\nDept".into(), ..good() }),
            ("a right-to-left override in the agency", SubmitRequestRequest { agency: "Police\u{202E}tpeD".into(), ..good() }),
            ("a NUL in the legal basis", SubmitRequestRequest { legal_basis: "Warrant\0".into(), ..good() }),
            ("a terminal escape in the legal basis", SubmitRequestRequest { legal_basis: "Warrant \u{1b}[31m".into(), ..good() }),
            ("a bell in the agency reference", SubmitRequestRequest { agency_reference: "MPD\u{7}".into(), ..good() }),
            ("a terminal escape in the description", SubmitRequestRequest { description: "All files \u{1b}]0;pwned\u{7}".into(), ..good() }),
            ("a NUL in the organisation name", SubmitRequestRequest { target: Some(LegalTarget { target: Some(Target::OrganisationName("acme\0".into())) }), ..good() }),
        ];
        for (what, message) in hostile {
            let (request, tag) = tagged(message);
            let refused = submit_request(&agency, request).await;
            problems.extend(status_problem(&refused, Code::InvalidArgument, None).map(|p| format!("{what}: {p}")));
            problems.extend(denial_problem(world, SUBMIT, &tag, None).await.map(|p| format!("{what}: {p}")));
        }

        assert!(problems.is_empty(), "refusals that are not as docs/LEGAL.md says: {problems:#?}");

        // Nothing was stored, nobody was told, nothing was released.
        assert!(listed_ids(&counsel).await.is_empty(), "no request was stored");
        let customer = legal.as_actor(&world.acme.customer).await;
        assert!(notifications(&customer, false).await.unwrap().is_empty(), "the customer was told of nothing");
        assert!(entries(world, SUBMIT).await.iter().all(|e| e.decision() == supportgate::proto::Decision::Denied));
        assert_nothing_produced(&legal, None).await;
    }
}
