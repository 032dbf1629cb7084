use proptest::prelude::*;

use super::{FieldAad, FieldCipher, HEADER_LEN};
use crate::{CryptoError, KeyClass, TenantKey};

const AAD: FieldAad<'static> = FieldAad {
    tenant: "acme",
    record_id: "contact-1",
    field: "email",
};

fn cipher(version: u32) -> FieldCipher {
    TenantKey::generate("acme", KeyClass::Contact, version)
        .unwrap()
        .field_cipher()
}

#[test]
fn sealed_field_opens_to_the_plaintext() {
    let cipher = cipher(1);
    for plaintext in [&b""[..], b"x", b"carol@acme.example", &[0u8; 1000]] {
        let sealed = cipher.seal(&AAD, plaintext).unwrap();
        assert_eq!(sealed.len(), plaintext.len() + FieldCipher::OVERHEAD);
        assert_eq!(cipher.open(&AAD, &sealed).unwrap(), plaintext);
    }
}

#[test]
fn sealed_layout_is_version_then_key_version_then_nonce() {
    let cipher = cipher(0x0102_0304);
    let a = cipher.seal(&AAD, b"same").unwrap();
    let b = cipher.seal(&AAD, b"same").unwrap();
    assert_eq!(&a[..HEADER_LEN], &[1, 1, 2, 3, 4]);
    assert_ne!(a, b, "fresh nonce each time");
    assert_eq!(FieldCipher::key_version_of(&a).unwrap(), 0x0102_0304);
}

#[test]
fn changing_any_byte_or_truncating_fails_to_open() {
    let cipher = cipher(1);
    let sealed = cipher.seal(&AAD, b"carol@acme.example").unwrap();
    for i in 0..sealed.len() {
        for bit in [0x01, 0x80] {
            let mut tampered = sealed.clone();
            tampered[i] ^= bit;
            assert!(
                cipher.open(&AAD, &tampered).is_err(),
                "byte {i} bit {bit:#x}"
            );
        }
    }
    for len in 0..sealed.len() {
        assert!(
            cipher.open(&AAD, &sealed[..len]).is_err(),
            "truncated to {len}"
        );
    }
    let mut extended = sealed.clone();
    extended.push(0);
    assert!(matches!(
        cipher.open(&AAD, &extended),
        Err(CryptoError::Open)
    ));
}

#[test]
fn a_value_moved_to_another_tenant_record_or_field_fails_to_open() {
    let cipher = cipher(1);
    let sealed = cipher.seal(&AAD, b"carol@acme.example").unwrap();
    let elsewhere = [
        FieldAad {
            tenant: "globex",
            ..AAD
        },
        FieldAad {
            record_id: "contact-2",
            ..AAD
        },
        FieldAad {
            field: "phone",
            ..AAD
        },
        // Shifting bytes between parts must not produce the same AAD.
        FieldAad {
            tenant: "acmecontact-1",
            record_id: "",
            ..AAD
        },
        FieldAad {
            record_id: "contact-1email",
            field: "",
            ..AAD
        },
    ];
    for aad in elsewhere {
        let result = cipher.open(&aad, &sealed);
        assert!(
            matches!(result, Err(CryptoError::Open)),
            "{aad:?}: {result:?}"
        );
    }
}

#[test]
fn another_tenant_key_of_the_same_version_fails_to_open() {
    let sealed = cipher(1).seal(&AAD, b"x").unwrap();
    assert!(matches!(
        cipher(1).open(&AAD, &sealed),
        Err(CryptoError::Open)
    ));
}

#[test]
fn open_and_key_version_of_report_version_problems_precisely() {
    let sealed = cipher(1).seal(&AAD, b"x").unwrap();
    assert!(matches!(
        cipher(2).open(&AAD, &sealed),
        Err(CryptoError::KeyVersionMismatch {
            expected: 2,
            found: 1
        })
    ));
    let mut future = sealed.clone();
    future[0] = 2;
    assert!(matches!(
        FieldCipher::key_version_of(&future),
        Err(CryptoError::UnsupportedVersion { version: 2 })
    ));
    assert!(matches!(
        FieldCipher::key_version_of(&[]),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        FieldCipher::key_version_of(&[1, 0, 0]),
        Err(CryptoError::Malformed { .. })
    ));
    assert!(matches!(
        cipher(1).open(&AAD, &sealed[..HEADER_LEN + 27]),
        Err(CryptoError::Malformed { .. })
    ));
}

proptest! {
    #[test]
    fn seal_then_open_round_trips_and_binds_the_aad(
        plaintext in proptest::collection::vec(any::<u8>(), 0..2048),
        tenant in ".{0,16}",
        record_id in ".{0,16}",
        field in ".{0,16}",
        other_field in ".{0,16}",
        version in any::<u32>(),
    ) {
        let cipher = cipher(version);
        let aad = FieldAad { tenant: &tenant, record_id: &record_id, field: &field };
        let sealed = cipher.seal(&aad, &plaintext)?;
        prop_assert_eq!(FieldCipher::key_version_of(&sealed)?, version);
        prop_assert_eq!(cipher.open(&aad, &sealed)?, plaintext);
        if other_field != field {
            let moved = FieldAad { field: &other_field, ..aad };
            prop_assert!(matches!(cipher.open(&moved, &sealed), Err(CryptoError::Open)));
        }
    }
}
