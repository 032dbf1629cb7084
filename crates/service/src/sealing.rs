//! Sealing and opening text fields under a tenant key, bound to their record and field.

use supportgate_crypto::{FieldAad, FieldCipher, KeyClass, TenantKey};
use supportgate_store::TenantKeyStore;
use supportgate_types::TenantId;

use crate::keyring::KeyRing;
use crate::ServiceError;

/// Seals `plaintext` as field `field` of record `record` in `tenant`.
pub(crate) fn seal(
    key: &TenantKey,
    record: &str,
    field: &str,
    plaintext: &str,
) -> Result<Vec<u8>, ServiceError> {
    let aad = FieldAad {
        tenant: key.tenant(),
        record_id: record,
        field,
    };
    key.field_cipher()
        .seal(&aad, plaintext.as_bytes())
        .map_err(ServiceError::internal)
}

/// Opens a sealed field, finding the key version it was sealed under.
pub(crate) async fn open(
    keys: &KeyRing,
    store: &dyn TenantKeyStore,
    tenant: TenantId,
    class: KeyClass,
    record: &str,
    field: &str,
    sealed: &[u8],
) -> Result<String, ServiceError> {
    let version = FieldCipher::key_version_of(sealed).map_err(ServiceError::internal)?;
    let key = keys.version(store, tenant, class, version).await?;
    let tenant = tenant.to_string();
    let aad = FieldAad {
        tenant: &tenant,
        record_id: record,
        field,
    };
    let plain = key
        .field_cipher()
        .open(&aad, sealed)
        .map_err(ServiceError::internal)?;
    String::from_utf8(plain).map_err(ServiceError::internal)
}
