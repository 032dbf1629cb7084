//! Recordings: every statement of `main_store/recordings.rs` on both engines. A recording
//! is stored with its data key in one transaction; its sealed title and description are
//! read only with a customer-data grant for its case; another tenant's recording is
//! `NotFound`, unlisted, and no state change reaches it; it is finished exactly once.

use chrono::{DateTime, Duration, Utc};
use supportgate_policy::{CustomerDataAccess, Principal};
use supportgate_store::{
    ObjectKeyRecord, ParticipantRecord, RecordingKind, RecordingRecord, RecordingSource,
    RecordingState,
};
use supportgate_testkit::backend_tests;
use supportgate_types::{CaseId, RecordingId, Role, SessionId, SubjectId, TenantId};

use crate::support::{
    all_pages, assert_conflict, assert_not_found, page, principal, sorted, Stores,
};

/// A tenant with a customer, an assigned engineer and two cases.
struct Scene {
    tenant: TenantId,
    customer: SubjectId,
    engineer: Principal,
    case: CaseId,
    other_case: CaseId,
}

async fn scene(s: &Stores, name: &str) -> Scene {
    let tenant = s.tenant(name).await.id;
    let customer = s.subject(Some(tenant), Role::Customer, "carol").await.id;
    let engineer = s.subject(Some(tenant), Role::SupportEngineer, "erin").await;
    let case = s.case(tenant, customer, b"case").await.id;
    let other_case = s.case(tenant, customer, b"other case").await.id;
    for c in [case, other_case] {
        s.main
            .case_assign(tenant, c, engineer.id, s.now())
            .await
            .unwrap();
    }
    Scene {
        tenant,
        customer,
        engineer: principal(&engineer),
        case,
        other_case,
    }
}

fn sha256(tag: &str) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, tag.as_bytes())
        .as_ref()
        .to_vec()
}

/// An import in progress on `case`, as the service builds it; `tag` marks its sealed
/// fields, hash and external id.
fn imported(s: &Stores, scene: &Scene, case: CaseId, tag: &str) -> RecordingRecord {
    RecordingRecord {
        id: RecordingId::new(),
        tenant: scene.tenant,
        case,
        session: None,
        kind: RecordingKind::Screen,
        source: RecordingSource::Imported,
        state: RecordingState::Recording,
        media_type: "video/mp4".into(),
        title_sealed: Some(format!("sealed title of {tag}").into_bytes()),
        description_sealed: Some(format!("sealed description of {tag}").into_bytes()),
        size: 1000,
        sha256: Some(sha256(tag)),
        frame_count: 0,
        durable_bytes: 0,
        initial_size: None,
        started_at: Some(s.now() - Duration::hours(2)),
        ended_at: Some(s.now() - Duration::hours(1)),
        created_by: scene.engineer.subject,
        created_at: s.now(),
        external_id: Some(format!("external {tag}")),
    }
}

/// A finished import on `case` (its content stored and verified): listed by case.
fn import_done(s: &Stores, scene: &Scene, case: CaseId, tag: &str) -> RecordingRecord {
    RecordingRecord {
        state: RecordingState::Available,
        ..imported(s, scene, case, tag)
    }
}

/// A session's terminal recording in progress on `case`, as the service builds it.
fn live(s: &Stores, scene: &Scene, case: CaseId) -> RecordingRecord {
    RecordingRecord {
        id: RecordingId::new(),
        tenant: scene.tenant,
        case,
        session: Some(SessionId::new()),
        kind: RecordingKind::Terminal,
        source: RecordingSource::Session,
        state: RecordingState::Recording,
        media_type: "application/x-asciicast".into(),
        title_sealed: None,
        description_sealed: None,
        size: 0,
        sha256: None,
        frame_count: 0,
        durable_bytes: 0,
        initial_size: None,
        started_at: Some(s.now()),
        ended_at: None,
        created_by: scene.engineer.subject,
        created_at: s.now(),
        external_id: None,
    }
}

