//! The two stores are apart: different files on SQLite, different schemas owned by
//! different roles on PostgreSQL, so neither connection can reach the other's tables.

use sqlx::AnyPool;
use supportgate_store::{ContactStore, MainStore};
use supportgate_testkit::{backend_tests, Backend};
use supportgate_types::Role;

use crate::migrations::table_names;
use crate::support::Stores;

/// The SQLSTATE (PostgreSQL) or error text (SQLite) of a statement the database refused.
async fn refusal(pool: &AnyPool, sql: &str) -> String {
    match sqlx::query(sql).execute(pool).await {
        Ok(_) => panic!("the database accepted {sql:?}"),
        Err(e) => match e.as_database_error() {
            Some(db) => db
                .code()
                .map(|c| c.into_owned())
                .unwrap_or_else(|| db.message().to_owned()),
            None => panic!("{sql:?} failed without a database error: {e}"),
        },
    }
}

const PERMISSION_DENIED: &str = "42501";

async fn postgres_roles_cannot_cross(main: &MainStore, contacts: &ContactStore) {
    let main_pool = main.pool_for_tests();
    for sql in [
        "SELECT * FROM supportgate_contact.contacts",
        "SELECT * FROM supportgate_contact.contact_keys",
        "DELETE FROM supportgate_contact.contacts",
        "UPDATE supportgate_contact.contacts SET opted_out = 1",
        "INSERT INTO supportgate_contact.contact_keys (tenant_id, class, version, wrapped, master_key, created_at) \
         VALUES ('t', 'contact', 1, '\\x00', 'm', 0)",
        "CREATE TABLE supportgate_contact.smuggled (a int)",
    ] {
        assert_eq!(refusal(main_pool, sql).await, PERMISSION_DENIED, "main store ran {sql:?}");
    }
    let contact_pool = contacts.pool_for_tests();
    for sql in [
        "SELECT * FROM supportgate.cases",
        "SELECT * FROM supportgate.access_log",
        "SELECT * FROM supportgate.tenant_keys",
        "SELECT * FROM supportgate.credentials",
        "DELETE FROM supportgate.cases",
        "INSERT INTO supportgate.access_log (seq, time, action, data_class, decision, reason, request_id) \
         VALUES (999, 0, 'forged', 'metadata', 'allowed', 'FORGED', 'r')",
        "CREATE TABLE supportgate.smuggled (a int)",
    ] {
        assert_eq!(refusal(contact_pool, sql).await, PERMISSION_DENIED, "contact store ran {sql:?}");
    }
}

async fn sqlite_files_hold_only_their_own_tables(s: &Stores) {
    assert_ne!(s.dbs.config.main_url, s.dbs.config.contact_url);
    let exists = |pool: &AnyPool, table: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = $1")
                .bind(table)
                .fetch_optional(&pool)
                .await
                .unwrap()
                .is_some()
        }
    };
    assert!(
        !exists(s.main.pool_for_tests(), "contacts").await,
        "main file has a contacts table"
    );
    assert!(!exists(s.main.pool_for_tests(), "contact_keys").await);
    assert!(
        exists(s.main.pool_for_tests(), "cases").await,
        "the probe itself works"
    );
    assert!(
        !exists(s.contacts.pool_for_tests(), "cases").await,
        "contact file has a cases table"
    );
    assert!(!exists(s.contacts.pool_for_tests(), "access_log").await);
    assert!(!exists(s.contacts.pool_for_tests(), "tenants").await);
    assert!(
        exists(s.contacts.pool_for_tests(), "contacts").await,
        "the probe itself works"
    );
}

backend_tests! {
    async fn neither_store_can_reach_the_other_stores_tables(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let carol = s.subject(Some(tenant.id), Role::Customer, "carol").await;
        let (contact, hash) = s.contact(tenant.id, "carol").await;
        s.case(tenant.id, carol.id, b"summary").await;

        match backend {
            Backend::Postgres => postgres_roles_cannot_cross(&s.main, &s.contacts).await,
            Backend::Sqlite => sqlite_files_hold_only_their_own_tables(&s).await,
        }
        // On both engines, the unqualified names resolve to nothing on the other side.
        for sql in ["SELECT * FROM contacts", "SELECT * FROM contact_keys"] {
            refusal(s.main.pool_for_tests(), sql).await;
        }
        for sql in ["SELECT * FROM cases", "SELECT * FROM access_log", "SELECT * FROM tenants"] {
            refusal(s.contacts.pool_for_tests(), sql).await;
        }
        assert_eq!(s.contacts.contact_find_by_email_hash(tenant.id, &hash).await.unwrap(), Some(contact.id));
    }

    async fn no_table_exists_in_both_stores(backend: Backend) {
        let s = Stores::open(backend).await;
        let main_tables = table_names(s.main.pool_for_tests(), s.main.engine()).await;
        let contact_tables = table_names(s.contacts.pool_for_tests(), s.contacts.engine()).await;
        let shared: Vec<&String> = main_tables
            .iter()
            .filter(|t| contact_tables.contains(t) && t.as_str() != "_sqlx_migrations")
            .collect();
        assert!(shared.is_empty(), "tables in both stores: {shared:?}");
        assert!(!contact_tables.is_empty() && !main_tables.is_empty());
    }
}
