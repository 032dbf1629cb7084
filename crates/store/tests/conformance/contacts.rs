//! Contacts: e-mail lookups per tenant, corrections, opt-out, communications recipients.

use supportgate_policy::{ContactDataAccess, Principal};
use supportgate_store::{ContactPatch, ContactRecord, ContactSealed};
use supportgate_testkit::backend_tests;
use supportgate_types::{ContactId, Role, TenantId};

use crate::support::{
    all_pages, assert_conflict, assert_not_found, contact_record, email_hash, page, principal,
    sorted, Stores,
};

/// A grant that lets the suite read any contact of `tenant` back.
async fn reader(s: &Stores, tenant: TenantId) -> ContactDataAccess {
    let comms = s
        .subject(Some(tenant), Role::Communications, "reader")
        .await;
    let caller = principal(&comms);
    let access = s.communications(&caller).await;
    ContactDataAccess::Communications(access)
}

async fn communications_staff(s: &Stores, tenant: TenantId) -> Principal {
    principal(&s.subject(Some(tenant), Role::Communications, "comms").await)
}

backend_tests! {
    async fn a_contact_is_found_by_its_email_hash_in_its_own_tenant_only(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let globex = s.tenant("globex").await.id;
        let (carol, hash) = s.contact(acme, "carol").await;
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &hash).await.unwrap(), Some(carol.id));
        assert_eq!(s.contacts.contact_find_by_email_hash(globex, &hash).await.unwrap(), None);
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &email_hash("dave")).await.unwrap(), None);
        let grant = reader(&s, acme).await;
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), carol);
    }

    async fn a_second_contact_with_the_same_email_hash_in_a_tenant_is_a_conflict(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let (carol, hash) = s.contact(acme, "carol").await;
        let twin = contact_record(acme, "twin", s.tick());
        assert_conflict(s.contacts.contact_insert(&twin, &hash).await);
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &hash).await.unwrap(), Some(carol.id));
        let grant = reader(&s, acme).await;
        assert_not_found(s.contacts.contact_get(&grant, twin.id).await);
        let same_id = ContactRecord { id: carol.id, ..contact_record(acme, "other", s.now()) };
        assert_conflict(s.contacts.contact_insert(&same_id, &email_hash("other")).await);
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), carol);
    }

    async fn the_same_email_hash_in_another_tenant_is_a_different_contact(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let globex = s.tenant("globex").await.id;
        let (in_acme, hash) = s.contact(acme, "carol").await;
        let in_globex = contact_record(globex, "carol", s.now());
        s.contacts.contact_insert(&in_globex, &hash).await.unwrap();
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &hash).await.unwrap(), Some(in_acme.id));
        assert_eq!(s.contacts.contact_find_by_email_hash(globex, &hash).await.unwrap(), Some(in_globex.id));
    }

    async fn a_patch_changes_only_the_fields_it_names(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let (carol, old_hash) = s.contact(acme, "carol").await;
        let (dave, _) = s.contact(acme, "dave").await;
        let at = s.tick();
        let patch = ContactPatch {
            phone: Some(b"new phone".to_vec()),
            email: Some((b"new email".to_vec(), email_hash("carol.new"))),
            ..Default::default()
        };
        s.contacts.contact_update(acme, carol.id, patch, at).await.unwrap();

        let grant = reader(&s, acme).await;
        let expected = ContactRecord {
            sealed: ContactSealed {
                phone: b"new phone".to_vec(),
                email: b"new email".to_vec(),
                ..carol.sealed.clone()
            },
            updated_at: at,
            ..carol.clone()
        };
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), expected);
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &old_hash).await.unwrap(), None);
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &email_hash("carol.new")).await.unwrap(), Some(carol.id));
        assert_eq!(s.contacts.contact_get(&grant, dave.id).await.unwrap(), dave, "other contacts are untouched");

        let later = s.tick();
        s.contacts.contact_update(acme, carol.id, ContactPatch::default(), later).await.unwrap();
        let touched = ContactRecord { updated_at: later, ..expected };
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), touched);
    }

    async fn changing_the_email_to_another_contacts_is_a_conflict_and_changes_nothing(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let (carol, carol_hash) = s.contact(acme, "carol").await;
        let (dave, dave_hash) = s.contact(acme, "dave").await;
        let patch = ContactPatch {
            name: Some(b"renamed".to_vec()),
            email: Some((b"dave's email".to_vec(), dave_hash.clone())),
            ..Default::default()
        };
        assert_conflict(s.contacts.contact_update(acme, carol.id, patch, s.tick()).await);

        let grant = reader(&s, acme).await;
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), carol);
        assert_eq!(s.contacts.contact_get(&grant, dave.id).await.unwrap(), dave);
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &carol_hash).await.unwrap(), Some(carol.id));
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &dave_hash).await.unwrap(), Some(dave.id));
    }

    async fn correcting_or_opting_out_a_contact_of_another_tenant_is_not_found(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let globex = s.tenant("globex").await.id;
        let (carol, _) = s.contact(acme, "carol").await;
        let patch = ContactPatch { name: Some(b"hijacked".to_vec()), ..Default::default() };
        assert_not_found(s.contacts.contact_update(globex, carol.id, patch.clone(), s.now()).await);
        assert_not_found(s.contacts.contact_update(acme, ContactId::new(), patch, s.now()).await);
        assert_not_found(s.contacts.contact_set_opt_out(globex, carol.id, true, s.now()).await);
        assert_not_found(s.contacts.contact_opted_out(globex, carol.id).await);
        let grant = reader(&s, acme).await;
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), carol);
    }

    async fn opt_out_can_be_set_and_cleared(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let (carol, _) = s.contact(acme, "carol").await;
        let (dave, _) = s.contact(acme, "dave").await;
        assert!(!s.contacts.contact_opted_out(acme, carol.id).await.unwrap());

        let at = s.tick();
        s.contacts.contact_set_opt_out(acme, carol.id, true, at).await.unwrap();
        assert!(s.contacts.contact_opted_out(acme, carol.id).await.unwrap());
        assert!(!s.contacts.contact_opted_out(acme, dave.id).await.unwrap());
        let grant = reader(&s, acme).await;
        let opted_out = ContactRecord { opted_out: true, updated_at: at, ..carol.clone() };
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), opted_out);

        let cleared = s.tick();
        s.contacts.contact_set_opt_out(acme, carol.id, false, cleared).await.unwrap();
        assert!(!s.contacts.contact_opted_out(acme, carol.id).await.unwrap());
        let back = ContactRecord { updated_at: cleared, ..carol };
        assert_eq!(s.contacts.contact_get(&grant, back.id).await.unwrap(), back);
    }

    async fn recipients_never_include_opted_out_or_other_tenants_contacts(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let globex = s.tenant("globex").await.id;
        let mut reachable = Vec::new();
        for name in ["carol", "dave", "erin", "frank"] {
            let (contact, _) = s.contact(acme, name).await;
            s.contact(globex, name).await;
            if name == "dave" || name == "frank" {
                s.contacts.contact_set_opt_out(acme, contact.id, true, s.now()).await.unwrap();
            } else {
                reachable.push(contact);
            }
        }
        let caller = communications_staff(&s, acme).await;
        let access = s.communications(&caller).await;
        let listed = s.contacts.contact_list_recipients(&access, &page(1000, None)).await.unwrap();
        let mut expected = reachable.clone();
        expected.sort_by_key(|c| c.id);
        assert_eq!(listed, expected);

        // Clearing an opt-out makes the contact a recipient again.
        let dave = s.contacts.contact_find_by_email_hash(acme, &email_hash("dave")).await.unwrap().unwrap();
        s.contacts.contact_set_opt_out(acme, dave, false, s.now()).await.unwrap();
        let listed = s.contacts.contact_list_recipients(&access, &page(1000, None)).await.unwrap();
        let ids: Vec<ContactId> = listed.iter().map(|c| c.id).collect();
        let mut expected: Vec<ContactId> = reachable.iter().map(|c| c.id).collect();
        expected.push(dave);
        assert_eq!(ids, sorted(&expected));
    }

    async fn recipient_pages_visit_every_recipient_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let mut ids = Vec::new();
        for i in 0..7 {
            let (contact, _) = s.contact(acme, &format!("c{i}")).await;
            if i % 3 == 0 {
                s.contacts.contact_set_opt_out(acme, contact.id, true, s.now()).await.unwrap();
            } else {
                ids.push(contact.id);
            }
        }
        let caller = communications_staff(&s, acme).await;
        let access = &s.communications(&caller).await;
        let contacts = &s.contacts;
        let pages = all_pages(
            2,
            |page| async move { contacts.contact_list_recipients(access, &page).await.unwrap() },
            |c: &ContactRecord| c.id.to_string(),
        )
        .await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2]);
        assert_eq!(pages.concat().iter().map(|c| c.id).collect::<Vec<_>>(), sorted(&ids));
    }
}
