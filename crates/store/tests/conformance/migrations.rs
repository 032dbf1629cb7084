//! Every migration applies to empty databases, and opening again changes nothing.

use std::path::PathBuf;

use sqlx::{AnyPool, Row};
use supportgate_audit::AuditSink;
use supportgate_store::{ContactStore, Engine, MainStore, StoreError, TenantKeyStore};
use supportgate_testkit::{backend_tests, Backend, TestDatabases};

use crate::support::{new_entry, Stores};

/// The tables of the store behind `pool`, sorted by name.
pub async fn table_names(pool: &AnyPool, engine: Engine) -> Vec<String> {
    let sql = match engine {
        Engine::Sqlite => {
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' \
             ORDER BY name"
        }
        Engine::Postgres => {
            "SELECT tablename::text AS name FROM pg_tables WHERE schemaname = current_schema() \
             ORDER BY 1"
        }
    };
    let rows = sqlx::query(sql).fetch_all(pool).await.unwrap();
    rows.iter().map(|r| r.get::<String, _>("name")).collect()
}

/// `(version, checksum)` of every applied migration.
async fn applied(pool: &AnyPool) -> Vec<(i64, Vec<u8>)> {
    let rows = sqlx::query("SELECT version, checksum FROM _sqlx_migrations ORDER BY version")
        .fetch_all(pool)
        .await
        .unwrap();
    rows.iter()
        .map(|r| (r.get("version"), r.get("checksum")))
        .collect()
}

/// The versions of the migration files for one engine and store, from the source tree.
fn versions_on_disk(engine: Engine, store: &str) -> Vec<i64> {
    let engine = match engine {
        Engine::Sqlite => "sqlite",
        Engine::Postgres => "postgres",
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../../migrations/{engine}/{store}"));
    let mut versions: Vec<i64> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .map(|name| name.split('_').next().unwrap().parse().unwrap())
        .collect();
    versions.sort();
    versions
}

fn expected_engine(backend: Backend) -> Engine {
    match backend {
        Backend::Sqlite => Engine::Sqlite,
        Backend::Postgres => Engine::Postgres,
    }
}

backend_tests! {
    async fn every_migration_applies_to_empty_databases_of_both_stores(backend: Backend) {
        let dbs = TestDatabases::create(backend).await;
        let main = MainStore::open(&dbs.config).await.unwrap();
        let contacts = ContactStore::open(&dbs.config).await.unwrap();
        let engine = expected_engine(backend);
        assert_eq!((main.engine(), contacts.engine()), (engine, engine));
        main.ping().await.unwrap();
        contacts.ping().await.unwrap();

        let main_versions: Vec<i64> = applied(main.pool_for_tests()).await.iter().map(|m| m.0).collect();
        let contact_versions: Vec<i64> =
            applied(contacts.pool_for_tests()).await.iter().map(|m| m.0).collect();
        assert_eq!(main_versions, versions_on_disk(engine, "main"));
        assert_eq!(contact_versions, versions_on_disk(engine, "contact"));

        let main_tables = table_names(main.pool_for_tests(), engine).await;
        for table in ["tenants", "subjects", "credentials", "tenant_keys", "cases", "case_engineers", "access_log"] {
            assert!(main_tables.iter().any(|t| t == table), "main store lacks {table}: {main_tables:?}");
        }
        let contact_tables = table_names(contacts.pool_for_tests(), engine).await;
        for table in ["contacts", "contact_keys"] {
            assert!(contact_tables.iter().any(|t| t == table), "contact store lacks {table}: {contact_tables:?}");
        }
    }

    async fn opening_the_stores_again_applies_nothing_and_keeps_the_data(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let (contact, hash) = s.contact(tenant.id, "carol").await;
        let first = s.main.append(new_entry(s.now(), Some(tenant.id))).await.unwrap();
        let before = (applied(s.main.pool_for_tests()).await, applied(s.contacts.pool_for_tests()).await);

        let main = MainStore::open(&s.dbs.config).await.unwrap();
        let contacts = ContactStore::open(&s.dbs.config).await.unwrap();
        let after = (applied(main.pool_for_tests()).await, applied(contacts.pool_for_tests()).await);
        assert_eq!(after, before, "re-opening must not apply or change any migration");

        assert_eq!(main.tenant_get(tenant.id).await.unwrap(), tenant);
        assert_eq!(contacts.contact_find_by_email_hash(tenant.id, &hash).await.unwrap(), Some(contact.id));
        let next = main.append(new_entry(s.now(), Some(tenant.id))).await.unwrap();
        assert_eq!(next.sequence, first.sequence + 1, "the log continues where it was");
        assert_eq!(main.tenant_key_latest(tenant.id, "customer").await.unwrap(), None);
    }

    async fn an_unsafe_schema_name_is_refused_before_any_statement_runs(backend: Backend) {
        let s = Stores::open(backend).await;
        let tenant = s.tenant("acme").await;
        let (contact, hash) = s.contact(tenant.id, "carol").await;

        let mut config = s.dbs.config.clone();
        config.main_schema = "supportgate; DROP SCHEMA supportgate_contact CASCADE; --".into();
        config.contact_schema = "Supportgate_Contact".into();
        assert!(matches!(MainStore::open(&config).await, Err(StoreError::Connect { .. })));
        assert!(matches!(ContactStore::open(&config).await, Err(StoreError::Connect { .. })));

        assert_eq!(s.contacts.contact_find_by_email_hash(tenant.id, &hash).await.unwrap(), Some(contact.id));
    }
}
