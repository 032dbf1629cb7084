//! Bad input to the log tools: inverted time ranges (ListEntries, StreamEntries, Export),
//! inverted sequence ranges (Verify, Export) and unknown filter values are refused with
//! `INVALID_ARGUMENT` and a precise reason, and nothing is written: no export, no
//! checkpoint, the log as it was and still verifying.

use prost_types::Timestamp;
use supportgate::proto::{
    Decision, ExportRequest, ListEntriesRequest, SequenceRange, StreamEntriesRequest, VerifyRequest,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::{activity, assert_gap_free, export_bytes, verify, whole_log};
use crate::harness::{assert_status, World};

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp { seconds, nanos: 0 })
}

backend_tests! {
    async fn inverted_ranges_and_unknown_filter_values_are_refused_and_write_nothing(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let reviewer = world.server.as_actor(&world.reviewer).await;
        let mut log = reviewer.log();
        let before = whole_log(&world).await;
        let checkpoints_before = verify(&world, None).await.checkpoints_checked;
        let mid = before.len() as u64 / 2;

        // since == until is as empty as since > until.
        for (since, until) in [(at(1_700_000_000), at(1_700_000_000)), (at(1_800_000_000), at(1_700_000_000))] {
            let refused = log.list_entries(ListEntriesRequest { since, until, ..Default::default() }).await;
            assert_status(refused, Code::InvalidArgument, "INVERTED_TIME_RANGE");
            let refused = log
                .stream_entries(StreamEntriesRequest { since, until, ..Default::default() })
                .await
                .map(|_| ());
            assert_status(refused, Code::InvalidArgument, "INVERTED_TIME_RANGE");
            let refused = export_bytes(&reviewer, ExportRequest { since, until, ..Default::default() }).await;
            assert_status(refused, Code::InvalidArgument, "INVERTED_TIME_RANGE");
        }
        let inverted = Some(SequenceRange { from_sequence: mid + 1, to_sequence: mid });
        let refused = log.verify(VerifyRequest { range: inverted }).await;
        assert_status(refused, Code::InvalidArgument, "INVERTED_SEQUENCE_RANGE");
        let refused = export_bytes(&reviewer, ExportRequest { range: inverted, ..Default::default() }).await;
        assert_status(refused, Code::InvalidArgument, "INVERTED_SEQUENCE_RANGE");

        let refused = log.list_entries(ListEntriesRequest { decision: 99, ..Default::default() }).await;
        assert_status(refused, Code::InvalidArgument, "INVALID_FIELD");
        let refused = log.list_entries(ListEntriesRequest { purpose: 99, ..Default::default() }).await;
        assert_status(refused, Code::InvalidArgument, "PURPOSE_UNKNOWN");
        let refused = log.list_entries(ListEntriesRequest { case_id: "not-a-case".into(), ..Default::default() }).await;
        assert_eq!(refused.expect_err("a malformed id is refused").code(), Code::InvalidArgument);

        let after = whole_log(&world).await;
        assert_gap_free(&after);
        assert_eq!(after[..before.len()], before[..], "the log before the refusals changed");
        let added = &after[before.len()..];
        let (own, between) = added.split_last().expect("the listing's own entry");
        assert_eq!(own.action, "log.list");
        // Verify's own entry, then nothing but logged refusals, if any.
        assert_eq!(between[0].action, "log.verify", "{between:?}");
        for entry in &between[1..] {
            assert_eq!(entry.decision, Decision::Denied as i32, "a refusal wrote an allowed entry: {entry:?}");
        }
        let report = verify(&world, None).await;
        assert!(report.ok, "{:?}", report.problems);
        assert_eq!(report.checkpoints_checked, checkpoints_before, "a refused export signed a checkpoint");
    }
}
