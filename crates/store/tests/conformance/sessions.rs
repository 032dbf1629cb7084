//! Sessions: every statement of `main_store/sessions.rs` on both engines. Another
//! tenant's session is `NotFound`, unlisted, and no transition reaches it; the state
//! machine moves only along its edges (pending → ready → active → ended, pending →
//! declined, ready/active → ended by revocation), once, even when requests race.

use chrono::{DateTime, Duration, Utc};
use supportgate_store::{ConsentScope, CredentialRecord, EndReason, SessionRecord, SessionState};
use supportgate_testkit::backend_tests;
use supportgate_types::{CaseId, CredentialId, RecordingId, Role, SessionId, SubjectId, TenantId};

use crate::support::{all_pages, assert_conflict, assert_not_found, page, sorted, Stores};

/// A tenant with a customer, an engineer and two cases.
struct Scene {
    tenant: TenantId,
    customer: SubjectId,
    engineer: SubjectId,
    case: CaseId,
    other_case: CaseId,
}

async fn scene(s: &Stores, name: &str) -> Scene {
    let tenant = s.tenant(name).await.id;
    let customer = s.subject(Some(tenant), Role::Customer, "carol").await.id;
    let engineer = s
        .subject(Some(tenant), Role::SupportEngineer, "erin")
        .await
        .id;
    Scene {
        tenant,
        customer,
        engineer,
        case: s.case(tenant, customer, b"case").await.id,
        other_case: s.case(tenant, customer, b"other case").await.id,
    }
}

/// A session request on `case`, as the service builds it (not yet stored).
fn request(s: &Stores, scene: &Scene, case: CaseId, scopes: &[ConsentScope]) -> SessionRecord {
    SessionRecord {
        id: SessionId::new(),
        tenant: scene.tenant,
        case,
        requested_by: scene.engineer,
        requested_scopes: scopes.to_vec(),
        state: SessionState::PendingConsent,
        consent_scopes: Vec::new(),
        consent_granted_by: None,
        consent_granted_at: None,
        consent_expires_at: None,
        recording_acknowledged: false,
        revoked_at: None,
        revoked_by: None,
        requested_at: s.now(),
        started_at: None,
        ended_at: None,
        end_reason: None,
        recording: None,
    }
}

async fn insert(s: &Stores, session: SessionRecord) -> SessionRecord {
    s.main
        .session_insert(&session)
        .await
        .expect("insert a session");
    session
}

/// A stored session on the scene's first case, waiting for consent.
async fn pending(s: &Stores, scene: &Scene) -> SessionRecord {
    insert(
        s,
        request(
            s,
            scene,
            scene.case,
            &[ConsentScope::View, ConsentScope::Control],
        ),
    )
    .await
}

async fn get(s: &Stores, session: &SessionRecord) -> SessionRecord {
    s.main
        .session_get(session.tenant, session.id)
        .await
        .expect("get a session")
}

/// Grants `scopes` on `session` as the scene's customer, now, for an hour.
async fn grant(
    s: &Stores,
    scene: &Scene,
    session: &SessionRecord,
    scopes: &[ConsentScope],
) -> bool {
    let at = s.now();
    s.main
        .session_grant(
            session.tenant,
            session.id,
            scopes,
            scene.customer,
            at,
            at + Duration::hours(1),
        )
        .await
        .unwrap()
}

/// A stored session the customer consented to (view only).
async fn ready(s: &Stores, scene: &Scene) -> SessionRecord {
    let session = pending(s, scene).await;
    assert!(grant(s, scene, &session, &[ConsentScope::View]).await);
    get(s, &session).await
}

/// A stored session that has started, with a recording.
async fn active(s: &Stores, scene: &Scene) -> SessionRecord {
    let session = ready(s, scene).await;
    assert!(s
        .main
        .session_start(session.tenant, session.id, s.now(), RecordingId::new())
        .await
        .unwrap());
    get(s, &session).await
}

