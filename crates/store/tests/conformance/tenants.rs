//! Tenants and credentials.

use chrono::Duration;
use supportgate_store::{CredentialRecord, TenantRecord};
use supportgate_testkit::backend_tests;
use supportgate_types::{CredentialId, Role, SubjectId, TenantId};

use crate::support::{all_pages, assert_conflict, assert_not_found, sorted, Stores};

async fn credential(s: &Stores, subject: SubjectId) -> CredentialRecord {
    let credential = CredentialRecord {
        id: CredentialId::new(),
        subject,
        token_hash: vec![0x5a; 32],
        issued_at: s.now(),
        expires_at: s.now() + Duration::days(30),
        revoked_at: None,
    };
    s.main.credential_insert(&credential).await.unwrap();
    credential
}

backend_tests! {
    async fn a_created_tenant_reads_back_with_every_field(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        assert_eq!(s.main.tenant_get(tenant.id).await.unwrap(), tenant);
    }

    async fn a_second_tenant_with_a_taken_name_is_a_conflict_and_the_first_is_kept(backend: Backend) {
        let s = Stores::open(backend).await;
        let first = s.tenant("acme").await;
        let second = TenantRecord { id: TenantId::new(), name: "acme".into(), created_at: s.tick() };
        assert_conflict(s.main.tenant_create(&second).await);
        assert_not_found(s.main.tenant_get(second.id).await);
        assert_eq!(s.main.tenant_get(first.id).await.unwrap(), first);

        let same_id = TenantRecord { name: "globex".into(), ..first.clone() };
        assert_conflict(s.main.tenant_create(&same_id).await);
        assert_eq!(s.main.tenant_get(first.id).await.unwrap(), first);
    }

    async fn an_unknown_tenant_id_is_not_found(backend: Backend) {
        let s = Stores::open(backend).await;
        s.tenant("acme").await;
        assert_not_found(s.main.tenant_get(TenantId::new()).await);
    }

    async fn tenant_pages_are_in_id_order_and_visit_every_tenant_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let mut ids = Vec::new();
        for i in 0..7 {
            ids.push(s.tenant(&format!("tenant-{i}")).await.id);
        }
        let main = &s.main;
        let pages = all_pages(
            3,
            |page| async move { main.tenant_list(&page).await.unwrap() },
            |t: &TenantRecord| t.id.to_string(),
        )
        .await;
        let sizes: Vec<usize> = pages.iter().map(Vec::len).collect();
        assert_eq!(sizes, [3, 3, 1]);
        let listed: Vec<TenantId> = pages.concat().iter().map(|t| t.id).collect();
        assert_eq!(listed, sorted(&ids), "every tenant once, in id order");

        let everything = s.main.tenant_list(&crate::support::page(1000, None)).await.unwrap();
        assert_eq!(everything.len(), 7);
        let acme = everything.iter().find(|t| t.name == "tenant-3").unwrap();
        assert_eq!(acme, &s.main.tenant_get(acme.id).await.unwrap());
    }

    async fn a_credential_reads_back_with_its_hash_and_times(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol").await;
        let issued = credential(&s, carol.id).await;
        assert_eq!(s.main.credential_get(issued.id).await.unwrap(), issued);
    }

    async fn revoking_a_credential_twice_keeps_the_first_revocation_time(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol").await;
        let issued = credential(&s, carol.id).await;
        let other = credential(&s, carol.id).await;

        let first = s.tick();
        s.main.credential_revoke(issued.id, first).await.unwrap();
        s.main.credential_revoke(issued.id, s.tick()).await.unwrap();

        let revoked = s.main.credential_get(issued.id).await.unwrap();
        assert_eq!(revoked, CredentialRecord { revoked_at: Some(first), ..issued });
        assert_eq!(s.main.credential_get(other.id).await.unwrap(), other, "only the named credential is revoked");
    }

    async fn revoking_or_reading_an_unknown_credential_is_not_found(backend: Backend) {
        let s = Stores::open(backend).await;
        assert_not_found(s.main.credential_revoke(CredentialId::new(), s.now()).await);
        assert_not_found(s.main.credential_get(CredentialId::new()).await);
    }

    async fn a_credential_id_cannot_be_issued_twice(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol").await;
        let issued = credential(&s, carol.id).await;
        let again = CredentialRecord { token_hash: vec![1; 32], ..issued.clone() };
        assert_conflict(s.main.credential_insert(&again).await);
        assert_eq!(s.main.credential_get(issued.id).await.unwrap(), issued);
    }
}
