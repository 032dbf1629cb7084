//! Opening a store: engine detection, per-connection settings, migrations.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::AnyPool;
use sqlx::Executor;

use crate::StoreError;

/// Which database engine a store runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// Embedded SQLite: the single-machine default.
    Sqlite,
    /// PostgreSQL: the scale-out store.
    Postgres,
}

impl Engine {
    /// Detects the engine from a connection URL.
    pub fn from_url(url: &str) -> Option<Engine> {
        if url.starts_with("sqlite:") {
            Some(Engine::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Engine::Postgres)
        } else {
            None
        }
    }
}

/// Where the two stores live.
///
/// ## Why two URLs
/// Contact data and customer data are kept apart physically: two SQLite files, or two
/// PostgreSQL schemas owned by two roles, so a connection for case data cannot read
/// contact tables even by mistake.
#[derive(Clone, Debug)]
pub struct StoreConfig {
    /// The customer-data (and metadata, identity, access-log) database.
    pub main_url: String,
    /// The contact database.
    pub contact_url: String,
    /// PostgreSQL schema of the customer-data store (ignored on SQLite).
    pub main_schema: String,
    /// PostgreSQL schema of the contact store (ignored on SQLite).
    pub contact_schema: String,
    /// Pool size per store.
    pub max_connections: u32,
}

impl StoreConfig {
    /// Two SQLite files in `dir`: `supportgate.db` and `contacts.db`.
    pub fn sqlite_in(dir: &std::path::Path) -> StoreConfig {
        let url = |file: &str| format!("sqlite://{}?mode=rwc", dir.join(file).display());
        StoreConfig {
            main_url: url("supportgate.db"),
            contact_url: url("contacts.db"),
            main_schema: "supportgate".into(),
            contact_schema: "supportgate_contact".into(),
            max_connections: 8,
        }
    }
}

pub(crate) struct Opened {
    pub pool: AnyPool,
    pub engine: Engine,
}

fn valid_schema(schema: &str) -> bool {
    !schema.is_empty()
        && schema.len() <= 63
        && schema
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

/// Opens a pool with the engine's settings and applies the store's migrations.
pub(crate) async fn open(
    store: &'static str,
    url: &str,
    schema: &str,
    max_connections: u32,
    sqlite: &'static Migrator,
    postgres: &'static Migrator,
) -> Result<Opened, StoreError> {
    sqlx::any::install_default_drivers();
    let engine = Engine::from_url(url).ok_or(StoreError::Connect {
        store,
        source: sqlx::Error::Configuration(
            "the database URL must start with sqlite: or postgres://".into(),
        ),
    })?;
    if !valid_schema(schema) {
        return Err(StoreError::Connect {
            store,
            source: sqlx::Error::Configuration(
                format!("schema name {schema:?} must be lowercase letters, digits and '_'").into(),
            ),
        });
    }
    let setup = match engine {
        // WAL for concurrent readers; synchronous=FULL so a commit is durable when it returns
        // (the access log's write-ahead rule depends on it).
        // A 64 MiB page cache and WAL checkpoints every 64 MiB instead of every 4 MiB:
        // the access log's indexes dirty many pages per commit, and checkpointing after
        // nearly every batch measured 18% slower.
        Engine::Sqlite => "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                           PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; \
                           PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384;"
            .to_owned(),
        Engine::Postgres => format!("SET search_path TO {schema}"),
    };
    let pool = AnyPoolOptions::new()
        .max_connections(max_connections.max(1))
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            let setup = setup.clone();
            Box::pin(async move {
                conn.execute(setup.as_str()).await?;
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|source| StoreError::Connect { store, source })?;
    let migrator = match engine {
        Engine::Sqlite => sqlite,
        Engine::Postgres => postgres,
    };
    migrator
        .run(&pool)
        .await
        .map_err(|source| StoreError::Migrate { store, source })?;
    Ok(Opened { pool, engine })
}
