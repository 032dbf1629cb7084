//! The customer-data store: tenants, identities, cases, customer-data keys and the access log.

mod cases;
mod identities;
mod legal;
mod live_watch;
mod log;
mod log_scan;
mod log_stats;
mod log_writer;
mod recordings;
mod retention;
mod sessions;
mod transfers;

use sqlx::AnyPool;

pub use self::legal::{newest_first_after, RequestFilter};
pub use self::log::{ExportItem, SequenceRange};
pub use self::log_stats::LogStatsSnapshot;
pub use self::log_writer::LogOptions;
use self::log_writer::LogWriter;
pub use self::retention::HoldFilter;
use crate::db::{open, Engine};
use crate::{StoreConfig, StoreError};

static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite/main");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres/main");

/// Handle to the customer-data database; cheap to clone.
#[derive(Clone, Debug)]
pub struct MainStore {
    pub(crate) pool: AnyPool,
    engine: Engine,
    /// The access log's one writer (group commit, chain, checkpoints).
    log: LogWriter,
}

impl MainStore {
    /// Opens (and migrates) the customer-data database; the log signs no checkpoints.
    pub async fn open(config: &StoreConfig) -> Result<MainStore, StoreError> {
        Self::open_with(config, LogOptions::default()).await
    }

    /// Opens (and migrates) the customer-data database, with the log writer's options.
    pub async fn open_with(config: &StoreConfig, log: LogOptions) -> Result<MainStore, StoreError> {
        let opened = open(
            "customer-data",
            &config.main_url,
            &config.main_schema,
            config.max_connections,
            &SQLITE,
            &POSTGRES,
        )
        .await?;
        let writer = LogWriter::start(opened.pool.clone(), opened.engine, log);
        Ok(MainStore {
            pool: opened.pool,
            engine: opened.engine,
            log: writer,
        })
    }

    /// The engine this store runs on.
    pub fn engine(&self) -> Engine {
        self.engine
    }

    /// What the access log's writer has committed since start (for metrics).
    pub fn log_stats(&self) -> LogStatsSnapshot {
        self.log.stats.snapshot()
    }

    /// Checks the database answers (readiness).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StoreError::Database)?;
        Ok(())
    }

    /// Writes what the log has queued, signs a last checkpoint, and closes the pool.
    pub async fn close(&self) {
        self.log.close().await;
        self.pool.close().await;
    }

    /// The pool, for the conformance suite's isolation checks only.
    #[doc(hidden)]
    pub fn pool_for_tests(&self) -> &AnyPool {
        &self.pool
    }
}
