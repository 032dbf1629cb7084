use super::{KeyClass, TenantKey};
use crate::{CryptoError, FieldAad, LocalMasterKey, SecretKey};

fn master() -> LocalMasterKey {
    LocalMasterKey::new("test".into(), SecretKey::generate().unwrap())
}

const AAD: FieldAad<'static> = FieldAad {
    tenant: "acme",
    record_id: "contact-1",
    field: "email",
};

#[test]
fn key_class_names_are_stable() {
    assert_eq!(KeyClass::Contact.as_str(), "contact");
    assert_eq!(KeyClass::Customer.as_str(), "customer");
    assert_eq!(KeyClass::Customer.to_string(), "customer");
}

#[test]
fn unwrapped_key_opens_what_the_original_sealed() {
    let master = master();
    let key = TenantKey::generate("acme", KeyClass::Contact, 3).unwrap();
    let wrapped = key.wrap_with(&master).unwrap();
    let again = TenantKey::unwrap_with(&master, "acme", KeyClass::Contact, 3, &wrapped).unwrap();

    assert_eq!(again.tenant(), "acme");
    assert_eq!(again.class(), KeyClass::Contact);
    assert_eq!(again.key_version(), 3);
    let sealed = key
        .field_cipher()
        .seal(&AAD, b"carol@acme.example")
        .unwrap();
    assert_eq!(
        again.field_cipher().open(&AAD, &sealed).unwrap(),
        b"carol@acme.example"
    );
    assert_eq!(
        key.lookup_hasher().hash_email("carol@acme.example"),
        again.lookup_hasher().hash_email("carol@acme.example")
    );
}

#[test]
fn unwrapping_under_another_tenant_class_or_version_fails() {
    let master = master();
    let key = TenantKey::generate("acme", KeyClass::Contact, 1).unwrap();
    let wrapped = key.wrap_with(&master).unwrap();
    let moved = [
        ("globex", KeyClass::Contact, 1),
        ("acme", KeyClass::Customer, 1),
        ("acme", KeyClass::Contact, 2),
        ("acm", KeyClass::Contact, 1),
        ("", KeyClass::Contact, 1),
    ];
    for (tenant, class, version) in moved {
        let result = TenantKey::unwrap_with(&master, tenant, class, version, &wrapped);
        assert!(
            matches!(result, Err(CryptoError::Open)),
            "{tenant}/{class}/{version}: {result:?}"
        );
    }
}

#[test]
fn unwrapping_under_another_master_key_fails() {
    let key = TenantKey::generate("acme", KeyClass::Customer, 1).unwrap();
    let wrapped = key.wrap_with(&master()).unwrap();
    let result = TenantKey::unwrap_with(&master(), "acme", KeyClass::Customer, 1, &wrapped);
    assert!(matches!(result, Err(CryptoError::Open)));
}

/// HKDF-SHA256 of `key` with this crate's salt and `info`, computed independently.
fn hkdf(key: &SecretKey, info: &[u8]) -> [u8; 32] {
    use ring::hkdf;
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, super::HKDF_SALT).extract(key.expose());
    let mut out = [0u8; 32];
    prk.expand(&[info], hkdf::HKDF_SHA256)
        .unwrap()
        .fill(&mut out)
        .unwrap();
    out
}

#[test]
fn field_and_lookup_use_distinct_hkdf_subkeys_never_the_tenant_key() {
    use ring::hmac;
    let key = TenantKey::generate("acme", KeyClass::Contact, 1).unwrap();
    let field_subkey = hkdf(&key.key, super::FIELD_INFO);
    let lookup_subkey = hkdf(&key.key, super::LOOKUP_INFO);
    assert_ne!(field_subkey, lookup_subkey);

    // The lookup hash is an HMAC under the lookup subkey, not the tenant or field key.
    let input = crate::encode::parts(&[b"domain", b"value"]);
    let hmac_under = |k: &[u8]| {
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, k), &input);
        tag.as_ref().to_vec()
    };
    let hash = key.lookup_hasher().hash("domain", b"value").to_vec();
    assert_eq!(hash, hmac_under(&lookup_subkey));
    assert_ne!(hash, hmac_under(&field_subkey));
    assert_ne!(hash, hmac_under(key.key.expose()));

    // Sealed fields open under the field subkey only.
    let sealed = key.field_cipher().seal(&AAD, b"secret").unwrap();
    let cipher_under = |k: &[u8; 32]| {
        let key = SecretKey::from_bytes(k).unwrap();
        crate::FieldCipher::new(crate::aead::cipher_key(&key).unwrap(), 1)
    };
    assert_eq!(
        cipher_under(&field_subkey).open(&AAD, &sealed).unwrap(),
        b"secret"
    );
    for other in [&lookup_subkey, key.key.expose()] {
        let result = cipher_under(other).open(&AAD, &sealed);
        assert!(matches!(result, Err(CryptoError::Open)));
    }
}

#[test]
fn debug_prints_context_but_no_key_bytes() {
    let secret = SecretKey::from_bytes(&[0xAB; 32]).unwrap();
    let key = TenantKey::from_key("acme", KeyClass::Contact, 7, secret).unwrap();
    for printed in [
        format!("{key:?}"),
        format!("{key:#?}"),
        format!("{:?}", key.field_cipher()),
        format!("{:?}", key.lookup_hasher()),
    ] {
        assert!(printed.contains("<redacted>"), "{printed}");
        assert!(
            !printed.contains("171") && !printed.contains("ab"),
            "{printed}"
        );
    }
    let printed = format!("{key:?}");
    assert!(printed.contains("acme") && printed.contains("Contact") && printed.contains('7'));
}