/// The data key of `r`'s content under key version `version`.
fn key(r: &RecordingRecord, version: u32) -> ObjectKeyRecord {
    ObjectKeyRecord {
        object_id: r.id.to_string(),
        tenant: r.tenant,
        key_version: version,
        wrapped: format!("data key of {} wrapped under v{version}", r.id).into_bytes(),
    }
}

async fn insert(s: &Stores, r: RecordingRecord) -> RecordingRecord {
    s.main
        .recording_insert(&r, &key(&r, 1))
        .await
        .expect("insert a recording");
    r
}

fn metadata_only(r: &RecordingRecord) -> RecordingRecord {
    RecordingRecord {
        title_sealed: None,
        description_sealed: None,
        ..r.clone()
    }
}

async fn meta(s: &Stores, r: &RecordingRecord) -> RecordingRecord {
    s.main
        .recording_meta(r.tenant, r.id)
        .await
        .expect("read a recording's metadata")
}

async fn grant(s: &Stores, scene: &Scene, case: Option<CaseId>) -> CustomerDataAccess {
    s.summary_grant(&scene.engineer, scene.tenant, case, true)
        .await
        .expect("a grant")
}

/// What `recording_finish` with these values must leave.
fn finished(
    r: &RecordingRecord,
    state: RecordingState,
    size: u64,
    sha: Option<Vec<u8>>,
    frames: u64,
    initial_size: Option<(u32, u32)>,
    at: DateTime<Utc>,
) -> RecordingRecord {
    RecordingRecord {
        state,
        size,
        durable_bytes: size,
        sha256: sha,
        frame_count: frames,
        initial_size: r.initial_size.or(initial_size),
        ended_at: Some(at),
        ..r.clone()
    }
}

/// Finishes `r` as available with a fixed size, hash, frame count and terminal size.
async fn finish(s: &Stores, r: &RecordingRecord, at: DateTime<Utc>) -> bool {
    s.main
        .recording_finish(
            r.tenant,
            r.id,
            RecordingState::Available,
            500,
            Some(&sha256("content")),
            42,
            Some((80, 24)),
            at,
        )
        .await
        .unwrap()
}

fn participant(who: SubjectId, name: &str, role: &str, at: DateTime<Utc>) -> ParticipantRecord {
    ParticipantRecord {
        participant: name.into(),
        subject: who,
        role: role.into(),
        joined_at: at,
        left_at: None,
    }
}

async fn participants(s: &Stores, r: &RecordingRecord) -> Vec<ParticipantRecord> {
    s.main.recording_participants(r.tenant, r.id).await.unwrap()
}

async fn in_progress(s: &Stores) -> Vec<RecordingRecord> {
    let mut all = s.main.recordings_in_progress().await.unwrap();
    all.sort_by_key(|r| r.id);
    all
}

const HOSTILE: [&str; 8] = [
    "'; DROP TABLE recordings; --",
    "O'Brien \"quoted\" `tick` \\ back\\slash \\x00",
    "%_ wildcards * ? [a-z] ^$ .*",
    "Zoë Ωμέγα 日本語 עברית 🚀 👩‍💻",
    "$1 $2 ?1 ?NNN :name @name ${x}",
    "line\nbreak\ttab\r\nend",
    "  leading and trailing spaces  ",
    "\u{202E}override\u{200B}zero\u{FEFF}width",
];

/// Every byte value, NULs included.
fn every_byte() -> Vec<u8> {
    (0..=255u8).rev().chain(0..=255u8).chain([0, 0]).collect()
}

