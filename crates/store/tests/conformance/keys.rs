//! Wrapped tenant keys through `TenantKeyStore`, on both stores, kept in separate tables.

use supportgate_store::{SealedKey, TenantKeyStore};
use supportgate_testkit::backend_tests;
use supportgate_types::TenantId;

use crate::support::{assert_conflict, assert_not_found, Stores};

fn key(version: u32, label: &str) -> SealedKey {
    SealedKey {
        version,
        wrapped: format!("wrapped {label} v{version}").into_bytes(),
        master_key: format!("master-{label}"),
    }
}

/// The key lifecycle a store must support, run against either store.
async fn versions_are_kept_and_the_latest_wins(
    s: &Stores,
    store: &dyn TenantKeyStore,
    tenant: TenantId,
) {
    assert_eq!(
        store.tenant_key_latest(tenant, "customer").await.unwrap(),
        None
    );
    assert_not_found(store.tenant_key_get(tenant, "customer", 1).await);

    let v1 = key(1, "a");
    let v2 = key(2, "b");
    store
        .tenant_key_insert(tenant, "customer", &v1, &*s.clock)
        .await
        .unwrap();
    assert_eq!(
        store.tenant_key_latest(tenant, "customer").await.unwrap(),
        Some(v1.clone())
    );
    store
        .tenant_key_insert(tenant, "customer", &v2, &*s.clock)
        .await
        .unwrap();

    assert_eq!(
        store.tenant_key_latest(tenant, "customer").await.unwrap(),
        Some(v2.clone())
    );
    assert_eq!(
        store.tenant_key_get(tenant, "customer", 1).await.unwrap(),
        v1
    );
    assert_eq!(
        store.tenant_key_get(tenant, "customer", 2).await.unwrap(),
        v2
    );
    assert_not_found(store.tenant_key_get(tenant, "customer", 3).await);

    // Another writer that lost the race for version 2 must not replace the stored key.
    assert_conflict(
        store
            .tenant_key_insert(tenant, "customer", &key(2, "loser"), &*s.clock)
            .await,
    );
    assert_eq!(
        store.tenant_key_get(tenant, "customer", 2).await.unwrap(),
        v2
    );
    assert_eq!(
        store.tenant_key_latest(tenant, "customer").await.unwrap(),
        Some(v2)
    );
}

/// Versions compare as numbers, not text (version 10 is newer than 9).
async fn the_latest_is_the_numerically_highest(
    s: &Stores,
    store: &dyn TenantKeyStore,
    tenant: TenantId,
) {
    for version in [9, 10, 2] {
        store
            .tenant_key_insert(tenant, "customer", &key(version, "n"), &*s.clock)
            .await
            .unwrap();
    }
    let latest = store
        .tenant_key_latest(tenant, "customer")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(latest.version, 10);
}

/// Keys are per tenant and per class.
async fn keys_do_not_leak_across_tenants_or_classes(
    s: &Stores,
    store: &dyn TenantKeyStore,
    acme: TenantId,
    globex: TenantId,
) {
    store
        .tenant_key_insert(acme, "customer", &key(1, "acme"), &*s.clock)
        .await
        .unwrap();
    assert_eq!(
        store.tenant_key_latest(globex, "customer").await.unwrap(),
        None
    );
    assert_eq!(
        store.tenant_key_latest(acme, "recording").await.unwrap(),
        None
    );
    assert_not_found(store.tenant_key_get(globex, "customer", 1).await);

    store
        .tenant_key_insert(globex, "customer", &key(1, "globex"), &*s.clock)
        .await
        .unwrap();
    store
        .tenant_key_insert(acme, "recording", &key(1, "rec"), &*s.clock)
        .await
        .unwrap();
    assert_eq!(
        store.tenant_key_get(acme, "customer", 1).await.unwrap(),
        key(1, "acme")
    );
    assert_eq!(
        store.tenant_key_get(globex, "customer", 1).await.unwrap(),
        key(1, "globex")
    );
    assert_eq!(
        store.tenant_key_get(acme, "recording", 1).await.unwrap(),
        key(1, "rec")
    );
}

backend_tests! {
    async fn the_main_store_keeps_key_versions_and_returns_the_latest(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        versions_are_kept_and_the_latest_wins(&s, &s.main, tenant.id).await;
    }

    async fn the_contact_store_keeps_key_versions_and_returns_the_latest(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        versions_are_kept_and_the_latest_wins(&s, &s.contacts, tenant.id).await;
    }

    async fn the_latest_key_is_the_numerically_highest_version_on_both_stores(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        the_latest_is_the_numerically_highest(&s, &s.main, tenant.id).await;
        the_latest_is_the_numerically_highest(&s, &s.contacts, tenant.id).await;
    }

    async fn keys_are_kept_per_tenant_and_class_on_both_stores(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await;
        let globex = s.tenant("globex").await;
        keys_do_not_leak_across_tenants_or_classes(&s, &s.main, acme.id, globex.id).await;
        keys_do_not_leak_across_tenants_or_classes(&s, &s.contacts, acme.id, globex.id).await;
    }

    async fn main_and_contact_keys_live_in_separate_tables(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let customer_key = key(1, "customer-data");
        s.main.tenant_key_insert(tenant.id, "customer", &customer_key, &*s.clock).await.unwrap();
        assert_eq!(s.contacts.tenant_key_latest(tenant.id, "customer").await.unwrap(), None);
        assert_not_found(s.contacts.tenant_key_get(tenant.id, "customer", 1).await);

        // The same tenant, class and version in the contact store is a different key, not a conflict.
        let contact_key = key(1, "contact-data");
        s.contacts.tenant_key_insert(tenant.id, "customer", &contact_key, &*s.clock).await.unwrap();
        assert_eq!(s.main.tenant_key_get(tenant.id, "customer", 1).await.unwrap(), customer_key);
        assert_eq!(s.contacts.tenant_key_get(tenant.id, "customer", 1).await.unwrap(), contact_key);
    }
}
