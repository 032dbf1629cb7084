//! The access log cannot be rewritten through the store's own connection, and a second
//! gateway process on the same database keeps the numbering gap-free.

use supportgate_audit::AuditSink;
use supportgate_store::{MainStore, StoreError};
use supportgate_testkit::{backend_tests, Backend};
use supportgate_types::TenantId;
use tokio::task::JoinSet;

use crate::support::{new_entry, Stores};

/// Runs raw SQL on the main store's own pool; returns whether the database refused it.
async fn refused(main: &MainStore, sql: &str) -> bool {
    sqlx::query(sql)
        .execute(main.pool_for_tests())
        .await
        .is_err()
}

backend_tests! {
    async fn the_access_log_refuses_updates_and_deletes_and_keeps_every_entry(backend: Backend) {
        let s = Stores::open(backend).await;
        for _ in 0..3 {
            s.main.append(new_entry(s.tick(), Some(TenantId::new()))).await.unwrap();
        }
        let before = s.log().await;

        let mut attempts = vec![
            "UPDATE access_log SET decision = 'allowed', reason = 'TAMPERED'",
            "UPDATE access_log SET seq = seq + 100 WHERE seq = 1",
            "DELETE FROM access_log",
            "DELETE FROM access_log WHERE seq = 2",
        ];
        if backend == Backend::Postgres {
            attempts.push("TRUNCATE access_log");
        }
        for sql in attempts {
            assert!(refused(&s.main, sql).await, "the database accepted {sql:?}");
        }

        let after = s.log().await;
        assert_eq!(&after[..before.len()], &before[..], "every entry is unchanged");
        assert_eq!(after.len(), before.len() + 1, "only the reviewer's own read was added");
        let next = s.main.append(new_entry(s.tick(), None)).await.unwrap();
        assert_eq!(next.sequence, after.len() as u64 + 1, "appending still works, without a gap");
    }

    async fn a_second_process_appending_to_the_same_log_keeps_the_numbering_gap_free(backend: Backend) {
        let s = Stores::open(backend).await;
        // Two gateway replicas: separate pools and separate in-process writer locks.
        let replicas = [s.main.clone(), MainStore::open(&s.dbs.config).await.unwrap()];
        let mut tasks = JoinSet::new();
        for i in 0..40 {
            let main = replicas[i % 2].clone();
            let entry = new_entry(s.now(), Some(TenantId::new()));
            tasks.spawn(async move { main.append(entry).await.map(|r| r.sequence) });
        }
        let mut numbers = Vec::new();
        for result in tasks.join_all().await {
            match result {
                Ok(seq) => numbers.push(seq),
                Err(e) => {
                    let cause = std::error::Error::source(&e).and_then(|c| c.downcast_ref::<StoreError>());
                    panic!("an append failed (the decision it records would be refused): {e}: {cause:?}")
                }
            }
        }
        numbers.sort();
        assert_eq!(numbers, (1..=40).collect::<Vec<_>>(), "no gaps, no duplicates");
        assert_eq!(s.log().await.len(), 41);
    }
}
