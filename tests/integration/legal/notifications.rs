//! What a tenant's customers are told of a request, in order, and only theirs; how they
//! acknowledge it; and the outbox a mail or webhook sender drains, at least once, with
//! the designated legal contact as the recipient.

use supportgate::proto::{DrainOutboxRequest, NotificationKind, OutboxMessage};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::*;
use crate::harness::assert_status;

/// One DrainOutbox call by the admin.
async fn drain(legal: &Legal, delivered: Vec<String>) -> Vec<OutboxMessage> {
    let request = DrainOutboxRequest {
        delivered_ids: delivered,
        max_messages: 1000,
    };
    legal
        .world
        .server
        .admin()
        .await
        .legal()
        .drain_outbox(request)
        .await
        .expect("the admin drains the outbox")
        .into_inner()
        .messages
}

backend_tests! {
    async fn the_customer_is_told_of_receipt_notice_and_completion_in_order(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let customer = legal.as_actor(&acme.customer).await;
        let counsel = legal.as_actor(&world.counsel).await;
        let submitted = legal.submit(&acme.id).await;
        let id = submitted.request_id.as_str();
        let compelled = legal.compel(id, case_scope(&acme.case)).await;
        legal.approve(&compelled).await;
        world.server.clock.advance(chrono::Duration::seconds(1));
        let sent = notice(id, None);
        let noticed = record_customer_notice(&counsel, sent.clone()).await.expect("counsel records the notice");
        let given = noticed.customer_notice.expect("the notice");
        world.server.clock.advance(chrono::Duration::seconds(1));
        legal.produce(id).await;

        let told: Vec<_> = notifications(&customer, false)
            .await
            .expect("ListNotifications")
            .into_iter()
            .filter(|n| n.request_id == id)
            .collect();
        let mut in_time = told.clone();
        in_time.sort_by_key(|n| n.created_at.map(|t| (t.seconds, t.nanos)));
        let kinds: Vec<NotificationKind> = in_time.iter().map(|n| n.kind()).collect();
        assert_eq!(kinds, [NotificationKind::RequestReceived, NotificationKind::ProductionPlanned, NotificationKind::ProductionCompleted]);
        for note in &told {
            assert_eq!((note.tenant_id.as_str(), note.request_reference.as_str()), (acme.id.as_str(), submitted.reference.as_str()), "{note:?}");
            assert!(!note.agency.is_empty() && note.created_at.is_some(), "{note:?}");
        }
        let planned = told.iter().find(|n| n.kind() == NotificationKind::ProductionPlanned).unwrap();
        assert_eq!(planned.notification_id, given.notification_id, "the notice names its notification");
        assert_eq!(planned.message, sent.message, "the customer reads the notice text");

        // Globex's customer is told nothing of acme's requests.
        let stranger = legal.as_actor(&globex.customer).await;
        let theirs = notifications(&stranger, false).await.unwrap();
        assert!(theirs.is_empty(), "globex is told nothing: {theirs:?}");
        for note in &told {
            assert_status(acknowledge(&stranger, &note.notification_id).await, Code::NotFound, "NOT_FOUND");
        }
        assert_status(acknowledge(&customer, &uuid::Uuid::new_v4().to_string()).await, Code::NotFound, "NOT_FOUND");

        // Acknowledging one leaves the others unread.
        let acked = acknowledge(&customer, &planned.notification_id).await.expect("acknowledge");
        assert!(acked.acknowledged_at.is_some());
        assert_eq!(acked.acknowledged_by, acme.customer.subject_id);
        let unread: Vec<String> = notifications(&customer, true).await.unwrap().into_iter().map(|n| n.notification_id).collect();
        assert!(!unread.contains(&planned.notification_id));
        for note in told.iter().filter(|n| n.notification_id != planned.notification_id) {
            assert!(unread.contains(&note.notification_id), "{:?} is still unread", note.kind());
        }
    }

    async fn the_outbox_delivers_every_notification_at_least_once_to_the_designated_contact(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let contact = legal_contact("acme");
        set_legal_contact(world, &acme.id, contact.clone()).await;
        let about_acme = legal.submit(&acme.id).await;
        let about_globex = legal.submit(&globex.id).await;

        let batch = drain(&legal, vec![]).await;
        let for_acme: Vec<&OutboxMessage> = batch
            .iter()
            .filter(|m| m.notification.as_ref().is_some_and(|n| n.request_id == about_acme.request_id))
            .collect();
        assert_eq!(for_acme.len(), 1, "{batch:?}");
        let message = for_acme[0];
        let note = message.notification.as_ref().unwrap();
        assert_eq!((note.kind(), note.tenant_id.as_str()), (NotificationKind::RequestReceived, acme.id.as_str()));
        assert_eq!(message.recipient.as_ref(), Some(&contact), "delivered to the designated contact");
        assert!(message.enqueued_at.is_some());
        let for_globex: Vec<&OutboxMessage> = batch
            .iter()
            .filter(|m| {
                m.notification.as_ref().is_some_and(|n| {
                    n.request_id == about_globex.request_id
                        && n.tenant_id == globex.id
                        && n.kind() == NotificationKind::RequestReceived
                })
            })
            .collect();
        assert_eq!(for_globex.len(), 1, "{batch:?}");
        assert_eq!(for_globex[0].recipient, None, "globex has no designated contact");

        // Undelivered messages come again; delivered ones do not.
        let again = drain(&legal, vec![]).await;
        assert!(again.iter().any(|m| m.outbox_id == message.outbox_id), "not acknowledged, so delivered again");
        let after = drain(&legal, vec![message.outbox_id.clone()]).await;
        assert!(!after.iter().any(|m| m.outbox_id == message.outbox_id), "acknowledged: {after:?}");
        assert!(after.iter().any(|m| m.outbox_id == for_globex[0].outbox_id), "the other is still waiting");
        let rest: Vec<String> = after.iter().map(|m| m.outbox_id.clone()).collect();
        assert!(drain(&legal, rest).await.is_empty(), "everything delivered");

        // A new notification is a new message.
        let compelled = legal.compel(&about_acme.request_id, case_scope(&acme.case)).await;
        legal.approve(&compelled).await;
        legal.notify(&about_acme.request_id).await;
        let batch = drain(&legal, vec![]).await;
        let planned: Vec<&OutboxMessage> = batch
            .iter()
            .filter(|m| m.notification.as_ref().is_some_and(|n| n.request_id == about_acme.request_id))
            .collect();
        assert_eq!(planned.len(), 1, "{batch:?}");
        assert_eq!(planned[0].notification.as_ref().map(|n| n.kind()), Some(NotificationKind::ProductionPlanned));
        assert_eq!(planned[0].recipient.as_ref(), Some(&contact));
        assert_ne!(planned[0].outbox_id, message.outbox_id, "a new message");
    }
}
