//! Properties 2 to 5: one change, removal, insertion or reordering of stored entries is
//! found, and the first problem names where it happened.

use proptest::prelude::*;
use proptest::sample::Index;
use supportgate_audit::{encode_entry, entry_hash, ProblemKind::*};

use crate::fixtures::*;
use crate::mutations::{field, flip_bit, mutate};

proptest! {
    #![proptest_config(config())]

    #[test]
    fn changing_any_field_of_any_entry_is_named_at_that_entry_and_nowhere_else(
        s in scenario(), at in any::<Index>(), field in field(), donor in fields(),
    ) {
        let k = at.index(s.chain.len());
        let mut chain = s.chain.clone();
        mutate(&mut chain[k].fields, field, &donor);
        prop_assert_ne!(&chain[k].fields, &s.chain[k].fields);
        let seq = k as u64 + 1;
        for source in SOURCES {
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(problems(&report), vec![(seq, EntryHashMismatch)], "{:?}", source);
        }
    }

    #[test]
    fn changing_any_bit_of_an_entrys_stored_hash_is_named_at_that_entry(
        s in scenario(), at in any::<Index>(), bit in 0usize..256,
    ) {
        let k = at.index(s.chain.len());
        let mut chain = s.chain.clone();
        flip_bit(&mut chain[k].hash, bit);
        let seq = k as u64 + 1;
        for source in SOURCES {
            // The entry itself, then its checkpoint if any, then the next entry, whose
            // predecessor no longer matches.
            let mut expected = vec![(seq, EntryHashMismatch)];
            if s.has_checkpoint_at(seq) {
                expected.push((seq, CheckpointMismatch));
            }
            if k + 1 < chain.len() {
                expected.push((seq + 1, source.broken()));
            }
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(problems(&report), expected, "{:?}", source);
        }
    }

    #[test]
    fn changing_any_bit_of_an_entrys_recorded_previous_hash_is_named_at_that_entry(
        s in scenario(), at in any::<Index>(), bit in 0usize..256,
    ) {
        let k = at.index(s.chain.len());
        let mut chain = s.chain.clone();
        flip_bit(&mut chain[k].prev_hash, bit);
        let seq = k as u64 + 1;
        for source in SOURCES.into_iter().filter(|s| s.carries_prev_hash()) {
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(first(&report), Some((seq, ChainBroken)), "{:?}", source);
            let elsewhere = report.problems.iter().any(|p| p.sequence != seq);
            prop_assert!(!elsewhere, "{:?}: {:?}", source, problems(&report));
        }
    }

    #[test]
    fn removing_an_entry_below_the_head_is_named_as_a_gap_at_its_sequence(
        s in scenario_of(2..60), at in any::<Index>(),
    ) {
        let k = at.index(s.chain.len() - 1);
        let mut chain = s.chain.clone();
        chain.remove(k);
        let seq = k as u64 + 1;
        for source in SOURCES {
            // The gap, then the entry after it, which no longer follows its predecessor;
            // the removed entry's checkpoint, if any, comes before them in a bundle (it
            // was written there) and after them in the store (read once passed).
            let mut expected = vec![(seq, SequenceGap), (seq + 1, source.broken())];
            if s.has_checkpoint_at(seq) {
                let at = if source == Source::Bundle { 0 } else { expected.len() };
                expected.insert(at, (seq, CheckpointMismatch));
            }
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(problems(&report), expected, "{:?}", source);
        }
    }

    #[test]
    fn removing_the_head_is_caught_by_the_checkpoint_that_covers_it(s in scenario()) {
        let mut chain = s.chain.clone();
        let head = chain.pop().unwrap();
        for source in SOURCES {
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(problems(&report), vec![(head.sequence, CheckpointMismatch)]);
            prop_assert_ne!(
                report.last_valid_checkpoint.map(|cp| cp.sequence),
                Some(head.sequence)
            );
        }
    }

    #[test]
    fn a_forged_entry_slipped_in_under_a_taken_sequence_is_named_at_that_sequence(
        s in scenario(), at in any::<Index>(), forged in fields(),
    ) {
        let p = at.index(s.chain.len());
        let mut chain = s.chain.clone();
        chain.insert(p, forge(&chain, p, p as u64 + 1, forged));
        let seq = p as u64 + 1;
        for source in SOURCES {
            // The true entry turns up again under its number and no longer follows what
            // precedes it. The store also checks that number's checkpoint right after
            // the forged entry, where it cannot match; a bundle meets it after the true
            // entry, where it does.
            let mut expected = vec![(seq, SequenceGap), (seq, source.broken())];
            if source != Source::Bundle && s.has_checkpoint_at(seq) {
                expected.insert(0, (seq, CheckpointMismatch));
            }
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(problems(&report), expected, "{:?}", source);
        }
    }

    #[test]
    fn a_forged_entry_inserted_with_every_later_entry_renumbered_is_named_where_it_went_in(
        s in scenario(), at in any::<Index>(), forged in fields(),
    ) {
        let p = at.index(s.chain.len());
        let seq = p as u64 + 1;
        let mut chain = s.chain.clone();
        for later in &mut chain[p..] {
            later.sequence += 1;
        }
        chain.insert(p, forge(&chain, p, seq, forged));
        for source in SOURCES {
            // The forged entry is consistent with what precedes it, so the verifier can
            // only name it through its checkpoint; otherwise it names the entry it pushed
            // aside, the first one that no longer fits.
            let expected = if s.has_checkpoint_at(seq) {
                (seq, CheckpointMismatch)
            } else {
                (seq + 1, source.broken())
            };
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(first(&report), Some(expected), "{:?}", source);
        }
    }

    #[test]
    fn a_forged_entry_appended_after_the_last_checkpoint_is_reported_as_not_covered(
        s in scenario(), forged in fields(),
    ) {
        let n = s.chain.len();
        let mut chain = s.chain.clone();
        chain.push(forge(&chain, n, n as u64 + 1, forged));
        for source in SOURCES {
            // Nothing signed vouches for it, and the report says so: its head lies past
            // the last valid checkpoint.
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(report.last_sequence, Some(n as u64 + 1));
            prop_assert_eq!(report.last_valid_checkpoint.map(|cp| cp.sequence), Some(n as u64));
        }
    }

    #[test]
    fn swapping_two_adjacent_entries_is_named_at_the_first_swapped_position(
        s in scenario_of(2..60), at in any::<Index>(),
    ) {
        let i = at.index(s.chain.len() - 1);
        let mut chain = s.chain.clone();
        chain.swap(i, i + 1);
        let seq = i as u64 + 1;
        for source in SOURCES {
            // The later entry comes first: a gap where the earlier one should be. A
            // bundle has the earlier one's checkpoint, if any, written before that.
            let kind = if source == Source::Bundle && s.has_checkpoint_at(seq) {
                CheckpointMismatch
            } else {
                SequenceGap
            };
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(first(&report), Some((seq, kind)), "{:?}", source);
        }
    }

    #[test]
    fn swapping_the_contents_of_two_adjacent_rows_is_named_at_the_first_of_them(
        s in scenario_of(2..60), at in any::<Index>(),
    ) {
        let i = at.index(s.chain.len() - 1);
        let mut chain = s.chain.clone();
        chain.swap(i, i + 1);
        chain[i].sequence = i as u64 + 1;
        chain[i + 1].sequence = i as u64 + 2;
        let seq = i as u64 + 1;
        for source in SOURCES {
            let report = source.verify(&chain, &s.checkpoints);
            prop_assert_eq!(first(&report), Some((seq, source.broken())), "{:?}", source);
        }
    }

    #[test]
    fn moving_any_entry_elsewhere_is_named_at_the_first_position_it_disturbs(
        s in scenario_of(2..60), from in any::<Index>(), to in any::<Index>(),
    ) {
        let n = s.chain.len();
        let (from, to) = (from.index(n), to.index(n));
        prop_assume!(from != to);
        let mut chain = s.chain.clone();
        let moved = chain.remove(from);
        chain.insert(to, moved);
        let seq = from.min(to) as u64 + 1;
        for source in SOURCES {
            // The lowest-numbered problem, not the first met: in a bundle, an entry moved
            // back is preceded by the checkpoint records written before its new place,
            // which no longer match what precedes them.
            let report = source.verify(&chain, &s.checkpoints);
            let lowest = report.problems.iter().map(|p| p.sequence).min();
            prop_assert_eq!(lowest, Some(seq), "{:?}: {:?}", source, problems(&report));
            if source != Source::Bundle {
                prop_assert_eq!(first(&report).map(|(seq, _)| seq), Some(seq), "{:?}", source);
            }
        }
    }
}

/// A self-consistent forged entry with `sequence` that follows `chain[..at]`.
fn forge(
    chain: &[Stored],
    at: usize,
    sequence: u64,
    fields: supportgate_audit::StoredFields,
) -> Stored {
    let prev_hash = if at == 0 {
        supportgate_audit::GENESIS
    } else {
        chain[at - 1].hash
    };
    let hash = entry_hash(&prev_hash, &encode_entry(sequence, &fields));
    Stored {
        sequence,
        fields,
        prev_hash,
        hash,
    }
}
