//! Tenant keys, unwrapped on first use and cached; created on a tenant's first write.

use std::collections::HashMap;
use std::sync::Arc;

use supportgate_crypto::{KeyClass, KeyWrapper, TenantKey};
use supportgate_store::{SealedKey, StoreError, TenantKeyStore};
use supportgate_types::{Clock, TenantId};
use tokio::sync::RwLock;

use crate::ServiceError;

type CacheKey = (TenantId, &'static str, u32);

/// Unwrapped tenant keys, by tenant, class and version.
pub(crate) struct KeyRing {
    master: Arc<dyn KeyWrapper>,
    clock: Arc<dyn Clock>,
    cache: RwLock<HashMap<CacheKey, Arc<TenantKey>>>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("master", &self.master.key_id())
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    pub(crate) fn new(master: Arc<dyn KeyWrapper>, clock: Arc<dyn Clock>) -> Self {
        Self {
            master,
            clock,
            cache: RwLock::default(),
        }
    }

    /// The newest key for a tenant and class, creating version 1 if there is none.
    pub(crate) async fn current(
        &self,
        store: &dyn TenantKeyStore,
        tenant: TenantId,
        class: KeyClass,
    ) -> Result<Arc<TenantKey>, ServiceError> {
        if let Some(sealed) = store.tenant_key_latest(tenant, class.as_str()).await? {
            return self.unwrap_cached(tenant, class, &sealed).await;
        }
        let key =
            TenantKey::generate(&tenant.to_string(), class, 1).map_err(ServiceError::internal)?;
        let sealed = SealedKey {
            version: 1,
            wrapped: key
                .wrap_with(self.master.as_ref())
                .map_err(ServiceError::internal)?,
            master_key: self.master.key_id().to_owned(),
        };
        match store
            .tenant_key_insert(tenant, class.as_str(), &sealed, self.clock.as_ref())
            .await
        {
            Ok(()) => {}
            // Another request created it first: use theirs.
            Err(StoreError::Conflict { .. }) => {
                let theirs = store.tenant_key_get(tenant, class.as_str(), 1).await?;
                return self.unwrap_cached(tenant, class, &theirs).await;
            }
            Err(e) => return Err(e.into()),
        }
        let key = Arc::new(key);
        self.cache
            .write()
            .await
            .insert((tenant, class.as_str(), 1), key.clone());
        Ok(key)
    }

    /// Makes a new key version the current one for new data; returns `(previous, new)`.
    /// Older versions stay readable, so nothing stops working while data moves over.
    pub(crate) async fn rotate(
        &self,
        store: &dyn TenantKeyStore,
        tenant: TenantId,
        class: KeyClass,
    ) -> Result<(u32, u32), ServiceError> {
        let previous = match store.tenant_key_latest(tenant, class.as_str()).await? {
            Some(sealed) => sealed.version,
            None => self.current(store, tenant, class).await?.key_version(),
        };
        let next = previous + 1;
        let key = TenantKey::generate(&tenant.to_string(), class, next)
            .map_err(ServiceError::internal)?;
        let sealed = SealedKey {
            version: next,
            wrapped: key
                .wrap_with(self.master.as_ref())
                .map_err(ServiceError::internal)?,
            master_key: self.master.key_id().to_owned(),
        };
        store
            .tenant_key_insert(tenant, class.as_str(), &sealed, self.clock.as_ref())
            .await?;
        self.cache
            .write()
            .await
            .insert((tenant, class.as_str(), next), Arc::new(key));
        Ok((previous, next))
    }

    /// A specific key version (for opening data sealed under it).
    pub(crate) async fn version(
        &self,
        store: &dyn TenantKeyStore,
        tenant: TenantId,
        class: KeyClass,
        version: u32,
    ) -> Result<Arc<TenantKey>, ServiceError> {
        if let Some(key) = self
            .cache
            .read()
            .await
            .get(&(tenant, class.as_str(), version))
        {
            return Ok(key.clone());
        }
        let sealed = store
            .tenant_key_get(tenant, class.as_str(), version)
            .await?;
        self.unwrap_cached(tenant, class, &sealed).await
    }

    async fn unwrap_cached(
        &self,
        tenant: TenantId,
        class: KeyClass,
        sealed: &SealedKey,
    ) -> Result<Arc<TenantKey>, ServiceError> {
        let cache_key = (tenant, class.as_str(), sealed.version);
        if let Some(key) = self.cache.read().await.get(&cache_key) {
            return Ok(key.clone());
        }
        let key = TenantKey::unwrap_with(
            self.master.as_ref(),
            &tenant.to_string(),
            class,
            sealed.version,
            &sealed.wrapped,
        )
        .map_err(ServiceError::internal)?;
        let key = Arc::new(key);
        self.cache.write().await.insert(cache_key, key.clone());
        Ok(key)
    }
}
