//! Retention and data-subject rights: every statement of `main_store/retention.rs` on both
//! engines, with `uploads_of_case`, `tenant_by_name` and `contact_delete`. A hold covers
//! its case (or every case of its tenant) until cleared, and is cleared once; a closed
//! case is due for purge when its tenant's retention (or the default) has passed, never
//! while open or once purged; a purge wipes every sealed column of the case and marks it
//! once; a contact has one deletion request; a deleted contact is gone.

use chrono::{DateTime, Duration, Utc};
use supportgate_policy::{ContactDataAccess, Principal};
use supportgate_store::{
    CaseObject, DeletionRecord, DeletionState, DueCase, HoldFilter, HoldRecord, NewCase,
    ObjectKeyRecord, RecordingKind, RecordingRecord, RecordingSource, RecordingState,
    TenantSettingsRecord, UploadRecord, UploadState, WorkspaceRecord,
};
use supportgate_testkit::backend_tests;
use supportgate_types::{
    CaseId, ContactId, DeletionId, FileId, HoldId, LegalRequestId, RecordingId, Role, SessionId,
    SubjectId, TenantId, UploadId, WorkspaceId,
};

use crate::support::{
    all_pages, assert_conflict, assert_not_found, contact_record, page, principal, sorted, Stores,
};

/// A tenant with a customer, an assigned engineer, two cases and a workspace on the first.
struct Scene {
    tenant: TenantId,
    customer: SubjectId,
    engineer: Principal,
    case: CaseId,
    other_case: CaseId,
    workspace: WorkspaceRecord,
}

async fn scene(s: &Stores, name: &str) -> Scene {
    let tenant = s.tenant(name).await.id;
    let customer = s.subject(Some(tenant), Role::Customer, "carol").await.id;
    let engineer = s.subject(Some(tenant), Role::SupportEngineer, "erin").await;
    let case = s.case(tenant, customer, b"sealed summary").await.id;
    let other_case = s.case(tenant, customer, b"other sealed summary").await.id;
    for c in [case, other_case] {
        s.main
            .case_assign(tenant, c, engineer.id, s.now())
            .await
            .unwrap();
    }
    let workspace = WorkspaceRecord {
        id: WorkspaceId::new(),
        tenant,
        case,
        opened_by: engineer.id,
        opened_at: s.now(),
        quota_bytes: 1 << 30,
        used_bytes: 0,
    };
    s.main.workspace_insert(&workspace).await.unwrap();
    Scene {
        tenant,
        customer,
        engineer: principal(&engineer),
        case,
        other_case,
        workspace,
    }
}

/// A provider-level legal counsel who sets and clears holds.
async fn legal_counsel(s: &Stores, name: &str) -> SubjectId {
    s.subject(None, Role::LegalCounsel, name).await.id
}

/// A hold set now by `by` on `case` (or, with `None`, on every case of `tenant`).
fn hold(s: &Stores, tenant: TenantId, case: Option<CaseId>, by: SubjectId) -> HoldRecord {
    HoldRecord {
        id: HoldId::new(),
        tenant,
        case,
        reason: format!("preserve {case:?} of {tenant}"),
        request: case.map(|_| LegalRequestId::new()),
        set_by: by,
        set_at: s.now(),
        cleared_by: None,
        cleared_at: None,
        clear_reason: None,
    }
}

async fn insert_hold(s: &Stores, h: HoldRecord) -> HoldRecord {
    s.main.hold_insert(&h).await.expect("insert a hold");
    h
}

async fn hold_ids(s: &Stores, filter: HoldFilter) -> Vec<HoldId> {
    let holds = s.main.hold_list(&filter, &page(100, None)).await.unwrap();
    holds.iter().map(|h| h.id).collect()
}

/// Inserts an open case of `tenant` about `contact`.
async fn case_of(s: &Stores, tenant: TenantId, opener: SubjectId, contact: ContactId) -> CaseId {
    let case = NewCase {
        id: CaseId::new(),
        tenant,
        contact,
        opened_by: opener,
        opened_at: s.now(),
        summary_sealed: b"summary".to_vec(),
    };
    s.main.case_insert(&case).await.unwrap();
    case.id
}

