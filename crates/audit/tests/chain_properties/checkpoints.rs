//! Properties 6 and 7: what the chain alone cannot see (a wholly recomputed tail), the
//! signed checkpoints catch; and a checkpoint itself cannot be altered unnoticed.

use chrono::DateTime;
use proptest::prelude::*;
use proptest::sample::Index;
use supportgate_audit::{Checkpoint, ProblemKind, ProblemKind::*};

use crate::fixtures::*;
use crate::keys::{TestSigner, KEY_ID};
use crate::mutations::{field, flip_bit, mutate};

/// The part of a checkpoint a bit is flipped in.
#[derive(Clone, Copy, Debug)]
enum Part {
    Signature,
    HeadHash,
    Sequence,
    Time,
}

fn part() -> impl Strategy<Value = Part> {
    prop::sample::select(vec![
        Part::Signature,
        Part::HeadHash,
        Part::Sequence,
        Part::Time,
    ])
}

/// Flips one bit of `part`, chosen by `bit`; returns the problems the verifier must report
/// for it, all at the checkpoint's (possibly new) sequence.
fn flip(cp: &mut Checkpoint, part: Part, bit: &Index) -> Vec<ProblemKind> {
    match part {
        Part::Signature => {
            let bits = cp.signature.len() * 8;
            flip_bit(&mut cp.signature, bit.index(bits));
            vec![BadSignature]
        }
        Part::HeadHash => {
            flip_bit(&mut cp.head_hash, bit.index(256));
            vec![BadSignature, CheckpointMismatch]
        }
        Part::Sequence => {
            cp.sequence ^= 1 << bit.index(64);
            vec![BadSignature, CheckpointMismatch]
        }
        Part::Time => {
            // Bit 63 would take the time out of chrono's range (±262,143 years): such a
            // checkpoint cannot be represented, so it cannot reach the verifier.
            let micros = cp.time.timestamp_micros() ^ (1 << bit.index(63));
            cp.time = DateTime::from_timestamp_micros(micros).unwrap();
            vec![BadSignature]
        }
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn rewriting_an_entry_and_every_later_hash_is_caught_by_the_first_checkpoint_covering_it(
        s in scenario(), at in any::<Index>(), field in field(), donor in fields(),
    ) {
        let k = at.index(s.chain.len());
        let mut chain = s.chain.clone();
        mutate(&mut chain[k].fields, field, &donor);
        rehash_from(&mut chain, k);
        let seq = k as u64 + 1;
        let covering: Vec<u64> =
            s.checkpoints.iter().map(|cp| cp.sequence).filter(|&c| c >= seq).collect();
        let expected: Vec<_> = covering.iter().map(|&c| (c, CheckpointMismatch)).collect();
        for source in SOURCES {
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(problems(&report), expected.clone(), "{:?}", source);
            let vouched = report.last_valid_checkpoint.map(|cp| cp.sequence);
            prop_assert!(vouched.is_none_or(|c| c < seq), "{:?} vouched for {:?}", source, vouched);
        }
    }

    #[test]
    fn flipping_any_bit_of_a_checkpoints_signature_head_sequence_or_time_is_reported(
        s in scenario(), which in any::<Index>(), part in part(), bit in any::<Index>(),
    ) {
        let j = which.index(s.checkpoints.len());
        let mut checkpoints = s.checkpoints.clone();
        let kinds = flip(&mut checkpoints[j], part, &bit);
        let tampered = checkpoints[j].clone();
        let expected: Vec<_> = kinds.into_iter().map(|kind| (tampered.sequence, kind)).collect();
        for source in SOURCES {
            let report = source.verify(&s.chain, &checkpoints);
            prop_assert_eq!(problems(&report), expected.clone(), "{:?}", source);
            prop_assert_ne!(report.last_valid_checkpoint.as_ref(), Some(&tampered));
        }
    }

    #[test]
    fn a_checkpoint_under_an_unknown_key_id_is_reported_as_unknown_key(
        s in scenario(), which in any::<Index>(), key_id in "\\PC{0,24}",
    ) {
        prop_assume!(key_id != KEY_ID);
        let j = which.index(s.checkpoints.len());
        let mut checkpoints = s.checkpoints.clone();
        checkpoints[j].key_id = key_id;
        let seq = checkpoints[j].sequence;
        for source in SOURCES {
            let report = source.verify(&s.chain, &checkpoints);
            prop_assert_eq!(problems(&report), vec![(seq, UnknownKey)], "{:?}", source);
            prop_assert_ne!(report.last_valid_checkpoint.as_ref(), Some(&checkpoints[j]));
        }
    }

    #[test]
    fn a_checkpoint_signed_by_another_key_under_the_trusted_id_is_a_bad_signature(
        s in scenario(), which in any::<Index>(),
    ) {
        let j = which.index(s.checkpoints.len());
        let mut checkpoints = s.checkpoints.clone();
        let cp = &checkpoints[j];
        checkpoints[j] = TestSigner::impostor().checkpoint(cp.sequence, cp.head_hash, cp.time);
        let seq = checkpoints[j].sequence;
        for source in SOURCES {
            let report = source.verify(&s.chain, &checkpoints);
            prop_assert_eq!(problems(&report), vec![(seq, BadSignature)], "{:?}", source);
        }
    }
}
