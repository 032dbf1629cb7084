//! Legal requests, notifications, their outbox and tenant settings: every statement of
//! `main_store/legal.rs` on both engines. A request moves redirected → pending approval →
//! approved → produced by conditional updates only, so a step out of order or replayed
//! returns `false` and changes nothing; a notification goes in with its outbox message or
//! not at all; the first acknowledgement stands; another tenant's notification is
//! `NotFound`; listings are newest first and page without repeats or gaps.

use chrono::{DateTime, Duration, Utc};
use supportgate_store::{
    newest_first_after, CompulsionRecord, LegalContactRecord, LegalRequestRecord,
    LegalRequestState, NonDisclosureRecord, NoticeRecord, NotificationKind, NotificationRecord,
    OutboxRecord, RequestFilter, StoreError, TenantSettingsRecord,
};
use supportgate_testkit::backend_tests;
use supportgate_types::{
    CompulsionId, LegalRequestId, NotificationId, OutboxId, Role, SubjectId, TenantId,
};

use crate::support::{assert_conflict, assert_not_found, page, Stores};

/// Two tenants with a customer each, two officers of outside agencies and two counsel.
struct Desk {
    acme: TenantId,
    globex: TenantId,
    carol: SubjectId,
    gina: SubjectId,
    officer: SubjectId,
    other_officer: SubjectId,
    counsel: SubjectId,
    second_counsel: SubjectId,
}

async fn desk(s: &Stores) -> Desk {
    let acme = s.tenant("acme").await.id;
    let globex = s.tenant("globex").await.id;
    Desk {
        acme,
        globex,
        carol: s.subject(Some(acme), Role::Customer, "carol").await.id,
        gina: s.subject(Some(globex), Role::Customer, "gina").await.id,
        officer: s.subject(None, Role::LawEnforcement, "officer").await.id,
        other_officer: s
            .subject(None, Role::LawEnforcement, "other officer")
            .await
            .id,
        counsel: s.subject(None, Role::LegalCounsel, "counsel").await.id,
        second_counsel: s
            .subject(None, Role::LegalCounsel, "second counsel")
            .await
            .id,
    }
}

/// A redirected request about `tenant`, submitted now by `by`; `tag` marks its text.
fn request(s: &Stores, tenant: Option<TenantId>, by: SubjectId, tag: &str) -> LegalRequestRecord {
    LegalRequestRecord {
        id: LegalRequestId::new(),
        reference: format!("LR-{tag}"),
        tenant,
        agency: format!("agency of {tag}"),
        agency_reference: format!("agency reference of {tag}"),
        description: format!("what {tag} asks for"),
        legal_basis: format!("basis cited by {tag}"),
        submitted_by: by,
        submitted_at: s.now(),
        state: LegalRequestState::Redirected,
        compulsion: None,
        non_disclosure: None,
        notice: None,
        produced_at: None,
    }
}

/// A notification of `kind` about `r` for its tenant's customers, created now.
fn notification(s: &Stores, r: &LegalRequestRecord, kind: NotificationKind) -> NotificationRecord {
    NotificationRecord {
        id: NotificationId::new(),
        tenant: r
            .tenant
            .expect("a notification goes to the request's tenant"),
        kind,
        request: r.id,
        request_reference: r.reference.clone(),
        agency: r.agency.clone(),
        message: format!("{} about {}", kind.as_str(), r.reference),
        created_at: s.now(),
        acknowledged_at: None,
        acknowledged_by: None,
    }
}

/// Submits `r` without a notification.
async fn submit(s: &Stores, r: LegalRequestRecord) -> LegalRequestRecord {
    s.main
        .legal_request_submit(&r, None)
        .await
        .expect("submit a request");
    r
}

/// Submits `r` with the notification that it was received; returns both and the
/// notification's outbox id.
async fn submit_notified(
    s: &Stores,
    r: LegalRequestRecord,
) -> (LegalRequestRecord, NotificationRecord, OutboxId) {
    let n = notification(s, &r, NotificationKind::RequestReceived);
    let outbox = OutboxId::new();
    s.main
        .legal_request_submit(&r, Some((&n, outbox)))
        .await
        .expect("submit a request with its notification");
    (r, n, outbox)
}

