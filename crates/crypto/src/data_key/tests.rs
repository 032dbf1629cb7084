use ring::aead::LessSafeKey;

use super::{unwrap, wrap, DataKey, WrapContext, WRAPPED_LEN};
use crate::{aead, CryptoError, KeyClass, SecretKey, TenantKey};

const CONTEXT: WrapContext<'static> = WrapContext {
    tenant: "acme",
    class: KeyClass::Customer,
    key_version: 3,
    object_id: "object-1",
};

fn wrap_key() -> LessSafeKey {
    aead::cipher_key(&SecretKey::from_bytes(&[9; 32]).unwrap()).unwrap()
}

fn tenant_key(version: u32) -> TenantKey {
    TenantKey::generate("acme", KeyClass::Customer, version).unwrap()
}

#[test]
fn generated_keys_differ() {
    let a = DataKey::generate().unwrap();
    let b = DataKey::generate().unwrap();
    assert_ne!(a.key.expose(), b.key.expose());
}

#[test]
fn unwrapped_key_is_the_wrapped_one() {
    let tenant = tenant_key(3);
    let key = DataKey::generate().unwrap();
    let wrapped = tenant.wrap_data_key(&key, "object-1").unwrap();
    let again = tenant.unwrap_data_key(&wrapped, "object-1").unwrap();
    assert_eq!(again.key.expose(), key.key.expose());
}

#[test]
fn wrapped_layout_is_version_then_key_version_then_nonce() {
    let tenant = tenant_key(0x0102_0304);
    let key = DataKey::generate().unwrap();
    let a = tenant.wrap_data_key(&key, "object-1").unwrap();
    let b = tenant.wrap_data_key(&key, "object-1").unwrap();
    assert_eq!(a.len(), WRAPPED_LEN);
    assert_eq!(WRAPPED_LEN, 65);
    assert_eq!(&a[..5], &[1, 1, 2, 3, 4]);
    assert_ne!(a, b, "fresh nonce each time");
    assert_eq!(TenantKey::key_version_of_wrapped(&a).unwrap(), 0x0102_0304);
}

#[test]
fn a_wrapped_key_moved_to_another_object_tenant_class_or_version_fails_to_open() {
    let key = DataKey::generate().unwrap();
    let wrapped = wrap(&wrap_key(), &CONTEXT, &key).unwrap();
    assert!(unwrap(&wrap_key(), &CONTEXT, &wrapped).is_ok());
    let moved = [
        WrapContext {
            object_id: "object-2",
            ..CONTEXT
        },
        WrapContext {
            object_id: "object-",
            ..CONTEXT
        },
        WrapContext {
            object_id: "",
            ..CONTEXT
        },
        WrapContext {
            tenant: "globex",
            ..CONTEXT
        },
        WrapContext {
            class: KeyClass::Contact,
            ..CONTEXT
        },
    ];
    for context in moved {
        let result = unwrap(&wrap_key(), &context, &wrapped);
        assert!(
            matches!(result, Err(CryptoError::Open)),
            "{context:?}: {result:?}"
        );
    }

    // Relabelled with another key version: the header and the AAD both disagree.
    let mut relabelled = wrapped.clone();
    relabelled[4] = 4;
    let context = WrapContext {
        key_version: 4,
        ..CONTEXT
    };
    let result = unwrap(&wrap_key(), &context, &relabelled);
    assert!(matches!(result, Err(CryptoError::Open)), "{result:?}");
}

#[test]
fn a_wrapped_key_opens_only_for_its_object_under_its_tenant_key() {
    let tenant = tenant_key(1);
    let wrapped = tenant
        .wrap_data_key(&DataKey::generate().unwrap(), "object-1")
        .unwrap();
    let result = tenant.unwrap_data_key(&wrapped, "object-2");
    assert!(matches!(result, Err(CryptoError::Open)));
    let result = tenant_key(1).unwrap_data_key(&wrapped, "object-1");
    assert!(matches!(result, Err(CryptoError::Open)));
    let result = tenant_key(2).unwrap_data_key(&wrapped, "object-1");
    assert!(matches!(
        result,
        Err(CryptoError::KeyVersionMismatch {
            expected: 2,
            found: 1
        })
    ));
}

#[test]
fn rotation_rewraps_the_same_data_key_under_the_new_version() {
    let (old, new) = (tenant_key(1), tenant_key(2));
    let key = DataKey::generate().unwrap();
    let wrapped = old.wrap_data_key(&key, "object-1").unwrap();

    let rewrapped = new
        .wrap_data_key(
            &old.unwrap_data_key(&wrapped, "object-1").unwrap(),
            "object-1",
        )
        .unwrap();
    assert_eq!(TenantKey::key_version_of_wrapped(&rewrapped).unwrap(), 2);
    let again = new.unwrap_data_key(&rewrapped, "object-1").unwrap();
    assert_eq!(again.key.expose(), key.key.expose());
}

#[test]
fn changing_any_byte_or_the_length_fails_to_open() {
    let key = DataKey::generate().unwrap();
    let wrapped = wrap(&wrap_key(), &CONTEXT, &key).unwrap();
    for i in 0..wrapped.len() {
        for bit in [0x01, 0x80] {
            let mut tampered = wrapped.clone();
            tampered[i] ^= bit;
            assert!(
                unwrap(&wrap_key(), &CONTEXT, &tampered).is_err(),
                "byte {i} bit {bit:#x}"
            );
        }
    }
    for len in [0, 1, 5, WRAPPED_LEN - 1] {
        assert!(
            unwrap(&wrap_key(), &CONTEXT, &wrapped[..len]).is_err(),
            "length {len}"
        );
    }
    let mut longer = wrapped.clone();
    longer.push(0);
    let result = unwrap(&wrap_key(), &CONTEXT, &longer);
    assert!(matches!(
        result,
        Err(CryptoError::Malformed {
            what: "wrapped data key (length)"
        })
    ));
}

#[test]
fn key_version_of_wrapped_checks_the_format_version_and_header() {
    assert!(matches!(
        TenantKey::key_version_of_wrapped(&[]),
        Err(CryptoError::Malformed {
            what: "wrapped data key (empty)"
        })
    ));
    assert!(matches!(
        TenantKey::key_version_of_wrapped(&[2, 0, 0, 0, 1]),
        Err(CryptoError::UnsupportedVersion { version: 2 })
    ));
    assert!(matches!(
        TenantKey::key_version_of_wrapped(&[1, 0, 0, 1]),
        Err(CryptoError::Malformed {
            what: "wrapped data key (header)"
        })
    ));
    assert_eq!(
        TenantKey::key_version_of_wrapped(&[1, 0, 0, 1, 0]).unwrap(),
        256
    );
}

#[test]
fn debug_prints_no_key_bytes() {
    let key = DataKey {
        key: SecretKey::from_bytes(&[0xAB; 32]).unwrap(),
    };
    assert_eq!(format!("{key:?}"), "DataKey(<redacted>)");
    assert_eq!(format!("{key:#?}"), "DataKey(<redacted>)");
}
