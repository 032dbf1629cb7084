//! Hostile input is bound, never interpolated: it is stored and read back verbatim and
//! runs no SQL. (Names are validated upstream; the store must still be safe without that.)

use supportgate_audit::{AuditSink, NewEntry};
use supportgate_store::{
    CaseFilter, ContactRecord, ContactSealed, CredentialRecord, EntryFilter, SealedKey,
    SubjectFilter, TenantKeyStore,
};
use supportgate_testkit::backend_tests;
use supportgate_types::{CredentialId, Role, TenantId};

use crate::support::{contact_record, new_entry, page, principal, stored, Stores};

const HOSTILE: [&str; 10] = [
    "'; DROP TABLE cases; --",
    "Robert'); DROP TABLE tenants; --",
    "O'Brien \"quoted\" `tick` \\ back\\slash \\x00",
    "%",
    "%_ wildcards * ? [a-z] ^$ .*",
    "Zoë Ωμέγα 日本語 עברית 🚀 👩‍💻",
    "$1 $2 ?1 ?NNN :name @name ${x}",
    "line\nbreak\ttab\r\nend",
    "  leading and trailing spaces  ",
    "\u{202E}override\u{200B}zero\u{FEFF}width",
];

/// Values of 4000 characters: ASCII, and multi-byte characters with quotes.
fn long_values() -> [String; 2] {
    ["x".repeat(4000), "é日🚀'\"".repeat(800)]
}

/// Every byte value, NULs included, in an order no text encoding would produce.
fn every_byte() -> Vec<u8> {
    (0..=255u8)
        .rev()
        .chain(0..=255u8)
        .chain([0, 0, 0xff, 0xfe])
        .collect()
}

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_owned().into_boxed_str())
}

