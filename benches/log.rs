//! The access log's speed: durable appends with 1, 16 and 256 concurrent writers,
//! against the same database's raw batched-insert ceiling in the same run, and how fast
//! the chain verifies (in memory, and from the database).
//!
//! Run: `cargo bench --bench log` (set `SUPPORTGATE_TEST_POSTGRES_URL` to add
//! PostgreSQL; `SUPPORTGATE_BENCH_SECONDS` is the time per append measurement, default 3;
//! `SUPPORTGATE_BENCH_VERIFY` the in-memory chain length, default 1,000,000).
//! Results go into docs/BENCHMARKS.md.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::Executor;
use supportgate_audit::{
    encode_entry, entry_hash, AuditSink, Decision, Link, NewEntry, StoredFields, Verifier, GENESIS,
};
use supportgate_crypto::{SecretKey, SigningKey};
use supportgate_service::{GatewayKey, TrustedKeys};
use supportgate_store::{MainStore, SequenceRange};
use supportgate_testkit::{Backend, TestDatabases};
use supportgate_types::{
    CaseId, DataClass, PurposeCode, RequestId, Role, SubjectId, SystemClock, TenantId,
};

/// A realistic entry: 8 tenants, 1,000 cases, 100 engineers, fresh request ids.
fn entry() -> NewEntry {
    static TENANTS: std::sync::OnceLock<Vec<TenantId>> = std::sync::OnceLock::new();
    static CASES: std::sync::OnceLock<Vec<CaseId>> = std::sync::OnceLock::new();
    static SUBJECTS: std::sync::OnceLock<Vec<SubjectId>> = std::sync::OnceLock::new();
    let request_id = RequestId::new();
    let pick = request_id.as_uuid().as_u128() as usize;
    let tenant = TENANTS.get_or_init(|| (0..8).map(|_| TenantId::new()).collect())[pick % 8];
    let case = CASES.get_or_init(|| (0..1000).map(|_| CaseId::new()).collect())[(pick >> 8) % 1000];
    let subject =
        SUBJECTS.get_or_init(|| (0..100).map(|_| SubjectId::new()).collect())[(pick >> 24) % 100];
    NewEntry {
        time: supportgate_types::Clock::now(&SystemClock),
        subject: Some(subject),
        role: Some(Role::SupportEngineer),
        tenant: Some(tenant),
        action: "case.get",
        data_class: DataClass::Customer,
        resource_id: Some(case.to_string()),
        case_id: Some(case),
        purpose: Some(PurposeCode::ProvideSupport),
        decision: Decision::Allowed,
        reason: "ASSIGNED_ENGINEER",
        request_id,
    }
}

async fn open(dbs: &TestDatabases, key: &Arc<GatewayKey>) -> MainStore {
    let options = key.log_options(Arc::new(SystemClock), 1024, Duration::from_secs(10));
    MainStore::open_with(&dbs.config, options).await.unwrap()
}

/// Durable appends per second with `writers` concurrent callers for `time`.
async fn appends(store: &MainStore, writers: usize, time: Duration) -> f64 {
    let deadline = Instant::now() + time;
    let started = Instant::now();
    let tasks: Vec<_> = (0..writers)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut done = 0u64;
                while Instant::now() < deadline {
                    store.append(entry()).await.unwrap();
                    done += 1;
                }
                done
            })
        })
        .collect();
    let mut total = 0;
    for task in tasks {
        total += task.await.unwrap();
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// The ceiling: the same rows, 1,024 to a transaction, inserted the way the writer
/// inserts them (one statement per batch, the batch as JSON), with nothing else: no
/// queue, no hashing, no head lookup, no checkpoints.
async fn raw_inserts(dbs: &TestDatabases, time: Duration) -> f64 {
    sqlx::any::install_default_drivers();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&dbs.config.main_url)
        .await
        .unwrap();
    let postgres = dbs.config.main_url.starts_with("postgres");
    let sql = if postgres {
        INSERT_POSTGRES
    } else {
        INSERT_SQLITE
    };
    if !postgres {
        // The store's own settings (crates/store/src/db.rs), so the ceiling is comparable.
        pool.execute("PRAGMA synchronous = FULL; PRAGMA cache_size = -65536; PRAGMA wal_autocheckpoint = 16384")
            .await
            .unwrap();
    }
    let mut sequence: i64 = 1_000_000_000;
    let started = Instant::now();
    let mut total = 0u64;
    while started.elapsed() < time {
        let mut rows = Vec::with_capacity(1024);
        for _ in 0..1024 {
            let e = StoredFields::from_new(&entry());
            sequence += 1;
            rows.push(serde_json::json!({
                "seq": sequence, "time": e.time.timestamp_micros(),
                "subject_id": e.subject.map(|s| s.to_string()), "role": e.role.map(|r| r.as_str()),
                "tenant_id": e.tenant.map(|t| t.to_string()), "action": e.action,
                "data_class": e.data_class.as_str(), "resource_id": e.resource_id,
                "case_id": e.case_id.map(|c| c.to_string()), "purpose": e.purpose.map(|p| p.as_str()),
                "decision": e.decision.as_str(), "reason": e.reason, "request_id": e.request_id.to_string(),
                "format": 1, "prev_hash": "00".repeat(32), "hash": "00".repeat(32),
            }));
        }
        let mut tx = pool.begin().await.unwrap();
        if postgres {
            tx.execute(format!("SET LOCAL search_path TO {}", dbs.config.main_schema).as_str())
                .await
                .unwrap();
        }
        sqlx::query(sql)
            .bind(serde_json::to_string(&rows).unwrap())
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        total += 1024;
    }
    total as f64 / started.elapsed().as_secs_f64()
}

