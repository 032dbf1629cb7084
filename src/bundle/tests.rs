//! The bundle round trip, and the fuzz target's inputs as randomized tests on stable:
//! random bytes, truncations and single-byte changes never verify and never panic.

use proptest::prelude::*;
use supportgate_audit::{
    checkpoint_message, encode_entry, entry_hash, Decision, Entry, StoredFields, GENESIS,
};
use supportgate_crypto::{SecretKey, SignatureDomain, SigningKey};
use supportgate_service::TrustedKeys;
use supportgate_types::{DataClass, RequestId, TenantId};

use super::wire::{checkpoint_to_proto, entry_to_proto};
use super::*;
use crate::proto::{self, bundle_record::Record};

fn key() -> SigningKey {
    SigningKey::from_seed(&SecretKey::from_bytes(&[3; 32]).unwrap()).unwrap()
}

/// A bundle of `n` entries of one tenant, closed by a checkpoint and the signature.
fn bundle(n: u64) -> (Vec<u8>, TrustedKeys) {
    let key = key();
    let tenant = TenantId::new();
    let mut writer = BundleWriter::default();
    writer.push(Record::Header(proto::BundleHeader {
        format: BUNDLE_FORMAT.into(),
        created_at: None,
        range: Some(proto::SequenceRange {
            from_sequence: 1,
            to_sequence: n,
        }),
        tenant_id: tenant.to_string(),
        public_keys: Vec::new(),
        prev_hash: GENESIS.to_vec().into(),
    }));
    let mut prev = GENESIS;
    for sequence in 1..=n {
        let fields = StoredFields {
            time: chrono::DateTime::from_timestamp_micros(1_767_225_600_000_000 + sequence as i64)
                .unwrap(),
            subject: None,
            role: None,
            tenant: Some(tenant),
            action: "case.get".into(),
            data_class: DataClass::Customer,
            resource_id: None,
            case_id: None,
            purpose: None,
            decision: Decision::Allowed,
            reason: "OWN_TENANT".into(),
            request_id: RequestId::new(),
        };
        let hash = entry_hash(&prev, &encode_entry(sequence, &fields));
        writer.push(Record::Entry(entry_to_proto(Entry {
            sequence,
            entry: fields,
            prev_hash: prev,
            hash,
        })));
        prev = hash;
    }
    let time = chrono::DateTime::from_timestamp_micros(1_767_225_700_000_000).unwrap();
    let signature = key.sign(
        SignatureDomain::Checkpoint,
        &checkpoint_message(n, &prev, time),
    );
    let checkpoint = supportgate_audit::Checkpoint {
        sequence: n,
        head_hash: prev,
        time,
        key_id: key.key_id(),
        signature,
    };
    writer.push(Record::Checkpoint(checkpoint_to_proto(checkpoint)));
    let digest = writer.digest();
    let bytes = writer.finish(key.key_id(), key.sign(SignatureDomain::LogBundle, &digest));
    let trusted = TrustedKeys::default().with(key.public_key().try_into().unwrap());
    (bytes.to_vec(), trusted)
}

fn verifies(bytes: &[u8], trusted: &TrustedKeys) -> bool {
    verify_bundle(bytes, trusted).is_ok_and(|v| v.ok())
}

#[test]
fn a_written_bundle_verifies_with_its_key_and_not_with_another() {
    let (bytes, trusted) = bundle(5);
    let verdict = verify_bundle(bytes.as_slice(), &trusted).unwrap();
    assert!(verdict.ok(), "{:?}", verdict.report.problems);
    assert_eq!(
        (verdict.report.entries_checked, verdict.whole_entries),
        (5, 5)
    );
    let other = TrustedKeys::default().with([9; 32]);
    assert!(!verifies(&bytes, &other));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn changing_any_byte_fails_verification(position in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (mut bytes, trusted) = bundle(4);
        let i = position.index(bytes.len());
        bytes[i] ^= 1 << bit;
        prop_assert!(!verifies(&bytes, &trusted), "byte {} bit {} changed and it still verified", i, bit);
    }

    #[test]
    fn a_truncated_bundle_fails_verification(position in any::<prop::sample::Index>()) {
        let (bytes, trusted) = bundle(4);
        let cut = position.index(bytes.len());
        prop_assert!(!verifies(&bytes[..cut], &trusted));
    }

    #[test]
    fn random_bytes_never_verify_and_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let (_, trusted) = bundle(1);
        prop_assert!(!verifies(&bytes, &trusted));
    }
}