/// A compulsion recorded now by `by`; `tag` marks its text.
fn compulsion(s: &Stores, by: SubjectId, tag: &str) -> CompulsionRecord {
    CompulsionRecord {
        id: CompulsionId::new(),
        order_reference: format!("order {tag}"),
        issuing_authority: format!("court of {tag}"),
        legal_basis: format!("statute of {tag}"),
        order_date: Some(s.now() - Duration::days(3)),
        scope_json: format!(r#"{{"cases":["{tag}"],"contacts":[]}}"#),
        recipient_key: format!("age1recipient{tag}"),
        recorded_by: by,
        recorded_at: s.now(),
        approved_by: None,
        approved_at: None,
    }
}

fn non_disclosure(
    s: &Stores,
    by: SubjectId,
    expires_at: Option<DateTime<Utc>>,
) -> NonDisclosureRecord {
    NonDisclosureRecord {
        order_reference: "gag order".into(),
        expires_at,
        recorded_by: by,
        recorded_at: s.now(),
    }
}

/// The advance notice `n` carries, given when `n` was created, by `by`.
fn notice(n: &NotificationRecord, by: SubjectId) -> NoticeRecord {
    NoticeRecord {
        notification: n.id,
        noticed_at: n.created_at,
        production_not_before: n.created_at + Duration::days(14),
        recorded_by: by,
    }
}

async fn get(s: &Stores, r: LegalRequestId) -> LegalRequestRecord {
    s.main.legal_request_get(r).await.expect("read a request")
}

/// The ids `legal_request_list` returns for `filter`, in its order.
async fn list(s: &Stores, filter: RequestFilter) -> Vec<LegalRequestId> {
    let rows = s
        .main
        .legal_request_list(&filter, &page(100, None))
        .await
        .unwrap();
    rows.iter().map(|r| r.id).collect()
}

/// Every undelivered outbox message, delivering nothing.
async fn outbox(s: &Stores) -> Vec<OutboxRecord> {
    s.main.outbox_drain(&[], s.now(), 1000).await.unwrap()
}

async fn notifications(
    s: &Stores,
    tenant: TenantId,
    unacknowledged_only: bool,
) -> Vec<NotificationRecord> {
    s.main
        .notification_list(tenant, unacknowledged_only, &page(100, None))
        .await
        .unwrap()
}

/// Records a compulsion by the first counsel on `r`; returns what `r` must read back as.
async fn compel(s: &Stores, desk: &Desk, r: &LegalRequestRecord, tag: &str) -> LegalRequestRecord {
    let c = compulsion(s, desk.counsel, tag);
    assert!(
        s.main.legal_compulsion_record(r.id, &c).await.unwrap(),
        "compulsion on {tag}"
    );
    LegalRequestRecord {
        state: LegalRequestState::PendingApproval,
        compulsion: Some(c),
        non_disclosure: None,
        ..r.clone()
    }
}

/// Approves `r`'s pending compulsion by the second counsel now; returns what `r` must read
/// back as.
async fn approve(s: &Stores, desk: &Desk, r: &LegalRequestRecord) -> LegalRequestRecord {
    let c = r.compulsion.clone().expect("a pending compulsion");
    let at = s.tick();
    assert!(s
        .main
        .legal_compulsion_approve(r.id, c.id, desk.second_counsel, at)
        .await
        .unwrap());
    LegalRequestRecord {
        state: LegalRequestState::Approved,
        compulsion: Some(CompulsionRecord {
            approved_by: Some(desk.second_counsel),
            approved_at: Some(at),
            ..c
        }),
        ..r.clone()
    }
}

/// A request about acme with an approved compulsion.
async fn approved(s: &Stores, desk: &Desk, tag: &str) -> LegalRequestRecord {
    let r = submit(s, request(s, Some(desk.acme), desk.officer, tag)).await;
    let r = compel(s, desk, &r, tag).await;
    approve(s, desk, &r).await
}

fn contact(tag: &str) -> LegalContactRecord {
    LegalContactRecord {
        name: format!("legal desk of {tag}"),
        email: format!("legal@{tag}.example"),
        phone: "+44 20 7946 0000".into(),
        postal_address: format!("1 {tag} Street\nLondon"),
        organisation: format!("{tag} Ltd"),
    }
}

backend_tests! {
    async fn settings_never_set_read_as_the_defaults(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let defaults = TenantSettingsRecord { tenant: Some(desk.acme), legal_contact: None, retention_seconds: 0, updated_at: None };
        assert_eq!(s.main.tenant_settings_get(desk.acme).await.unwrap(), defaults);
        let unknown = TenantId::new();
        assert_eq!(s.main.tenant_settings_get(unknown).await.unwrap(), TenantSettingsRecord { tenant: Some(unknown), ..TenantSettingsRecord::default() });
    }

    async fn settings_round_trip_and_a_second_put_overwrites_them(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let first_at = s.tick();
        let first = TenantSettingsRecord { tenant: Some(desk.acme), legal_contact: Some(contact("acme")), retention_seconds: 86_400 * 30, updated_at: None };
        s.main.tenant_settings_put(desk.acme, &first, first_at).await.unwrap();
        assert_eq!(s.main.tenant_settings_get(desk.acme).await.unwrap(), TenantSettingsRecord { updated_at: Some(first_at), ..first.clone() });
        assert_eq!(s.main.tenant_settings_get(desk.globex).await.unwrap().updated_at, None, "another tenant keeps its defaults");

        let second_at = s.tick();
        let second = TenantSettingsRecord { tenant: Some(desk.acme), legal_contact: Some(contact("acme two")), retention_seconds: 3600, updated_at: None };
        s.main.tenant_settings_put(desk.acme, &second, second_at).await.unwrap();
        assert_eq!(s.main.tenant_settings_get(desk.acme).await.unwrap(), TenantSettingsRecord { updated_at: Some(second_at), ..second });

        let cleared_at = s.tick();
        let cleared = TenantSettingsRecord { tenant: Some(desk.acme), legal_contact: None, retention_seconds: 0, updated_at: None };
        s.main.tenant_settings_put(desk.acme, &cleared, cleared_at).await.unwrap();
        assert_eq!(s.main.tenant_settings_get(desk.acme).await.unwrap(), TenantSettingsRecord { updated_at: Some(cleared_at), ..cleared }, "the contact is removed, not kept");

        let max = TenantSettingsRecord { retention_seconds: i64::MAX as u64, ..first };
        s.main.tenant_settings_put(desk.globex, &max, first_at).await.unwrap();
        assert_eq!(s.main.tenant_settings_get(desk.globex).await.unwrap().retention_seconds, i64::MAX as u64);
        assert!(s.main.tenant_settings_put(desk.globex, &TenantSettingsRecord { retention_seconds: u64::MAX, ..max }, s.tick()).await.is_err(), "a retention beyond i64 is refused");
        assert_eq!(s.main.tenant_settings_get(desk.globex).await.unwrap().updated_at, Some(first_at), "a refused put changes nothing");
    }

    async fn a_submitted_request_goes_in_with_its_notification_and_outbox_message(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let (r, n, out) = submit_notified(&s, request(&s, Some(desk.acme), desk.officer, "one")).await;
        assert_eq!(get(&s, r.id).await, r, "every field reads back");
        assert_eq!(s.main.notification_get(desk.acme, n.id).await.unwrap(), n);
        assert_eq!(notifications(&s, desk.acme, false).await, vec![n.clone()]);
        assert_eq!(outbox(&s).await, vec![OutboxRecord { id: out, notification: n.clone(), enqueued_at: n.created_at }]);

        let anonymous = submit(&s, request(&s, None, desk.officer, "no tenant")).await;
        assert_eq!(get(&s, anonymous.id).await, anonymous, "a request naming no tenant");
        assert_eq!(outbox(&s).await.len(), 1, "no notification without a tenant");
        assert_not_found(s.main.legal_request_get(LegalRequestId::new()).await);
    }

    async fn a_failed_submit_stores_neither_the_request_nor_its_notification(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let (_, first_n, out) = submit_notified(&s, request(&s, Some(desk.acme), desk.officer, "first")).await;

        // The outbox message clashes: the request and notification before it roll back.
        let second = request(&s, Some(desk.acme), desk.officer, "second");
        let second_n = notification(&s, &second, NotificationKind::RequestReceived);
        assert_conflict(s.main.legal_request_submit(&second, Some((&second_n, out))).await);
        assert_not_found(s.main.legal_request_get(second.id).await);
        assert_not_found(s.main.notification_get(desk.acme, second_n.id).await);
        assert_eq!(notifications(&s, desk.acme, false).await, vec![first_n.clone()]);
        assert_eq!(outbox(&s).await.len(), 1);

        // The reference clashes: nothing of it is stored.
        let same_reference = LegalRequestRecord { id: LegalRequestId::new(), ..second.clone() };
        s.main.legal_request_submit(&second, Some((&second_n, OutboxId::new()))).await.unwrap();
        let clash_n = notification(&s, &same_reference, NotificationKind::RequestReceived);
        assert_conflict(s.main.legal_request_submit(&same_reference, Some((&clash_n, OutboxId::new()))).await);
        assert_not_found(s.main.legal_request_get(same_reference.id).await);
        assert_not_found(s.main.notification_get(desk.acme, clash_n.id).await);
        assert_eq!(outbox(&s).await.len(), 2, "the first two messages only");
    }

    async fn every_field_of_a_request_reads_back_through_its_whole_life(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let (r, _, _) = submit_notified(&s, request(&s, Some(desk.acme), desk.officer, "life")).await;
        let r = compel(&s, &desk, &r, "life").await;
        assert_eq!(get(&s, r.id).await, r);

        s.tick();
        let nd = non_disclosure(&s, desk.counsel, Some(s.now() + Duration::days(1)));
        assert!(s.main.legal_non_disclosure_record(r.id, &nd).await.unwrap());
        let r = LegalRequestRecord { non_disclosure: Some(nd), ..r };
        assert_eq!(get(&s, r.id).await, r);

        let r = approve(&s, &desk, &r).await;
        assert_eq!(get(&s, r.id).await, r);

        s.clock.advance(Duration::days(2));
        let planned = notification(&s, &r, NotificationKind::ProductionPlanned);
        let given = notice(&planned, desk.counsel);
        assert!(s.main.legal_notice_record(r.id, &given, &planned, OutboxId::new()).await.unwrap(), "the obligation lapsed");
        let r = LegalRequestRecord { notice: Some(given), ..r };
        assert_eq!(get(&s, r.id).await, r);

        let at = s.tick();
        let completed = notification(&s, &r, NotificationKind::ProductionCompleted);
        assert!(s.main.legal_produced(r.id, at, Some((&completed, OutboxId::new()))).await.unwrap());
        let r = LegalRequestRecord { state: LegalRequestState::Produced, produced_at: Some(at), ..r };
        assert_eq!(get(&s, r.id).await, r);
        assert_eq!(s.main.notification_get(desk.acme, completed.id).await.unwrap(), completed);

        // A compulsion without an order date round-trips too.
        let undated = submit(&s, request(&s, None, desk.officer, "undated")).await;
        let c = CompulsionRecord { order_date: None, ..compulsion(&s, desk.counsel, "undated") };
        assert!(s.main.legal_compulsion_record(undated.id, &c).await.unwrap());
        assert_eq!(get(&s, undated.id).await.compulsion, Some(c));
    }

    async fn requests_list_newest_first_and_page_without_repeats_or_gaps(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let mut requests = Vec::new();
        for i in 0..3 {
            s.tick();
            requests.push(submit(&s, request(&s, Some(desk.acme), desk.officer, &format!("r{i}"))).await);
        }
        let listing = |after: Option<String>| {
            let s = &s;
            async move { s.main.legal_request_list(&RequestFilter::default(), &page(2, after)).await.unwrap() }
        };
        let first = listing(None).await;
        assert_eq!(first, vec![requests[2].clone(), requests[1].clone()], "newest first");
        let cursor = newest_first_after(first[1].submitted_at, &first[1].id.to_string());
        let second = listing(Some(cursor)).await;
        assert_eq!(second, vec![requests[0].clone()], "the rest, no repeat");
        let cursor = newest_first_after(second[0].submitted_at, &second[0].id.to_string());
        assert!(listing(Some(cursor)).await.is_empty(), "and then nothing");
        let bad = s.main.legal_request_list(&RequestFilter::default(), &page(2, Some("not a cursor".into()))).await;
        assert!(matches!(bad, Err(StoreError::InvalidCursor)), "{bad:?}");
    }

    async fn requests_submitted_at_the_same_time_page_in_id_order(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let mut ids = Vec::new();
        for i in 0..5 {
            ids.push(submit(&s, request(&s, Some(desk.acme), desk.officer, &format!("same {i}"))).await.id);
        }
        ids.sort();
        ids.reverse();
        let mut seen = Vec::new();
        let mut after = None;
        loop {
            let rows = s.main.legal_request_list(&RequestFilter::default(), &page(2, after)).await.unwrap();
            let Some(last) = rows.last() else { break };
            assert!(rows.len() <= 2);
            after = Some(newest_first_after(last.submitted_at, &last.id.to_string()));
            seen.extend(rows.iter().map(|r| r.id));
            assert!(seen.len() <= 5, "paging did not end: {seen:?}");
        }
        assert_eq!(seen, ids, "ties broken by id, descending, each once");
    }

    async fn requests_are_filtered_by_tenant_state_and_submitter(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        s.tick();
        let r1 = submit(&s, request(&s, Some(desk.acme), desk.officer, "r1")).await;
        s.tick();
        let r2 = submit(&s, request(&s, Some(desk.globex), desk.officer, "r2")).await;
        s.tick();
        let r3 = submit(&s, request(&s, Some(desk.acme), desk.other_officer, "r3")).await;
        s.tick();
        let r4 = submit(&s, request(&s, None, desk.other_officer, "r4")).await;
        compel(&s, &desk, &r3, "r3").await;

        assert_eq!(list(&s, RequestFilter::default()).await, vec![r4.id, r3.id, r2.id, r1.id]);
        assert_eq!(list(&s, RequestFilter { tenant: Some(desk.acme), ..RequestFilter::default() }).await, vec![r3.id, r1.id]);
        assert_eq!(list(&s, RequestFilter { tenant: Some(desk.globex), ..RequestFilter::default() }).await, vec![r2.id]);
        assert!(list(&s, RequestFilter { tenant: Some(TenantId::new()), ..RequestFilter::default() }).await.is_empty());
        assert_eq!(list(&s, RequestFilter { state: Some(LegalRequestState::PendingApproval), ..RequestFilter::default() }).await, vec![r3.id]);
        assert_eq!(list(&s, RequestFilter { state: Some(LegalRequestState::Redirected), ..RequestFilter::default() }).await, vec![r4.id, r2.id, r1.id]);
        assert!(list(&s, RequestFilter { state: Some(LegalRequestState::Approved), ..RequestFilter::default() }).await.is_empty());
        assert_eq!(list(&s, RequestFilter { submitted_by: Some(desk.officer), ..RequestFilter::default() }).await, vec![r2.id, r1.id]);
        assert_eq!(list(&s, RequestFilter { submitted_by: Some(desk.other_officer), ..RequestFilter::default() }).await, vec![r4.id, r3.id]);
        let combined = RequestFilter { tenant: Some(desk.acme), state: Some(LegalRequestState::Redirected), submitted_by: Some(desk.officer), hide_non_disclosed_at: None };
        assert_eq!(list(&s, combined).await, vec![r1.id], "filters combine");
        let combined = RequestFilter { tenant: Some(desk.acme), submitted_by: Some(desk.other_officer), ..RequestFilter::default() };
        assert_eq!(list(&s, combined).await, vec![r3.id]);
    }

    async fn a_non_disclosed_request_is_hidden_while_the_obligation_is_in_force(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        s.tick();
        let open = submit(&s, request(&s, Some(desk.acme), desk.officer, "open")).await;
        s.tick();
        let lapsing = submit(&s, request(&s, Some(desk.acme), desk.officer, "lapsing")).await;
        s.tick();
        let lasting = submit(&s, request(&s, Some(desk.acme), desk.officer, "lasting")).await;
        s.tick();
        let pending = submit(&s, request(&s, Some(desk.acme), desk.officer, "pending")).await;
        compel(&s, &desk, &pending, "pending").await;
        let expires = s.now() + Duration::days(30);
        compel(&s, &desk, &lapsing, "lapsing").await;
        assert!(s.main.legal_non_disclosure_record(lapsing.id, &non_disclosure(&s, desk.counsel, Some(expires))).await.unwrap());
        compel(&s, &desk, &lasting, "lasting").await;
        assert!(s.main.legal_non_disclosure_record(lasting.id, &non_disclosure(&s, desk.counsel, None)).await.unwrap());

        let hidden_at = |at| RequestFilter { hide_non_disclosed_at: Some(at), ..RequestFilter::default() };
        let everything = vec![pending.id, lasting.id, lapsing.id, open.id];
        assert_eq!(list(&s, RequestFilter::default()).await, everything, "nothing hidden without the filter");
        assert_eq!(list(&s, hidden_at(s.now())).await, vec![pending.id, open.id]);
        assert_eq!(list(&s, hidden_at(expires - Duration::microseconds(1))).await, vec![pending.id, open.id], "in force until it expires");
        assert_eq!(list(&s, hidden_at(expires)).await, vec![pending.id, lapsing.id, open.id], "shown from the moment it expires");
        assert_eq!(list(&s, hidden_at(expires + Duration::days(365))).await, vec![pending.id, lapsing.id, open.id], "one without expiry stays hidden");
        let filtered = RequestFilter { state: Some(LegalRequestState::PendingApproval), ..hidden_at(s.now()) };
        assert_eq!(list(&s, filtered).await, vec![pending.id], "combined with a state");

        // A new compulsion replaces the old one and its obligation with it.
        compel(&s, &desk, &lasting, "lasting again").await;
        assert_eq!(get(&s, lasting.id).await.non_disclosure, None);
        assert_eq!(list(&s, hidden_at(s.now())).await, vec![pending.id, lasting.id, open.id]);
    }

    async fn a_compulsion_is_recorded_only_before_approval(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let r = submit(&s, request(&s, Some(desk.acme), desk.officer, "r")).await;
        let first = compel(&s, &desk, &r, "first").await;
        assert_eq!(get(&s, r.id).await, first, "from redirected to pending approval");

        s.tick();
        let replaced = compel(&s, &desk, &r, "replacement").await;
        assert_ne!(replaced.compulsion, first.compulsion);
        assert_eq!(get(&s, r.id).await, replaced, "a pending compulsion is replaced");

        let approved = approve(&s, &desk, &replaced).await;
        let late = compulsion(&s, desk.counsel, "late");
        assert!(!s.main.legal_compulsion_record(r.id, &late).await.unwrap(), "not once approved");
        assert_eq!(get(&s, r.id).await, approved, "the approved compulsion stands");

        assert!(s.main.legal_produced(r.id, s.tick(), None).await.unwrap());
        let produced = get(&s, r.id).await;
        assert!(!s.main.legal_compulsion_record(r.id, &late).await.unwrap(), "not once produced");
        assert_eq!(get(&s, r.id).await, produced);
        assert!(!s.main.legal_compulsion_record(LegalRequestId::new(), &late).await.unwrap(), "an unknown request");
    }

    async fn approval_takes_a_second_counsel_and_the_pending_compulsion_and_happens_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let r = submit(&s, request(&s, Some(desk.acme), desk.officer, "r")).await;
        let c = compulsion(&s, desk.counsel, "r");
        assert!(!s.main.legal_compulsion_approve(r.id, c.id, desk.second_counsel, s.tick()).await.unwrap(), "nothing to approve yet");
        assert_eq!(get(&s, r.id).await, r);

        let first = compel(&s, &desk, &r, "first").await;
        let pending = compel(&s, &desk, &r, "second").await;
        let first_id = first.compulsion.as_ref().unwrap().id;
        let pending_id = pending.compulsion.as_ref().unwrap().id;
        assert!(!s.main.legal_compulsion_approve(r.id, pending_id, desk.counsel, s.tick()).await.unwrap(), "not by the counsel who recorded it");
        assert!(!s.main.legal_compulsion_approve(r.id, first_id, desk.second_counsel, s.tick()).await.unwrap(), "not a replaced compulsion");
        assert!(!s.main.legal_compulsion_approve(r.id, CompulsionId::new(), desk.second_counsel, s.tick()).await.unwrap(), "not an unknown compulsion");
        assert!(!s.main.legal_compulsion_approve(LegalRequestId::new(), pending_id, desk.second_counsel, s.tick()).await.unwrap(), "not another request");
        assert_eq!(get(&s, r.id).await, pending, "refusals change nothing");

        let approved = approve(&s, &desk, &pending).await;
        assert_eq!(get(&s, r.id).await, approved);
        let third = s.subject(None, Role::LegalCounsel, "third counsel").await.id;
        assert!(!s.main.legal_compulsion_approve(r.id, pending_id, third, s.tick()).await.unwrap(), "approved once");
        assert!(!s.main.legal_compulsion_approve(r.id, pending_id, desk.second_counsel, s.tick()).await.unwrap(), "a replay");
        assert_eq!(get(&s, r.id).await, approved, "the first approval stands");
    }

    async fn a_non_disclosure_obligation_is_recorded_only_while_approval_is_pending(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let r = submit(&s, request(&s, Some(desk.acme), desk.officer, "r")).await;
        let nd = non_disclosure(&s, desk.counsel, None);
        assert!(!s.main.legal_non_disclosure_record(r.id, &nd).await.unwrap(), "not while redirected");
        assert_eq!(get(&s, r.id).await, r);

        let pending = compel(&s, &desk, &r, "r").await;
        assert!(s.main.legal_non_disclosure_record(r.id, &nd).await.unwrap());
        let with_nd = LegalRequestRecord { non_disclosure: Some(nd.clone()), ..pending };
        assert_eq!(get(&s, r.id).await, with_nd);

        let approved = approve(&s, &desk, &with_nd).await;
        let lifted = non_disclosure(&s, desk.second_counsel, Some(s.now()));
        assert!(!s.main.legal_non_disclosure_record(r.id, &lifted).await.unwrap(), "not once approved");
        assert_eq!(get(&s, r.id).await, approved);
        assert_eq!(approved.non_disclosure, Some(nd));
        assert!(!s.main.legal_non_disclosure_record(LegalRequestId::new(), &lifted).await.unwrap());
    }

    async fn a_new_compulsion_clears_the_obligation_of_the_one_it_replaces(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let r = submit(&s, request(&s, Some(desk.acme), desk.officer, "r")).await;
        compel(&s, &desk, &r, "first").await;
        assert!(s.main.legal_non_disclosure_record(r.id, &non_disclosure(&s, desk.counsel, None)).await.unwrap());
        assert!(get(&s, r.id).await.non_disclosure.is_some());
        s.tick();
        let replaced = compel(&s, &desk, &r, "second").await;
        assert_eq!(get(&s, r.id).await, replaced);
        assert_eq!(replaced.non_disclosure, None);
    }

    async fn a_notice_is_recorded_only_when_approved_and_no_obligation_is_in_force(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;

        let pending = submit(&s, request(&s, Some(desk.acme), desk.officer, "pending")).await;
        let pending = compel(&s, &desk, &pending, "pending").await;
        let n = notification(&s, &pending, NotificationKind::ProductionPlanned);
        assert!(!s.main.legal_notice_record(pending.id, &notice(&n, desk.counsel), &n, OutboxId::new()).await.unwrap(), "not before approval");
        assert_eq!(get(&s, pending.id).await, pending);
        assert_not_found(s.main.notification_get(desk.acme, n.id).await);

        let redirected = submit(&s, request(&s, Some(desk.acme), desk.officer, "redirected")).await;
        let n = notification(&s, &redirected, NotificationKind::ProductionPlanned);
        assert!(!s.main.legal_notice_record(redirected.id, &notice(&n, desk.counsel), &n, OutboxId::new()).await.unwrap(), "not while redirected");
        assert_not_found(s.main.notification_get(desk.acme, n.id).await);

        // Under an obligation in force at the notice's time: refused, nothing stored.
        let gagged = submit(&s, request(&s, Some(desk.acme), desk.officer, "gagged")).await;
        let gagged = compel(&s, &desk, &gagged, "gagged").await;
        let expires = s.now() + Duration::days(10);
        let nd = non_disclosure(&s, desk.counsel, Some(expires));
        assert!(s.main.legal_non_disclosure_record(gagged.id, &nd).await.unwrap());
        let gagged = approve(&s, &desk, &LegalRequestRecord { non_disclosure: Some(nd), ..gagged }).await;
        let early = notification(&s, &gagged, NotificationKind::ProductionPlanned);
        let early_notice = NoticeRecord { noticed_at: expires - Duration::microseconds(1), ..notice(&early, desk.counsel) };
        assert!(!s.main.legal_notice_record(gagged.id, &early_notice, &early, OutboxId::new()).await.unwrap(), "the obligation is in force");
        assert_eq!(get(&s, gagged.id).await, gagged);
        assert_not_found(s.main.notification_get(desk.acme, early.id).await);

        let forever = submit(&s, request(&s, Some(desk.acme), desk.officer, "forever")).await;
        let forever = compel(&s, &desk, &forever, "forever").await;
        let nd = non_disclosure(&s, desk.counsel, None);
        assert!(s.main.legal_non_disclosure_record(forever.id, &nd).await.unwrap());
        let forever = approve(&s, &desk, &LegalRequestRecord { non_disclosure: Some(nd), ..forever }).await;
        s.clock.advance(Duration::days(3650));
        let n = notification(&s, &forever, NotificationKind::ProductionPlanned);
        assert!(!s.main.legal_notice_record(forever.id, &notice(&n, desk.counsel), &n, OutboxId::new()).await.unwrap(), "an obligation without expiry");
        assert_eq!(get(&s, forever.id).await, forever);
        assert_not_found(s.main.notification_get(desk.acme, n.id).await);

        assert!(notifications(&s, desk.acme, false).await.is_empty(), "no refused notice left a notification");
        assert!(outbox(&s).await.is_empty(), "or an outbox message");

        // From the moment the obligation expires, the notice goes in with its notification.
        let on_time = notification(&s, &gagged, NotificationKind::ProductionPlanned);
        let on_time_notice = NoticeRecord { noticed_at: expires, ..notice(&on_time, desk.counsel) };
        let out = OutboxId::new();
        assert!(s.main.legal_notice_record(gagged.id, &on_time_notice, &on_time, out).await.unwrap());
        assert_eq!(get(&s, gagged.id).await, LegalRequestRecord { notice: Some(on_time_notice), ..gagged });
        assert_eq!(s.main.notification_get(desk.acme, on_time.id).await.unwrap(), on_time);
        assert_eq!(outbox(&s).await, vec![OutboxRecord { id: out, notification: on_time.clone(), enqueued_at: on_time.created_at }]);

        // Without any obligation, an approved request takes its notice at once.
        let plain = approved(&s, &desk, "plain").await;
        let n = notification(&s, &plain, NotificationKind::ProductionPlanned);
        assert!(s.main.legal_notice_record(plain.id, &notice(&n, desk.second_counsel), &n, OutboxId::new()).await.unwrap());
        assert_eq!(get(&s, plain.id).await.notice, Some(notice(&n, desk.second_counsel)));
        assert_eq!(notifications(&s, desk.acme, false).await.len(), 2);
    }

    async fn production_is_recorded_only_once_approved(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let r = submit(&s, request(&s, Some(desk.acme), desk.officer, "r")).await;
        let n = notification(&s, &r, NotificationKind::ProductionCompleted);
        assert!(!s.main.legal_produced(r.id, s.tick(), Some((&n, OutboxId::new()))).await.unwrap(), "not while redirected");
        let pending = compel(&s, &desk, &r, "r").await;
        assert!(!s.main.legal_produced(r.id, s.tick(), Some((&n, OutboxId::new()))).await.unwrap(), "not while pending");
        assert_eq!(get(&s, r.id).await, pending);
        assert_not_found(s.main.notification_get(desk.acme, n.id).await);
        assert!(outbox(&s).await.is_empty());

        let approved = approve(&s, &desk, &pending).await;
        let first_at = s.tick();
        let first = notification(&s, &r, NotificationKind::ProductionCompleted);
        assert!(s.main.legal_produced(r.id, first_at, Some((&first, OutboxId::new()))).await.unwrap());
        let produced = LegalRequestRecord { state: LegalRequestState::Produced, produced_at: Some(first_at), ..approved };
        assert_eq!(get(&s, r.id).await, produced);
        assert_eq!(s.main.notification_get(desk.acme, first.id).await.unwrap(), first);

        // Production runs again (a rerun after a partial one): the time moves, silently here.
        let again_at = s.tick();
        assert!(s.main.legal_produced(r.id, again_at, None).await.unwrap());
        assert_eq!(get(&s, r.id).await, LegalRequestRecord { produced_at: Some(again_at), ..produced });
        assert_eq!(outbox(&s).await.len(), 1, "only the first production's notification");
        assert!(!s.main.legal_produced(LegalRequestId::new(), s.tick(), None).await.unwrap());
    }

    async fn notifications_list_newest_first_and_only_unacknowledged_on_request(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let mut ns = Vec::new();
        for i in 0..3 {
            s.tick();
            ns.push(submit_notified(&s, request(&s, Some(desk.acme), desk.officer, &format!("r{i}"))).await.1);
        }
        s.tick();
        let (_, theirs, _) = submit_notified(&s, request(&s, Some(desk.globex), desk.officer, "theirs")).await;
        assert_eq!(notifications(&s, desk.acme, false).await, vec![ns[2].clone(), ns[1].clone(), ns[0].clone()], "newest first, this tenant's only");
        assert_eq!(notifications(&s, desk.globex, false).await, vec![theirs]);

        let at = s.tick();
        let acked = s.main.notification_acknowledge(desk.acme, ns[1].id, desk.carol, at).await.unwrap();
        let ns1 = NotificationRecord { acknowledged_at: Some(at), acknowledged_by: Some(desk.carol), ..ns[1].clone() };
        assert_eq!(acked, ns1);
        assert_eq!(notifications(&s, desk.acme, true).await, vec![ns[2].clone(), ns[0].clone()]);
        assert_eq!(notifications(&s, desk.acme, false).await, vec![ns[2].clone(), ns1, ns[0].clone()]);

        let listing = |after: Option<String>| {
            let s = &s;
            async move { s.main.notification_list(desk.acme, false, &page(2, after)).await.unwrap() }
        };
        let first = listing(None).await;
        assert_eq!(first.iter().map(|n| n.id).collect::<Vec<_>>(), vec![ns[2].id, ns[1].id]);
        let second = listing(Some(newest_first_after(first[1].created_at, &first[1].id.to_string()))).await;
        assert_eq!(second.iter().map(|n| n.id).collect::<Vec<_>>(), vec![ns[0].id]);
        assert!(listing(Some(newest_first_after(second[0].created_at, &second[0].id.to_string()))).await.is_empty());
        let bad = s.main.notification_list(desk.acme, false, &page(2, Some("garbage".into()))).await;
        assert!(matches!(bad, Err(StoreError::InvalidCursor)), "{bad:?}");
    }

    async fn the_first_acknowledgement_stands(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let (_, n, _) = submit_notified(&s, request(&s, Some(desk.acme), desk.officer, "r")).await;
        let dave = s.subject(Some(desk.acme), Role::Customer, "dave").await.id;
        let first_at = s.tick();
        let first = s.main.notification_acknowledge(desk.acme, n.id, desk.carol, first_at).await.unwrap();
        let acked = NotificationRecord { acknowledged_at: Some(first_at), acknowledged_by: Some(desk.carol), ..n.clone() };
        assert_eq!(first, acked);
        let second = s.main.notification_acknowledge(desk.acme, n.id, dave, s.tick()).await.unwrap();
        assert_eq!(second, acked, "a second acknowledgement changes neither who nor when");
        assert_eq!(s.main.notification_get(desk.acme, n.id).await.unwrap(), acked);
    }

    async fn another_tenants_notification_is_not_found_and_cannot_be_acknowledged(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let (_, ours, _) = submit_notified(&s, request(&s, Some(desk.acme), desk.officer, "ours")).await;
        assert_not_found(s.main.notification_get(desk.globex, ours.id).await);
        assert_not_found(s.main.notification_acknowledge(desk.globex, ours.id, desk.gina, s.tick()).await);
        assert_eq!(s.main.notification_get(desk.acme, ours.id).await.unwrap(), ours, "still unacknowledged");
        assert!(notifications(&s, desk.globex, false).await.is_empty());
        assert_not_found(s.main.notification_get(desk.acme, NotificationId::new()).await);
        assert_not_found(s.main.notification_acknowledge(desk.acme, NotificationId::new(), desk.carol, s.tick()).await);
    }

    async fn the_outbox_drains_oldest_first_and_forgets_what_was_delivered(backend: Backend) {
        let s = Stores::open(backend).await;
        let desk = desk(&s).await;
        let mut messages = Vec::new();
        for (i, tenant) in [desk.acme, desk.globex, desk.acme].into_iter().enumerate() {
            s.tick();
            let (_, n, out) = submit_notified(&s, request(&s, Some(tenant), desk.officer, &format!("r{i}"))).await;
            messages.push(OutboxRecord { id: out, notification: n.clone(), enqueued_at: n.created_at });
        }
        let at = s.tick();
        assert_eq!(s.main.outbox_drain(&[], at, 2).await.unwrap(), messages[..2].to_vec(), "the two oldest");
        assert_eq!(s.main.outbox_drain(&[], at, 2).await.unwrap(), messages[..2].to_vec(), "nothing delivered, nothing gone");
        let delivered = [messages[0].id, messages[1].id, OutboxId::new()];
        assert_eq!(s.main.outbox_drain(&delivered, at, 2).await.unwrap(), messages[2..].to_vec(), "an unknown id is harmless");
        assert_eq!(s.main.outbox_drain(&delivered, s.tick(), 10).await.unwrap(), messages[2..].to_vec(), "delivering twice is harmless");
        assert!(s.main.outbox_drain(&[messages[2].id], s.tick(), 10).await.unwrap().is_empty());

        // Acknowledging a notification does not deliver its message, nor the reverse.
        let (_, n, out) = submit_notified(&s, request(&s, Some(desk.acme), desk.officer, "late")).await;
        s.main.notification_acknowledge(desk.acme, n.id, desk.carol, s.tick()).await.unwrap();
        let drained = s.main.outbox_drain(&[], s.now(), 10).await.unwrap();
        assert_eq!(drained.iter().map(|m| m.id).collect::<Vec<_>>(), vec![out]);
        assert!(s.main.outbox_drain(&[out], s.now(), 10).await.unwrap().is_empty());
        assert_eq!(s.main.notification_get(desk.acme, n.id).await.unwrap().acknowledged_by, Some(desk.carol));
    }
}