/// An upload into the scene's workspace by its customer, taken to `state`, as stored.
async fn upload(s: &Stores, scene: &Scene, state: UploadState, tag: &str) -> UploadRecord {
    let w = &scene.workspace;
    let u = UploadRecord {
        id: UploadId::new(),
        file: FileId::new(),
        workspace: w.id,
        tenant: w.tenant,
        case: w.case,
        uploader: scene.customer,
        name_sealed: format!("sealed name of {tag}").into_bytes(),
        media_type_sealed: format!("sealed media type of {tag}").into_bytes(),
        size: 100,
        sha256: ring::digest::digest(&ring::digest::SHA256, tag.as_bytes())
            .as_ref()
            .to_vec(),
        state: UploadState::InProgress,
        committed_offset: 0,
        created_at: s.now(),
        expires_at: s.now() + Duration::days(7),
        completed_at: None,
        failure_reason: None,
    };
    let key = ObjectKeyRecord {
        object_id: u.file.to_string(),
        tenant: u.tenant,
        key_version: 1,
        wrapped: format!("data key of {tag}").into_bytes(),
    };
    s.main
        .upload_begin(&u, &key)
        .await
        .expect("begin an upload");
    match state {
        UploadState::InProgress => {}
        UploadState::Available => {
            assert!(s
                .main
                .upload_advance(u.tenant, u.id, 0, u.size)
                .await
                .unwrap());
            assert!(s
                .main
                .upload_finish(u.tenant, u.id, state, None, s.now())
                .await
                .unwrap());
        }
        UploadState::Failed | UploadState::Aborted => {
            assert!(s
                .main
                .upload_finish(u.tenant, u.id, state, Some("why"), s.now())
                .await
                .unwrap());
        }
        UploadState::Purged => panic!("uploads are purged by retention only"),
    }
    s.main.upload_get(u.tenant, u.id).await.unwrap()
}

/// A recording on `case` with a sealed title and description, as stored.
async fn recording(
    s: &Stores,
    scene: &Scene,
    case: CaseId,
    state: RecordingState,
) -> RecordingRecord {
    let r = RecordingRecord {
        id: RecordingId::new(),
        tenant: scene.tenant,
        case,
        session: Some(SessionId::new()),
        kind: RecordingKind::Terminal,
        source: RecordingSource::Session,
        state,
        media_type: "application/x-asciicast".into(),
        title_sealed: Some(b"sealed title".to_vec()),
        description_sealed: Some(b"sealed description".to_vec()),
        size: 10,
        sha256: None,
        frame_count: 1,
        durable_bytes: 10,
        initial_size: None,
        started_at: Some(s.now()),
        ended_at: None,
        created_by: scene.engineer.subject,
        created_at: s.now(),
        external_id: None,
    };
    let key = ObjectKeyRecord {
        object_id: r.id.to_string(),
        tenant: r.tenant,
        key_version: 1,
        wrapped: b"recording data key".to_vec(),
    };
    s.main
        .recording_insert(&r, &key)
        .await
        .expect("insert a recording");
    r
}

/// Closes `case` of `tenant` at `at`.
async fn close(s: &Stores, tenant: TenantId, case: CaseId, at: DateTime<Utc>) -> DueCase {
    s.main.case_close(tenant, case, at).await.unwrap();
    DueCase {
        case,
        tenant,
        closed_at: at,
    }
}

async fn set_retention(s: &Stores, tenant: TenantId, seconds: u64) {
    let settings = TenantSettingsRecord {
        tenant: Some(tenant),
        retention_seconds: seconds,
        ..TenantSettingsRecord::default()
    };
    s.main
        .tenant_settings_put(tenant, &settings, s.now())
        .await
        .unwrap();
}

fn deletion(s: &Stores, scene: &Scene, contact: ContactId, state: DeletionState) -> DeletionRecord {
    DeletionRecord {
        id: DeletionId::new(),
        tenant: scene.tenant,
        contact,
        case: scene.case,
        requested_by: scene.customer,
        requested_at: s.now(),
        state,
        deleted_at: (state == DeletionState::Deleted).then(|| s.now()),
    }
}

const DAY: i64 = 86_400;

