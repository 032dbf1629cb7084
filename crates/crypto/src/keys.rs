//! The tenant level of the key hierarchy: one key per tenant × data class × version.

use std::fmt;

use ring::aead::{LessSafeKey, UnboundKey, AES_256_GCM};
use ring::{hkdf, hmac};

use crate::data_key::{self, WrapContext};
use crate::{encode, CryptoError, DataKey, FieldCipher, KeyWrapper, LookupHasher, SecretKey};

/// Domain label of the AAD that binds a wrapped tenant key to its context.
const WRAP_LABEL: &[u8] = b"supportgate/tenant-key/v1";

/// HKDF salt for subkeys of a tenant key.
const HKDF_SALT: &[u8] = b"supportgate/tenant-subkeys/v1";
/// HKDF info of the field-encryption subkey.
const FIELD_INFO: &[u8] = b"supportgate/field-cipher/v1";
/// HKDF info of the lookup-hash subkey.
const LOOKUP_INFO: &[u8] = b"supportgate/lookup-hash/v1";
/// HKDF info of the subkey that wraps data keys.
const DATA_KEY_WRAP_INFO: &[u8] = b"supportgate/data-key-wrap/v1";

/// Which of the two data classes of DESIGN §2 a tenant key protects.
///
/// Each class has its own key hierarchy, so no key ever opens both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyClass {
    /// Contact data: the customer representative's business contact details.
    Contact,
    /// Customer data: everything else provided in connection with support.
    Customer,
}

impl KeyClass {
    /// The stable name, bound into wrapped keys: changing it breaks every stored key.
    pub fn as_str(self) -> &'static str {
        match self {
            KeyClass::Contact => "contact",
            KeyClass::Customer => "customer",
        }
    }
}

impl fmt::Display for KeyClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A tenant's key for one data class and key version.
///
/// Stored only wrapped under a [`KeyWrapper`]; the wrapping is bound to tenant, class
/// and version, so a wrapped key copied to another row fails to unwrap. It is never
/// used directly: [`TenantKey::field_cipher`], [`TenantKey::lookup_hasher`] and
/// [`TenantKey::wrap_data_key`] use HKDF-SHA256 subkeys with distinct labels, so the three
/// uses never share key material.
/// `Debug` shows tenant, class and version only.
pub struct TenantKey {
    tenant: String,
    class: KeyClass,
    key_version: u32,
    key: SecretKey,
    field: FieldCipher,
    lookup: LookupHasher,
    data_key_wrap: LessSafeKey,
}

impl TenantKey {
    /// A fresh random key for `tenant`, `class` and `version`.
    pub fn generate(tenant: &str, class: KeyClass, version: u32) -> Result<TenantKey, CryptoError> {
        TenantKey::from_key(tenant, class, version, SecretKey::generate()?)
    }

    /// The key wrapped under `wrapper`, bound to this key's tenant, class and version.
    pub fn wrap_with(&self, wrapper: &dyn KeyWrapper) -> Result<Vec<u8>, CryptoError> {
        let aad = wrap_aad(&self.tenant, self.class, self.key_version);
        wrapper.wrap(&self.key, &aad)
    }

    /// Unwraps the output of [`TenantKey::wrap_with`]. Fails with [`CryptoError::Open`]
    /// unless `tenant`, `class` and `version` are the ones it was wrapped with.
    pub fn unwrap_with(
        wrapper: &dyn KeyWrapper,
        tenant: &str,
        class: KeyClass,
        version: u32,
        wrapped: &[u8],
    ) -> Result<TenantKey, CryptoError> {
        let key = wrapper.unwrap_key(wrapped, &wrap_aad(tenant, class, version))?;
        TenantKey::from_key(tenant, class, version, key)
    }

    /// The cipher for this tenant's fields, stamped with this key's version.
    pub fn field_cipher(&self) -> FieldCipher {
        self.field.clone()
    }

    /// The keyed hash for this tenant's lookups.
    pub fn lookup_hasher(&self) -> LookupHasher {
        self.lookup.clone()
    }

