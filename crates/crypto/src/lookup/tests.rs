use super::{normalize_email, LookupHasher};
use crate::{KeyClass, TenantKey};

fn hasher(tenant: &str, class: KeyClass, version: u32) -> LookupHasher {
    TenantKey::generate(tenant, class, version)
        .unwrap()
        .lookup_hasher()
}

#[test]
fn e_mail_is_trimmed_and_lowercased_before_hashing() {
    let hasher = hasher("acme", KeyClass::Contact, 1);
    assert_eq!(
        normalize_email(" Carol@ACME.example "),
        "carol@acme.example"
    );
    assert_eq!(
        hasher.hash_email(" Carol@ACME.example "),
        hasher.hash_email("carol@acme.example")
    );
    assert_eq!(
        hasher.hash_email("\tCAROL@acme.EXAMPLE\n"),
        hasher.hash("email", b"carol@acme.example")
    );
    assert_ne!(
        hasher.hash_email("carol@acme.example"),
        hasher.hash_email("carol2@acme.example")
    );
}

#[test]
fn different_tenant_keys_give_different_hashes() {
    let email = "carol@acme.example";
    let a = hasher("acme", KeyClass::Contact, 1).hash_email(email);
    let b = hasher("globex", KeyClass::Contact, 1).hash_email(email);
    let c = hasher("acme", KeyClass::Contact, 2).hash_email(email);
    assert_ne!(a, b);
    assert_ne!(a, c);
}

#[test]
fn hashing_is_deterministic_and_domain_separated() {
    let hasher = hasher("acme", KeyClass::Contact, 1);
    assert_eq!(
        hasher.hash("phone", b"+4912"),
        hasher.hash("phone", b"+4912")
    );
    assert_ne!(hasher.hash("phone", b"+4912"), hasher.hash("fax", b"+4912"));
    // Moving bytes between domain and value changes the hash.
    assert_ne!(hasher.hash("ab", b"c"), hasher.hash("a", b"bc"));
}

#[test]
fn debug_prints_no_key() {
    let printed = format!("{:?}", hasher("acme", KeyClass::Contact, 1));
    assert_eq!(printed, "LookupHasher { key: <redacted> }");
}
