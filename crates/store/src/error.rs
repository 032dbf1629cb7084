//! Storage errors, with the cause kept for logs and a kind the service can act on.

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// No row matched (within the caller's tenant).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for.
        what: &'static str,
    },
    /// A uniqueness rule was violated.
    #[error("{what} already exists")]
    Conflict {
        /// What already exists.
        what: &'static str,
    },
    /// A stored value could not be understood (a bug or tampering).
    #[error("stored {what} is corrupt")]
    Corrupt {
        /// Which value.
        what: &'static str,
    },
    /// The database could not be opened or reached.
    #[error("could not connect to the {store} database")]
    Connect {
        /// Which store.
        store: &'static str,
        /// The cause.
        #[source]
        source: sqlx::Error,
    },
    /// Migrations failed.
    #[error("could not migrate the {store} database")]
    Migrate {
        /// Which store.
        store: &'static str,
        /// The cause.
        #[source]
        source: sqlx::migrate::MigrateError,
    },
    /// Any other database failure.
    #[error("database operation failed")]
    Database(#[source] sqlx::Error),
    /// A workspace has no room for the declared size.
    #[error("the workspace quota of {quota} bytes has {} bytes left; {requested} were asked for", quota.saturating_sub(*used))]
    QuotaExceeded {
        /// The quota.
        quota: u64,
        /// Bytes already taken.
        used: u64,
        /// Bytes asked for.
        requested: u64,
    },
    /// A page token that this store did not issue.
    #[error("the page token is not one this server issued")]
    InvalidCursor,
    /// A failure shared by every request of one access-log batch.
    #[error("the access log could not commit")]
    Shared(#[source] std::sync::Arc<StoreError>),
}

impl StoreError {
    /// Maps a database error, recognising unique-constraint violations as conflicts.
    pub(crate) fn from_sqlx(what: &'static str, e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound { what },
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict { what },
            _ => StoreError::Database(e),
        }
    }
}
