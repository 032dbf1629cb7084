//! Key rotation without downtime: a new tenant key version takes over new data at once;
//! every object's data key is then re-wrapped under it, in batches, while reads go on
//! (older versions stay readable until nothing uses them).

use supportgate_audit::Decision;
use supportgate_crypto::KeyClass;
use supportgate_types::{DataClass, TenantId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

/// Data keys re-wrapped per batch.
const BATCH: i64 = 500;

/// What one rotation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rotation {
    /// Which hierarchy.
    pub class: DataClass,
    /// The version data was under.
    pub previous_version: u32,
    /// The version new data goes under.
    pub new_version: u32,
    /// Data keys re-wrapped under the new version.
    pub rewrapped: u64,
}

impl Services {
    /// Rotates a tenant's key hierarchies (`None`: both).
    pub async fn keys_rotate(
        &self,
        caller: &Caller,
        tenant: TenantId,
        class: Option<DataClass>,
    ) -> Result<Vec<Rotation>, ServiceError> {
        self.inner.main.tenant_get(tenant).await?;
        let classes = match class {
            None => vec![DataClass::Customer, DataClass::Contact],
            Some(DataClass::Metadata) => {
                return Err(ServiceError::invalid(
                    "DATA_CLASS_NOT_ENCRYPTED",
                    "metadata is not encrypted under tenant keys",
                ))
            }
            Some(class) => vec![class],
        };
        let event = Event {
            action: "admin.keys.rotate",
            data_class: DataClass::Metadata,
            tenant: Some(tenant),
            resource_id: Some(tenant.to_string()),
            case_id: None,
            decision: Decision::Allowed,
            reason: "ADMIN",
        };
        self.log(caller, event).await?;
        let mut done = Vec::new();
        for class in classes {
            done.push(self.rotate_class(tenant, class).await?);
        }
        Ok(done)
    }

    async fn rotate_class(
        &self,
        tenant: TenantId,
        class: DataClass,
    ) -> Result<Rotation, ServiceError> {
        let keys = &self.inner.keys;
        let (previous_version, new_version) = match class {
            DataClass::Contact => {
                keys.rotate(&self.inner.contacts, tenant, KeyClass::Contact)
                    .await?
            }
            _ => {
                keys.rotate(&self.inner.main, tenant, KeyClass::Customer)
                    .await?
            }
        };
        let mut rewrapped = 0;
        if class == DataClass::Customer {
            let new_key = keys
                .version(&self.inner.main, tenant, KeyClass::Customer, new_version)
                .await?;
            loop {
                let batch = self
                    .inner
                    .main
                    .object_keys_to_rewrap(tenant, new_version, BATCH)
                    .await?;
                if batch.is_empty() {
                    break;
                }
                for mut record in batch {
                    let old_version = record.key_version;
                    let old_key = keys
                        .version(&self.inner.main, tenant, KeyClass::Customer, old_version)
                        .await?;
                    let data_key = old_key
                        .unwrap_data_key(&record.wrapped, &record.object_id)
                        .map_err(ServiceError::internal)?;
                    record.wrapped = new_key
                        .wrap_data_key(&data_key, &record.object_id)
                        .map_err(ServiceError::internal)?;
                    record.key_version = new_version;
                    // A key destroyed or re-wrapped meanwhile is simply skipped.
                    if self
                        .inner
                        .main
                        .object_key_rewrap(&record, old_version)
                        .await?
                    {
                        rewrapped += 1;
                    }
                }
            }
        }
        Ok(Rotation {
            class,
            previous_version,
            new_version,
            rewrapped,
        })
    }
}
