//! Transfers: every statement of `main_store/transfers.rs` on both engines, with tenant
//! isolation (another tenant's ids are `NotFound`, or change nothing), the quota checked
//! under the write lock, and content reads scoped by grants the real policy mints.

use chrono::Duration;
use supportgate_policy::{CustomerDataAccess, Principal};
use supportgate_store::{ObjectKeyRecord, StoreError, UploadRecord, UploadState, WorkspaceRecord};
use supportgate_testkit::backend_tests;
use supportgate_types::{CaseId, FileId, Role, SubjectId, TenantId, UploadId, WorkspaceId};

use crate::support::{
    all_pages, assert_conflict, assert_not_found, page, principal, sorted, Stores,
};

/// A tenant with a customer, an assigned engineer, its reviewer, two cases and a
/// workspace on the first.
struct Scene {
    tenant: TenantId,
    customer: SubjectId,
    engineer: Principal,
    reviewer: Principal,
    case: CaseId,
    other_case: CaseId,
    workspace: WorkspaceRecord,
}

async fn scene(s: &Stores, name: &str, quota: u64) -> Scene {
    let tenant = s.tenant(name).await.id;
    let customer = s.subject(Some(tenant), Role::Customer, "carol").await;
    let engineer = s.subject(Some(tenant), Role::SupportEngineer, "erin").await;
    let reviewer = s
        .subject(Some(tenant), Role::ComplianceReviewer, "rita")
        .await;
    let case = s.case(tenant, customer.id, b"case").await.id;
    let other_case = s.case(tenant, customer.id, b"other case").await.id;
    for c in [case, other_case] {
        s.main
            .case_assign(tenant, c, engineer.id, s.now())
            .await
            .unwrap();
    }
    let workspace = workspace(s, tenant, case, engineer.id, quota).await;
    Scene {
        tenant,
        customer: customer.id,
        engineer: principal(&engineer),
        reviewer: principal(&reviewer),
        case,
        other_case,
        workspace,
    }
}

async fn workspace(
    s: &Stores,
    tenant: TenantId,
    case: CaseId,
    opened_by: SubjectId,
    quota: u64,
) -> WorkspaceRecord {
    let w = WorkspaceRecord {
        id: WorkspaceId::new(),
        tenant,
        case,
        opened_by,
        opened_at: s.now(),
        quota_bytes: quota,
        used_bytes: 0,
    };
    s.main
        .workspace_insert(&w)
        .await
        .expect("insert a workspace");
    w
}

/// An upload in progress of `size` bytes into `w` by `uploader`; `tag` marks its
/// sealed fields and hash.
fn upload(
    s: &Stores,
    w: &WorkspaceRecord,
    uploader: SubjectId,
    size: u64,
    tag: &str,
) -> UploadRecord {
    UploadRecord {
        id: UploadId::new(),
        file: FileId::new(),
        workspace: w.id,
        tenant: w.tenant,
        case: w.case,
        uploader,
        name_sealed: format!("sealed name of {tag}").into_bytes(),
        media_type_sealed: format!("sealed media type of {tag}").into_bytes(),
        size,
        sha256: ring::digest::digest(&ring::digest::SHA256, tag.as_bytes())
            .as_ref()
            .to_vec(),
        state: UploadState::InProgress,
        committed_offset: 0,
        created_at: s.now(),
        expires_at: s.now() + Duration::days(7),
        completed_at: None,
        failure_reason: None,
    }
}

fn key(u: &UploadRecord, version: u32) -> ObjectKeyRecord {
    ObjectKeyRecord {
        object_id: u.file.to_string(),
        tenant: u.tenant,
        key_version: version,
        wrapped: format!("data key of {} wrapped under v{version}", u.file).into_bytes(),
    }
}

/// Begins `u` (with its data key under version 1).
async fn begin(s: &Stores, u: &UploadRecord) -> UploadRecord {
    s.main
        .upload_begin(u, &key(u, 1))
        .await
        .expect("begin an upload");
    u.clone()
}

