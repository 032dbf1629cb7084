//! Property 8: a tenant export, where other tenants' entries appear only as redacted
//! links (sequence, previous hash, hash), verifies like the whole log, and changes to it
//! are named.

use proptest::prelude::*;
use proptest::sample::Index;
use supportgate_audit::ProblemKind::*;

use crate::fixtures::*;
use crate::mutations::{field, flip_bit, mutate};

/// Which entries an export hides: about half, at random.
fn mask() -> impl Strategy<Value = Vec<bool>> {
    prop::collection::vec(any::<bool>(), 60)
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn a_tenant_export_with_redacted_links_verifies_like_the_whole_chain(
        s in scenario(), hidden in mask(),
    ) {
        let n = s.chain.len() as u64;
        for source in SOURCES {
            let report = source.verify_export(&s.chain, &hidden, &s.checkpoints);
            prop_assert!(report.ok(), "{:?}: {:?}", source, problems(&report));
            prop_assert_eq!(report.entries_checked, n);
            prop_assert_eq!(report.checkpoints_checked, s.checkpoints.len() as u64);
            prop_assert_eq!((report.first_sequence, report.last_sequence), (Some(1), Some(n)));
            prop_assert_eq!(report.head_hash, s.chain.last().map(|e| e.hash));
            prop_assert_eq!(report.last_valid_checkpoint.as_ref(), s.checkpoints.last());
        }
    }

    #[test]
    fn changing_a_redacted_links_previous_hash_is_named_as_a_broken_chain_at_it(
        s in scenario(), mut hidden in mask(), at in any::<Index>(), bit in 0usize..256,
    ) {
        let k = at.index(s.chain.len());
        hidden[k] = true;
        let mut chain = s.chain.clone();
        flip_bit(&mut chain[k].prev_hash, bit);
        let seq = k as u64 + 1;
        for source in SOURCES {
            let report = source.verify_export(&chain, &hidden, &s.checkpoints);
            prop_assert_eq!(problems(&report), vec![(seq, ChainBroken)], "{:?}", source);
        }
    }

    #[test]
    fn changing_a_redacted_links_own_hash_is_caught_at_its_checkpoint_or_the_next_link(
        s in scenario(), mut hidden in mask(), at in any::<Index>(), bit in 0usize..256,
    ) {
        let k = at.index(s.chain.len());
        hidden[k] = true;
        let mut chain = s.chain.clone();
        flip_bit(&mut chain[k].hash, bit);
        let seq = k as u64 + 1;
        for source in SOURCES {
            // Its fields are not in the export, so its own hash cannot be recomputed;
            // what it is bound to is its checkpoint and the link after it.
            let expected = if s.has_checkpoint_at(seq) {
                (seq, CheckpointMismatch)
            } else if hidden[k + 1] {
                (seq + 1, ChainBroken)
            } else {
                (seq + 1, source.broken())
            };
            let report = source.verify_export(&chain, &hidden, &s.checkpoints);
            prop_assert_eq!(first(&report), Some(expected), "{:?}", source);
        }
    }

    #[test]
    fn changing_a_field_of_an_entry_shown_in_a_tenant_export_is_named_at_that_entry(
        s in scenario(), mut hidden in mask(), at in any::<Index>(), field in field(),
        donor in fields(),
    ) {
        let k = at.index(s.chain.len());
        hidden[k] = false;
        let mut chain = s.chain.clone();
        mutate(&mut chain[k].fields, field, &donor);
        let seq = k as u64 + 1;
        for source in SOURCES {
            let report = source.verify_export(&chain, &hidden, &s.checkpoints);
            prop_assert_eq!(problems(&report), vec![(seq, EntryHashMismatch)], "{:?}", source);
        }
    }
}