/// A stored session that ended normally.
async fn ended(s: &Stores, scene: &Scene) -> SessionRecord {
    let session = active(s, scene).await;
    assert!(s
        .main
        .session_end(
            session.tenant,
            session.id,
            s.now(),
            EndReason::EngineerEnded
        )
        .await
        .unwrap());
    get(s, &session).await
}

/// A stored session the customer declined.
async fn declined(s: &Stores, scene: &Scene) -> SessionRecord {
    let session = pending(s, scene).await;
    assert!(s
        .main
        .session_decline(session.tenant, session.id, s.now())
        .await
        .unwrap());
    get(s, &session).await
}

/// Tries every transition on (`tenant`, `id`); how many of them reported a change.
async fn every_transition(s: &Stores, tenant: TenantId, id: SessionId, by: SubjectId) -> usize {
    let at: DateTime<Utc> = s.tick();
    let scopes = [ConsentScope::Control];
    let results = [
        s.main
            .session_grant(tenant, id, &scopes, by, at, at + Duration::hours(1))
            .await
            .unwrap(),
        s.main.session_decline(tenant, id, at).await.unwrap(),
        s.main
            .session_start(tenant, id, at, RecordingId::new())
            .await
            .unwrap(),
        s.main.session_revoke(tenant, id, by, at).await.unwrap(),
        s.main
            .session_end(tenant, id, at, EndReason::AgentEnded)
            .await
            .unwrap(),
    ];
    results.iter().filter(|changed| **changed).count()
}

