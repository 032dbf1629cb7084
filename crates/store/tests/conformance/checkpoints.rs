//! The log writer's checkpoints: signed every N entries, on request, and at close, over
//! the stored head hash; and the chain they sign is what verification recomputes.

use std::sync::Arc;
use std::time::Duration;

use supportgate_audit::{
    checkpoint_message, AuditSink, CheckpointSigner, ProblemKind, SignatureCheck, SignatureVerifier,
};
use supportgate_store::{LogOptions, MainStore, SequenceRange};
use supportgate_testkit::backend_tests;

use crate::support::{new_entry, Stores};

/// Signs with a keyed digest; good enough to tell signed bytes apart in a store test.
#[derive(Debug)]
struct TestSigner;

fn signature(message: &[u8]) -> Vec<u8> {
    ring::digest::digest(
        &ring::digest::SHA256,
        &[b"test-key".as_slice(), message].concat(),
    )
    .as_ref()
    .to_vec()
}

impl CheckpointSigner for TestSigner {
    fn key_id(&self) -> &str {
        "test"
    }
    fn sign(&self, message: &[u8]) -> Vec<u8> {
        signature(message)
    }
}

impl SignatureVerifier for TestSigner {
    fn check(&self, key_id: &str, message: &[u8], sig: &[u8]) -> SignatureCheck {
        match key_id {
            "test" if sig == signature(message) => SignatureCheck::Valid,
            "test" => SignatureCheck::Invalid,
            _ => SignatureCheck::UnknownKey,
        }
    }
}

async fn writer(s: &Stores, every: u64) -> MainStore {
    let options = LogOptions {
        signer: Some(Arc::new(TestSigner)),
        clock: s.clock.clone(),
        checkpoint_every: every,
        checkpoint_interval: Duration::from_secs(3600),
        ..LogOptions::default()
    };
    MainStore::open_with(&s.dbs.config, options).await.unwrap()
}

backend_tests! {
    async fn checkpoints_are_signed_every_n_entries_and_at_close(backend: Backend) {
        let s = Stores::open(backend).await;
        let main = writer(&s, 10).await;
        for _ in 0..25 {
            main.append(new_entry(s.tick(), None)).await.unwrap();
        }
        main.close().await;

        let checkpoints = s.main.log_checkpoints(1, 100).await.unwrap();
        let at: Vec<u64> = checkpoints.iter().map(|c| c.sequence).collect();
        assert_eq!(at, [10, 20, 25], "every 10 entries, and the head at close");
        let log = s.log().await;
        for c in &checkpoints {
            assert_eq!(c.head_hash, log[c.sequence as usize - 1].hash, "checkpoint {} signs the stored head", c.sequence);
            assert_eq!(TestSigner.check(&c.key_id, &checkpoint_message(c.sequence, &c.head_hash, c.time), &c.signature), SignatureCheck::Valid);
        }
    }

    async fn a_checkpoint_on_request_covers_the_head_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let main = writer(&s, 1000).await;
        for _ in 0..3 {
            main.append(new_entry(s.tick(), None)).await.unwrap();
        }
        let first = main.log_checkpoint_now().await.unwrap().expect("a checkpoint at the head");
        assert_eq!(first.sequence, 3);
        assert_eq!(main.log_checkpoint_now().await.unwrap(), None, "nothing new to cover");
    }

    async fn verification_recomputes_the_chain_the_checkpoints_sign(backend: Backend) {
        let s = Stores::open(backend).await;
        let main = writer(&s, 4).await;
        for _ in 0..9 {
            main.append(new_entry(s.tick(), None)).await.unwrap();
        }
        main.log_checkpoint_now().await.unwrap();
        let access = s.reviewer().await;
        let report = main.log_verify(&access, SequenceRange { from: 1, to: None }, &TestSigner).await.unwrap();
        assert!(report.ok(), "{:?}", report.problems);
        assert_eq!((report.entries_checked, report.checkpoints_checked), (10, 3));

        let partial = main.log_verify(&access, SequenceRange { from: 5, to: Some(8) }, &TestSigner).await.unwrap();
        assert!(partial.ok(), "{:?}", partial.problems);
        assert_eq!((partial.first_sequence, partial.last_sequence), (Some(5), Some(8)));

        let foreign = main.log_verify(&access, SequenceRange { from: 1, to: None }, &NoKeys).await.unwrap();
        assert!(foreign.problems.iter().all(|p| p.kind == ProblemKind::UnknownKey));
        assert_eq!(foreign.problem_count, 3);
    }
}

/// Trusts nothing.
struct NoKeys;

impl SignatureVerifier for NoKeys {
    fn check(&self, _: &str, _: &[u8], _: &[u8]) -> SignatureCheck {
        SignatureCheck::UnknownKey
    }
}