backend_tests! {
    async fn hostile_tenant_and_subject_names_are_stored_verbatim(backend: Backend) {
        let s = Stores::open(backend).await;
        let home = s.tenant("home").await;
        let mut tenants = Vec::new();
        let mut subjects = Vec::new();
        for name in HOSTILE {
            tenants.push(s.tenant(name).await);
            subjects.push(s.subject(Some(home.id), Role::Customer, name).await);
            subjects.push(s.subject(None, Role::Admin, name).await);
        }
        for tenant in &tenants {
            assert_eq!(&s.main.tenant_get(tenant.id).await.unwrap(), tenant);
        }
        for subject in &subjects {
            assert_eq!(&s.main.subject_get(subject.id).await.unwrap(), subject);
        }
        for name in HOSTILE {
            let filter = SubjectFilter { name: Some(name.into()), ..Default::default() };
            let found = s.main.subject_list(&filter, &page(1000, None)).await.unwrap();
            assert_eq!(found.len(), 2, "the name filter {name:?} matches that name exactly");
            assert!(found.iter().all(|f| f.name == name));
        }
        let listed = s.main.tenant_list(&page(1000, None)).await.unwrap();
        assert_eq!(listed.len(), HOSTILE.len() + 1, "no tenant was dropped or added");
    }

    async fn hostile_text_in_log_entries_and_key_labels_round_trips(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let texts: Vec<String> = HOSTILE.iter().map(|h| h.to_string()).chain(long_values()).collect();
        let mut appended = Vec::new();
        for text in &texts {
            let entry = NewEntry {
                action: leak(text),
                reason: leak(text),
                resource_id: Some(text.clone()),
                ..new_entry(s.tick(), Some(tenant.id))
            };
            let seq = s.main.append(entry.clone()).await.unwrap().sequence;
            appended.push((seq, entry));
        }
        let token = s.reviewer().await;
        for (seq, entry) in &appended {
            let filter = EntryFilter { action: Some(entry.action.to_owned()), ..Default::default() };
            let found = s.main.log_list(&token, &filter, &page(1000, None)).await.unwrap();
            assert_eq!(found.len(), 1, "action filter {:?}", entry.action);
            assert_eq!((found[0].sequence, &found[0].entry), (*seq, &stored(entry)));
        }

        for (i, text) in texts.iter().enumerate() {
            let key = SealedKey { version: i as u32 + 1, wrapped: every_byte(), master_key: text.clone() };
            let class = leak(text);
            s.main.tenant_key_insert(tenant.id, class, &key, &*s.clock).await.unwrap();
            s.contacts.tenant_key_insert(tenant.id, class, &key, &*s.clock).await.unwrap();
            assert_eq!(s.main.tenant_key_latest(tenant.id, class).await.unwrap(), Some(key.clone()));
            assert_eq!(s.contacts.tenant_key_get(tenant.id, class, key.version).await.unwrap(), key);
        }
    }

    async fn arbitrary_bytes_in_sealed_fields_round_trip(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol").await;
        let erin = s.subject(Some(tenant.id), Role::SupportEngineer, "erin").await;
        let big: Vec<u8> = every_byte().into_iter().cycle().take(256 * 1024).collect();
        let case = s.case(tenant.id, carol.id, &big).await;
        s.main.case_assign(tenant.id, case.id, erin.id, s.now()).await.unwrap();
        let grant = s.summary_grant(&principal(&erin), tenant.id, Some(case.id), true).await.unwrap();
        assert_eq!(s.main.case_summary_get(&grant).await.unwrap(), big);

        let contact = ContactRecord {
            sealed: ContactSealed {
                name: every_byte(),
                email: vec![0; 64],
                phone: b"'; DROP TABLE contacts; --".to_vec(),
                company: vec![0xff; 3],
                job_title: vec![0x00],
            },
            ..contact_record(tenant.id, "carol", s.now())
        };
        let hash = every_byte();
        s.contacts.contact_insert(&contact, &hash).await.unwrap();
        assert_eq!(s.contacts.contact_find_by_email_hash(tenant.id, &hash).await.unwrap(), Some(contact.id));
        let truncated_hash = &hash[..hash.len() - 1];
        assert_eq!(s.contacts.contact_find_by_email_hash(tenant.id, truncated_hash).await.unwrap(), None);
        let grant = s.contact_grant(&principal(&erin), tenant.id, Some(case.id), true).await.unwrap();
        assert_eq!(s.contacts.contact_get(&grant, contact.id).await.unwrap(), contact);

        let credential = CredentialRecord {
            id: CredentialId::new(),
            subject: carol.id,
            token_hash: every_byte(),
            issued_at: s.now(),
            expires_at: s.now(),
            revoked_at: None,
        };
        s.main.credential_insert(&credential).await.unwrap();
        assert_eq!(s.main.credential_get(credential.id).await.unwrap(), credential);
    }

    async fn a_hostile_page_cursor_is_bound_not_interpolated(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol").await;
        s.case(tenant.id, carol.id, b"summary").await;
        let token = s.reviewer().await;
        for cursor in ["zzzz' OR '1'='1", "zzzz'; DROP TABLE cases; --", "zzzz\"; DROP TABLE tenants; --"] {
            let after = page(10, Some(cursor.into()));
            assert!(s.main.tenant_list(&after).await.unwrap().is_empty(), "{cursor:?}");
            let cases = s.main.case_list(&token, &CaseFilter::default(), &after).await.unwrap();
            assert!(cases.is_empty(), "{cursor:?}");
            let subjects = s.main.subject_list(&SubjectFilter::default(), &after).await.unwrap();
            assert!(subjects.is_empty(), "{cursor:?}");
        }
        assert_eq!(s.main.tenant_list(&page(10, None)).await.unwrap(), std::slice::from_ref(&tenant));
        let cases = s.main.case_list(&token, &CaseFilter::default(), &page(10, None)).await.unwrap();
        assert_eq!(cases.len(), 1, "the cases table is intact");
        let _unused: Option<TenantId> = None;
    }
}
