//! Property 1: an untouched chain passes, and the report describes it.

use proptest::prelude::*;

use crate::fixtures::*;

proptest! {
    #![proptest_config(config())]

    #[test]
    fn an_intact_chain_verifies_and_the_report_counts_its_entries_ends_and_checkpoints(
        s in scenario(),
    ) {
        let n = s.chain.len() as u64;
        let head = s.chain.last().unwrap();
        prop_assert_eq!(s.checkpoints.last().map(|cp| cp.sequence), Some(n));
        for source in SOURCES {
            let report = source.verify(&s.chain, &s.checkpoints);
            prop_assert!(report.ok(), "{:?}: {:?}", source, problems(&report));
            prop_assert!(report.problems.is_empty());
            prop_assert_eq!(report.entries_checked, n);
            prop_assert_eq!(report.checkpoints_checked, s.checkpoints.len() as u64);
            prop_assert_eq!(report.first_sequence, Some(1));
            prop_assert_eq!(report.last_sequence, Some(n));
            prop_assert_eq!(report.head_hash, Some(head.hash));
            prop_assert_eq!(report.last_valid_checkpoint.as_ref(), s.checkpoints.last());
        }
    }
}