backend_tests! {
    async fn a_requested_session_reads_back_pending_with_its_scopes_in_order(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let orders = [
            vec![ConsentScope::FileTransfer, ConsentScope::View, ConsentScope::Control],
            vec![ConsentScope::Control, ConsentScope::View],
            vec![ConsentScope::View],
            Vec::new(),
        ];
        for scopes in orders {
            let session = insert(&s, request(&s, &acme, acme.case, &scopes)).await;
            let got = get(&s, &session).await;
            assert_eq!(got, session, "read back exactly as requested");
            assert_eq!(got.requested_scopes, scopes, "scopes keep their order");
            assert!(got.consent_scopes.is_empty() && got.consent_granted_by.is_none() && !got.recording_acknowledged);
        }
    }

    async fn a_session_id_is_stored_only_once(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let first = pending(&s, &acme).await;
        let again = SessionRecord { id: first.id, ..request(&s, &acme, acme.other_case, &[ConsentScope::Control]) };
        assert_conflict(s.main.session_insert(&again).await);
        assert_eq!(get(&s, &first).await, first, "the first session is untouched");
        assert!(s.main.session_list(acme.tenant, acme.other_case, None, &page(10, None)).await.unwrap().is_empty());
    }

    async fn another_tenants_session_is_not_found_and_not_listed(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let ours = pending(&s, &acme).await;
        let theirs = pending(&s, &globex).await;
        assert_not_found(s.main.session_get(globex.tenant, ours.id).await);
        assert_not_found(s.main.session_get(acme.tenant, theirs.id).await);
        assert_not_found(s.main.session_get(acme.tenant, SessionId::new()).await);
        assert!(s.main.session_list(globex.tenant, acme.case, None, &page(10, None)).await.unwrap().is_empty());
        assert_eq!(s.main.session_list(acme.tenant, acme.case, None, &page(10, None)).await.unwrap(), vec![ours.clone()]);
        assert_eq!(s.main.session_list(globex.tenant, globex.case, None, &page(10, None)).await.unwrap(), vec![theirs]);
        assert!(s.main.session_list(acme.tenant, globex.case, None, &page(10, None)).await.unwrap().is_empty());
    }

    async fn no_transition_reaches_another_tenants_session(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let sessions = [pending(&s, &acme).await, ready(&s, &acme).await, active(&s, &acme).await];
        for session in &sessions {
            assert_eq!(every_transition(&s, globex.tenant, session.id, globex.customer).await, 0, "{:?} through globex", session.state);
            assert_eq!(&get(&s, session).await, session, "nothing changed");
        }
        assert_eq!(every_transition(&s, acme.tenant, SessionId::new(), acme.customer).await, 0, "an unknown id");
    }

    async fn grant_records_consent_only_on_a_pending_session(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let session = pending(&s, &acme).await;
        let at = s.tick();
        let expires = at + Duration::minutes(30);
        let scopes = [ConsentScope::FileTransfer, ConsentScope::View];
        assert!(s.main.session_grant(acme.tenant, session.id, &scopes, acme.customer, at, expires).await.unwrap());
        let granted = SessionRecord {
            state: SessionState::Ready,
            consent_scopes: scopes.to_vec(),
            consent_granted_by: Some(acme.customer),
            consent_granted_at: Some(at),
            consent_expires_at: Some(expires),
            recording_acknowledged: true,
            ..session.clone()
        };
        assert_eq!(get(&s, &session).await, granted);

        // Granting again (say, a replayed request) changes nothing.
        let later = s.tick();
        assert!(!s.main.session_grant(acme.tenant, session.id, &[ConsentScope::Control], acme.engineer, later, later + Duration::days(1)).await.unwrap());
        assert_eq!(get(&s, &granted).await, granted, "the first consent stands");
        for other in [active(&s, &acme).await, ended(&s, &acme).await, declined(&s, &acme).await] {
            assert!(!grant(&s, &acme, &other, &[ConsentScope::Control]).await, "not from {:?}", other.state);
            assert_eq!(get(&s, &other).await, other);
        }
    }

    async fn decline_ends_only_a_pending_session(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let session = pending(&s, &acme).await;
        let at = s.tick();
        assert!(s.main.session_decline(acme.tenant, session.id, at).await.unwrap());
        let declined = SessionRecord { state: SessionState::Declined, ended_at: Some(at), ..session.clone() };
        assert_eq!(get(&s, &session).await, declined, "declined, with no end reason and no consent");
        assert!(!s.main.session_decline(acme.tenant, session.id, s.tick()).await.unwrap(), "declined once only");
        assert_eq!(get(&s, &session).await, declined, "the first decline's time stands");
        for other in [ready(&s, &acme).await, active(&s, &acme).await, ended(&s, &acme).await] {
            assert!(!s.main.session_decline(acme.tenant, other.id, s.tick()).await.unwrap(), "not from {:?}", other.state);
            assert_eq!(get(&s, &other).await, other);
        }
    }

    async fn revoke_ends_a_ready_or_active_session_as_consent_revoked(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        for session in [ready(&s, &acme).await, active(&s, &acme).await] {
            let at = s.tick();
            assert!(s.main.session_revoke(acme.tenant, session.id, acme.customer, at).await.unwrap(), "from {:?}", session.state);
            let revoked = SessionRecord {
                state: SessionState::Ended,
                end_reason: Some(EndReason::ConsentRevoked),
                revoked_at: Some(at),
                revoked_by: Some(acme.customer),
                ended_at: Some(at),
                ..session.clone()
            };
            assert_eq!(get(&s, &session).await, revoked, "consent and start are kept for the record");
            assert!(!s.main.session_revoke(acme.tenant, session.id, acme.engineer, s.tick()).await.unwrap(), "revoked once only");
            assert_eq!(get(&s, &session).await, revoked, "the first revocation stands");
        }
    }

    async fn revoke_refuses_a_session_that_holds_no_consent(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        for session in [pending(&s, &acme).await, declined(&s, &acme).await, ended(&s, &acme).await] {
            assert!(!s.main.session_revoke(acme.tenant, session.id, acme.customer, s.tick()).await.unwrap(), "not from {:?}", session.state);
            assert_eq!(get(&s, &session).await, session);
        }
    }

    async fn start_activates_only_a_ready_session_with_its_recording(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let session = ready(&s, &acme).await;
        let (at, recording) = (s.tick(), RecordingId::new());
        assert!(s.main.session_start(acme.tenant, session.id, at, recording).await.unwrap());
        let started = SessionRecord { state: SessionState::Active, started_at: Some(at), recording: Some(recording), ..session.clone() };
        assert_eq!(get(&s, &session).await, started);
        assert!(!s.main.session_start(acme.tenant, session.id, s.tick(), RecordingId::new()).await.unwrap(), "started once only");
        assert_eq!(get(&s, &session).await, started, "the first recording and start time stand");
        for other in [pending(&s, &acme).await, declined(&s, &acme).await, ended(&s, &acme).await] {
            assert!(!s.main.session_start(acme.tenant, other.id, s.tick(), RecordingId::new()).await.unwrap(), "not from {:?}", other.state);
            assert_eq!(get(&s, &other).await, other);
        }
    }

    async fn end_closes_a_ready_or_active_session_with_its_reason(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        for (session, reason) in [(ready(&s, &acme).await, EndReason::ConsentExpired), (active(&s, &acme).await, EndReason::RecordingFailed)] {
            let at = s.tick();
            assert!(s.main.session_end(acme.tenant, session.id, at, reason).await.unwrap(), "from {:?}", session.state);
            let closed = SessionRecord { state: SessionState::Ended, ended_at: Some(at), end_reason: Some(reason), ..session.clone() };
            assert_eq!(get(&s, &session).await, closed);
        }
        for other in [pending(&s, &acme).await, declined(&s, &acme).await] {
            assert!(!s.main.session_end(acme.tenant, other.id, s.tick(), EndReason::CaseClosed).await.unwrap(), "not from {:?}", other.state);
            assert_eq!(get(&s, &other).await, other);
        }
    }

    async fn a_second_end_returns_false_and_keeps_the_first_reason(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let session = ended(&s, &acme).await;
        assert_eq!(session.end_reason, Some(EndReason::EngineerEnded));
        for reason in [EndReason::Shutdown, EndReason::Disconnected, EndReason::EngineerEnded] {
            assert!(!s.main.session_end(acme.tenant, session.id, s.tick(), reason).await.unwrap(), "ended once only");
        }
        assert_eq!(get(&s, &session).await, session, "neither the reason nor the time is overwritten");

        let revoked = active(&s, &acme).await;
        assert!(s.main.session_revoke(acme.tenant, revoked.id, acme.customer, s.tick()).await.unwrap());
        let revoked = get(&s, &revoked).await;
        assert!(!s.main.session_end(acme.tenant, revoked.id, s.tick(), EndReason::Shutdown).await.unwrap());
        assert_eq!(get(&s, &revoked).await, revoked, "a revocation is not overwritten by a later end");
    }

    async fn every_end_reason_and_consent_scope_round_trips(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        for &reason in EndReason::ALL {
            let session = active(&s, &acme).await;
            assert!(s.main.session_end(acme.tenant, session.id, s.now(), reason).await.unwrap());
            assert_eq!(get(&s, &session).await.end_reason, Some(reason));
        }
        for &scope in ConsentScope::ALL {
            let session = insert(&s, request(&s, &acme, acme.case, &[scope])).await;
            assert!(grant(&s, &acme, &session, &[scope]).await);
            let got = get(&s, &session).await;
            assert_eq!((got.requested_scopes, got.consent_scopes), (vec![scope], vec![scope]));
        }
        let session = pending(&s, &acme).await;
        assert!(grant(&s, &acme, &session, &[]).await, "consent to nothing is still a decision");
        assert!(get(&s, &session).await.consent_scopes.is_empty());
    }

    async fn list_filters_by_case_and_state(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let (p, r, a, e, d) = (
            pending(&s, &acme).await,
            ready(&s, &acme).await,
            active(&s, &acme).await,
            ended(&s, &acme).await,
            declined(&s, &acme).await,
        );
        let elsewhere = insert(&s, request(&s, &acme, acme.other_case, &[ConsentScope::View])).await;
        let list = |case, state| {
            let s = &s;
            async move { s.main.session_list(acme.tenant, case, state, &page(100, None)).await.unwrap() }
        };
        let mut all = vec![p.clone(), r.clone(), a.clone(), e.clone(), d.clone()];
        all.sort_by_key(|x| x.id);
        assert_eq!(list(acme.case, None).await, all, "every session of the case, in id order");
        for (state, expected) in [
            (SessionState::PendingConsent, p),
            (SessionState::Ready, r),
            (SessionState::Active, a),
            (SessionState::Ended, e),
            (SessionState::Declined, d),
        ] {
            assert_eq!(list(acme.case, Some(state)).await, vec![expected], "only {state:?}");
        }
        assert_eq!(list(acme.other_case, None).await, vec![elsewhere.clone()]);
        assert_eq!(list(acme.other_case, Some(SessionState::PendingConsent)).await, vec![elsewhere]);
        assert!(list(acme.other_case, Some(SessionState::Ended)).await.is_empty());
        assert!(list(CaseId::new(), None).await.is_empty());
    }

    async fn list_pages_in_id_order_without_duplicates_or_gaps(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let mut sessions = Vec::new();
        for _ in 0..7 {
            s.tick();
            sessions.push(pending(&s, &acme).await);
        }
        let mut readies = Vec::new();
        for _ in 0..3 {
            readies.push(ready(&s, &acme).await);
        }
        sessions.extend(readies.iter().cloned());
        let listing = |state: Option<SessionState>| {
            let s = &s;
            move |p| async move { s.main.session_list(acme.tenant, acme.case, state, &p).await.unwrap() }
        };
        let pages = all_pages(3, listing(None), |x: &SessionRecord| x.id.to_string()).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), vec![3, 3, 3, 1]);
        let ids: Vec<SessionId> = pages.concat().iter().map(|x| x.id).collect();
        assert_eq!(ids, sorted(&sessions.iter().map(|x| x.id).collect::<Vec<_>>()), "each session once, in id order");

        let pages = all_pages(2, listing(Some(SessionState::Ready)), |x: &SessionRecord| x.id.to_string()).await;
        assert_eq!(pages.len(), 2);
        let ids: Vec<SessionId> = pages.concat().iter().map(|x| x.id).collect();
        assert_eq!(ids, sorted(&readies.iter().map(|x| x.id).collect::<Vec<_>>()), "the state filter pages too");
        assert_eq!(s.main.session_list(acme.tenant, acme.case, None, &page(0, None)).await.unwrap().len(), 1, "a limit of 0 means 1");
    }

    async fn live_changes_name_exactly_what_ended_a_session_at_or_after_the_moment(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let globex = scene(&s, "globex").await;
        let credential = |subject: SubjectId| CredentialRecord {
            id: CredentialId::new(),
            subject,
            token_hash: vec![7; 32],
            issued_at: s.now(),
            expires_at: s.now() + Duration::days(1),
            revoked_at: None,
        };
        let (old_credential, new_credential, kept_credential) = (credential(acme.engineer), credential(acme.engineer), credential(globex.engineer));
        for c in [&old_credential, &new_credential, &kept_credential] {
            s.main.credential_insert(c).await.unwrap();
        }
        let before = ended(&s, &acme).await;
        s.main.credential_revoke(old_credential.id, s.now()).await.unwrap();
        let still_live = active(&s, &acme).await;
        let to_revoke = active(&s, &globex).await;

        let since = s.tick();
        assert!(s.main.session_revoke(globex.tenant, to_revoke.id, globex.customer, since).await.unwrap());
        let after = ended(&s, &acme).await;
        s.main.case_close(acme.tenant, acme.other_case, s.now()).await.unwrap();
        s.main.credential_revoke(new_credential.id, s.now()).await.unwrap();

        let changes = s.main.live_changes_since(since).await.unwrap();
        let mut ended = changes.ended.clone();
        ended.sort_by_key(|(id, _)| *id);
        let mut expected = vec![(to_revoke.id, EndReason::ConsentRevoked), (after.id, EndReason::EngineerEnded)];
        expected.sort_by_key(|(id, _)| *id);
        assert_eq!(
            ended,
            expected,
            "sessions ended at or after the moment, in every tenant, with why; not {} (ended before) nor {} (live)",
            before.id,
            still_live.id
        );
        assert_eq!(changes.closed_cases, vec![acme.other_case], "only the case closed since");
        assert_eq!(changes.revoked_credentials, vec![new_credential.id], "only the credential revoked since");

        let later = s.tick();
        let none = s.main.live_changes_since(later).await.unwrap();
        assert!(none.ended.is_empty() && none.closed_cases.is_empty() && none.revoked_credentials.is_empty(), "nothing happened since {later}: {none:?}");
    }

    async fn racing_transitions_on_one_session_have_exactly_one_winner(backend: Backend) {
        let s = Stores::open(backend).await;
        let acme = scene(&s, "acme").await;
        let at = s.tick();
        let until = at + Duration::hours(1);
        for _ in 0..5 {
            let session = pending(&s, &acme).await;
            let (t, id) = (acme.tenant, session.id);
            let results = tokio::join!(
                s.main.session_grant(t, id, &[ConsentScope::View], acme.customer, at, until),
                s.main.session_grant(t, id, &[ConsentScope::Control], acme.customer, at, until),
                s.main.session_decline(t, id, at),
            );
            let won = [results.0.unwrap(), results.1.unwrap(), results.2.unwrap()];
            assert_eq!(won.iter().filter(|w| **w).count(), 1, "one decision on a pending session: {won:?}");
            let got = get(&s, &session).await;
            match won {
                [true, false, false] => assert_eq!(got.consent_scopes, vec![ConsentScope::View]),
                [false, true, false] => assert_eq!(got.consent_scopes, vec![ConsentScope::Control]),
                _ => assert_eq!((got.state, got.consent_scopes), (SessionState::Declined, Vec::new())),
            }

            let session = ready(&s, &acme).await;
            let id = session.id;
            let recordings = [RecordingId::new(), RecordingId::new(), RecordingId::new()];
            let results = tokio::join!(
                s.main.session_start(t, id, at, recordings[0]),
                s.main.session_start(t, id, at, recordings[1]),
                s.main.session_start(t, id, at, recordings[2]),
            );
            let won = [results.0.unwrap(), results.1.unwrap(), results.2.unwrap()];
            assert_eq!(won.iter().filter(|w| **w).count(), 1, "one start of a ready session: {won:?}");
            let winner = won.iter().position(|w| *w).map(|i| recordings[i]);
            let got = get(&s, &session).await;
            assert_eq!((got.state, got.recording), (SessionState::Active, winner), "the winner's recording");

            let session = active(&s, &acme).await;
            let id = session.id;
            let results = tokio::join!(
                s.main.session_end(t, id, at, EndReason::AgentEnded),
                s.main.session_end(t, id, at, EndReason::EngineerEnded),
                s.main.session_revoke(t, id, acme.customer, at),
            );
            let won = [results.0.unwrap(), results.1.unwrap(), results.2.unwrap()];
            assert_eq!(won.iter().filter(|w| **w).count(), 1, "one end of an active session: {won:?}");
            let reason = get(&s, &session).await.end_reason;
            let expected = match won {
                [true, false, false] => EndReason::AgentEnded,
                [false, true, false] => EndReason::EngineerEnded,
                _ => EndReason::ConsentRevoked,
            };
            assert_eq!(reason, Some(expected));
        }
    }
}
