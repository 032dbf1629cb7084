//! AES-256-GCM with a random nonce and an authenticated header, shared by the master key
//! and the field cipher.
//!
//! Layout: `header | nonce (12) | ciphertext | tag (16)`. The header (format version and
//! anything else the caller puts there) is authenticated along with the caller's AAD, so
//! changing any byte of the output makes [`open`] fail.
//!
//! ## Why random nonces
//!
//! Fields and wrapped keys are small and written independently, with no counter to keep.
//! With 96-bit random nonces one key is good for about 2^32 seals; key versions rotate
//! long before that.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{CryptoError, SecretKey};

/// Bytes GCM adds after the ciphertext.
pub(crate) const TAG_LEN: usize = 16;

/// Bytes [`seal`] adds besides the header: nonce and tag.
pub(crate) const OVERHEAD: usize = NONCE_LEN + TAG_LEN;

/// An AES-256-GCM key from a [`SecretKey`].
pub(crate) fn cipher_key(key: &SecretKey) -> Result<LessSafeKey, CryptoError> {
    UnboundKey::new(&AES_256_GCM, key.expose())
        .map(LessSafeKey::new)
        .map_err(|_| CryptoError::KeySetup)
}

/// Seals `plaintext`, returning `header | nonce | ciphertext | tag`.
pub(crate) fn seal(
    key: &LessSafeKey,
    header: &[u8],
    aad: &[u8],
    plaintext: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    let mut nonce = [0u8; NONCE_LEN];
    SystemRandom::new()
        .fill(&mut nonce)
        .map_err(|_| CryptoError::Random)?;

    let mut out = Vec::with_capacity(header.len() + OVERHEAD + plaintext.len());
    out.extend_from_slice(header);
    out.extend_from_slice(&nonce);
    let body = out.len();
    out.extend_from_slice(plaintext);

    let tag = key
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(full_aad(header, aad)),
            out.get_mut(body..).ok_or(CryptoError::Seal)?,
        )
        .map_err(|_| CryptoError::Seal)?;
    out.extend_from_slice(tag.as_ref());
    Ok(out)
}

/// Opens the output of [`seal`]. The caller has already checked the first `header_len`
/// bytes; they are authenticated here.
pub(crate) fn open(
    key: &LessSafeKey,
    header_len: usize,
    sealed: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, CryptoError> {
    if sealed.len() < header_len + OVERHEAD {
        return Err(CryptoError::Malformed {
            what: "sealed value (too short)",
        });
    }
    let (header, rest) = sealed.split_at(header_len);
    let (nonce, body) = rest.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Malformed {
        what: "sealed value (nonce)",
    })?;

    let mut buf = body.to_vec();
    let len = key
        .open_in_place(nonce, Aad::from(full_aad(header, aad)), &mut buf)
        .map_err(|_| CryptoError::Open)?
        .len();
    buf.truncate(len);
    Ok(buf)
}

/// `header | aad`: unambiguous because each format's header has a fixed length.
fn full_aad(header: &[u8], aad: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(header.len() + aad.len());
    out.extend_from_slice(header);
    out.extend_from_slice(aad);
    out
}
