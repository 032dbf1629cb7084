//! Keyed hashes for looking up encrypted values (e-mail addresses) without decrypting.

use std::fmt;

use ring::hmac;

use crate::encode;

/// Domain of [`LookupHasher::hash_email`].
const EMAIL_DOMAIN: &str = "email";

/// HMAC-SHA256 under a tenant's lookup subkey.
///
/// Equal inputs give equal hashes within one tenant key, so a store can index the hash
/// and find a contact by e-mail; without the key the hashes cannot be computed or
/// dictionary-attacked. Hashes of different tenants (or key versions) differ. Obtained
/// from [`TenantKey::lookup_hasher`](crate::TenantKey::lookup_hasher); `Debug` prints no
/// key. Compare hashes with [`constant_time_eq`](crate::constant_time_eq) when an
/// attacker could time the comparison.
#[derive(Clone)]
pub struct LookupHasher {
    key: hmac::Key,
}

impl LookupHasher {
    /// Only [`crate::TenantKey`] builds these, from its HKDF lookup subkey.
    pub(crate) fn new(key: hmac::Key) -> LookupHasher {
        LookupHasher { key }
    }

    /// The hash of an e-mail address after [`normalize_email`]; the same as
    /// `hash("email", normalize_email(email).as_bytes())`.
    pub fn hash_email(&self, email: &str) -> [u8; 32] {
        self.hash(EMAIL_DOMAIN, normalize_email(email).as_bytes())
    }

    /// The hash of `value` in `domain` (for example `"phone"`).
    ///
    /// Domain and value are length-prefixed, so equal bytes in different domains give
    /// unrelated hashes. The value is hashed as given: normalize it first.
    pub fn hash(&self, domain: &str, value: &[u8]) -> [u8; 32] {
        let tag = hmac::sign(&self.key, &encode::parts(&[domain.as_bytes(), value]));
        let mut out = [0u8; 32];
        // HMAC-SHA256 tags are always 32 bytes; zip avoids a length assertion.
        for (o, t) in out.iter_mut().zip(tag.as_ref()) {
            *o = *t;
        }
        out
    }
}

/// Trims surrounding whitespace and lowercases (Unicode) an e-mail address.
///
/// ## Why lowercase the local part too
///
/// RFC 5321 lets the local part be case-sensitive, but no mail system in practice is,
/// and a lookup that misses on `Carol@` vs `carol@` would be a worse failure.
pub fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

impl fmt::Debug for LookupHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LookupHasher")
            .field("key", &format_args!("<redacted>"))
            .finish()
    }
}

#[cfg(test)]
mod tests;
