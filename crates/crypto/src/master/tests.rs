use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;

use super::{LocalMasterKey, WRAPPED_LEN};
use crate::{CryptoError, KeyWrapper, SecretKey};

fn master(byte: u8) -> LocalMasterKey {
    LocalMasterKey::new("test".into(), SecretKey::from_bytes(&[byte; 32]).unwrap())
}

#[test]
fn wrapped_key_unwraps_to_the_same_bytes() {
    let master = master(1);
    let key = SecretKey::generate().unwrap();
    let wrapped = master.wrap(&key, b"context").unwrap();
    assert_eq!(wrapped.len(), WRAPPED_LEN);
    assert_eq!(wrapped[0], 1, "version byte");
    let unwrapped = master.unwrap_key(&wrapped, b"context").unwrap();
    assert_eq!(unwrapped.expose(), key.expose());
}

#[test]
fn wrapping_twice_uses_fresh_nonces() {
    let master = master(1);
    let key = SecretKey::generate().unwrap();
    assert_ne!(
        master.wrap(&key, b"aad").unwrap(),
        master.wrap(&key, b"aad").unwrap()
    );
}

#[test]
fn unwrap_fails_with_other_aad_other_master_or_any_changed_byte() {
    let key = SecretKey::generate().unwrap();
    let wrapped = master(1).wrap(&key, b"aad").unwrap();
    assert!(matches!(
        master(1).unwrap_key(&wrapped, b"other"),
        Err(CryptoError::Open)
    ));
    assert!(matches!(
        master(2).unwrap_key(&wrapped, b"aad"),
        Err(CryptoError::Open)
    ));
    for i in 0..wrapped.len() {
        let mut tampered = wrapped.clone();
        tampered[i] ^= 0x01;
        assert!(master(1).unwrap_key(&tampered, b"aad").is_err(), "byte {i}");
    }
}

#[test]
fn unwrap_rejects_unknown_versions_and_bad_lengths() {
    let master = master(1);
    let mut wrapped = master.wrap(&SecretKey::generate().unwrap(), b"").unwrap();
    assert!(matches!(
        master.unwrap_key(&[], b""),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        master.unwrap_key(&wrapped[..wrapped.len() - 1], b""),
        Err(CryptoError::Malformed { .. })
    ));
    wrapped[0] = 2;
    assert!(matches!(
        master.unwrap_key(&wrapped, b""),
        Err(CryptoError::UnsupportedVersion { version: 2 })
    ));
}

#[test]
fn base64_and_env_constructors_accept_32_bytes_only() {
    let encoded = STANDARD.encode([9u8; 32]);
    let a = LocalMasterKey::from_base64("a".into(), &format!("  {encoded}\n")).unwrap();
    assert_eq!(a.key_id(), "a");
    let b = LocalMasterKey::from_env_value(&encoded).unwrap();
    assert!(b.key_id().starts_with("local:"));
    assert_eq!(b.key_id().len(), "local:".len() + 16);

    // Both hold the same key: one unwraps what the other wrapped.
    let key = SecretKey::generate().unwrap();
    let wrapped = a.wrap(&key, b"x").unwrap();
    assert_eq!(b.unwrap_key(&wrapped, b"x").unwrap().expose(), key.expose());

    assert!(matches!(
        LocalMasterKey::from_env_value("not base64!"),
        Err(CryptoError::KeyEncoding)
    ));
    assert!(matches!(
        LocalMasterKey::from_env_value(&STANDARD.encode([9u8; 16])),
        Err(CryptoError::KeyLength {
            expected: 32,
            actual: 16
        })
    ));
}

#[test]
fn fingerprint_id_is_sha256_prefix_of_the_key() {
    // SHA-256 of 32 zero bytes starts with 66687aadf862bd77.
    let key = SecretKey::from_bytes(&[0; 32]).unwrap();
    assert_eq!(
        LocalMasterKey::fingerprint_id(&key),
        "local:66687aadf862bd77"
    );
}

#[test]
fn debug_and_errors_print_no_key_material() {
    let encoded = STANDARD.encode([0xAB; 32]);
    let master = LocalMasterKey::from_base64("kid".into(), &encoded).unwrap();
    let printed = format!("{master:?}");
    assert!(printed.contains("kid") && printed.contains("<redacted>"));
    assert!(!printed.contains(&encoded) && !printed.contains("171"));

    // The base64 decoder's own error quotes the bad byte; ours does not.
    let err = LocalMasterKey::from_env_value("s3cr*tkeymaterial").unwrap_err();
    let printed = format!("{err} {err:?}");
    assert!(
        !printed.contains('*') && !printed.contains("s3cr"),
        "{printed}"
    );
}

#[test]
fn key_file_is_created_once_then_reloaded() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");

    let (created, was_created) = LocalMasterKey::load_or_create_file(&path).unwrap();
    assert!(was_created);
    let (loaded, was_created) = LocalMasterKey::load_or_create_file(&path).unwrap();
    assert!(!was_created);
    assert_eq!(created.key_id(), loaded.key_id());
    assert_eq!(created.key.expose(), loaded.key.expose());

    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(STANDARD.decode(text.trim()).unwrap(), created.key.expose());

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}

#[test]
fn a_corrupt_key_file_is_an_error_and_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    std::fs::write(&path, "too short\n").unwrap();
    let err = LocalMasterKey::load_or_create_file(&path).unwrap_err();
    assert!(matches!(err, CryptoError::KeyFileContent { .. }), "{err:?}");
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "too short\n");
}

#[test]
fn a_missing_directory_is_a_key_file_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing").join("master.key");
    let err = LocalMasterKey::load_or_create_file(&path).unwrap_err();
    assert!(matches!(err, CryptoError::KeyFile { .. }), "{err:?}");
    assert!(err.to_string().contains("master.key"));
}
