//! Law-enforcement requests (DESIGN section 7, docs/LEGAL.md) through the real
//! interface: gRPC over TLS against a real gateway, on both engines.
//!
//! * this file: a request is answered with a redirect to the tenant's designated legal
//!   contact, logged as redirected, releases nothing, and the customer is told;
//! * `flow`: one counsel alone cannot produce; approval, notice and the notice period
//!   each gate production;
//! * `production`: exactly the approved scope leaves, each item encrypted to the order's
//!   age recipient, byte-identical once decrypted, each logged;
//! * `visibility`: non-disclosure obligations, and who lists and reads which requests;
//! * `refusals`: every refusal of docs/LEGAL.md, each with its status and reason, each
//!   logged as denied, none releasing anything;
//! * `notifications`: what the customers are told, acknowledging it, and the outbox;
//! * `cli`: the same flow typed into a shell with the real `supportgate` binary;
//! * `support`: the messages of each step and one-line wrappers around each call.

use supportgate::proto::{
    legal_target::Target, Decision, LegalRequestState, LegalTarget, NotificationKind, Role,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use crate::harness::assert_status;

mod cli;
mod flow;
mod notifications;
mod production;
mod refusals;
mod support;
mod visibility;

pub use support::*;

backend_tests! {
    async fn a_request_is_redirected_to_the_designated_contact_and_releases_nothing(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let (acme, globex) = (&world.acme, &world.globex);
        let contact = legal_contact("acme");
        set_legal_contact(world, &acme.id, contact.clone()).await;
        let agency = legal.as_actor(&world.agency).await;
        let counsel = legal.as_actor(&world.counsel).await;

        // The answer is a redirect to acme's legal department, with a reference.
        let sent = submit_message(&acme.id);
        let answer = submit_request(&agency, sent.clone()).await.expect("law enforcement submits");
        assert!(uuid::Uuid::parse_str(&answer.request_id).is_ok(), "a request id: {}", answer.request_id);
        assert!(answer.reference.starts_with("LR-"), "{}", answer.reference);
        let redirect = answer.redirect.clone().expect("the answer is a redirect");
        assert_eq!(redirect.designated_contact.as_ref(), Some(&contact), "redirected to the designated contact");
        assert!(!redirect.message.trim().is_empty(), "the redirect explains itself");

        // Stored as submitted, redirected, with nothing compelled.
        let stored = get_request(&counsel, &answer.request_id).await.expect("counsel reads it");
        assert_eq!(stored.state(), LegalRequestState::Redirected);
        assert_eq!(
            (stored.reference.as_str(), stored.tenant_id.as_str(), stored.submitted_by.as_str()),
            (answer.reference.as_str(), acme.id.as_str(), world.agency.subject_id.as_str())
        );
        assert_eq!(
            (stored.agency.as_str(), stored.agency_reference.as_str(), stored.description.as_str(), stored.legal_basis.as_str()),
            (sent.agency.as_str(), sent.agency_reference.as_str(), sent.description.as_str(), sent.legal_basis.as_str())
        );
        assert_eq!(stored.redirect.as_ref().and_then(|r| r.designated_contact.as_ref()), Some(&contact));
        assert!(stored.compulsion.is_none() && stored.non_disclosure.is_none(), "{stored:?}");
        assert!(stored.customer_notice.is_none() && stored.produced_at.is_none(), "{stored:?}");
        let as_agency = get_request(&agency, &answer.request_id).await.expect("the agency reads its own request");
        assert_eq!(as_agency.state(), LegalRequestState::Redirected);

        // Logged as redirected, in the tenant's log, by the agency.
        let submits = entries(world, SUBMIT).await;
        assert_eq!(submits.len(), 1, "{submits:?}");
        let entry = &submits[0];
        assert_eq!(
            (entry.subject_id.as_str(), entry.role(), entry.tenant_id.as_str()),
            (world.agency.subject_id.as_str(), Role::LawEnforcement, acme.id.as_str())
        );
        assert_eq!((entry.decision(), entry.reason.as_str()), (Decision::Redirected, "REDIRECTED_TO_CUSTOMER"));

        // A tenant without a designated contact: still a redirect, with a message only.
        let bare = submit_request(&agency, submit_message(&globex.id)).await.expect("a request about globex");
        assert_ne!(bare.reference, answer.reference, "each request has its own reference");
        let redirect = bare.redirect.expect("the answer is a redirect");
        assert_eq!(redirect.designated_contact, None, "globex designated no contact");
        assert!(!redirect.message.trim().is_empty(), "the agency is told to address the customer");

        // Named by organisation: the same tenant, the same redirect.
        let by_name = supportgate::proto::SubmitRequestRequest {
            target: Some(LegalTarget { target: Some(Target::OrganisationName("acme".into())) }),
            ..submit_message("")
        };
        let named = submit_request(&agency, by_name).await.expect("a request naming acme by name");
        assert_eq!(named.redirect.and_then(|r| r.designated_contact), Some(contact.clone()));
        assert_eq!(get_request(&counsel, &named.request_id).await.unwrap().tenant_id, acme.id);

        // Nothing was released: no legal step went ahead, and no entry since the first
        // submission allowed any customer or contact data.
        assert_nothing_produced(&legal, Some(&answer.request_id)).await;
        assert_nothing_released_after(world, entry.sequence - 1).await;
        for action in [COMPEL, APPROVE, NOTICE, PRODUCE] {
            assert!(entries(world, action).await.is_empty(), "no {action} entry");
        }

        // Acme's customer was told, and acknowledges it; globex's customer cannot.
        let customer = legal.as_actor(&acme.customer).await;
        let told: Vec<_> = notifications(&customer, false)
            .await
            .expect("the customer lists notifications")
            .into_iter()
            .filter(|n| n.request_id == answer.request_id)
            .collect();
        assert_eq!(told.len(), 1, "{told:?}");
        let note = &told[0];
        assert_eq!(note.kind(), NotificationKind::RequestReceived);
        assert_eq!(
            (note.tenant_id.as_str(), note.request_reference.as_str(), note.agency.as_str()),
            (acme.id.as_str(), answer.reference.as_str(), sent.agency.as_str())
        );
        assert!(note.acknowledged_at.is_none() && note.acknowledged_by.is_empty(), "{note:?}");
        let unread = notifications(&customer, true).await.unwrap();
        assert!(unread.iter().any(|n| n.notification_id == note.notification_id));

        let stranger = legal.as_actor(&globex.customer).await;
        assert_status(acknowledge(&stranger, &note.notification_id).await, Code::NotFound, "NOT_FOUND");
        let unread = notifications(&customer, true).await.unwrap();
        assert!(unread.iter().any(|n| n.notification_id == note.notification_id), "a stranger's ack changed nothing");

        let acked = acknowledge(&customer, &note.notification_id).await.expect("the customer acknowledges");
        assert_eq!(acked.notification_id, note.notification_id);
        assert!(acked.acknowledged_at.is_some(), "{acked:?}");
        assert_eq!(acked.acknowledged_by, acme.customer.subject_id);
        let unread = notifications(&customer, true).await.unwrap();
        assert!(!unread.iter().any(|n| n.notification_id == note.notification_id), "acknowledged: {unread:?}");
        let all = notifications(&customer, false).await.unwrap();
        let listed = all.iter().find(|n| n.notification_id == note.notification_id).expect("still listed");
        assert!(listed.acknowledged_at.is_some());

        // The references quoted to agency and customer: LR-YYYY-XXXXXXXX.
        assert_reference(&answer.reference, legal.year());
        assert_reference(&bare.reference, legal.year());
    }
}
