//! A production releases exactly the approved scope: the items named by the order that
//! exist, each encrypted to the order's age recipient and byte-identical once
//! decrypted, each logged before it is sent; the customer is told before and after.

use supportgate::proto::{
    DataClass, Decision, LegalItemKind, LegalRequestState, NotificationKind, Purpose, RecordingKind,
};
use supportgate_testkit::backend_tests;

use super::*;
use crate::recordings::{content, import, metadata, MARKER};
use crate::transfers::{acme_workspace, random, upload};

backend_tests! {
    async fn a_production_releases_exactly_the_named_items_encrypted_to_the_order(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let engineer = legal.as_actor(&acme.engineer).await;
        let customer = legal.as_actor(&acme.customer).await;
        let workspace = acme_workspace(world).await;
        let named = random(150_000);
        let other = random(20_000);
        let named_file = upload(&customer, &workspace, "trace.pcap", &named).await.file_id;
        let other_file = upload(&customer, &workspace, "notes.txt", &other).await.file_id;
        let call = content(200_000);
        let recording = import(&engineer, metadata(&acme.case, RecordingKind::Phone, &call), &call)
            .await
            .expect("the engineer imports a call")
            .recording_id;

        let order = scope(&acme.case, &[LegalItemKind::File, LegalItemKind::Recording], &[&named_file, &recording]);
        let ready = legal.ready(&acme.id, order.clone()).await;
        let id = ready.request_id.as_str();
        let compulsion = ready.compulsion.clone().expect("the approved compulsion");
        let production = legal.produce(id).await;

        // The manifest announces the two items and the recipient.
        let manifest = &production.manifest;
        assert_eq!((manifest.request_id.as_str(), manifest.compulsion_id.as_str()), (id, compulsion.compulsion_id.as_str()));
        assert_eq!((manifest.item_count, manifest.recipient_public_key.as_str()), (2, legal.recipient().as_str()));
        let announced = manifest.scope.as_ref().expect("the manifest names the scope");
        assert_eq!(announced.case_ids, order.case_ids);
        let mut scoped = announced.item_ids.clone();
        scoped.sort_unstable();
        let mut expected = vec![named_file.clone(), recording.clone()];
        expected.sort_unstable();
        assert_eq!(scoped, expected);

        // Exactly the named file and the recording, not the other file.
        assert_eq!(production.ids(), expected);
        assert!(!production.ids().contains(&other_file));
        let file = production.item(&named_file);
        assert_eq!((file.header.kind(), file.header.case_id.as_str()), (LegalItemKind::File, acme.case.as_str()));
        assert_eq!(file.header.data_class(), DataClass::Customer);
        assert_item_holds(&legal.identity, file, Some(&named));
        assert!(!file.encrypted.windows(64).any(|w| w == &named[1_000..1_064]), "the file travels encrypted");
        let call_item = production.item(&recording);
        assert_eq!((call_item.header.kind(), call_item.header.case_id.as_str()), (LegalItemKind::Recording, acme.case.as_str()));
        assert_eq!((call_item.header.data_class(), call_item.header.media_type.as_str()), (DataClass::Customer, "audio/ogg"));
        assert_item_holds(&legal.identity, call_item, Some(&call));
        assert!(!call_item.encrypted.windows(MARKER.len()).any(|w| w == MARKER), "the call travels encrypted");

        // The summary: two produced, nothing missing.
        assert_eq!(production.summary.items_produced, 2);
        assert!(production.summary.missing_item_ids.is_empty(), "{:?}", production.summary);
        assert!(production.summary.completed_at.is_some());

        // Produced, and the customer was told before and after.
        let done = legal.request(id).await;
        assert_eq!(done.state(), LegalRequestState::Produced);
        assert!(done.produced_at.is_some());
        assert_eq!(
            notified(&customer, id).await,
            [NotificationKind::RequestReceived, NotificationKind::ProductionPlanned, NotificationKind::ProductionCompleted]
        );

        // One allowed entry per item, a provider entry naming the item and its case.
        let logged = entries(world, PRODUCE_ITEM).await;
        assert_eq!(logged.len(), 2, "{logged:?}");
        let mut logged_ids: Vec<String> = logged.iter().map(|e| e.resource_id.clone()).collect();
        logged_ids.sort_unstable();
        assert_eq!(logged_ids, expected);
        for entry in &logged {
            assert_eq!((entry.decision(), entry.reason.as_str()), (Decision::Allowed, "COMPELLED_DISCLOSURE"), "{entry:?}");
            assert_eq!((entry.subject_id.as_str(), entry.case_id.as_str()), (world.counsel.subject_id.as_str(), acme.case.as_str()));
            assert_eq!(entry.purpose(), Purpose::LegalCompelled);
            assert_eq!(entry.tenant_id, "", "a provider entry: {entry:?}");
        }

    }

    async fn a_case_and_its_contact_are_produced_as_json(backend: Backend) {
        let legal = Legal::build(backend).await;
        let world = &legal.world;
        let acme = &world.acme;
        let order = scope(&acme.case, &[LegalItemKind::Case, LegalItemKind::Contact], &[]);
        let ready = legal.ready(&acme.id, order).await;
        let production = legal.produce(&ready.request_id).await;
        assert_eq!((production.manifest.item_count, production.summary.items_produced), (2, 2));
        assert!(production.summary.missing_item_ids.is_empty());

        let case = production.of_kind(LegalItemKind::Case);
        assert_eq!((case.header.case_id.as_str(), case.header.media_type.as_str()), (acme.case.as_str(), "application/json"));
        assert_eq!(case.header.data_class(), DataClass::Customer);
        let plaintext = assert_item_holds(&legal.identity, case, None);
        let json: serde_json::Value = serde_json::from_slice(&plaintext).expect("the case is JSON");
        assert!(json_has_string(&json, "acme: VPN drops every hour"), "the case JSON holds the summary: {json}");
        assert!(!json_has_string(&json, "carol@acme.example"), "the contact is not part of the case: {json}");

        let contact = production.of_kind(LegalItemKind::Contact);
        assert_eq!((contact.header.case_id.as_str(), contact.header.media_type.as_str()), (acme.case.as_str(), "application/json"));
        assert_eq!(contact.header.data_class(), DataClass::Contact);
        let plaintext = assert_item_holds(&legal.identity, contact, None);
        let json: serde_json::Value = serde_json::from_slice(&plaintext).expect("the contact is JSON");
        assert!(json_has_string(&json, "carol@acme.example"), "the contact JSON holds the email: {json}");
        assert!(json_has_string(&json, "Carol Smith"), "the contact JSON holds the name: {json}");
        assert!(!json_has_string(&json, "otto@acme.example"), "only the named case's contact: {json}");

        // Neither leaks the other case of the tenant.
        for item in &production.items {
            assert_eq!(item.header.case_id, acme.case);
        }
        assert_eq!(entries(world, PRODUCE_ITEM).await.len(), 2);
    }

}