backend_tests! {
    async fn a_hold_reads_back_and_is_cleared_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let counsel = legal_counsel(&s, "counsel").await;
        let second = legal_counsel(&s, "second counsel").await;
        let on_case = insert_hold(&s, hold(&s, acme.tenant, Some(acme.case), counsel)).await;
        let tenant_wide = insert_hold(&s, hold(&s, acme.tenant, None, counsel)).await;
        assert_eq!(s.main.hold_get(on_case.id).await.unwrap(), on_case);
        assert_eq!(s.main.hold_get(tenant_wide.id).await.unwrap(), tenant_wide);
        assert_not_found(s.main.hold_get(HoldId::new()).await);
        assert_conflict(s.main.hold_insert(&HoldRecord { reason: "again".into(), ..on_case.clone() }).await);

        let at = s.tick();
        assert!(s.main.hold_clear(on_case.id, second, at, "the matter closed").await.unwrap());
        let cleared = HoldRecord { cleared_by: Some(second), cleared_at: Some(at), clear_reason: Some("the matter closed".into()), ..on_case.clone() };
        assert_eq!(s.main.hold_get(on_case.id).await.unwrap(), cleared);
        assert!(!s.main.hold_clear(on_case.id, counsel, s.tick(), "again").await.unwrap(), "cleared once");
        assert_eq!(s.main.hold_get(on_case.id).await.unwrap(), cleared, "the first clearing stands");
        assert_eq!(s.main.hold_get(tenant_wide.id).await.unwrap(), tenant_wide, "the other hold is untouched");
        assert!(!s.main.hold_clear(HoldId::new(), counsel, s.tick(), "unknown").await.unwrap());
    }

    async fn a_case_is_covered_by_its_own_or_its_tenants_active_holds_only(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let counsel = legal_counsel(&s, "counsel").await;
        let covering = |tenant, case| {
            let s = &s;
            async move { s.main.hold_covering_case(tenant, case).await.unwrap() }
        };
        assert_eq!(covering(acme.tenant, acme.case).await, None);

        let theirs = insert_hold(&s, hold(&s, globex.tenant, None, counsel)).await;
        assert_eq!(covering(acme.tenant, acme.case).await, None, "not another tenant's hold");
        assert_eq!(covering(globex.tenant, globex.case).await, Some(theirs.id));

        s.tick();
        let on_case = insert_hold(&s, hold(&s, acme.tenant, Some(acme.case), counsel)).await;
        assert_eq!(covering(acme.tenant, acme.case).await, Some(on_case.id), "the case's own hold");
        assert_eq!(covering(acme.tenant, acme.other_case).await, None, "not a hold on another case");
        assert_eq!(covering(globex.tenant, acme.case).await, Some(theirs.id), "asked as globex, only globex's holds count");
        s.main.hold_clear(theirs.id, counsel, s.tick(), "done").await.unwrap();
        assert_eq!(covering(globex.tenant, acme.case).await, None);

        s.tick();
        let tenant_wide = insert_hold(&s, hold(&s, acme.tenant, None, counsel)).await;
        assert_eq!(covering(acme.tenant, acme.other_case).await, Some(tenant_wide.id), "a tenant-wide hold covers every case");
        assert_eq!(covering(acme.tenant, CaseId::new()).await, Some(tenant_wide.id), "even one not yet known");
        assert_eq!(covering(acme.tenant, acme.case).await, Some(on_case.id), "the oldest hold first");

        assert!(s.main.hold_clear(on_case.id, counsel, s.tick(), "done").await.unwrap());
        assert_eq!(covering(acme.tenant, acme.case).await, Some(tenant_wide.id), "not a cleared hold");
        assert!(s.main.hold_clear(tenant_wide.id, counsel, s.tick(), "done").await.unwrap());
        assert_eq!(covering(acme.tenant, acme.case).await, None);
        assert_eq!(covering(acme.tenant, acme.other_case).await, None);
    }

    async fn holds_are_listed_by_tenant_case_and_activity_in_id_order(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let counsel = legal_counsel(&s, "counsel").await;
        let a_case = insert_hold(&s, hold(&s, acme.tenant, Some(acme.case), counsel)).await.id;
        let a_wide = insert_hold(&s, hold(&s, acme.tenant, None, counsel)).await.id;
        let a_other_cleared = insert_hold(&s, hold(&s, acme.tenant, Some(acme.other_case), counsel)).await.id;
        let g_case = insert_hold(&s, hold(&s, globex.tenant, Some(globex.case), counsel)).await.id;
        let g_wide_cleared = insert_hold(&s, hold(&s, globex.tenant, None, counsel)).await.id;
        for h in [a_other_cleared, g_wide_cleared] {
            assert!(s.main.hold_clear(h, counsel, s.tick(), "lifted").await.unwrap());
        }
        let f = HoldFilter::default;
        let all = [a_case, a_wide, a_other_cleared, g_case, g_wide_cleared];
        assert_eq!(hold_ids(&s, f()).await, sorted(&all));
        assert_eq!(hold_ids(&s, HoldFilter { tenant: Some(acme.tenant), ..f() }).await, sorted(&[a_case, a_wide, a_other_cleared]));
        assert_eq!(hold_ids(&s, HoldFilter { tenant: Some(globex.tenant), ..f() }).await, sorted(&[g_case, g_wide_cleared]));
        assert!(hold_ids(&s, HoldFilter { tenant: Some(TenantId::new()), ..f() }).await.is_empty());
        assert_eq!(hold_ids(&s, HoldFilter { case: Some(acme.case), ..f() }).await, sorted(&[a_case, a_wide]), "the case's holds and its tenant's");
        assert_eq!(hold_ids(&s, HoldFilter { case: Some(acme.other_case), ..f() }).await, sorted(&[a_wide, a_other_cleared]));
        assert_eq!(hold_ids(&s, HoldFilter { case: Some(acme.other_case), active_only: true, ..f() }).await, vec![a_wide]);
        assert_eq!(hold_ids(&s, HoldFilter { case: Some(globex.other_case), ..f() }).await, vec![g_wide_cleared], "a case without holds of its own");
        assert!(hold_ids(&s, HoldFilter { case: Some(CaseId::new()), ..f() }).await.is_empty(), "an unknown case has no tenant");
        assert_eq!(hold_ids(&s, HoldFilter { active_only: true, ..f() }).await, sorted(&[a_case, a_wide, g_case]));
        assert_eq!(hold_ids(&s, HoldFilter { tenant: Some(globex.tenant), active_only: true, ..f() }).await, vec![g_case]);
        assert!(hold_ids(&s, HoldFilter { tenant: Some(acme.tenant), case: Some(globex.case), active_only: false }).await.is_empty(), "filters combine");

        let pages = all_pages(2, |p| { let s = &s; async move { s.main.hold_list(&HoldFilter::default(), &p).await.unwrap() } }, |h: &HoldRecord| h.id.to_string()).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![2, 2, 1]);
        assert_eq!(pages.concat().iter().map(|h| h.id).collect::<Vec<_>>(), sorted(&all), "each hold once");
    }

    async fn a_contact_is_covered_by_a_hold_on_any_of_its_cases_or_its_tenant(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let counsel = legal_counsel(&s, "counsel").await;
        let (carol, dave) = (ContactId::new(), ContactId::new());
        let _first = case_of(&s, acme.tenant, acme.customer, carol).await;
        let second = case_of(&s, acme.tenant, acme.customer, carol).await;
        let daves = case_of(&s, acme.tenant, acme.customer, dave).await;
        let in_globex = case_of(&s, globex.tenant, globex.customer, carol).await;
        let covering = |tenant, contact| {
            let s = &s;
            async move { s.main.hold_covering_contact(tenant, contact).await.unwrap() }
        };
        assert_eq!(covering(acme.tenant, carol).await, None);

        let on_second = insert_hold(&s, hold(&s, acme.tenant, Some(second), counsel)).await;
        assert_eq!(covering(acme.tenant, carol).await, Some(on_second.id), "a hold on any of the contact's cases");
        assert_eq!(covering(acme.tenant, dave).await, None, "not another contact's");
        assert_eq!(covering(globex.tenant, carol).await, None, "not the same contact id in another tenant");

        let on_globex = insert_hold(&s, hold(&s, globex.tenant, Some(in_globex), counsel)).await;
        assert_eq!(covering(globex.tenant, carol).await, Some(on_globex.id));
        assert_eq!(covering(acme.tenant, dave).await, None);

        s.tick();
        let wide = insert_hold(&s, hold(&s, acme.tenant, None, counsel)).await;
        assert_eq!(covering(acme.tenant, dave).await, Some(wide.id), "the tenant's hold covers every contact");
        assert_eq!(covering(acme.tenant, ContactId::new()).await, Some(wide.id));
        assert_eq!(covering(acme.tenant, carol).await, Some(on_second.id), "the oldest first");
        s.main.hold_clear(on_second.id, counsel, s.tick(), "done").await.unwrap();
        assert_eq!(covering(acme.tenant, carol).await, Some(wide.id));
        s.main.hold_clear(wide.id, counsel, s.tick(), "done").await.unwrap();
        assert_eq!(covering(acme.tenant, carol).await, None, "not cleared holds");
        assert_eq!(covering(acme.tenant, dave).await, None);
        let on_daves = insert_hold(&s, hold(&s, acme.tenant, Some(daves), counsel)).await;
        assert_eq!(covering(acme.tenant, dave).await, Some(on_daves.id));
        assert_eq!(covering(acme.tenant, carol).await, None);
    }

    async fn closed_cases_are_due_once_their_tenants_retention_has_passed(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await; // no settings: the default applies
        let globex = scene(&s, "globex").await; // one day
        let initech = scene(&s, "initech").await; // set to 0: the default applies
        set_retention(&s, globex.tenant, DAY as u64).await;
        set_retention(&s, initech.tenant, 0).await;
        let default = 30 * DAY as u64;
        let t0 = s.now();
        let a1 = close(&s, acme.tenant, acme.case, t0 + Duration::minutes(1)).await;
        let a2 = close(&s, acme.tenant, acme.other_case, t0 + Duration::minutes(2)).await;
        let g1 = close(&s, globex.tenant, globex.case, t0 + Duration::minutes(3)).await;
        let i1 = close(&s, initech.tenant, initech.case, t0 + Duration::minutes(4)).await;
        let purged = case_of(&s, acme.tenant, acme.customer, ContactId::new()).await;
        close(&s, acme.tenant, purged, t0).await;
        s.main.case_purge_finish(acme.tenant, purged, t0 + Duration::days(40)).await.unwrap();
        // globex.other_case, initech.other_case and a new acme case stay open.
        let _open = case_of(&s, acme.tenant, acme.customer, ContactId::new()).await;
        let due = |tenant, default, as_of| {
            let s = &s;
            async move { s.main.cases_due_for_purge(tenant, default, as_of, None, 100).await.unwrap() }
        };

        assert!(due(None, default, t0 + Duration::minutes(10)).await.is_empty(), "nothing before its retention");
        let globex_due = t0 + Duration::days(1) + Duration::minutes(3);
        assert_eq!(due(None, default, globex_due).await, vec![g1.clone()], "at the very end of the tenant's own retention");
        assert!(due(None, default, globex_due - Duration::microseconds(1)).await.is_empty(), "not a microsecond before");
        assert_eq!(due(None, DAY as u64, globex_due).await, vec![a1.clone(), a2.clone(), g1.clone()], "the default passed in for tenants without (or with 0)");

        let late = t0 + Duration::days(30) + Duration::minutes(4);
        let everything = vec![a1.clone(), a2.clone(), g1.clone(), i1.clone()];
        assert_eq!(due(None, default, late).await, everything, "oldest closing first; never open or purged cases");
        assert_eq!(due(None, default, late - Duration::microseconds(1)).await, vec![a1.clone(), a2.clone(), g1.clone()], "initech's retention of 0 is the default");
        assert_eq!(due(Some(acme.tenant), default, late).await, vec![a1.clone(), a2.clone()], "one tenant's");
        assert_eq!(due(Some(globex.tenant), default, late).await, vec![g1.clone()]);
        assert!(due(Some(TenantId::new()), default, late).await.is_empty());
        assert!(due(Some(initech.tenant), 60 * DAY as u64, late).await.is_empty(), "a longer default");
        assert_eq!(due(Some(globex.tenant), 60 * DAY as u64, late).await, vec![g1.clone()], "the tenant's own retention wins over the default");
        assert_eq!(due(None, 0, t0 + Duration::minutes(4)).await, vec![a1.clone(), a2.clone(), i1.clone()], "a default of 0: due at once, where it applies");

        // A tenant's retention can be lengthened, taking a due case out again.
        set_retention(&s, globex.tenant, 60 * DAY as u64).await;
        assert_eq!(due(None, default, late).await, vec![a1, a2, i1]);
    }

    async fn a_retention_too_long_to_reach_means_never_due(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        set_retention(&s, globex.tenant, i64::MAX as u64).await;
        let t0 = s.now();
        let a = close(&s, acme.tenant, acme.case, t0).await;
        close(&s, globex.tenant, globex.case, t0).await;
        let as_of = t0 + Duration::days(365 * 100);
        let due = s.main.cases_due_for_purge(None, 30 * DAY as u64, as_of, None, 100).await;
        assert_eq!(due.unwrap(), vec![a], "globex's retention of i64::MAX seconds has not passed");
        let due = s.main.cases_due_for_purge(None, u64::MAX, as_of, None, 100).await;
        assert!(due.unwrap().is_empty(), "nor has a default beyond i64");
    }

    async fn due_cases_page_in_closing_order_after_a_cursor(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let t0 = s.now();
        let mut expected = vec![
            close(&s, acme.tenant, acme.other_case, t0 + Duration::minutes(2)).await,
            close(&s, globex.tenant, globex.case, t0 + Duration::minutes(1)).await,
        ];
        // Three cases closed at the same moment: ordered by id.
        let mut ties = Vec::new();
        for _ in 0..3 {
            let c = case_of(&s, acme.tenant, acme.customer, ContactId::new()).await;
            ties.push(close(&s, acme.tenant, c, t0 + Duration::minutes(3)).await);
        }
        ties.sort_by_key(|d| d.case);
        expected.extend(ties);
        expected.push(close(&s, acme.tenant, acme.case, t0 + Duration::minutes(4)).await);
        expected.push(close(&s, globex.tenant, globex.other_case, t0 + Duration::minutes(5)).await);
        expected.sort_by_key(|d| (d.closed_at, d.case));
        let as_of = t0 + Duration::days(1);

        let mut seen = Vec::new();
        let mut after: Option<DueCase> = None;
        loop {
            let rows = s.main.cases_due_for_purge(None, 3600, as_of, after.as_ref(), 2).await.unwrap();
            assert!(rows.len() <= 2);
            let Some(last) = rows.last() else { break };
            after = Some(last.clone());
            seen.extend(rows);
            assert!(seen.len() <= expected.len(), "paging did not end");
        }
        assert_eq!(seen, expected, "each due case once, by closing time then id");

        let after_first_tie = &expected[2];
        let rest = s.main.cases_due_for_purge(Some(acme.tenant), 3600, as_of, Some(after_first_tie), 100).await.unwrap();
        let acme_rest: Vec<DueCase> = expected[3..].iter().filter(|d| d.tenant == acme.tenant).cloned().collect();
        assert_eq!(rest, acme_rest, "the cursor continues inside a tie, within a tenant");
    }

    async fn a_cases_objects_are_its_uploads_in_any_state_and_its_recordings(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let mut uploads = Vec::new();
        for (state, tag) in [(UploadState::InProgress, "going"), (UploadState::Available, "done"), (UploadState::Failed, "bad"), (UploadState::Aborted, "gone")] {
            uploads.push(upload(&s, &acme, state, tag).await);
        }
        let mut recordings = [
            recording(&s, &acme, acme.case, RecordingState::Recording).await,
            recording(&s, &acme, acme.case, RecordingState::Available).await,
        ];
        let elsewhere = recording(&s, &acme, acme.other_case, RecordingState::Available).await;
        let theirs = upload(&s, &globex, UploadState::Available, "theirs").await;
        uploads.sort_by_key(|u| u.id);
        recordings.sort_by_key(|r| r.id);
        let expected: Vec<CaseObject> = uploads
            .iter()
            .map(|u| CaseObject::Upload { upload: u.id.to_string(), file: u.file.to_string() })
            .chain(recordings.iter().map(|r| CaseObject::Recording { recording: r.id.to_string() }))
            .collect();
        let objects = s.main.case_objects(acme.tenant, acme.case).await.unwrap();
        assert_eq!(objects, expected, "uploads by id, then recordings by id");
        let key_ids: Vec<&str> = objects.iter().map(CaseObject::object_id).collect();
        let names: Vec<String> = uploads.iter().map(|u| u.file.to_string()).chain(recordings.iter().map(|r| r.id.to_string())).collect();
        assert_eq!(key_ids, names, "a data key is named by file id or recording id");
        for id in &names {
            assert!(s.main.object_key_get(acme.tenant, id).await.is_ok(), "the data key of {id} exists under that name");
        }

        assert_eq!(s.main.case_objects(acme.tenant, acme.other_case).await.unwrap(), vec![CaseObject::Recording { recording: elsewhere.id.to_string() }]);
        assert!(s.main.case_objects(globex.tenant, acme.case).await.unwrap().is_empty(), "not through another tenant");
        assert!(s.main.case_objects(acme.tenant, CaseId::new()).await.unwrap().is_empty());
        assert_eq!(s.main.case_objects(globex.tenant, globex.case).await.unwrap(), vec![CaseObject::Upload { upload: theirs.id.to_string(), file: theirs.file.to_string() }]);

        s.main.case_purge_finish(acme.tenant, acme.case, s.tick()).await.unwrap();
        assert_eq!(s.main.case_objects(acme.tenant, acme.case).await.unwrap(), expected, "still listed once purged");
    }

    async fn a_finished_purge_wipes_the_sealed_columns_and_marks_the_case_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let mut uploads = Vec::new();
        for (state, tag) in [(UploadState::InProgress, "going"), (UploadState::Available, "done"), (UploadState::Failed, "bad")] {
            uploads.push(upload(&s, &acme, state, tag).await);
        }
        let recordings = [
            recording(&s, &acme, acme.case, RecordingState::Recording).await,
            recording(&s, &acme, acme.case, RecordingState::Truncated).await,
        ];
        let kept_recording = recording(&s, &acme, acme.other_case, RecordingState::Available).await;
        let theirs = upload(&s, &globex, UploadState::Available, "theirs").await;
        let closed_at = s.tick();
        s.main.case_close(acme.tenant, acme.case, closed_at).await.unwrap();
        let on_case = s.summary_grant(&acme.engineer, acme.tenant, Some(acme.case), true).await.unwrap();
        let on_other = s.summary_grant(&acme.engineer, acme.tenant, Some(acme.other_case), true).await.unwrap();
        let before = s.main.case_meta_get(acme.tenant, acme.case).await.unwrap();
        assert_eq!(before.purged_at, None);

        // Through another tenant, nothing happens.
        s.main.case_purge_finish(globex.tenant, acme.case, s.tick()).await.unwrap();
        assert_eq!(s.main.case_meta_get(acme.tenant, acme.case).await.unwrap(), before);
        assert_eq!(s.main.case_summary_get(&on_case).await.unwrap(), b"sealed summary".to_vec());
        assert_eq!(s.main.upload_get(acme.tenant, uploads[0].id).await.unwrap(), uploads[0]);

        let at = s.tick();
        s.main.case_purge_finish(acme.tenant, acme.case, at).await.unwrap();
        let check = |at| {
            let (s, acme, uploads, recordings, on_case, before) = (&s, &acme, &uploads, &recordings, &on_case, &before);
            async move {
                assert_eq!(s.main.case_meta_get(acme.tenant, acme.case).await.unwrap(), supportgate_store::CaseMeta { purged_at: Some(at), ..before.clone() }, "marked purged, metadata kept");
                assert_eq!(s.main.case_summary_get(on_case).await.unwrap(), Vec::<u8>::new(), "the summary is wiped");
                for u in uploads {
                    let purged = UploadRecord { name_sealed: Vec::new(), media_type_sealed: Vec::new(), state: UploadState::Purged, ..u.clone() };
                    assert_eq!(s.main.upload_get(acme.tenant, u.id).await.unwrap(), purged, "upload {:?} wiped, its metadata kept", u.state);
                }
                for r in recordings {
                    let purged = RecordingRecord { title_sealed: None, description_sealed: None, state: RecordingState::Purged, ..r.clone() };
                    assert_eq!(s.main.recording_get(on_case, r.id).await.unwrap(), purged, "recording {:?} wiped, its metadata kept", r.state);
                }
            }
        };
        check(at).await;

        s.main.case_purge_finish(acme.tenant, acme.case, s.tick()).await.unwrap();
        check(at).await; // a second run changes nothing, purged_at included

        assert_eq!(s.main.case_summary_get(&on_other).await.unwrap(), b"other sealed summary".to_vec(), "the other case is untouched");
        assert_eq!(s.main.case_meta_get(acme.tenant, acme.other_case).await.unwrap().purged_at, None);
        assert_eq!(s.main.recording_get(&on_other, kept_recording.id).await.unwrap(), kept_recording);
        assert_eq!(s.main.upload_get(globex.tenant, theirs.id).await.unwrap(), theirs, "another tenant's upload is untouched");
        assert!(s.main.cases_due_for_purge(None, 0, at + Duration::days(1000), None, 100).await.unwrap().iter().all(|d| d.case != acme.case), "a purged case is never due again");
    }

    async fn uploads_of_a_case_are_listed_in_any_state_without_sealed_fields(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let mut uploads = Vec::new();
        for (state, tag) in [(UploadState::InProgress, "going"), (UploadState::Available, "done"), (UploadState::Failed, "bad"), (UploadState::Aborted, "gone")] {
            uploads.push(upload(&s, &acme, state, tag).await);
        }
        upload(&s, &globex, UploadState::Available, "theirs").await;
        uploads.sort_by_key(|u| u.id);
        let metadata: Vec<UploadRecord> = uploads.iter().map(|u| UploadRecord { name_sealed: Vec::new(), media_type_sealed: Vec::new(), ..u.clone() }).collect();
        assert_eq!(s.main.uploads_of_case(acme.tenant, acme.case).await.unwrap(), metadata);
        assert!(s.main.uploads_of_case(acme.tenant, acme.other_case).await.unwrap().is_empty());
        assert!(s.main.uploads_of_case(globex.tenant, acme.case).await.unwrap().is_empty(), "not through another tenant");
        s.main.case_purge_finish(acme.tenant, acme.case, s.tick()).await.unwrap();
        let states: Vec<UploadState> = s.main.uploads_of_case(acme.tenant, acme.case).await.unwrap().iter().map(|u| u.state).collect();
        assert_eq!(states, vec![UploadState::Purged; 4]);
    }

    async fn a_contact_has_one_deletion_request(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let contact = ContactId::new();
        let first = deletion(&s, &acme, contact, DeletionState::BlockedByLegalHold);
        assert_eq!(s.main.deletion_request(&first).await.unwrap(), first);
        assert_eq!(s.main.deletion_for_contact(acme.tenant, contact).await.unwrap(), Some(first.clone()));

        s.tick();
        let again = DeletionRecord { case: acme.other_case, ..deletion(&s, &acme, contact, DeletionState::Deleted) };
        assert_eq!(s.main.deletion_request(&again).await.unwrap(), first, "the first request is returned");
        assert_eq!(s.main.deletion_for_contact(acme.tenant, contact).await.unwrap(), Some(first.clone()), "and stays");

        assert_eq!(s.main.deletion_for_contact(globex.tenant, contact).await.unwrap(), None, "not another tenant's");
        assert_eq!(s.main.deletion_for_contact(acme.tenant, ContactId::new()).await.unwrap(), None);
        let elsewhere = deletion(&s, &globex, contact, DeletionState::Deleted);
        assert_eq!(s.main.deletion_request(&elsewhere).await.unwrap(), elsewhere, "the same contact id in another tenant is another request");
        assert_eq!(s.main.deletion_for_contact(acme.tenant, contact).await.unwrap(), Some(first));
    }

    async fn blocked_deletions_are_listed_oldest_first_until_done(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        s.tick();
        let d1 = s.main.deletion_request(&deletion(&s, &acme, ContactId::new(), DeletionState::BlockedByLegalHold)).await.unwrap();
        s.tick();
        let done_at_once = s.main.deletion_request(&deletion(&s, &acme, ContactId::new(), DeletionState::Deleted)).await.unwrap();
        s.tick();
        let d3 = s.main.deletion_request(&deletion(&s, &globex, ContactId::new(), DeletionState::BlockedByLegalHold)).await.unwrap();
        assert_eq!(s.main.deletions_blocked(100).await.unwrap(), vec![d1.clone(), d3.clone()], "only blocked ones, oldest first");
        assert_eq!(s.main.deletions_blocked(1).await.unwrap(), vec![d1.clone()]);

        let at = s.tick();
        s.main.deletion_done(d1.id, at).await.unwrap();
        let deleted = DeletionRecord { state: DeletionState::Deleted, deleted_at: Some(at), ..d1.clone() };
        assert_eq!(s.main.deletion_for_contact(acme.tenant, d1.contact).await.unwrap(), Some(deleted.clone()));
        assert_eq!(s.main.deletions_blocked(100).await.unwrap(), vec![d3.clone()]);
        s.main.deletion_done(d1.id, s.tick()).await.unwrap();
        assert_eq!(s.main.deletion_for_contact(acme.tenant, d1.contact).await.unwrap(), Some(deleted), "the first deletion time stands");
        s.main.deletion_done(done_at_once.id, s.tick()).await.unwrap();
        assert_eq!(s.main.deletion_for_contact(acme.tenant, done_at_once.contact).await.unwrap(), Some(done_at_once));
        s.main.deletion_done(DeletionId::new(), s.tick()).await.unwrap();
        assert_eq!(s.main.deletions_blocked(100).await.unwrap(), vec![d3]);
    }

    async fn a_deleted_contact_is_gone_and_deleting_again_is_harmless(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await.id;
        let globex = s.tenant("globex").await.id;
        let reader = principal(&s.subject(Some(acme), Role::Communications, "reader").await);
        let grant = ContactDataAccess::Communications(s.communications(&reader).await);
        let (carol, carol_hash) = s.contact(acme, "carol").await;
        let (dave, _) = s.contact(acme, "dave").await;
        let (gina, _) = s.contact(globex, "gina").await;

        s.contacts.contact_delete(globex, carol.id).await.unwrap();
        assert_eq!(s.contacts.contact_get(&grant, carol.id).await.unwrap(), carol, "not through another tenant");

        s.contacts.contact_delete(acme, carol.id).await.unwrap();
        assert_not_found(s.contacts.contact_get(&grant, carol.id).await);
        assert_not_found(s.contacts.contact_opted_out(acme, carol.id).await);
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &carol_hash).await.unwrap(), None, "its lookup hash is gone too");
        s.contacts.contact_delete(acme, carol.id).await.unwrap();
        s.contacts.contact_delete(acme, ContactId::new()).await.unwrap();
        assert_eq!(s.contacts.contact_get(&grant, dave.id).await.unwrap(), dave, "other contacts stay");
        assert!(!s.contacts.contact_opted_out(globex, gina.id).await.unwrap());
        let returning = contact_record(acme, "carol", s.tick());
        s.contacts.contact_insert(&returning, &carol_hash).await.unwrap();
        assert_eq!(s.contacts.contact_find_by_email_hash(acme, &carol_hash).await.unwrap(), Some(returning.id), "the e-mail is free again");
    }

    async fn an_items_owner_is_found_by_file_or_recording_id_in_any_tenant(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let file = upload(&s, &acme, UploadState::Available, "file").await;
        let going = upload(&s, &globex, UploadState::InProgress, "going").await;
        let r = recording(&s, &acme, acme.other_case, RecordingState::Available).await;
        let owner = |item: String| {
            let s = &s;
            async move { s.main.item_owner(&item).await.unwrap() }
        };
        assert_eq!(owner(file.file.to_string()).await, Some(("file", acme.tenant, acme.case)));
        assert_eq!(owner(going.file.to_string()).await, Some(("file", globex.tenant, globex.case)), "an unfinished upload's file, of another tenant");
        assert_eq!(owner(r.id.to_string()).await, Some(("recording", acme.tenant, acme.other_case)));
        assert_eq!(owner(file.id.to_string()).await, None, "an upload id names no item");
        assert_eq!(owner(FileId::new().to_string()).await, None);
        assert_eq!(owner(RecordingId::new().to_string()).await, None);
        assert_eq!(owner(String::new()).await, None);
        assert_eq!(owner("' OR '1'='1".into()).await, None);
    }

    async fn a_cases_owner_and_a_tenants_cases_are_found_across_tenants(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        assert_eq!(s.main.case_owner(acme.case).await.unwrap(), Some(acme.tenant));
        assert_eq!(s.main.case_owner(globex.other_case).await.unwrap(), Some(globex.tenant));
        assert_eq!(s.main.case_owner(CaseId::new()).await.unwrap(), None);
        assert_eq!(s.main.cases_of_tenant(acme.tenant).await.unwrap(), sorted(&[acme.case, acme.other_case]));
        assert_eq!(s.main.cases_of_tenant(globex.tenant).await.unwrap(), sorted(&[globex.case, globex.other_case]));
        assert!(s.main.cases_of_tenant(TenantId::new()).await.unwrap().is_empty());
    }

    async fn a_tenant_is_found_by_its_exact_name_only(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = s.tenant("acme").await;
        let acme_eu = s.tenant("acme-eu").await;
        assert_eq!(s.main.tenant_by_name("acme").await.unwrap(), acme);
        assert_eq!(s.main.tenant_by_name("acme-eu").await.unwrap(), acme_eu);
        for near in ["ACME", "Acme", "acm", "acme ", " acme", "acm%", "acm_", "%", "", "acme-e"] {
            assert_not_found(s.main.tenant_by_name(near).await);
        }
    }
}
