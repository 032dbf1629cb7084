//! The verifier on hand-made chains; `tests/chain_properties.rs` covers every single
//! mutation with property tests.

use chrono::{TimeZone, Utc};
use supportgate_types::{DataClass, RequestId};

use super::*;
use crate::checkpoint::SignatureCheck;
use crate::Decision;

/// Accepts signature `[1]` under key "k".
struct Keys;
impl SignatureVerifier for Keys {
    fn check(&self, key_id: &str, _message: &[u8], signature: &[u8]) -> SignatureCheck {
        match (key_id, signature) {
            ("k", [1]) => SignatureCheck::Valid,
            ("k", _) => SignatureCheck::Invalid,
            _ => SignatureCheck::UnknownKey,
        }
    }
}

fn fields(i: u64) -> StoredFields {
    StoredFields {
        time: Utc
            .timestamp_micros(1_767_225_600_000_000 + i as i64)
            .unwrap(),
        subject: None,
        role: None,
        tenant: None,
        action: format!("action.{i}"),
        data_class: DataClass::Metadata,
        resource_id: None,
        case_id: None,
        purpose: None,
        decision: Decision::Allowed,
        reason: "R".into(),
        request_id: RequestId::new(),
    }
}

/// `(sequence, fields, prev, hash)` for entries 1..=n.
fn chain(n: u64) -> Vec<(u64, StoredFields, Hash, Hash)> {
    let mut prev = GENESIS;
    (1..=n)
        .map(|i| {
            let f = fields(i);
            let hash = entry_hash(&prev, &encode_entry(i, &f));
            let link = (i, f, prev, hash);
            prev = hash;
            link
        })
        .collect()
}

fn run(
    links: &[(u64, StoredFields, Hash, Hash)],
    with_prev: bool,
    checkpoints: &[Checkpoint],
) -> Report {
    let mut v = Verifier::from_genesis(&Keys);
    for (sequence, fields, prev, hash) in links {
        v.link(Link::Entry {
            sequence: *sequence,
            fields,
            prev_hash: with_prev.then_some(*prev),
            entry_hash: *hash,
        });
        for cp in checkpoints.iter().filter(|cp| cp.sequence == *sequence) {
            v.checkpoint(cp);
        }
    }
    v.finish()
}

fn checkpoint(sequence: u64, head_hash: Hash, signature: Vec<u8>) -> Checkpoint {
    Checkpoint {
        sequence,
        head_hash,
        time: Utc.timestamp_micros(0).unwrap(),
        key_id: "k".into(),
        signature,
    }
}

#[test]
fn an_intact_chain_with_a_good_checkpoint_verifies() {
    let links = chain(5);
    let cp = checkpoint(5, links[4].3, vec![1]);
    let report = run(&links, true, std::slice::from_ref(&cp));
    assert!(report.ok(), "{report:?}");
    assert_eq!((report.entries_checked, report.checkpoints_checked), (5, 1));
    assert_eq!(report.last_valid_checkpoint, Some(cp));
}

#[test]
fn a_changed_field_is_named_once() {
    let mut links = chain(5);
    links[2].1.reason = "TAMPERED".into();
    for with_prev in [true, false] {
        let report = run(&links, with_prev, &[]);
        assert_eq!(report.problem_count, 1, "{report:?}");
        let first = report.first_problem().unwrap();
        assert_eq!(
            (first.sequence, first.kind),
            (3, ProblemKind::EntryHashMismatch)
        );
    }
}

#[test]
fn a_removed_entry_is_named_by_its_sequence() {
    let mut links = chain(5);
    links.remove(1);
    let report = run(&links, true, &[]);
    let first = report.first_problem().unwrap();
    assert_eq!((first.sequence, first.kind), (2, ProblemKind::SequenceGap));
    assert!(report
        .problems
        .iter()
        .any(|p| p.sequence == 3 && p.kind == ProblemKind::ChainBroken));
}

#[test]
fn a_rewritten_tail_is_caught_by_the_signed_checkpoint() {
    let original = chain(4);
    let cp = checkpoint(4, original[3].3, vec![1]);
    // Change entry 2 and recompute every hash after it: the chain is consistent again,
    // but its head no longer matches what the gateway signed.
    let mut forged = original.clone();
    forged[1].1.decision = Decision::Denied;
    let mut prev = forged[0].3;
    for link in forged.iter_mut().skip(1) {
        link.2 = prev;
        link.3 = entry_hash(&prev, &encode_entry(link.0, &link.1));
        prev = link.3;
    }
    let report = run(&forged, true, &[cp]);
    assert_eq!(report.problem_count, 1, "{report:?}");
    assert_eq!(
        report.first_problem().unwrap().kind,
        ProblemKind::CheckpointMismatch
    );
    assert_eq!(report.last_valid_checkpoint, None);
}

#[test]
fn bad_and_unknown_signatures_are_problems() {
    let links = chain(2);
    let bad = checkpoint(2, links[1].3, vec![2]);
    let foreign = Checkpoint {
        key_id: "other".into(),
        ..checkpoint(2, links[1].3, vec![1])
    };
    let report = run(&links, true, &[bad, foreign]);
    let kinds: Vec<_> = report.problems.iter().map(|p| p.kind).collect();
    assert_eq!(kinds, [ProblemKind::BadSignature, ProblemKind::UnknownKey]);
}

#[test]
fn redacted_links_keep_the_chain_checkable() {
    let links = chain(3);
    let mut v = Verifier::from_genesis(&Keys);
    v.link(Link::Entry {
        sequence: 1,
        fields: &links[0].1,
        prev_hash: Some(GENESIS),
        entry_hash: links[0].3,
    });
    v.link(Link::Redacted {
        sequence: 2,
        prev_hash: links[1].2,
        entry_hash: links[1].3,
    });
    v.link(Link::Entry {
        sequence: 3,
        fields: &links[2].1,
        prev_hash: Some(links[2].2),
        entry_hash: links[2].3,
    });
    assert!(v.finish().ok());

    let mut v = Verifier::from_genesis(&Keys);
    v.link(Link::Entry {
        sequence: 1,
        fields: &links[0].1,
        prev_hash: Some(GENESIS),
        entry_hash: links[0].3,
    });
    v.link(Link::Redacted {
        sequence: 2,
        prev_hash: [9; 32],
        entry_hash: links[1].3,
    });
    let report = v.finish();
    assert_eq!(
        report.first_problem().map(|p| (p.sequence, p.kind)),
        Some((2, ProblemKind::ChainBroken))
    );
}