    /// Wraps the data key of object `object_id` for storage (in the database, apart from
    /// the sealed content), under this key's HKDF subkey `"data-key-wrap"`.
    ///
    /// The result records this key's version (read it back with
    /// [`TenantKey::key_version_of_wrapped`]) and is bound to tenant, class, version and
    /// `object_id`. Layout, 65 bytes: `version 1 (1) | key_version (u32 BE) | nonce (12) |
    /// encrypted key (32) | tag (16)`, the first five bytes authenticated.
    ///
    /// Rotation re-wraps without touching the content: [`TenantKey::unwrap_data_key`]
    /// with the old version, then `wrap_data_key` with the new one.
    pub fn wrap_data_key(&self, key: &DataKey, object_id: &str) -> Result<Vec<u8>, CryptoError> {
        data_key::wrap(&self.data_key_wrap, &self.wrap_context(object_id), key)
    }

    /// Unwraps the output of [`TenantKey::wrap_data_key`].
    ///
    /// Fails with [`CryptoError::KeyVersionMismatch`] if it was wrapped under another
    /// key version, and with [`CryptoError::Open`] if it was changed or belongs to
    /// another object, tenant or class.
    pub fn unwrap_data_key(&self, wrapped: &[u8], object_id: &str) -> Result<DataKey, CryptoError> {
        data_key::unwrap(&self.data_key_wrap, &self.wrap_context(object_id), wrapped)
    }

    /// The tenant key version a wrapped data key was wrapped under, read from its (not
    /// yet authenticated) header: for choosing the tenant key and for rotation.
    pub fn key_version_of_wrapped(wrapped: &[u8]) -> Result<u32, CryptoError> {
        data_key::key_version_of(wrapped)
    }

    /// The tenant this key belongs to.
    pub fn tenant(&self) -> &str {
        &self.tenant
    }

    /// The data class this key protects.
    pub fn class(&self) -> KeyClass {
        self.class
    }

    /// The key version (rotation counter).
    pub fn key_version(&self) -> u32 {
        self.key_version
    }

    /// Derives the subkeys once, here, so the accessors above cannot fail.
    fn from_key(
        tenant: &str,
        class: KeyClass,
        key_version: u32,
        key: SecretKey,
    ) -> Result<TenantKey, CryptoError> {
        let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, HKDF_SALT).extract(key.expose());
        let field_okm = prk
            .expand(&[FIELD_INFO], &AES_256_GCM)
            .map_err(|_| CryptoError::KeyDerivation)?;
        let field_key = LessSafeKey::new(UnboundKey::from(field_okm));
        let lookup_okm = prk
            .expand(&[LOOKUP_INFO], hmac::HMAC_SHA256)
            .map_err(|_| CryptoError::KeyDerivation)?;
        let lookup_key = hmac::Key::from(lookup_okm);
        let data_key_wrap_okm = prk
            .expand(&[DATA_KEY_WRAP_INFO], &AES_256_GCM)
            .map_err(|_| CryptoError::KeyDerivation)?;
        Ok(TenantKey {
            tenant: tenant.to_owned(),
            class,
            key_version,
            key,
            field: FieldCipher::new(field_key, key_version),
            lookup: LookupHasher::new(lookup_key),
            data_key_wrap: LessSafeKey::new(UnboundKey::from(data_key_wrap_okm)),
        })
    }

    /// What a wrapped data key of `object_id` is bound to.
    fn wrap_context<'a>(&'a self, object_id: &'a str) -> WrapContext<'a> {
        WrapContext {
            tenant: &self.tenant,
            class: self.class,
            key_version: self.key_version,
            object_id,
        }
    }
}

impl fmt::Debug for TenantKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TenantKey")
            .field("tenant", &self.tenant)
            .field("class", &self.class)
            .field("key_version", &self.key_version)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

/// `label | tenant | class` length-prefixed, then the version as u32 big-endian.
fn wrap_aad(tenant: &str, class: KeyClass, version: u32) -> Vec<u8> {
    let mut aad = encode::parts(&[WRAP_LABEL, tenant.as_bytes(), class.as_str().as_bytes()]);
    aad.extend_from_slice(&version.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests;