/// Begins `u`, commits all of it and makes it available.
async fn available(s: &Stores, u: &UploadRecord) -> UploadRecord {
    begin(s, u).await;
    assert!(s
        .main
        .upload_advance(u.tenant, u.id, 0, u.size)
        .await
        .unwrap());
    assert!(s
        .main
        .upload_finish(u.tenant, u.id, UploadState::Available, None, s.now())
        .await
        .unwrap());
    s.main.upload_get(u.tenant, u.id).await.unwrap()
}

async fn used(s: &Stores, w: &WorkspaceRecord) -> u64 {
    s.main
        .workspace_get(w.tenant, w.id)
        .await
        .unwrap()
        .used_bytes
}

async fn grant(s: &Stores, scene: &Scene, case: Option<CaseId>) -> CustomerDataAccess {
    s.summary_grant(&scene.engineer, scene.tenant, case, true)
        .await
        .expect("a grant")
}

fn metadata_only(u: &UploadRecord) -> UploadRecord {
    UploadRecord {
        name_sealed: Vec::new(),
        media_type_sealed: Vec::new(),
        ..u.clone()
    }
}

backend_tests! {
    async fn workspaces_read_back_and_list_only_within_their_tenant(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 1000).await;
        let globex = scene(&s, "globex", 1000).await;
        let w = &acme.workspace;
        assert_eq!(&s.main.workspace_get(acme.tenant, w.id).await.unwrap(), w);
        assert_not_found(s.main.workspace_get(globex.tenant, w.id).await);
        assert_not_found(s.main.workspace_get(acme.tenant, WorkspaceId::new()).await);
        assert_eq!(s.main.workspace_tenant(w.id).await.unwrap(), acme.tenant);
        assert_eq!(s.main.workspace_tenant(globex.workspace.id).await.unwrap(), globex.tenant);
        assert_not_found(s.main.workspace_tenant(WorkspaceId::new()).await);
        assert_conflict(s.main.workspace_insert(w).await);

        let mut on_case = vec![w.clone()];
        for _ in 0..4 {
            on_case.push(workspace(&s, acme.tenant, acme.case, acme.engineer.subject, 5).await);
        }
        let elsewhere = workspace(&s, acme.tenant, acme.other_case, acme.engineer.subject, 5).await;
        let pages = all_pages(2, |p| { let main = &s.main; async move { main.workspace_list(acme.tenant, acme.case, &p).await.unwrap() } }, |w| w.id.to_string()).await;
        assert_eq!(pages.len(), 3);
        let listed: Vec<WorkspaceRecord> = pages.concat();
        let ids: Vec<WorkspaceId> = listed.iter().map(|w| w.id).collect();
        assert_eq!(ids, sorted(&on_case.iter().map(|w| w.id).collect::<Vec<_>>()), "every workspace of the case, in id order");
        for got in &listed {
            assert_eq!(Some(got), on_case.iter().find(|w| w.id == got.id));
        }
        assert_eq!(s.main.workspace_list(acme.tenant, acme.other_case, &page(10, None)).await.unwrap(), vec![elsewhere]);
        assert!(s.main.workspace_list(globex.tenant, acme.case, &page(10, None)).await.unwrap().is_empty());
    }

    async fn upload_begin_stores_the_upload_with_its_key_and_keeps_the_quota(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 1000).await;
        let globex = scene(&s, "globex", 1000).await;
        let w = &acme.workspace;
        let first = begin(&s, &upload(&s, w, acme.customer, 600, "first")).await;
        assert_eq!(s.main.upload_get(acme.tenant, first.id).await.unwrap(), first);
        assert_eq!(s.main.object_key_get(acme.tenant, &first.file.to_string()).await.unwrap(), key(&first, 1));
        assert_eq!(used(&s, w).await, 600);

        let over = upload(&s, w, acme.customer, 401, "over");
        match s.main.upload_begin(&over, &key(&over, 1)).await {
            Err(StoreError::QuotaExceeded { quota: 1000, used: 600, requested: 401 }) => {}
            other => panic!("expected QuotaExceeded, got {other:?}"),
        }
        assert_not_found(s.main.upload_get(acme.tenant, over.id).await);
        assert_not_found(s.main.object_key_get(acme.tenant, &over.file.to_string()).await);
        let huge = upload(&s, w, acme.customer, u64::MAX, "huge");
        assert!(matches!(s.main.upload_begin(&huge, &key(&huge, 1)).await, Err(StoreError::QuotaExceeded { .. })));

        let exact = begin(&s, &upload(&s, w, acme.customer, 400, "exact")).await;
        assert_eq!(used(&s, w).await, 1000, "up to the quota exactly");
        begin(&s, &upload(&s, w, acme.customer, 0, "empty")).await;
        // Failed and aborted uploads release their bytes; available ones keep them.
        assert!(s.main.upload_finish(acme.tenant, first.id, UploadState::Failed, Some("SHA256_MISMATCH"), s.now()).await.unwrap());
        assert_eq!(used(&s, w).await, 400);
        let again = begin(&s, &upload(&s, w, acme.customer, 600, "again")).await;
        assert!(s.main.upload_finish(acme.tenant, again.id, UploadState::Aborted, None, s.now()).await.unwrap());
        available(&s, &upload(&s, w, acme.customer, 100, "kept")).await;
        assert_eq!(used(&s, w).await, 500);

        // Not into another tenant's workspace, whatever the record claims.
        let mut foreign = upload(&s, w, globex.customer, 10, "foreign");
        foreign.tenant = globex.tenant;
        assert_not_found(s.main.upload_begin(&foreign, &key(&foreign, 1)).await);
        assert_not_found(s.main.upload_get(globex.tenant, foreign.id).await);
        assert_not_found(s.main.upload_get(globex.tenant, exact.id).await);

        // A clash on either insert leaves neither row.
        let same_id = UploadRecord { id: exact.id, ..upload(&s, w, acme.customer, 1, "same id") };
        assert_conflict(s.main.upload_begin(&same_id, &key(&same_id, 1)).await);
        assert_not_found(s.main.object_key_get(acme.tenant, &same_id.file.to_string()).await);
        let same_key = upload(&s, w, acme.customer, 1, "same key");
        let clash = ObjectKeyRecord { object_id: exact.file.to_string(), ..key(&same_key, 1) };
        assert_conflict(s.main.upload_begin(&same_key, &clash).await);
        assert_not_found(s.main.upload_get(acme.tenant, same_key.id).await);
        assert_eq!(used(&s, w).await, 500);
    }

    async fn concurrent_upload_begins_never_overrun_the_quota(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 1000).await;
        let w = &acme.workspace;
        let uploads: Vec<UploadRecord> = (0..8).map(|i| upload(&s, w, acme.customer, 300, &format!("u{i}"))).collect();
        let results = futures_join(&s, &uploads).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        for r in &results {
            assert!(matches!(r, Ok(()) | Err(StoreError::QuotaExceeded { .. })), "{r:?}");
        }
        assert_eq!(ok, 3, "exactly three uploads of 300 fit in 1000: {results:?}");
        assert_eq!(used(&s, w).await, 900);
    }

    async fn a_repeated_declaration_finds_only_the_same_uploaders_uploads_in_progress_or_available(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 10_000).await;
        let globex = scene(&s, "globex", 10_000).await;
        let w = &acme.workspace;
        let first = begin(&s, &upload(&s, w, acme.customer, 100, "same")).await;
        s.tick();
        let second = begin(&s, &upload(&s, w, acme.customer, 100, "same")).await;
        let find = |tenant, workspace, uploader, size, sha: Vec<u8>| {
            let s = &s;
            async move { s.main.upload_find_resumable(tenant, workspace, uploader, size, &sha).await.unwrap() }
        };
        let sha = first.sha256.clone();
        assert_eq!(find(acme.tenant, w.id, acme.customer, 100, sha.clone()).await, vec![first.clone(), second.clone()], "oldest first");
        assert!(find(acme.tenant, w.id, acme.customer, 101, sha.clone()).await.is_empty());
        assert!(find(acme.tenant, w.id, acme.customer, 100, vec![0; 32]).await.is_empty());
        let colleague = s.subject(Some(acme.tenant), Role::Customer, "colin").await.id;
        assert!(find(acme.tenant, w.id, colleague, 100, sha.clone()).await.is_empty());
        let other = workspace(&s, acme.tenant, acme.case, acme.engineer.subject, 10_000).await;
        assert!(find(acme.tenant, other.id, acme.customer, 100, sha.clone()).await.is_empty());
        assert!(find(globex.tenant, w.id, acme.customer, 100, sha.clone()).await.is_empty());
        // An available file is still found (a rerun names it instead of storing it
        // twice); a failed or aborted one is not.
        assert!(s.main.upload_finish(acme.tenant, first.id, UploadState::Available, None, s.now()).await.unwrap());
        let available = s.main.upload_get(acme.tenant, first.id).await.unwrap();
        assert_eq!(find(acme.tenant, w.id, acme.customer, 100, sha.clone()).await, vec![available, second.clone()]);
        assert!(s.main.upload_finish(acme.tenant, second.id, UploadState::Failed, Some("SHA256_MISMATCH"), s.now()).await.unwrap());
        assert_eq!(find(acme.tenant, w.id, acme.customer, 100, sha).await.len(), 1);
    }

    async fn upload_advance_moves_only_from_the_expected_offset_of_an_upload_in_progress(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 10_000).await;
        let globex = scene(&s, "globex", 10_000).await;
        let u = begin(&s, &upload(&s, &acme.workspace, acme.customer, 300, "u")).await;
        assert!(s.main.upload_advance(acme.tenant, u.id, 0, 100).await.unwrap());
        assert!(!s.main.upload_advance(acme.tenant, u.id, 0, 200).await.unwrap(), "not from a stale offset");
        assert!(!s.main.upload_advance(globex.tenant, u.id, 100, 200).await.unwrap(), "not from another tenant");
        assert!(!s.main.upload_advance(acme.tenant, UploadId::new(), 0, 1).await.unwrap());
        assert_eq!(s.main.upload_get(acme.tenant, u.id).await.unwrap().committed_offset, 100);
        assert!(s.main.upload_advance(acme.tenant, u.id, 100, 300).await.unwrap());
        assert!(s.main.upload_finish(acme.tenant, u.id, UploadState::Available, None, s.now()).await.unwrap());
        assert!(!s.main.upload_advance(acme.tenant, u.id, 300, 300).await.unwrap(), "not once finished");
        assert_eq!(s.main.upload_get(acme.tenant, u.id).await.unwrap().committed_offset, 300);
    }

    async fn upload_finish_ends_an_upload_in_progress_exactly_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 10_000).await;
        let globex = scene(&s, "globex", 10_000).await;
        let w = &acme.workspace;
        let (a, f, x) = (
            begin(&s, &upload(&s, w, acme.customer, 1, "a")).await,
            begin(&s, &upload(&s, w, acme.customer, 1, "f")).await,
            begin(&s, &upload(&s, w, acme.customer, 1, "x")).await,
        );
        assert!(!s.main.upload_finish(globex.tenant, a.id, UploadState::Available, None, s.now()).await.unwrap());
        assert_eq!(s.main.upload_get(acme.tenant, a.id).await.unwrap().state, UploadState::InProgress);
        let at = s.tick();
        assert!(s.main.upload_finish(acme.tenant, a.id, UploadState::Available, None, at).await.unwrap());
        assert!(s.main.upload_finish(acme.tenant, f.id, UploadState::Failed, Some("SHA256_MISMATCH"), at).await.unwrap());
        assert!(s.main.upload_finish(acme.tenant, x.id, UploadState::Aborted, None, at).await.unwrap());
        let got = s.main.upload_get(acme.tenant, a.id).await.unwrap();
        assert_eq!(got, UploadRecord { state: UploadState::Available, completed_at: Some(at), ..a.clone() });
        let got = s.main.upload_get(acme.tenant, f.id).await.unwrap();
        assert_eq!(got, UploadRecord { state: UploadState::Failed, failure_reason: Some("SHA256_MISMATCH".into()), ..f.clone() });
        assert_eq!(s.main.upload_get(acme.tenant, x.id).await.unwrap().state, UploadState::Aborted);
        for (id, state) in [(a.id, UploadState::Failed), (f.id, UploadState::Available), (x.id, UploadState::Available)] {
            assert!(!s.main.upload_finish(acme.tenant, id, state, None, s.tick()).await.unwrap(), "finished once only");
        }
        assert_eq!(s.main.upload_get(acme.tenant, a.id).await.unwrap().completed_at, Some(at));
        assert_eq!(s.main.upload_get(acme.tenant, f.id).await.unwrap().state, UploadState::Failed);
    }

    async fn files_are_read_and_listed_only_when_available_and_within_the_grants_case(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 1 << 30).await;
        let globex = scene(&s, "globex", 1 << 30).await;
        let w = &acme.workspace;
        let mut files = Vec::new();
        for i in 0..5 {
            files.push(available(&s, &upload(&s, w, acme.customer, 10 + i, &format!("file {i}"))).await);
        }
        let in_progress = begin(&s, &upload(&s, w, acme.customer, 10, "partial")).await;
        let failed = begin(&s, &upload(&s, w, acme.customer, 10, "failed")).await;
        s.main.upload_finish(acme.tenant, failed.id, UploadState::Failed, Some("SHA256_MISMATCH"), s.now()).await.unwrap();
        let other_w = workspace(&s, acme.tenant, acme.other_case, acme.engineer.subject, 1 << 30).await;
        let other_file = available(&s, &upload(&s, &other_w, acme.customer, 10, "other case")).await;
        let theirs = available(&s, &upload(&s, &globex.workspace, globex.customer, 10, "globex")).await;

        let on_case = grant(&s, &acme, Some(acme.case)).await;
        assert_eq!(s.main.file_get(&on_case, files[0].file).await.unwrap(), files[0]);
        for hidden in [in_progress.file, failed.file, other_file.file, theirs.file, FileId::new()] {
            assert_not_found(s.main.file_get(&on_case, hidden).await);
        }
        let other_case = grant(&s, &acme, Some(acme.other_case)).await;
        assert_eq!(s.main.file_get(&other_case, other_file.file).await.unwrap(), other_file);
        assert_not_found(s.main.file_get(&other_case, files[0].file).await);
        let tenant_wide = grant(&s, &acme, None).await;
        assert_not_found(s.main.file_get(&tenant_wide, files[0].file).await);
        assert_not_found(s.main.file_list(&tenant_wide, w.id, &page(10, None)).await);
        let globex_grant = grant(&s, &globex, Some(globex.case)).await;
        assert_not_found(s.main.file_get(&globex_grant, files[0].file).await);

        // Where any file of the tenant is, in any state, without its sealed fields.
        assert_eq!(s.main.file_locate(acme.tenant, in_progress.file).await.unwrap(), metadata_only(&in_progress));
        assert_eq!(s.main.file_locate(acme.tenant, files[1].file).await.unwrap(), metadata_only(&files[1]));
        assert_not_found(s.main.file_locate(globex.tenant, files[1].file).await);
        assert_not_found(s.main.file_locate(acme.tenant, FileId::new()).await);

        let pages = all_pages(2, |p| { let (main, g) = (&s.main, &on_case); async move { main.file_list(g, w.id, &p).await.unwrap() } }, |f| f.file.to_string()).await;
        let mut expected = files.clone();
        expected.sort_by_key(|f| f.file.to_string());
        assert_eq!(pages.concat(), expected, "available files only, with their sealed names, in file id order");
        assert!(s.main.file_list(&on_case, other_w.id, &page(10, None)).await.unwrap().is_empty());
        assert!(s.main.file_list(&on_case, globex.workspace.id, &page(10, None)).await.unwrap().is_empty());
        assert!(s.main.file_list(&globex_grant, w.id, &page(10, None)).await.unwrap().is_empty());

        let own_reviewer = s.metadata(&acme.reviewer, None).await;
        let metadata: Vec<UploadRecord> = expected.iter().map(metadata_only).collect();
        assert_eq!(s.main.file_list_metadata(&own_reviewer, acme.tenant, w.id, &page(10, None)).await.unwrap(), metadata);
        assert_eq!(s.main.file_list_metadata(&own_reviewer, acme.tenant, other_w.id, &page(10, None)).await.unwrap(), vec![metadata_only(&other_file)]);
        assert_not_found(s.main.file_list_metadata(&own_reviewer, globex.tenant, globex.workspace.id, &page(10, None)).await);
        let provider = s.reviewer().await;
        assert_eq!(s.main.file_list_metadata(&provider, acme.tenant, w.id, &page(10, None)).await.unwrap(), metadata);
        assert!(s.main.file_list_metadata(&provider, globex.tenant, w.id, &page(10, None)).await.unwrap().is_empty());
        let paged = all_pages(2, |p| { let (main, a) = (&s.main, &provider); async move { main.file_list_metadata(a, acme.tenant, w.id, &p).await.unwrap() } }, |f| f.file.to_string()).await;
        assert_eq!(paged.concat(), metadata);
    }

    async fn object_keys_are_read_deleted_and_rewrapped_only_within_their_tenant(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 1 << 30).await;
        let globex = scene(&s, "globex", 1 << 30).await;
        let mut old = Vec::new();
        for i in 0..3 {
            old.push(begin(&s, &upload(&s, &acme.workspace, acme.customer, 1, &format!("k{i}"))).await);
        }
        let current = upload(&s, &acme.workspace, acme.customer, 1, "current");
        s.main.upload_begin(&current, &key(&current, 2)).await.unwrap();
        let theirs = begin(&s, &upload(&s, &globex.workspace, globex.customer, 1, "theirs")).await;
        let object = |u: &UploadRecord| u.file.to_string();

        let mut stale: Vec<ObjectKeyRecord> = old.iter().map(|u| key(u, 1)).collect();
        stale.sort_by(|a, b| a.object_id.cmp(&b.object_id));
        assert_eq!(s.main.object_keys_to_rewrap(acme.tenant, 2, 10).await.unwrap(), stale);
        assert_eq!(s.main.object_keys_to_rewrap(acme.tenant, 2, 2).await.unwrap(), stale[..2].to_vec());
        assert!(s.main.object_keys_to_rewrap(acme.tenant, 1, 10).await.unwrap().is_empty());
        assert_eq!(s.main.object_keys_to_rewrap(globex.tenant, 2, 10).await.unwrap(), vec![key(&theirs, 1)]);

        let rewrapped = ObjectKeyRecord { wrapped: b"rewrapped".to_vec(), ..key(&old[0], 2) };
        assert!(s.main.object_key_rewrap(&rewrapped, 1).await.unwrap());
        assert_eq!(s.main.object_key_get(acme.tenant, &rewrapped.object_id).await.unwrap(), rewrapped);
        let twice = ObjectKeyRecord { wrapped: b"again".to_vec(), ..rewrapped.clone() };
        assert!(!s.main.object_key_rewrap(&twice, 1).await.unwrap(), "only from the version it was read under");
        let foreign = ObjectKeyRecord { tenant: globex.tenant, ..key(&old[1], 2) };
        assert!(!s.main.object_key_rewrap(&foreign, 1).await.unwrap(), "not through another tenant");
        assert_eq!(s.main.object_key_get(acme.tenant, &object(&old[1])).await.unwrap(), key(&old[1], 1));
        let still: Vec<ObjectKeyRecord> = stale.iter().filter(|k| k.object_id != rewrapped.object_id).cloned().collect();
        assert_eq!(s.main.object_keys_to_rewrap(acme.tenant, 2, 10).await.unwrap(), still);

        assert_not_found(s.main.object_key_get(globex.tenant, &object(&old[2])).await);
        s.main.object_key_delete(globex.tenant, &object(&old[2])).await.unwrap();
        assert_eq!(s.main.object_key_get(acme.tenant, &object(&old[2])).await.unwrap(), key(&old[2], 1), "another tenant cannot destroy it");
        s.main.object_key_delete(acme.tenant, &object(&old[2])).await.unwrap();
        assert_not_found(s.main.object_key_get(acme.tenant, &object(&old[2])).await);
        s.main.object_key_delete(acme.tenant, &object(&old[2])).await.expect("deleting twice is fine");
        assert_eq!(s.main.object_key_get(globex.tenant, &object(&theirs)).await.unwrap(), key(&theirs, 1));
        assert_eq!(s.main.upload_get(acme.tenant, old[2].id).await.unwrap(), old[2], "the upload row is untouched");
    }

    async fn expired_uploads_in_progress_are_found_across_tenants_oldest_first(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme", 1 << 30).await;
        let globex = scene(&s, "globex", 1 << 30).await;
        let now = s.now();
        let with_expiry = |w: &WorkspaceRecord, who, tag: &str, minutes: i64| UploadRecord {
            expires_at: now + Duration::minutes(minutes),
            ..upload(&s, w, who, 1, tag)
        };
        let late = begin(&s, &with_expiry(&acme.workspace, acme.customer, "late", -1)).await;
        let early = begin(&s, &with_expiry(&globex.workspace, globex.customer, "early", -10)).await;
        let edge = begin(&s, &with_expiry(&acme.workspace, acme.customer, "edge", 0)).await;
        begin(&s, &with_expiry(&acme.workspace, acme.customer, "fresh", 10)).await;
        let done = begin(&s, &with_expiry(&acme.workspace, acme.customer, "done", -20)).await;
        s.main.upload_finish(acme.tenant, done.id, UploadState::Aborted, None, now).await.unwrap();

        let expired = s.main.uploads_expired(now, 10).await.unwrap();
        assert_eq!(expired, vec![metadata_only(&early), metadata_only(&late), metadata_only(&edge)]);
        assert_eq!(s.main.uploads_expired(now, 1).await.unwrap(), vec![metadata_only(&early)]);
    }
}

/// Begins every upload at once; their results in order.
async fn futures_join(s: &Stores, uploads: &[UploadRecord]) -> Vec<Result<(), StoreError>> {
    let keys: Vec<ObjectKeyRecord> = uploads.iter().map(|u| key(u, 1)).collect();
    let calls = uploads
        .iter()
        .zip(&keys)
        .map(|(u, k)| s.main.upload_begin(u, k));
    join_all(calls).await
}

/// Polls every future to completion concurrently (no extra dependency).
async fn join_all<F: std::future::Future>(futures: impl IntoIterator<Item = F>) -> Vec<F::Output> {
    let mut set = Vec::new();
    for f in futures {
        set.push(Box::pin(f));
    }
    let mut out: Vec<Option<F::Output>> = set.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (slot, f) in out.iter_mut().zip(set.iter_mut()) {
            if slot.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *slot = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|v| v.expect("polled to completion"))
        .collect()
}
