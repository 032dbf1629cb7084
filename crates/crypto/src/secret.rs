//! `SecretKey`: 32 random bytes, zeroized on drop, never printed.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::CryptoError;

/// A 256-bit symmetric key.
///
/// The bytes live on the heap (so moving the key does not leave copies on the stack),
/// are zeroized when the key is dropped, and `Debug` prints `SecretKey(<redacted>)`.
/// Deliberately neither `Clone` nor `PartialEq`: copies of key material should be rare
/// and visible, and equality on keys is not something product code needs.
pub struct SecretKey {
    bytes: Box<[u8; SecretKey::LEN]>,
}

impl SecretKey {
    /// Key length in bytes.
    pub const LEN: usize = 32;

    /// A fresh key from the operating system's random number generator.
    pub fn generate() -> Result<SecretKey, CryptoError> {
        let mut key = SecretKey {
            bytes: Box::new([0; Self::LEN]),
        };
        SystemRandom::new()
            .fill(key.bytes.as_mut())
            .map_err(|_| CryptoError::Random)?;
        Ok(key)
    }

    /// A key from exactly [`SecretKey::LEN`] raw bytes.
    ///
    /// The caller still owns `bytes` and is responsible for zeroizing its copy.
    pub fn from_bytes(bytes: &[u8]) -> Result<SecretKey, CryptoError> {
        if bytes.len() != Self::LEN {
            return Err(CryptoError::KeyLength {
                expected: Self::LEN,
                actual: bytes.len(),
            });
        }
        let mut key = SecretKey {
            bytes: Box::new([0; Self::LEN]),
        };
        key.bytes.copy_from_slice(bytes);
        Ok(key)
    }

    /// The raw key bytes.
    ///
    /// Only for wrapping a key under another key or persisting a master key; everything
    /// else should use the key through the types of this crate.
    pub fn expose(&self) -> &[u8; SecretKey::LEN] {
        &self.bytes
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.bytes.as_mut().zeroize();
    }
}

impl ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::SecretKey;
    use crate::CryptoError;

    #[test]
    fn generated_keys_differ() {
        let a = SecretKey::generate().unwrap();
        let b = SecretKey::generate().unwrap();
        assert_ne!(a.expose(), b.expose());
    }

    #[test]
    fn from_bytes_accepts_exactly_32_bytes() {
        let key = SecretKey::from_bytes(&[7; 32]).unwrap();
        assert_eq!(key.expose(), &[7; 32]);
        for len in [0, 16, 31, 33, 64] {
            let err = SecretKey::from_bytes(&vec![0; len]).unwrap_err();
            assert!(matches!(
                err,
                CryptoError::KeyLength { expected: 32, actual } if actual == len
            ));
        }
    }

    #[test]
    fn debug_prints_no_key_bytes() {
        let key = SecretKey::from_bytes(&[0xAB; 32]).unwrap();
        let printed = format!("{key:?} {key:#?}");
        assert_eq!(format!("{key:?}"), "SecretKey(<redacted>)");
        assert!(!printed.contains("171"), "decimal byte leaked: {printed}");
        assert!(
            !printed.to_lowercase().contains("ab"),
            "hex byte leaked: {printed}"
        );
    }
}
