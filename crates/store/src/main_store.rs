//! The customer-data store: tenants, identities, cases, customer-data keys and the access log.

mod cases;
mod identities;

mod log;

use sqlx::AnyPool;

use crate::db::{open, Engine};
use crate::{StoreConfig, StoreError};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite/main");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres/main");

/// Handle to the customer-data database; cheap to clone.
#[derive(Clone, Debug)]
pub struct MainStore {
    pub(crate) pool: AnyPool,
    engine: Engine,
    /// Serialises appends within this process so sequence numbers have no gaps.
    log_writer: std::sync::Arc<tokio::sync::Mutex<()>>,
}

impl MainStore {
    /// Opens (and migrates) the customer-data database.
    pub async fn open(config: &StoreConfig) -> Result<MainStore, StoreError> {
        let opened = open(
            "customer-data",
            &config.main_url,
            &config.main_schema,
            config.max_connections,
            &SQLITE,
            &POSTGRES,
        )
        .await?;
        Ok(MainStore {
            pool: opened.pool,
            engine: opened.engine,
            log_writer: std::sync::Arc::default(),
        })
    }

    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// Checks the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Closes the pool, waiting for connections to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for the conformance suite's isolation checks only.
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &AnyPool {
        &self.pool
    }
}
