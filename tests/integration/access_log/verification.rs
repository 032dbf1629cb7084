//! An untouched log verifies: every entry is checked (Verify logs itself first, so it
//! checks its own entry too) and, once an export has signed one, every checkpoint.

use supportgate::proto::{Decision, ExportRequest, SequenceRange};
use supportgate_testkit::backend_tests;

use super::{activity, assert_gap_free, export_bytes, field, verify, whole_log, Cli};
use crate::harness::World;

backend_tests! {
    async fn verify_after_activity_is_ok_and_checks_every_entry_and_every_checkpoint(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let listed = whole_log(&world).await;
        assert_gap_free(&listed);
        let head = listed.len() as u64;

        let report = verify(&world, None).await;
        assert!(report.ok, "an untouched log verifies: {:?}", report.problems);
        assert!(report.problems.is_empty(), "{:?}", report.problems);
        assert_eq!(report.entries_checked, head + 1, "every listed entry and Verify's own");
        assert_eq!(report.range, Some(SequenceRange { from_sequence: 1, to_sequence: head + 1 }));
        let after = whole_log(&world).await;
        assert_eq!(after[..listed.len()], listed[..], "verifying changed the log");
        let own = &after[listed.len()];
        assert_eq!(
            (own.action.as_str(), own.subject_id.as_str(), own.decision),
            ("log.verify", world.reviewer.subject_id.as_str(), Decision::Allowed as i32),
            "Verify's own entry comes first"
        );

        let reviewer = world.server.as_actor(&world.reviewer).await;
        let bundle = export_bytes(&reviewer, ExportRequest::default()).await.expect("export");
        assert!(!bundle.is_empty());
        let report = verify(&world, None).await;
        assert!(report.ok, "still ok after an export: {:?}", report.problems);
        assert!(report.checkpoints_checked >= 1, "the export signed a checkpoint: {report:?}");
        let checkpoint = report.last_checkpoint.expect("a valid checkpoint");
        assert!(
            checkpoint.sequence > head + 1 && checkpoint.sequence < report.entries_checked,
            "the checkpoint covers the export's entry and precedes this Verify's: {checkpoint:?}"
        );
        assert_eq!(checkpoint.signature.len(), 64, "an Ed25519 signature");
        let log = whole_log(&world).await;
        assert_gap_free(&log);
        assert_eq!(report.entries_checked, log.len() as u64 - 1, "every entry up to Verify's own");
        assert_eq!(
            log[checkpoint.sequence as usize - 1].entry_hash, checkpoint.head_hash,
            "the checkpoint signs the stored head hash"
        );

        let part = verify(&world, Some(SequenceRange { from_sequence: 3, to_sequence: 7 })).await;
        assert!(part.ok, "{:?}", part.problems);
        assert_eq!(part.entries_checked, 5, "a range checks exactly its entries");
        assert_eq!(part.range, Some(SequenceRange { from_sequence: 3, to_sequence: 7 }));
    }

    async fn log_verify_in_a_shell_exits_0_and_prints_the_entry_and_checkpoint_counts(backend: Backend) {
        let world = World::build(backend).await;
        activity(&world).await;
        let cli = Cli::new(&world.server);
        cli.ok(&world.reviewer, &["log", "export", "--out", "bundle.sgb"]).await;

        let stdout = cli.ok(&world.reviewer, &["log", "verify"]).await;
        assert_eq!(field(&stdout, "result"), "ok", "{stdout}");
        let entries: u64 = field(&stdout, "entries checked").parse().expect("a count");
        let checkpoints: u64 = field(&stdout, "checkpoints checked").parse().expect("a count");
        assert!(checkpoints >= 1, "the export signed a checkpoint: {stdout}");
        assert!(!stdout.contains("problem"), "{stdout}");
        let log = whole_log(&world).await;
        assert_gap_free(&log);
        assert_eq!(entries, log.len() as u64 - 1, "every entry up to its own: {stdout}");
        let own = &log[entries as usize - 1];
        assert_eq!((own.action.as_str(), own.subject_id.as_str()), ("log.verify", world.reviewer.subject_id.as_str()));

        let json: serde_json::Value = serde_json::from_str(
            &cli.ok(&world.reviewer, &["log", "verify", "--output", "json"]).await,
        )
        .expect("one JSON value");
        assert_eq!(json["ok"], true, "{json}");
        assert_eq!(json["entries_checked"], entries + 2, "one more list and one more verify: {json}");
        assert!(json["checkpoints_checked"].as_u64() >= Some(1), "{json}");
    }
}
