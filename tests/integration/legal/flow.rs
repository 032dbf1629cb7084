//! One legal counsel alone cannot produce anything: the compulsion needs a second
//! counsel's approval, production needs that approval, a recorded customer notice and
//! the end of the notice period — each gate refused precisely, logged, and lifted only
//! by the step the rules require.

use supportgate::proto::{LegalRequestState, NotificationKind};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::*;
use crate::harness::assert_status;
use crate::recordings::tagged;

backend_tests! {
    async fn a_single_counsel_cannot_produce(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let counsel = legal.as_actor(&world.counsel).await;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();

        // Nothing compelled yet: nothing to produce.
        let (request, tag) = tagged(produce_message(id, COMPELLED));
        assert_status(produce(&counsel, request).await, Code::FailedPrecondition, "COMPULSION_NOT_APPROVED");
        assert_denied(world, PRODUCE, &tag, Some("COMPULSION_NOT_APPROVED")).await;

        // Recorded: pending a second counsel's approval.
        let compelled = legal.compel(id, case_scope(&acme.case)).await;
        assert_eq!(compelled.state(), LegalRequestState::CompulsionPendingApproval);
        let compulsion = compelled.compulsion.clone().expect("the compulsion is recorded");
        assert!(!compulsion.compulsion_id.is_empty());
        assert_eq!(compulsion.recorded_by, world.counsel.subject_id);
        assert_eq!(compulsion.recipient_public_key, legal.recipient());
        assert!(compulsion.approved_by.is_empty() && compulsion.approved_at.is_none(), "{compulsion:?}");

        // The same counsel cannot approve it.
        let (request, tag) = tagged(approval(&compelled));
        let refused = approve_compulsion(&counsel, request).await;
        assert_status(refused, Code::PermissionDenied, "SECOND_COUNSEL_REQUIRED");
        assert_denied(world, APPROVE, &tag, Some("SECOND_COUNSEL_REQUIRED")).await;
        assert_eq!(legal.request(id).await.state(), LegalRequestState::CompulsionPendingApproval);

        // Not approved: no production.
        let (request, tag) = tagged(produce_message(id, COMPELLED));
        assert_status(produce(&counsel, request).await, Code::FailedPrecondition, "COMPULSION_NOT_APPROVED");
        assert_denied(world, PRODUCE, &tag, Some("COMPULSION_NOT_APPROVED")).await;

        // The second counsel approves.
        let approved = legal.approve(&compelled).await;
        assert_eq!(approved.state(), LegalRequestState::CompulsionApproved);
        let approval = approved.compulsion.clone().expect("still the compulsion");
        assert_eq!(approval.compulsion_id, compulsion.compulsion_id);
        assert_eq!((approval.recorded_by.as_str(), approval.approved_by.as_str()), (world.counsel.subject_id.as_str(), legal.counsel2.subject_id.as_str()));
        assert!(approval.approved_at.is_some());

        // Approved, but the customer was not told.
        let (request, tag) = tagged(produce_message(id, COMPELLED));
        assert_status(produce(&counsel, request).await, Code::FailedPrecondition, "CUSTOMER_NOTICE_REQUIRED");
        assert_denied(world, PRODUCE, &tag, Some("CUSTOMER_NOTICE_REQUIRED")).await;

        // Told, with production two hours away: the notice period runs.
        let not_before = legal.at(2 * 3600);
        let noticed = record_customer_notice(&counsel, notice(id, Some(not_before)))
            .await
            .expect("counsel records the notice");
        assert_eq!(noticed.state(), LegalRequestState::CompulsionApproved);
        let given = noticed.customer_notice.clone().expect("the notice is recorded");
        assert_eq!(given.production_not_before, Some(not_before));
        assert_eq!(given.recorded_by, world.counsel.subject_id);
        assert!(!given.notification_id.is_empty());
        let customer = legal.as_actor(&acme.customer).await;
        assert_eq!(
            notified(&customer, id).await,
            [NotificationKind::RequestReceived, NotificationKind::ProductionPlanned]
        );
        let (request, tag) = tagged(produce_message(id, COMPELLED));
        assert_status(produce(&counsel, request).await, Code::FailedPrecondition, "NOTICE_PERIOD_RUNNING");
        assert_denied(world, PRODUCE, &tag, Some("NOTICE_PERIOD_RUNNING")).await;
        world.server.clock.advance(chrono::Duration::seconds(2 * 3600 - 1));
        let (request, tag) = tagged(produce_message(id, COMPELLED));
        assert_status(produce(&counsel, request).await, Code::FailedPrecondition, "NOTICE_PERIOD_RUNNING");
        assert_denied(world, PRODUCE, &tag, Some("NOTICE_PERIOD_RUNNING")).await;
        assert_nothing_produced(&legal, Some(id)).await;

        // Once the period is over, the counsel produces.
        world.server.clock.advance(chrono::Duration::seconds(1));
        let production = legal.produce(id).await;
        assert_eq!(production.manifest.request_id, id);
        assert_eq!(production.manifest.compulsion_id, compulsion.compulsion_id);
        assert_eq!((production.manifest.item_count, production.summary.items_produced), (1, 1));
        let case = production.of_kind(supportgate::proto::LegalItemKind::Case);
        assert_item_holds(&legal.identity, case, None);
        let done = legal.request(id).await;
        assert_eq!(done.state(), LegalRequestState::Produced);
        assert!(done.produced_at.is_some());
    }

    async fn a_second_counsel_alone_cannot_produce_what_nobody_approved_either(backend: Backend) {
        // The counsel who approves cannot approve their own recording either: roles
        // do not matter, people do.
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let submitted = legal.submit(&world.acme.id).await;
        let second = legal.as_actor(&legal.counsel2).await;
        let message = compulsion(&submitted.request_id, case_scope(&world.acme.case), &legal.recipient());
        let compelled = record_compulsion(&second, message).await.expect("the second counsel records one");
        assert_eq!(compelled.compulsion.as_ref().unwrap().recorded_by, legal.counsel2.subject_id);
        let (request, tag) = tagged(approval(&compelled));
        assert_status(approve_compulsion(&second, request).await, Code::PermissionDenied, "SECOND_COUNSEL_REQUIRED");
        assert_denied(world, APPROVE, &tag, Some("SECOND_COUNSEL_REQUIRED")).await;
        // The other counsel may.
        let counsel = legal.as_actor(&world.counsel).await;
        let approved = approve_compulsion(&counsel, approval(&compelled)).await.expect("the first counsel approves");
        assert_eq!(approved.compulsion.as_ref().unwrap().approved_by, world.counsel.subject_id);
        assert_eq!(approved.state(), LegalRequestState::CompulsionApproved);
    }
}