backend_tests! {
    async fn an_inserted_recording_reads_back_with_its_data_key(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let on_case = grant(&s, &acme, Some(acme.case)).await;
        let session = insert(&s, live(&s, &acme, acme.case)).await;
        let import = insert(&s, RecordingRecord { initial_size: Some((132, 43)), ..imported(&s, &acme, acme.case, "import") }).await;
        for r in [&session, &import] {
            assert_eq!(&s.main.recording_get(&on_case, r.id).await.unwrap(), r, "read back exactly as inserted");
            assert_eq!(meta(&s, r).await, metadata_only(r));
            assert_eq!(s.main.object_key_get(acme.tenant, &r.id.to_string()).await.unwrap(), key(r, 1), "the data key went in with it");
        }
    }

    async fn a_failed_insert_stores_neither_the_recording_nor_its_key(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let first = insert(&s, imported(&s, &acme, acme.case, "first")).await;

        // The recording clashes: its new key must not be left behind.
        let same_id = RecordingRecord { id: first.id, ..imported(&s, &acme, acme.other_case, "same id") };
        let fresh_key = ObjectKeyRecord { object_id: RecordingId::new().to_string(), ..key(&same_id, 1) };
        assert_conflict(s.main.recording_insert(&same_id, &fresh_key).await);
        assert_not_found(s.main.object_key_get(acme.tenant, &fresh_key.object_id).await);
        assert_eq!(meta(&s, &first).await, metadata_only(&first), "the first recording is untouched");

        // The key clashes: the recording inserted before it must be rolled back.
        let same_key = imported(&s, &acme, acme.other_case, "same key");
        let clash = ObjectKeyRecord { object_id: first.id.to_string(), ..key(&same_key, 2) };
        assert_conflict(s.main.recording_insert(&same_key, &clash).await);
        assert_not_found(s.main.recording_meta(acme.tenant, same_key.id).await);
        assert_eq!(s.main.object_key_get(acme.tenant, &first.id.to_string()).await.unwrap(), key(&first, 1), "the first key is untouched");
        assert!(s.main.recording_list(acme.tenant, acme.other_case, None, &page(10, None)).await.unwrap().is_empty());
        assert!(s.main.recording_insert(&same_key, &key(&same_key, 1)).await.is_ok(), "nothing of the failed attempt is in the way");
    }

    async fn metadata_reads_never_return_the_sealed_title_or_description(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let pending = insert(&s, imported(&s, &acme, acme.case, "pending")).await;
        assert_eq!(in_progress(&s).await, vec![metadata_only(&pending)]);
        let import = insert(&s, import_done(&s, &acme, acme.case, "import")).await;
        assert!(import.title_sealed.is_some() && import.description_sealed.is_some());
        let hidden = metadata_only(&import);
        assert_eq!(meta(&s, &import).await, hidden);
        assert_eq!(s.main.recording_list(acme.tenant, acme.case, None, &page(10, None)).await.unwrap(), vec![hidden.clone()]);
        assert_eq!(s.main.recording_list(acme.tenant, acme.case, Some(RecordingKind::Screen), &page(10, None)).await.unwrap(), vec![hidden]);
        let on_case = grant(&s, &acme, Some(acme.case)).await;
        assert_eq!(s.main.recording_get(&on_case, import.id).await.unwrap(), import, "the grant read has them");
    }

    async fn the_grant_read_finds_only_recordings_of_the_grants_case(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let ours = insert(&s, imported(&s, &acme, acme.case, "ours")).await;
        let other = insert(&s, imported(&s, &acme, acme.other_case, "other")).await;
        let theirs = insert(&s, imported(&s, &globex, globex.case, "theirs")).await;
        let on_case = grant(&s, &acme, Some(acme.case)).await;
        assert_eq!(s.main.recording_get(&on_case, ours.id).await.unwrap(), ours);
        for hidden in [other.id, theirs.id, RecordingId::new()] {
            assert_not_found(s.main.recording_get(&on_case, hidden).await);
        }
        let other_case = grant(&s, &acme, Some(acme.other_case)).await;
        assert_eq!(s.main.recording_get(&other_case, other.id).await.unwrap(), other);
        assert_not_found(s.main.recording_get(&other_case, ours.id).await);
        let tenant_wide = grant(&s, &acme, None).await;
        assert_not_found(s.main.recording_get(&tenant_wide, ours.id).await);
        let globex_grant = grant(&s, &globex, Some(globex.case)).await;
        assert_not_found(s.main.recording_get(&globex_grant, ours.id).await);
        assert_eq!(s.main.recording_get(&globex_grant, theirs.id).await.unwrap(), theirs);
    }

    async fn another_tenants_recording_is_not_found_and_not_listed(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let ours = insert(&s, live(&s, &acme, acme.case)).await;
        let theirs = insert(&s, live(&s, &globex, globex.case)).await;
        assert_not_found(s.main.recording_meta(globex.tenant, ours.id).await);
        assert_not_found(s.main.recording_meta(acme.tenant, theirs.id).await);
        assert_not_found(s.main.recording_meta(acme.tenant, RecordingId::new()).await);
        assert!(s.main.recording_list(globex.tenant, acme.case, None, &page(10, None)).await.unwrap().is_empty());
        assert!(s.main.recording_list(acme.tenant, globex.case, None, &page(10, None)).await.unwrap().is_empty());
        assert_eq!(s.main.recording_list(acme.tenant, acme.case, None, &page(10, None)).await.unwrap(), vec![ours]);
        assert_not_found(s.main.object_key_get(acme.tenant, &theirs.id.to_string()).await);
    }

    async fn no_state_change_reaches_another_tenants_recording(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let session = insert(&s, live(&s, &acme, acme.case)).await;
        let import = insert(&s, imported(&s, &acme, acme.case, "import")).await;
        for r in [&session, &import] {
            s.main.recording_progress(globex.tenant, r.id, 100, 10).await.unwrap();
            let through_globex = RecordingRecord { tenant: globex.tenant, ..r.clone() };
            assert!(!finish(&s, &through_globex, s.tick()).await, "finish through globex");
            assert!(!s.main.recording_discard(globex.tenant, r.id).await.unwrap(), "discard through globex");
            assert_eq!(&meta(&s, r).await, &metadata_only(r), "nothing changed");
        }
        let mut both = vec![metadata_only(&session), metadata_only(&import)];
        both.sort_by_key(|r| r.id);
        assert_eq!(in_progress(&s).await, both, "both still in progress");
        let unknown = RecordingRecord { id: RecordingId::new(), ..session.clone() };
        s.main.recording_progress(acme.tenant, unknown.id, 1, 1).await.unwrap();
        assert!(!finish(&s, &unknown, s.now()).await);
        assert!(!s.main.recording_discard(acme.tenant, unknown.id).await.unwrap());
    }

    async fn progress_is_recorded_only_while_recording(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let r = insert(&s, live(&s, &acme, acme.case)).await;
        s.main.recording_progress(acme.tenant, r.id, 4096, 17).await.unwrap();
        let progressed = RecordingRecord { durable_bytes: 4096, frame_count: 17, ..r.clone() };
        assert_eq!(meta(&s, &r).await, progressed);
        s.main.recording_progress(acme.tenant, r.id, 8192, 40).await.unwrap();
        assert_eq!((meta(&s, &r).await.durable_bytes, meta(&s, &r).await.frame_count), (8192, 40));

        let at = s.tick();
        assert!(finish(&s, &r, at).await);
        let done = meta(&s, &r).await;
        s.main.recording_progress(acme.tenant, r.id, 1, 1).await.unwrap();
        assert_eq!(meta(&s, &r).await, done, "a finished recording's counts are final");
    }

    async fn finish_ends_a_recording_in_progress_exactly_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let session = insert(&s, live(&s, &acme, acme.case)).await;
        let at = s.tick();
        assert!(finish(&s, &session, at).await);
        let available = finished(&session, RecordingState::Available, 500, Some(sha256("content")), 42, Some((80, 24)), at);
        assert_eq!(meta(&s, &session).await, available);

        let again = s.main.recording_finish(acme.tenant, session.id, RecordingState::Truncated, 1, None, 1, Some((1, 1)), s.tick()).await.unwrap();
        assert!(!again, "finished once only");
        assert_eq!(meta(&s, &session).await, available, "the first finish stands");

        let crashed = insert(&s, live(&s, &acme, acme.case)).await;
        s.main.recording_progress(acme.tenant, crashed.id, 300, 9).await.unwrap();
        let at = s.tick();
        assert!(s.main.recording_finish(acme.tenant, crashed.id, RecordingState::Truncated, 300, None, 9, None, at).await.unwrap());
        let truncated = finished(&crashed, RecordingState::Truncated, 300, None, 9, None, at);
        assert_eq!(meta(&s, &crashed).await, truncated);
        assert!(!finish(&s, &crashed, s.tick()).await, "a truncated recording is not finished again");
        assert_eq!(meta(&s, &crashed).await, truncated);

        // An import's declared hash and times are replaced by what finishing measured.
        let import = insert(&s, imported(&s, &acme, acme.case, "declared")).await;
        let at = s.tick();
        assert!(finish(&s, &import, at).await);
        let measured = finished(&import, RecordingState::Available, 500, Some(sha256("content")), 42, Some((80, 24)), at);
        assert_eq!(meta(&s, &import).await, metadata_only(&measured));
    }

    async fn finish_keeps_an_initial_size_already_recorded(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let sized = insert(&s, RecordingRecord { initial_size: Some((132, 43)), ..live(&s, &acme, acme.case) }).await;
        let at = s.tick();
        assert!(finish(&s, &sized, at).await);
        assert_eq!(meta(&s, &sized).await.initial_size, Some((132, 43)), "the size at the start is not replaced");

        let without_size = insert(&s, live(&s, &acme, acme.case)).await;
        assert!(s.main.recording_finish(acme.tenant, without_size.id, RecordingState::Available, 0, None, 0, None, at).await.unwrap());
        assert_eq!(meta(&s, &without_size).await.initial_size, None, "no size recorded, none given");
    }

    async fn recordings_in_progress_are_exactly_those_still_recording_in_every_tenant(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let ours = insert(&s, live(&s, &acme, acme.case)).await;
        let import = insert(&s, imported(&s, &acme, acme.other_case, "import")).await;
        let theirs = insert(&s, live(&s, &globex, globex.case)).await;
        let done = insert(&s, live(&s, &acme, acme.case)).await;
        assert!(finish(&s, &done, s.tick()).await);
        let cut = insert(&s, live(&s, &globex, globex.case)).await;
        assert!(s.main.recording_finish(globex.tenant, cut.id, RecordingState::Truncated, 0, None, 0, None, s.tick()).await.unwrap());
        let discarded = insert(&s, imported(&s, &globex, globex.case, "discarded")).await;
        assert!(s.main.recording_discard(globex.tenant, discarded.id).await.unwrap());
        s.main.recording_progress(acme.tenant, ours.id, 64, 2).await.unwrap();

        let mut expected = vec![
            RecordingRecord { durable_bytes: 64, frame_count: 2, ..ours },
            metadata_only(&import),
            theirs,
        ];
        expected.sort_by_key(|r| r.id);
        assert_eq!(in_progress(&s).await, expected, "with their durable bytes, without sealed fields");
    }

    async fn discard_removes_only_an_imported_recording_in_progress(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let session = insert(&s, live(&s, &acme, acme.case)).await;
        let available = insert(&s, imported(&s, &acme, acme.case, "available")).await;
        assert!(finish(&s, &available, s.tick()).await);
        let available = meta(&s, &available).await;
        let truncated = insert(&s, imported(&s, &acme, acme.case, "truncated")).await;
        assert!(s.main.recording_finish(acme.tenant, truncated.id, RecordingState::Truncated, 10, None, 0, None, s.tick()).await.unwrap());
        let truncated = meta(&s, &truncated).await;
        for kept in [&metadata_only(&session), &available, &truncated] {
            assert!(!s.main.recording_discard(acme.tenant, kept.id).await.unwrap(), "{:?} {:?} is kept", kept.source, kept.state);
            assert_eq!(&meta(&s, kept).await, kept);
        }

        let failed = insert(&s, imported(&s, &acme, acme.case, "failed")).await;
        assert!(s.main.recording_discard(acme.tenant, failed.id).await.unwrap());
        assert_not_found(s.main.recording_meta(acme.tenant, failed.id).await);
        assert!(!s.main.recording_discard(acme.tenant, failed.id).await.unwrap(), "discarded once");
        let listed = s.main.recording_list(acme.tenant, acme.case, None, &page(10, None)).await.unwrap();
        assert_eq!(listed.len(), 3, "only the failed import is gone");
        assert!(s.main.recording_insert(&failed, &ObjectKeyRecord { object_id: RecordingId::new().to_string(), ..key(&failed, 1) }).await.is_ok(), "its external id is free again");
    }

    async fn an_external_id_is_unique_within_a_tenant_only(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let first = insert(&s, imported(&s, &acme, acme.case, "x")).await;

        let repeat = RecordingRecord { external_id: first.external_id.clone(), ..imported(&s, &acme, acme.other_case, "repeat") };
        assert_conflict(s.main.recording_insert(&repeat, &key(&repeat, 1)).await);
        assert_not_found(s.main.recording_meta(acme.tenant, repeat.id).await);
        assert_not_found(s.main.object_key_get(acme.tenant, &repeat.id.to_string()).await);

        let elsewhere = RecordingRecord { external_id: first.external_id.clone(), ..imported(&s, &globex, globex.case, "elsewhere") };
        let elsewhere = insert(&s, elsewhere).await;
        assert_eq!(meta(&s, &elsewhere).await.external_id, first.external_id, "another tenant may use the same external id");

        let mut without = Vec::new();
        for i in 0..3 {
            without.push(insert(&s, RecordingRecord { external_id: None, ..imported(&s, &acme, acme.case, &format!("none {i}")) }).await);
            without.push(insert(&s, live(&s, &acme, acme.case)).await);
        }
        for r in &without {
            assert_eq!(meta(&s, r).await.external_id, None, "any number of recordings have none");
        }
    }

    async fn list_filters_by_case_and_kind(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let mut on_case = Vec::new();
        for &kind in RecordingKind::ALL {
            on_case.push(insert(&s, RecordingRecord { kind, ..import_done(&s, &acme, acme.case, kind.as_str()) }).await);
        }
        let terminal = insert(&s, live(&s, &acme, acme.case)).await;
        let elsewhere = insert(&s, live(&s, &acme, acme.other_case)).await;
        let list = |case, kind| {
            let s = &s;
            async move { s.main.recording_list(acme.tenant, case, kind, &page(100, None)).await.unwrap() }
        };
        let mut all: Vec<RecordingRecord> = on_case.iter().chain([&terminal]).map(metadata_only).collect();
        all.sort_by_key(|r| r.id);
        assert_eq!(list(acme.case, None).await, all, "every recording of the case, in id order");
        for &kind in RecordingKind::ALL {
            let expected: Vec<RecordingRecord> = all.iter().filter(|r| r.kind == kind).cloned().collect();
            assert_eq!(list(acme.case, Some(kind)).await, expected, "only {kind:?}");
        }
        assert_eq!(list(acme.case, Some(RecordingKind::Terminal)).await.len(), 2);
        assert_eq!(list(acme.other_case, None).await, vec![elsewhere.clone()]);
        assert!(list(acme.other_case, Some(RecordingKind::Chat)).await.is_empty());
        assert!(list(CaseId::new(), None).await.is_empty());
    }

    async fn list_pages_in_id_order_without_duplicates_or_gaps(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let mut recordings = Vec::new();
        for i in 0..5 {
            s.tick();
            recordings.push(insert(&s, import_done(&s, &acme, acme.case, &format!("r{i}"))).await);
            recordings.push(insert(&s, live(&s, &acme, acme.case)).await);
        }
        let listing = |kind: Option<RecordingKind>| {
            let s = &s;
            move |p| async move { s.main.recording_list(acme.tenant, acme.case, kind, &p).await.unwrap() }
        };
        let pages = all_pages(4, listing(None), |r: &RecordingRecord| r.id.to_string()).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![4, 4, 2]);
        let ids: Vec<RecordingId> = pages.concat().iter().map(|r| r.id).collect();
        assert_eq!(ids, sorted(&recordings.iter().map(|r| r.id).collect::<Vec<_>>()), "each recording once, in id order");

        let pages = all_pages(2, listing(Some(RecordingKind::Terminal)), |r: &RecordingRecord| r.id.to_string()).await;
        assert_eq!(pages.len(), 3);
        let ids: Vec<RecordingId> = pages.concat().iter().map(|r| r.id).collect();
        let terminals: Vec<RecordingId> = recordings.iter().filter(|r| r.kind == RecordingKind::Terminal).map(|r| r.id).collect();
        assert_eq!(ids, sorted(&terminals), "the kind filter pages too");
    }

    async fn an_import_in_progress_is_not_listed_until_it_is_finished(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let import = insert(&s, imported(&s, &acme, acme.case, "import")).await;
        let terminal = insert(&s, live(&s, &acme, acme.case)).await;
        let listed = || async { s.main.recording_list(acme.tenant, acme.case, None, &page(10, None)).await.unwrap() };
        assert_eq!(listed().await, vec![metadata_only(&terminal)], "a live session's recording is listed, an unfinished import is not");
        assert!(s.main.recording_finish(acme.tenant, import.id, RecordingState::Available, 1000, Some(&sha256("import")), 0, None, s.tick()).await.unwrap());
        let ids: Vec<RecordingId> = listed().await.iter().map(|r| r.id).collect();
        assert_eq!(ids, sorted(&[import.id, terminal.id]), "once finished, the import is listed");
    }

    async fn participants_join_and_leave_in_the_order_they_joined(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let r = insert(&s, live(&s, &acme, acme.case)).await;
        let t0 = s.tick();
        let (t1, t2, t3) = (t0 + Duration::seconds(1), t0 + Duration::seconds(2), t0 + Duration::seconds(3));
        // Joined (zed, erin, mia), named (erin, mia, zed) and inserted (mia, zed, erin)
        // in three different orders: the listing follows joined_at alone.
        let engineer = participant(acme.engineer.subject, "erin", "engineer", t1);
        let agent = participant(acme.customer, "zed", "agent", t0);
        let observer = participant(acme.engineer.subject, "mia", "observer", t2);
        for p in [&observer, &agent, &engineer] {
            s.main.recording_participant_join(acme.tenant, r.id, p).await.unwrap();
        }
        assert_eq!(participants(&s, &r).await, vec![agent.clone(), engineer.clone(), observer.clone()]);

        s.main.recording_participant_leave(acme.tenant, r.id, "erin", t3).await.unwrap();
        s.main.recording_participant_leave(acme.tenant, r.id, "nobody", t3).await.unwrap();
        let left = ParticipantRecord { left_at: Some(t3), ..engineer };
        assert_eq!(participants(&s, &r).await, vec![agent, left, observer]);
        assert!(participants(&s, &insert(&s, live(&s, &acme, acme.case)).await).await.is_empty());
    }

    async fn leaving_twice_keeps_the_first_left_at(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let r = insert(&s, live(&s, &acme, acme.case)).await;
        let other = insert(&s, live(&s, &acme, acme.case)).await;
        let joined = s.tick();
        let p = participant(acme.engineer.subject, "p-1", "engineer", joined);
        s.main.recording_participant_join(acme.tenant, r.id, &p).await.unwrap();
        s.main.recording_participant_join(acme.tenant, other.id, &p).await.unwrap();
        let first = s.tick();
        s.main.recording_participant_leave(acme.tenant, r.id, "p-1", first).await.unwrap();
        s.main.recording_participant_leave(acme.tenant, r.id, "p-1", s.tick()).await.unwrap();
        assert_eq!(participants(&s, &r).await, vec![ParticipantRecord { left_at: Some(first), ..p.clone() }]);
        assert_eq!(participants(&s, &other).await, vec![p], "the same participant id in another recording has not left");
    }

    async fn a_participant_joins_an_existing_recording_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let r = insert(&s, live(&s, &acme, acme.case)).await;
        let p = participant(acme.engineer.subject, "p-1", "engineer", s.now());
        s.main.recording_participant_join(acme.tenant, r.id, &p).await.unwrap();
        let again = participant(acme.customer, "p-1", "agent", s.tick());
        assert_conflict(s.main.recording_participant_join(acme.tenant, r.id, &again).await);
        assert_eq!(participants(&s, &r).await, vec![p.clone()]);
        assert_not_found(s.main.recording_participant_join(acme.tenant, RecordingId::new(), &p).await);
    }

    async fn participants_of_another_tenants_recording_are_not_returned_added_or_ended(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let ours = insert(&s, live(&s, &acme, acme.case)).await;
        let p = participant(acme.engineer.subject, "p-1", "engineer", s.now());
        s.main.recording_participant_join(acme.tenant, ours.id, &p).await.unwrap();
        assert!(s.main.recording_participants(globex.tenant, ours.id).await.unwrap().is_empty());
        let intruder = participant(globex.engineer.subject, "p-2", "observer", s.tick());
        assert_not_found(s.main.recording_participant_join(globex.tenant, ours.id, &intruder).await);
        s.main.recording_participant_leave(globex.tenant, ours.id, "p-1", s.tick()).await.unwrap();
        assert_eq!(participants(&s, &ours).await, vec![p], "another tenant neither adds a participant nor ends one");
    }

    async fn hostile_text_and_sealed_bytes_round_trip_unchanged(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let on_case = grant(&s, &acme, Some(acme.case)).await;
        let long = ["x".repeat(4000), "é日🚀'\"/;+".repeat(800), format!("application/{}", "vnd.".repeat(2000))];
        let texts: Vec<String> = HOSTILE.iter().map(|h| h.to_string()).chain(long).collect();
        let live_r = insert(&s, live(&s, &acme, acme.case)).await;
        let mut joined = s.now();
        let mut people = Vec::new();
        for text in &texts {
            // Ids are index keys, which PostgreSQL bounds at about 2.7 kB: keep them short.
            let short: String = text.chars().take(200).collect();
            let r = RecordingRecord {
                media_type: text.clone(),
                external_id: Some(short.clone()),
                title_sealed: Some(every_byte()),
                description_sealed: Some(text.as_bytes().to_vec()),
                sha256: Some(every_byte()),
                ..import_done(&s, &acme, acme.case, text)
            };
            let r = insert(&s, r).await;
            assert_eq!(s.main.recording_get(&on_case, r.id).await.unwrap(), r);
            assert_eq!(meta(&s, &r).await, metadata_only(&r));
            joined += Duration::seconds(1);
            let p = participant(acme.customer, &short, text, joined);
            s.main.recording_participant_join(acme.tenant, live_r.id, &p).await.unwrap();
            people.push(p);
        }
        assert_eq!(participants(&s, &live_r).await, people);
        let left = s.tick();
        for p in &people {
            s.main.recording_participant_leave(acme.tenant, live_r.id, &p.participant, left).await.unwrap();
        }
        assert!(participants(&s, &live_r).await.iter().all(|p| p.left_at == Some(left)), "each hostile participant id matched itself");
        let listed = s.main.recording_list(acme.tenant, acme.case, None, &page(100, None)).await.unwrap();
        assert_eq!(listed.len(), texts.len() + 1, "no recording was dropped or added");
    }

    async fn counts_up_to_i64_max_round_trip_and_larger_ones_are_refused(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let max = i64::MAX as u64;
        let big = insert(&s, RecordingRecord { size: max, initial_size: Some((u32::MAX, u32::MAX)), ..imported(&s, &acme, acme.case, "big") }).await;
        assert_eq!(meta(&s, &big).await, metadata_only(&big));
        s.main.recording_progress(acme.tenant, big.id, max, max).await.unwrap();
        assert_eq!((meta(&s, &big).await.durable_bytes, meta(&s, &big).await.frame_count), (max, max));

        let too_big = RecordingRecord { size: max + 1, ..imported(&s, &acme, acme.case, "too big") };
        assert!(s.main.recording_insert(&too_big, &key(&too_big, 1)).await.is_err());
        assert_not_found(s.main.recording_meta(acme.tenant, too_big.id).await);
        assert_not_found(s.main.object_key_get(acme.tenant, &too_big.id.to_string()).await);
        assert!(s.main.recording_progress(acme.tenant, big.id, u64::MAX, 1).await.is_err());
        assert!(s.main.recording_finish(acme.tenant, big.id, RecordingState::Available, u64::MAX, None, 0, None, s.now()).await.is_err());
        let progressed = RecordingRecord { durable_bytes: max, frame_count: max, ..metadata_only(&big) };
        assert_eq!(meta(&s, &big).await, progressed, "a refused value changes nothing");
    }
}
