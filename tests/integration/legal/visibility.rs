//! Who sees which request: a non-disclosure obligation hides the request (and its
//! production) from the customer and the customer's reviewer while it is in force;
//! law enforcement sees only what it submitted; a tenant never sees another's; roles
//! outside the rules table are refused; the customer's reviewer cannot learn of a
//! compulsion from the log.

use supportgate::proto::{
    Decision, LegalItemKind, LegalRequestState, ListEntriesRequest, NotificationKind, Role,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::*;
use crate::harness::{assert_status, Clients};
use crate::recordings::tagged;

/// Asserts `clients`' actor neither lists nor reads `request`.
async fn assert_hidden(who: &str, clients: &Clients, request: &str) {
    let listed = listed_ids(clients).await;
    assert!(
        !listed.iter().any(|id| id == request),
        "{who} lists {request}: {listed:?}"
    );
    let read = get_request(clients, request).await;
    assert_eq!(
        (
            read.as_ref().err().map(tonic::Status::code),
            read.as_ref().err().and_then(crate::harness::reason)
        ),
        (Some(Code::NotFound), Some("NOT_FOUND".to_owned())),
        "{who} reads {request}: {read:?}"
    );
}

backend_tests! {
    async fn a_non_disclosure_obligation_hides_the_request_and_its_production_from_the_customer(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel = legal.as_actor(&world.counsel).await;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();
        let customer = legal.as_actor(&acme.customer).await;
        let tenant_reviewer = legal.as_actor(&acme.reviewer).await;
        assert!(listed_ids(&customer).await.contains(&submitted.request_id), "before the obligation the customer sees it");

        let compelled = legal.compel(id, case_scope(&acme.case)).await;
        let obliged = record_non_disclosure(&counsel, non_disclosure(id, None)).await.expect("counsel records the obligation");
        let recorded = obliged.non_disclosure.clone().expect("the obligation is on the request");
        assert_eq!(recorded.recorded_by, world.counsel.subject_id);
        assert!(recorded.expires_at.is_none());
        assert_eq!(obliged.state(), LegalRequestState::CompulsionPendingApproval);
        let approved = legal.approve(&compelled).await;
        assert_eq!(approved.state(), LegalRequestState::CompulsionApproved);
        assert!(approved.non_disclosure.is_some());

        // The customer may not be told.
        let (request, tag) = tagged(notice(id, None));
        assert_status(record_customer_notice(&counsel, request).await, Code::FailedPrecondition, "NON_DISCLOSURE_IN_FORCE");
        assert_denied(world, NOTICE, &tag, Some("NON_DISCLOSURE_IN_FORCE")).await;
        assert!(legal.request(id).await.customer_notice.is_none());

        // Production goes ahead without a notice.
        let production = legal.produce(id).await;
        assert_eq!(production.summary.items_produced, 1);
        assert_item_holds(&legal.identity, production.of_kind(LegalItemKind::Case), None);
        assert_eq!(legal.request(id).await.state(), LegalRequestState::Produced);

        // Hidden from the customer and the customer's reviewer...
        assert_hidden("acme's customer", &customer, id).await;
        assert_hidden("acme's reviewer", &tenant_reviewer, id).await;
        let told = notified(&customer, id).await;
        assert!(!told.contains(&NotificationKind::ProductionCompleted), "no completion notice: {told:?}");
        assert!(!told.contains(&NotificationKind::ProductionPlanned), "no advance notice: {told:?}");

        // ...but not from the provider's reviewer and counsel, who see the obligation.
        for (who, actor) in [("the provider's reviewer", &world.reviewer), ("counsel", &world.counsel), ("the second counsel", &legal.counsel2)] {
            let clients = legal.as_actor(actor).await;
            let listed = list_requests(&clients).await.expect("ListRequests");
            let seen = listed.iter().find(|r| r.request_id == id).unwrap_or_else(|| panic!("{who} lists it"));
            assert!(seen.non_disclosure.is_some(), "{who} sees the obligation: {seen:?}");
            let read = get_request(&clients, id).await.unwrap_or_else(|e| panic!("{who} reads it: {e:?}"));
            assert_eq!(read.non_disclosure.as_ref().map(|n| n.order_reference.as_str()), Some(recorded.order_reference.as_str()));
            assert_eq!(read.state(), LegalRequestState::Produced);
        }
    }

    async fn a_lapsed_non_disclosure_obligation_no_longer_hides_the_request(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel = legal.as_actor(&world.counsel).await;
        let customer = legal.as_actor(&acme.customer).await;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();
        let compelled = legal.compel(id, case_scope(&acme.case)).await;
        let expires = legal.at(3600);
        record_non_disclosure(&counsel, non_disclosure(id, Some(expires))).await.expect("an obligation for an hour");
        legal.approve(&compelled).await;
        assert_hidden("acme's customer while the obligation is in force", &customer, id).await;

        world.server.clock.advance(chrono::Duration::seconds(3601));
        assert!(listed_ids(&customer).await.contains(&submitted.request_id), "the obligation lapsed");
        let read = get_request(&customer, id).await.expect("the customer reads it once the obligation lapsed");
        assert_eq!(read.state(), LegalRequestState::CompulsionApproved);
        // Lapsed, it no longer stands in the way of the notice.
        record_customer_notice(&counsel, notice(id, None)).await.expect("the customer may now be told");
        assert!(notified(&customer, id).await.contains(&NotificationKind::ProductionPlanned));
    }

    async fn a_production_under_a_lapsed_obligation_is_told_to_the_customer_once(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel = legal.as_actor(&world.counsel).await;
        let customer = legal.as_actor(&acme.customer).await;
        let admin = legal.as_actor(&world.admin).await;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();
        let compelled = legal.compel(id, case_scope(&acme.case)).await;
        let expires = legal.at(3600);
        record_non_disclosure(&counsel, non_disclosure(id, Some(expires))).await.expect("an obligation for an hour");
        legal.approve(&compelled).await;
        assert_eq!(legal.produce(id).await.summary.items_produced, 1);
        let retention = || {
            let mut admin = admin.admin();
            async move {
                admin
                    .run_retention(supportgate::proto::RunRetentionRequest { tenant_id: String::new(), dry_run: false, as_of: None })
                    .await
                    .expect("RunRetention")
            }
        };

        // While the obligation binds, retention tells nobody.
        retention().await;
        assert!(!notified(&customer, id).await.contains(&NotificationKind::ProductionCompleted));

        // Once it lapsed, the next run tells the customer, once.
        world.server.clock.advance(chrono::Duration::seconds(3601));
        retention().await;
        retention().await;
        let told = notified(&customer, id).await;
        let completed = told.iter().filter(|k| **k == NotificationKind::ProductionCompleted).count();
        assert_eq!(completed, 1, "one completion notice after the obligation lapsed: {told:?}");
        assert_eq!(entries(world, "legal.notice.lapsed").await.len(), 1);
    }

    async fn law_enforcement_sees_only_its_own_requests_and_tenants_only_theirs(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let other_agency = world.server.create_subject(None, Role::LawEnforcement, "other-agency").await;
        let about_acme = legal.submit(&acme.id).await.request_id;
        world.server.clock.advance(chrono::Duration::seconds(1));
        let about_globex = legal.submit(&globex.id).await.request_id;
        world.server.clock.advance(chrono::Duration::seconds(1));
        // A request received by letter, recorded by counsel.
        let counsel = legal.as_actor(&world.counsel).await;
        let by_letter = submit_request(&counsel, submit_message(&acme.id)).await.expect("counsel records a letter").request_id;
        assert_eq!(legal.request(&by_letter).await.submitted_by, world.counsel.subject_id);

        // The agency: its own two, newest first; not counsel's.
        let agency = legal.as_actor(&world.agency).await;
        assert_eq!(listed_ids(&agency).await, vec![about_globex.clone(), about_acme.clone()]);
        assert_hidden("the agency", &agency, &by_letter).await;
        // Another agency: none of them.
        let other = legal.as_actor(&other_agency).await;
        assert!(listed_ids(&other).await.is_empty(), "another agency sees nothing");
        for request in [&about_acme, &about_globex, &by_letter] {
            assert_hidden("another agency", &other, request).await;
        }

        // Each tenant's customers and reviewer: their tenant's requests only.
        let everything = vec![by_letter.clone(), about_globex.clone(), about_acme.clone()];
        for (who, actor, theirs, not_theirs) in [
            ("acme's customer", &acme.customer, vec![by_letter.clone(), about_acme.clone()], &about_globex),
            ("acme's reviewer", &acme.reviewer, vec![by_letter.clone(), about_acme.clone()], &about_globex),
            ("globex's customer", &globex.customer, vec![about_globex.clone()], &about_acme),
            ("globex's reviewer", &globex.reviewer, vec![about_globex.clone()], &about_acme),
        ] {
            let clients = legal.as_actor(actor).await;
            assert_eq!(listed_ids(&clients).await, theirs, "{who}");
            assert_hidden(who, &clients, not_theirs).await;
        }
        let globex_customer = legal.as_actor(&globex.customer).await;
        assert_hidden("globex's customer", &globex_customer, &by_letter).await;
        let told = notifications(&globex_customer, false).await.unwrap();
        assert!(told.iter().all(|n| n.request_id == about_globex && n.tenant_id == globex.id), "globex is told of globex only: {told:?}");

        // Counsel and the provider's reviewer: everything, newest first.
        for actor in [&world.counsel, &world.reviewer] {
            assert_eq!(listed_ids(&legal.as_actor(actor).await).await, everything, "{}", actor.name);
        }
        let filtered = list_requests_with(&counsel, supportgate::proto::ListRequestsRequest { tenant_id: globex.id.clone(), ..Default::default() })
            .await
            .unwrap();
        assert_eq!(filtered.iter().map(|r| r.request_id.clone()).collect::<Vec<_>>(), vec![about_globex.clone()]);
    }

    async fn roles_outside_the_rules_are_refused(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let ready = legal.ready(&acme.id, case_scope(&acme.case)).await;
        let id = ready.request_id.as_str();

        let engineer = legal.as_actor(&acme.engineer).await;
        let (request, tag) = tagged(produce_message(id, COMPELLED));
        assert_status(produce(&engineer, request).await, Code::PermissionDenied, "ROLE_DENIED");
        assert_denied(world, PRODUCE, &tag, Some("ROLE_DENIED")).await;
        let (request, tag) = tagged(supportgate::proto::ListRequestsRequest::default());
        let listed = engineer.legal().list_requests(request).await;
        assert_status(listed, Code::PermissionDenied, "ROLE_DENIED");
        assert_denied(world, "legal.request.list", &tag, Some("ROLE_DENIED")).await;

        // Every step outside the roles the table names for it.
        for (who, actor) in [
            ("the customer", &acme.customer),
            ("the engineer", &acme.engineer),
            ("sales", &acme.sales),
            ("the tenant's reviewer", &acme.reviewer),
            ("the provider's reviewer", &world.reviewer),
            ("the agency", &world.agency),
            ("the admin", &world.admin),
        ] {
            let clients = legal.as_actor(actor).await;
            let (request, tag) = tagged(compulsion(id, case_scope(&acme.case), &legal.recipient()));
            assert_status(record_compulsion(&clients, request).await, Code::PermissionDenied, "ROLE_DENIED");
            assert_denied(world, COMPEL, &tag, Some("ROLE_DENIED")).await;
            let (request, tag) = tagged(approval(&ready));
            assert_status(approve_compulsion(&clients, request).await, Code::PermissionDenied, "ROLE_DENIED");
            assert_denied(world, APPROVE, &tag, Some("ROLE_DENIED")).await;
            let (request, tag) = tagged(notice(id, None));
            assert_status(record_customer_notice(&clients, request).await, Code::PermissionDenied, "ROLE_DENIED");
            assert_denied(world, NOTICE, &tag, Some("ROLE_DENIED")).await;
            let (request, tag) = tagged(produce_message(id, COMPELLED));
            let refused = produce(&clients, request).await;
            assert_eq!(
                (refused.as_ref().err().map(tonic::Status::code), refused.as_ref().err().and_then(crate::harness::reason)),
                (Some(Code::PermissionDenied), Some("ROLE_DENIED".to_owned())),
                "{who} produces: {refused:?}"
            );
            assert_denied(world, PRODUCE, &tag, Some("ROLE_DENIED")).await;
        }
        for (who, actor) in [("the engineer", &acme.engineer), ("sales", &acme.sales), ("the customer", &acme.customer), ("the admin", &world.admin)] {
            let clients = legal.as_actor(actor).await;
            let refused = submit_request(&clients, submit_message(&acme.id)).await;
            assert_eq!(refused.as_ref().err().map(tonic::Status::code), Some(Code::PermissionDenied), "{who} submits: {refused:?}");
        }
        for (who, actor) in [("the agency", &world.agency), ("counsel", &world.counsel), ("the engineer", &acme.engineer)] {
            let clients = legal.as_actor(actor).await;
            let refused = notifications(&clients, false).await;
            assert_eq!(refused.as_ref().err().map(tonic::Status::code), Some(Code::PermissionDenied), "{who} lists notifications: {refused:?}");
        }
        for (who, actor) in [("sales", &acme.sales), ("the admin", &world.admin), ("the engineer", &acme.engineer)] {
            let clients = legal.as_actor(actor).await;
            let refused = get_request(&clients, id).await;
            assert_eq!(refused.as_ref().err().map(tonic::Status::code), Some(Code::PermissionDenied), "{who} reads a request: {refused:?}");
        }
        assert_nothing_produced(&legal, Some(id)).await;
    }

    async fn a_customers_reviewer_cannot_learn_of_a_compulsion_from_the_log(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let ready = legal.ready(&acme.id, case_scope(&acme.case)).await;
        legal.produce(&ready.request_id).await;

        // The provider's reviewer sees every step, as provider entries naming the case.
        for action in [COMPEL, APPROVE, NOTICE, PRODUCE, PRODUCE_ITEM] {
            let logged = entries(world, action).await;
            assert!(!logged.is_empty(), "{action} is logged");
            for entry in &logged {
                assert_eq!(entry.tenant_id, "", "{action} is a provider entry: {entry:?}");
                assert_eq!(entry.decision(), Decision::Allowed, "{entry:?}");
            }
        }
        let items = entries(world, PRODUCE_ITEM).await;
        assert!(items.iter().all(|e| e.case_id == acme.case), "{items:?}");

        // Acme's reviewer sees the submission (the customer is told of it anyway), and
        // no later step.
        let reviewer = legal.as_actor(&acme.reviewer).await;
        let seen = reviewer.log_entries(ListEntriesRequest::default()).await;
        assert!(seen.iter().any(|e| e.action == SUBMIT), "the submission is the tenant's");
        let leaked: Vec<_> = seen
            .iter()
            .filter(|e| e.action.starts_with("legal.") && e.action != SUBMIT)
            .collect();
        assert!(leaked.is_empty(), "acme's reviewer sees no later legal step: {leaked:?}");
        for action in [COMPEL, APPROVE, NOTICE, PRODUCE, PRODUCE_ITEM] {
            let filter = ListEntriesRequest { action: action.into(), ..Default::default() };
            assert!(reviewer.log_entries(filter).await.is_empty(), "acme's reviewer finds no {action}");
        }
        let filter = ListEntriesRequest { case_id: acme.case.clone(), ..Default::default() };
        let about_case = reviewer.log_entries(filter).await;
        assert!(about_case.iter().all(|e| !e.action.starts_with("legal.")), "{about_case:?}");
    }
}
