//! Wrapped tenant keys, kept by each store for its own data class.
//!
//! ## Why each store keeps its own
//! The contact store's keys never sit in the customer-data database, so a copy of one
//! database alone (with the master key) cannot open the other's data.

use sqlx::any::AnyRow;
use sqlx::AnyPool;
use supportgate_types::{Clock, TenantId};

use crate::rows::{blob, int, text};
use crate::time::to_micros;
use crate::{ContactStore, MainStore, SealedKey, StoreError};

/// Storage for wrapped per-tenant keys, implemented by both stores.
#[async_trait::async_trait]
pub trait TenantKeyStore: Send + Sync {
    /// The newest key version for a tenant and class, if any.
    async fn tenant_key_latest(
        &self,
        tenant: TenantId,
        class: &'static str,
    ) -> Result<Option<SealedKey>, StoreError>;

    /// A specific key version.
    async fn tenant_key_get(
        &self,
        tenant: TenantId,
        class: &'static str,
        version: u32,
    ) -> Result<SealedKey, StoreError>;

    /// Stores a new key version; `Conflict` if that version exists (another writer won).
    async fn tenant_key_insert(
        &self,
        tenant: TenantId,
        class: &'static str,
        key: &SealedKey,
        clock: &dyn Clock,
    ) -> Result<(), StoreError>;
}

fn key_row(row: &AnyRow) -> Result<SealedKey, StoreError> {
    Ok(SealedKey {
        version: u32::try_from(int(row, "version")?).map_err(|_| StoreError::Corrupt {
            what: "key version",
        })?,
        wrapped: blob(row, "wrapped")?,
        master_key: text(row, "master_key")?,
    })
}

struct KeyTable<'a> {
    pool: &'a AnyPool,
    table: &'static str,
}

impl KeyTable<'_> {
    async fn latest(&self, tenant: TenantId, class: &str) -> Result<Option<SealedKey>, StoreError> {
        let sql = format!(
            "SELECT version, wrapped, master_key FROM {} WHERE tenant_id = $1 AND class = $2 \
             ORDER BY version DESC LIMIT 1",
            self.table
        );
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(class.to_owned())
            .fetch_optional(self.pool)
            .await
            .map_err(StoreError::Database)?;
        row.as_ref().map(key_row).transpose()
    }

    async fn get(
        &self,
        tenant: TenantId,
        class: &str,
        version: u32,
    ) -> Result<SealedKey, StoreError> {
        let sql = format!(
            "SELECT version, wrapped, master_key FROM {} \
             WHERE tenant_id = $1 AND class = $2 AND version = $3",
            self.table
        );
        let row = sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(class.to_owned())
            .bind(i64::from(version))
            .fetch_optional(self.pool)
            .await
            .map_err(StoreError::Database)?
            .ok_or(StoreError::NotFound { what: "tenant key" })?;
        key_row(&row)
    }

    async fn insert(
        &self,
        tenant: TenantId,
        class: &str,
        key: &SealedKey,
        clock: &dyn Clock,
    ) -> Result<(), StoreError> {
        let sql = format!(
            "INSERT INTO {} (tenant_id, class, version, wrapped, master_key, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            self.table
        );
        sqlx::query(&sql)
            .bind(tenant.to_string())
            .bind(class.to_owned())
            .bind(i64::from(key.version))
            .bind(key.wrapped.clone())
            .bind(key.master_key.clone())
            .bind(to_micros(clock.now()))
            .execute(self.pool)
            .await
            .map_err(|e| StoreError::from_sqlx("tenant key", e))?;
        Ok(())
    }
}

macro_rules! tenant_key_store {
    ($store:ty, $table:literal) => {
        #[async_trait::async_trait]
        impl TenantKeyStore for $store {
            async fn tenant_key_latest(
                &self,
                tenant: TenantId,
                class: &'static str,
            ) -> Result<Option<SealedKey>, StoreError> {
                KeyTable {
                    pool: &self.pool,
                    table: $table,
                }
                .latest(tenant, class)
                .await
            }
            async fn tenant_key_get(
                &self,
                tenant: TenantId,
                class: &'static str,
                version: u32,
            ) -> Result<SealedKey, StoreError> {
                KeyTable {
                    pool: &self.pool,
                    table: $table,
                }
                .get(tenant, class, version)
                .await
            }
            async fn tenant_key_insert(
                &self,
                tenant: TenantId,
                class: &'static str,
                key: &SealedKey,
                clock: &dyn Clock,
            ) -> Result<(), StoreError> {
                KeyTable {
                    pool: &self.pool,
                    table: $table,
                }
                .insert(tenant, class, key, clock)
                .await
            }
        }
    };
}

tenant_key_store!(MainStore, "tenant_keys");
tenant_key_store!(ContactStore, "contact_keys");
