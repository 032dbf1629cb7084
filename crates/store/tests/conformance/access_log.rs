//! The access log: gap-free sequence numbers, faithful storage, filters, tenant scoping.

use chrono::Duration;
use supportgate_audit::{AuditSink, Decision, Entry, NewEntry, StoredFields};
use supportgate_policy::MetadataAccess;
use supportgate_store::EntryFilter;
use supportgate_testkit::backend_tests;
use supportgate_types::{CaseId, DataClass, PurposeCode, RequestId, Role, SubjectId, TenantId};
use tokio::task::JoinSet;

use crate::support::{all_pages, new_entry, page, principal, provider, stored, Stores};

async fn seqs(s: &Stores, token: &MetadataAccess, filter: &EntryFilter) -> Vec<u64> {
    let entries = s
        .main
        .log_list(token, filter, &page(1000, None))
        .await
        .unwrap();
    entries.iter().map(|e| e.sequence).collect()
}

/// Which entries a filter should select.
type Keep<'a> = Box<dyn Fn(&StoredFields) -> bool + 'a>;

fn matching(log: &[Entry], keep: impl Fn(&StoredFields) -> bool) -> Vec<u64> {
    log.iter()
        .filter(|e| keep(&e.entry))
        .map(|e| e.sequence)
        .collect()
}

/// Twelve entries that differ in every filterable field, each a minute after the last.
fn varied(
    s: &Stores,
    tenants: [TenantId; 2],
    cases: [CaseId; 2],
    subjects: [SubjectId; 2],
) -> Vec<NewEntry> {
    (0..12)
        .map(|i| NewEntry {
            tenant: [Some(tenants[0]), Some(tenants[1]), None][i % 3],
            case_id: [Some(cases[0]), Some(cases[1]), None, None][i % 4],
            subject: Some(subjects[i % 2]),
            action: ["case.get", "contact.get", "log.list"][(i / 2) % 3],
            purpose: [
                Some(PurposeCode::ProvideSupport),
                Some(PurposeCode::Communications),
                None,
            ][(i / 4) % 3],
            decision: [Decision::Allowed, Decision::Denied, Decision::Redirected][(i / 3) % 3],
            ..new_entry(s.tick(), None)
        })
        .collect()
}