/// The writer's batch statements (crates/store/src/main_store/log_writer.rs).
const INSERT_SQLITE: &str = "INSERT INTO access_log (seq, time, subject_id, role, tenant_id, action, data_class, \
    resource_id, case_id, purpose, decision, reason, request_id, format, prev_hash, hash) \
    SELECT value->>'seq', value->>'time', value->>'subject_id', value->>'role', value->>'tenant_id', \
           value->>'action', value->>'data_class', value->>'resource_id', value->>'case_id', \
           value->>'purpose', value->>'decision', value->>'reason', value->>'request_id', \
           value->>'format', unhex(value->>'prev_hash'), unhex(value->>'hash') FROM json_each($1)";
const INSERT_POSTGRES: &str = "INSERT INTO access_log (seq, time, subject_id, role, tenant_id, action, data_class, \
    resource_id, case_id, purpose, decision, reason, request_id, format, prev_hash, hash) \
    SELECT r.seq, r.time, r.subject_id, r.role, r.tenant_id, r.action, r.data_class, r.resource_id, \
           r.case_id, r.purpose, r.decision, r.reason, r.request_id, r.format, \
           decode(r.prev_hash, 'hex'), decode(r.hash, 'hex') \
    FROM jsonb_to_recordset($1::jsonb) AS r(seq BIGINT, time BIGINT, subject_id TEXT, role TEXT, \
         tenant_id TEXT, action TEXT, data_class TEXT, resource_id TEXT, case_id TEXT, purpose TEXT, \
         decision TEXT, reason TEXT, request_id TEXT, format SMALLINT, prev_hash TEXT, hash TEXT)";

/// Entries per second the verifier checks, on a chain of `n` entries in memory.
fn verify_in_memory(n: u64, key: &TrustedKeys) -> (f64, Duration) {
    let fields = StoredFields::from_new(&entry());
    let mut prev = GENESIS;
    let chain: Vec<_> = (1..=n)
        .map(|sequence| {
            let hash = entry_hash(&prev, &encode_entry(sequence, &fields));
            let link = (sequence, prev, hash);
            prev = hash;
            link
        })
        .collect();
    let started = Instant::now();
    let mut verifier = Verifier::from_genesis(key);
    for (sequence, prev_hash, hash) in &chain {
        verifier.link(Link::Entry {
            sequence: *sequence,
            fields: &fields,
            prev_hash: Some(*prev_hash),
            entry_hash: *hash,
        });
    }
    let report = verifier.finish();
    let elapsed = started.elapsed();
    assert!(report.ok());
    (n as f64 / elapsed.as_secs_f64(), elapsed)
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let time = Duration::from_secs(env_number("SUPPORTGATE_BENCH_SECONDS", 3));
    let key = GatewayKey::new(SigningKey::from_seed(&SecretKey::generate().unwrap()).unwrap());
    let trusted = TrustedKeys::default().with(key.public_key().try_into().unwrap());
    let mut backends = vec![Backend::Sqlite];
    if std::env::var(supportgate_testkit::POSTGRES_URL_VAR).is_ok_and(|v| !v.is_empty()) {
        backends.push(Backend::Postgres);
    } else {
        eprintln!(
            "PostgreSQL rows skipped: set {} to include them",
            supportgate_testkit::POSTGRES_URL_VAR
        );
    }

    println!("| backend | writers | durable appends/s | raw batched inserts/s | ratio |");
    println!("|---|---|---|---|---|");
    let mut verify_rows = Vec::new();
    for backend in backends {
        let ceiling_dbs = TestDatabases::create(backend).await;
        let _migrated = open(&ceiling_dbs, &key).await;
        let ceiling = raw_inserts(&ceiling_dbs, time).await;
        let dbs = TestDatabases::create(backend).await;
        let store = open(&dbs, &key).await;
        for writers in [1, 16, 256] {
            let rate = appends(&store, writers, time).await;
            println!(
                "| {} | {writers} | {rate:.0} | {ceiling:.0} | {:.2} |",
                backend.name(),
                rate / ceiling
            );
        }
        let access = reviewer_access(&store).await;
        let entries = store.log_head().await.unwrap();
        let started = Instant::now();
        let report = store
            .log_verify(&access, SequenceRange { from: 1, to: None }, &trusted)
            .await
            .unwrap();
        let elapsed = started.elapsed();
        assert!(report.ok(), "{:?}", report.first_problem());
        verify_rows.push(format!(
            "| {} (from the database) | {entries} | {:.2} s | {:.0} |",
            backend.name(),
            elapsed.as_secs_f64(),
            entries as f64 / elapsed.as_secs_f64()
        ));
        store.close().await;
    }
    let n = env_number("SUPPORTGATE_BENCH_VERIFY", 1_000_000);
    let (rate, elapsed) = verify_in_memory(n, &trusted);
    println!();
    println!("| verification | entries | time | entries/s |");
    println!("|---|---|---|---|");
    println!(
        "| in memory (the verifier alone) | {n} | {:.2} s | {rate:.0} |",
        elapsed.as_secs_f64()
    );
    for row in verify_rows {
        println!("{row}");
    }
}

/// A provider-wide reviewer's metadata token, minted by the real policy (which logs it).
async fn reviewer_access(store: &MainStore) -> supportgate_policy::MetadataAccess {
    let principal = supportgate_policy::Principal {
        subject: SubjectId::new(),
        role: Role::ComplianceReviewer,
        tenant: None,
        credential: None,
    };
    supportgate_policy::Policy::new(Arc::new(SystemClock))
        .authorize_metadata(store, &principal, "log.verify", None, RequestId::new())
        .await
        .unwrap()
}
