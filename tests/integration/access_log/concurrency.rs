//! Group commit under load: a hundred concurrent reads all succeed, each has exactly its
//! entries, and the log stays one gap-free chain that verifies.

use std::collections::HashSet;

use futures::future::join_all;
use supportgate::proto::{Decision, GetCaseRequest, Purpose};
use supportgate_testkit::backend_tests;

use super::{assert_gap_free, verify, whole_log, with_request_id, WAIT};
use crate::harness::World;

const CALLS: usize = 100;
const CHANNELS: usize = 10;

backend_tests! {
    async fn a_hundred_concurrent_reads_all_succeed_and_leave_a_gap_free_chain(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let mut channels = Vec::new();
        for _ in 0..CHANNELS {
            channels.push(world.server.as_actor(&acme.engineer).await);
        }
        let before = whole_log(&world).await;

        let calls = (0..CALLS).map(|i| {
            let mut cases = channels[i % CHANNELS].cases();
            let (request, id) = with_request_id(GetCaseRequest {
                case_id: acme.case.clone(),
                purpose: Purpose::ProvideSupport.into(),
            });
            async move { (id, cases.get_case(request).await) }
        });
        let results = tokio::time::timeout(WAIT, join_all(calls)).await.expect("the reads hung");
        let mut ids = HashSet::new();
        for (id, result) in results {
            let view = result.unwrap_or_else(|s| panic!("read {id} failed: {s:?}")).into_inner();
            assert_eq!(view.summary, "acme: VPN drops every hour");
            ids.insert(id);
        }
        assert_eq!(ids.len(), CALLS);

        let log = whole_log(&world).await;
        assert_gap_free(&log);
        assert_eq!(log[..before.len()], before[..], "earlier entries changed");
        // A case view holds the case and its contact: one entry for each.
        let reads: Vec<_> = log.iter().filter(|e| ids.contains(&e.request_id)).collect();
        assert_eq!(reads.len(), 2 * CALLS, "two entries per read");
        for id in &ids {
            let mut actions: Vec<&str> =
                reads.iter().filter(|e| &e.request_id == id).map(|e| e.action.as_str()).collect();
            actions.sort_unstable();
            assert_eq!(actions, ["case.get", "case.get.contact"], "read {id}");
        }
        for entry in &reads {
            assert_eq!(
                (entry.subject_id.as_str(), entry.case_id.as_str(), entry.decision),
                (acme.engineer.subject_id.as_str(), acme.case.as_str(), Decision::Allowed as i32)
            );
        }
        // Nothing but the reads (and the listing's own entry) was appended meanwhile.
        assert_eq!(log.len(), before.len() + 2 * CALLS + 1);
        let report = verify(&world, None).await;
        assert!(report.ok, "{:?}", report.problems);
        assert_eq!(report.entries_checked, log.len() as u64 + 1);
    }
}