backend_tests! {
    async fn appends_are_numbered_from_one_without_gaps(backend: Backend) {
        let s = Stores::open(backend).await;
        let mut appended = Vec::new();
        for expected in 1..=5u64 {
            let entry = new_entry(s.tick(), Some(TenantId::new()));
            assert_eq!(s.main.append(entry.clone()).await.unwrap().sequence, expected);
            appended.push(stored(&entry));
        }
        let log = s.log().await;
        assert_eq!(log.iter().map(|e| e.sequence).collect::<Vec<_>>(), (1..=6).collect::<Vec<_>>());
        let read: Vec<StoredFields> = log[..5].iter().map(|e| e.entry.clone()).collect();
        assert_eq!(read, appended);
    }

    async fn fifty_concurrent_appends_get_fifty_consecutive_numbers(backend: Backend) {
        let s = Stores::open(backend).await;
        let mut tasks = JoinSet::new();
        for _ in 0..50 {
            let main = s.main.clone();
            let entry = new_entry(s.now(), Some(TenantId::new()));
            tasks.spawn(async move {
                let receipt = main.append(entry.clone()).await.unwrap();
                (receipt.sequence, entry)
            });
        }
        let mut receipts = tasks.join_all().await;
        receipts.sort_by_key(|(seq, _)| *seq);
        let numbers: Vec<u64> = receipts.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(numbers, (1..=50).collect::<Vec<_>>(), "no gaps, no duplicates");

        let log = s.log().await;
        assert_eq!(log.len(), 51);
        for (entry, (seq, appended)) in log.iter().zip(&receipts) {
            assert_eq!((entry.sequence, &entry.entry), (*seq, &stored(appended)), "the receipt names its entry");
        }
    }

    async fn every_field_of_an_entry_round_trips(backend: Backend) {
        let s = Stores::open(backend).await;
        let base = s.now();
        let mut appended = Vec::new();
        for (i, role) in Role::ALL.into_iter().enumerate() {
            let entry = NewEntry {
                time: base + Duration::microseconds(i as i64 * 1_000_001 + 7),
                subject: Some(SubjectId::new()),
                role: Some(role),
                tenant: Some(TenantId::new()),
                action: ["case.get", "admin.tenant.create", "legal.request.answer"][i % 3],
                data_class: [DataClass::Contact, DataClass::Customer, DataClass::Metadata][i % 3],
                resource_id: Some(format!("resource-{i}")),
                case_id: Some(CaseId::new()),
                purpose: Some(PurposeCode::ALL[i % PurposeCode::ALL.len()]),
                decision: [Decision::Allowed, Decision::Denied, Decision::Redirected][(i / 3) % 3],
                reason: ["ASSIGNED_ENGINEER", "PURPOSE_PROHIBITED", "LAW_ENFORCEMENT_REDIRECTED"][i % 3],
                request_id: RequestId::new(),
            };
            s.main.append(entry.clone()).await.unwrap();
            appended.push(stored(&entry));
        }
        let bare = NewEntry {
            subject: None,
            role: None,
            tenant: None,
            resource_id: None,
            case_id: None,
            purpose: None,
            ..new_entry(base - Duration::days(20_000), None)
        };
        s.main.append(bare.clone()).await.unwrap();
        appended.push(stored(&bare));

        let read: Vec<StoredFields> = s.log().await.into_iter().map(|e| e.entry).take(appended.len()).collect();
        assert_eq!(read, appended);
    }

    async fn log_list_applies_each_filter(backend: Backend) {
        let s = Stores::open(backend).await;
        let (acme, globex) = (TenantId::new(), TenantId::new());
        let (case_a, case_b) = (CaseId::new(), CaseId::new());
        let (erin, frank) = (SubjectId::new(), SubjectId::new());
        let entries = varied(&s, [acme, globex], [case_a, case_b], [erin, frank]);
        for entry in &entries {
            s.main.append(entry.clone()).await.unwrap();
        }
        // The reviewer's token is itself logged: mint it first so `log` includes its entry.
        let token = s.reviewer().await;
        let log = s.log().await;
        let t = |i: usize| entries[i].time;

        let cases: Vec<(EntryFilter, Keep<'_>)> = vec![
            (EntryFilter::default(), Box::new(|_| true)),
            (EntryFilter { tenant: Some(acme), ..Default::default() }, Box::new(move |e| e.tenant == Some(acme))),
            (EntryFilter { case: Some(case_a), ..Default::default() }, Box::new(move |e| e.case_id == Some(case_a))),
            (EntryFilter { subject: Some(erin), ..Default::default() }, Box::new(move |e| e.subject == Some(erin))),
            (EntryFilter { action: Some("contact.get".into()), ..Default::default() }, Box::new(|e| e.action == "contact.get")),
            (
                EntryFilter { purpose: Some(PurposeCode::Communications), ..Default::default() },
                Box::new(|e| e.purpose == Some(PurposeCode::Communications)),
            ),
            (
                EntryFilter { decision: Some(Decision::Denied), ..Default::default() },
                Box::new(|e| e.decision == Decision::Denied),
            ),
            (EntryFilter { since: Some(t(4)), ..Default::default() }, Box::new(move |e| e.time >= t(4))),
            (EntryFilter { until: Some(t(8)), ..Default::default() }, Box::new(move |e| e.time < t(8))),
            (
                EntryFilter { since: Some(t(4)), until: Some(t(8)), ..Default::default() },
                Box::new(move |e| e.time >= t(4) && e.time < t(8)),
            ),
            (
                EntryFilter { tenant: Some(globex), subject: Some(frank), decision: Some(Decision::Allowed), ..Default::default() },
                Box::new(move |e| e.tenant == Some(globex) && e.subject == Some(frank) && e.decision == Decision::Allowed),
            ),
            (EntryFilter { action: Some("case.%".into()), ..Default::default() }, Box::new(|_| false)),
        ];
        for (filter, keep) in &cases {
            let expected = matching(&log, keep);
            assert_eq!(seqs(&s, &token, filter).await, expected, "filter {filter:?}");
        }
        // Each single-field filter above must select some but not all entries, or it proves nothing.
        for (filter, keep) in &cases[1..11] {
            let n = matching(&log, keep).len();
            assert!(n > 0 && n < log.len(), "filter {filter:?} selects {n} of {}", log.len());
        }
    }

    async fn log_pages_continue_after_the_last_sequence_number(backend: Backend) {
        let s = Stores::open(backend).await;
        for _ in 0..10 {
            s.main.append(new_entry(s.tick(), None)).await.unwrap();
        }
        let token = &s.reviewer().await;
        let main = &s.main;
        let pages = all_pages(
            4,
            |page| async move { main.log_list(token, &EntryFilter::default(), &page).await.unwrap() },
            |e: &Entry| e.sequence.to_string(),
        )
        .await;
        let numbers: Vec<Vec<u64>> = pages.iter().map(|p| p.iter().map(|e| e.sequence).collect()).collect();
        assert_eq!(numbers, [vec![1, 2, 3, 4], vec![5, 6, 7, 8], vec![9, 10, 11]]);

        let filter = EntryFilter { decision: Some(Decision::Allowed), ..Default::default() };
        let after_five = s.main.log_list(token, &filter, &page(2, Some("5".into()))).await.unwrap();
        assert_eq!(after_five.iter().map(|e| e.sequence).collect::<Vec<_>>(), [6, 7]);
    }

    async fn a_tenant_token_never_sees_other_tenants_or_provider_wide_entries(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let globex = s.tenant("globex").await.id;
        let case_g = CaseId::new();
        let entries = varied(&s, [acme, globex], [CaseId::new(), case_g], [SubjectId::new(), SubjectId::new()]);
        for entry in &entries {
            s.main.append(entry.clone()).await.unwrap();
        }
        let carol = principal(&s.subject(Some(acme), Role::Customer, "carol").await);
        let token = s.metadata(&carol, None).await;
        let log = s.log().await;
        let acme_only = matching(&log, |e| e.tenant == Some(acme));

        assert_eq!(seqs(&s, &token, &EntryFilter::default()).await, acme_only);
        let asks_for_globex = EntryFilter { tenant: Some(globex), ..Default::default() };
        let listed = s.main.log_list(&token, &asks_for_globex, &page(1000, None)).await.unwrap();
        assert!(listed.iter().all(|e| e.entry.tenant == Some(acme)), "{listed:?}");
        let globex_case = EntryFilter { case: Some(case_g), ..Default::default() };
        let leaked = matching(&log, |e| e.case_id == Some(case_g) && e.tenant != Some(acme));
        assert!(!leaked.is_empty());
        let listed = seqs(&s, &token, &globex_case).await;
        assert!(listed.iter().all(|seq| !leaked.contains(seq)), "{listed:?}");

        // A provider-level reviewer who names a tenant is held to it as well.
        let named = s.metadata(&provider(Role::ComplianceReviewer), Some(globex)).await;
        let log = s.log().await;
        assert_eq!(seqs(&s, &named, &EntryFilter::default()).await, matching(&log, |e| e.tenant == Some(globex)));
    }
}
