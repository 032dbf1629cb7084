//! Encryption of produced items to the order's recipient, with age (X25519).
//!
//! ## Why age
//! The recipient decrypts with standard, audited tooling (`age -d -i key.txt`), the
//! gateway only ever holds the public key, and age's payload is itself a STREAM
//! construction (64 KiB chunks), so an item of any size is encrypted in constant
//! memory as it is read.

use std::io::Write;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use age::x25519::Recipient;
use bytes::Bytes;

use crate::ServiceError;

/// `key` checked as an age X25519 recipient, in its canonical spelling.
pub(crate) fn checked_recipient(key: &str) -> Result<String, ServiceError> {
    let key = key.trim();
    if key.is_empty() {
        return Err(ServiceError::invalid(
            "FIELD_REQUIRED",
            "recipient_public_key is required: the age X25519 recipient (age1...) produced items are encrypted to",
        ));
    }
    Recipient::from_str(key)
        .map(|recipient| recipient.to_string())
        .map_err(|_| {
            ServiceError::invalid(
                "RECIPIENT_KEY_INVALID",
                "recipient_public_key is not an age X25519 recipient (age1...)",
            )
        })
}

/// Where the encryptor writes: a buffer the producer drains after every write.
#[derive(Clone, Default)]
struct Drain(Arc<Mutex<Vec<u8>>>);

impl Drain {
    fn take(&self) -> Bytes {
        match self.0.lock() {
            Ok(mut buffer) => Bytes::from(std::mem::take(&mut *buffer)),
            Err(_) => Bytes::new(),
        }
    }
}

impl Write for Drain {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("encryption buffer poisoned"))?
            .extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// One item being encrypted: plaintext in, age ciphertext out, in pieces.
pub(crate) struct ItemSealer {
    writer: age::stream::StreamWriter<Drain>,
    drain: Drain,
}

impl ItemSealer {
    /// Starts an age file to `recipient` (already checked when it was recorded).
    pub(crate) fn new(recipient: &str) -> Result<ItemSealer, ServiceError> {
        let recipient = Recipient::from_str(recipient).map_err(|_| {
            ServiceError::internal(std::io::Error::other("stored recipient key does not parse"))
        })?;
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .map_err(ServiceError::internal)?;
        let drain = Drain::default();
        let writer = encryptor
            .wrap_output(drain.clone())
            .map_err(ServiceError::internal)?;
        Ok(ItemSealer { writer, drain })
    }

    /// Encrypts `plaintext`; returns the ciphertext ready so far (often empty: age
    /// seals whole 64 KiB chunks).
    pub(crate) fn push(&mut self, plaintext: &[u8]) -> Result<Bytes, ServiceError> {
        self.writer
            .write_all(plaintext)
            .map_err(ServiceError::internal)?;
        Ok(self.drain.take())
    }

    /// Seals the last chunk; returns the rest of the ciphertext.
    pub(crate) fn finish(self) -> Result<Bytes, ServiceError> {
        let drain = self.writer.finish().map_err(ServiceError::internal)?;
        Ok(drain.take())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::{checked_recipient, ItemSealer};

    #[test]
    fn what_is_sealed_opens_with_the_identity_only() {
        let identity = age::x25519::Identity::generate();
        let recipient = checked_recipient(&identity.to_public().to_string()).unwrap();
        let plaintext: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        let mut sealer = ItemSealer::new(&recipient).unwrap();
        let mut ciphertext = Vec::new();
        for piece in plaintext.chunks(70_000) {
            ciphertext.extend_from_slice(&sealer.push(piece).unwrap());
        }
        ciphertext.extend_from_slice(&sealer.finish().unwrap());
        let decryptor = age::Decryptor::new(&ciphertext[..]).unwrap();
        let mut opened = Vec::new();
        decryptor
            .decrypt(std::iter::once(&identity as &dyn age::Identity))
            .unwrap()
            .read_to_end(&mut opened)
            .unwrap();
        assert_eq!(opened, plaintext);
        let other = age::x25519::Identity::generate();
        let decryptor = age::Decryptor::new(&ciphertext[..]).unwrap();
        assert!(decryptor
            .decrypt(std::iter::once(&other as &dyn age::Identity))
            .is_err());
    }

    #[test]
    fn refuses_what_is_not_an_x25519_recipient() {
        assert!(checked_recipient("").is_err());
        assert!(checked_recipient("age1notakey").is_err());
        assert!(checked_recipient("ssh-ed25519 AAAA").is_err());
    }
}
