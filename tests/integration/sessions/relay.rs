//! Enforcement in the relay: the consent decides what passes, and every way a session
//! ends reaches both sides.

use std::time::{Duration, Instant};

use supportgate::proto::{
    frame::Kind, CloseCaseRequest, ConsentScope, ListEntriesRequest, ParticipantRole, Purpose,
    RevokeConsentRequest, SessionEndReason, SessionState,
};
use supportgate_testkit::backend_tests;
use tonic::Code;

use super::support::*;
use crate::harness::{reason, World};

backend_tests! {
    async fn with_view_consent_only_input_is_refused_and_never_reaches_the_agent(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        assert_eq!(engineer.joined.scopes, vec![ConsentScope::View as i32]);

        engineer.send(input(b"echo hello-$((6*7))\r")).await;
        let refused = engineer.status().await;
        assert_eq!((refused.code(), reason(&refused).as_deref()), (Code::PermissionDenied, Some("CONTROL_NOT_CONSENTED")));
        // The agent sees the session end, and never the input.
        loop {
            match agent.next().await.unwrap() {
                Some(Kind::Input(_)) => panic!("input without CONTROL consent reached the agent"),
                Some(Kind::End(e)) => {
                    assert_eq!(e.reason(), SessionEndReason::Disconnected);
                    break;
                }
                Some(_) => continue,
                None => panic!("the agent's stream closed without End"),
            }
        }
        let over = ended(&world, &session_id).await;
        let stored = download(&world, &over.recording_id).await;
        assert!(
            !frames(&stored).iter().any(|f| matches!(f.frame.as_ref().and_then(|f| f.kind.as_ref()), Some(Kind::Input(_)))),
            "refused input is not in the recording either"
        );
        let denied: Vec<_> = world
            .log(ListEntriesRequest { case_id: world.acme.case.clone(), ..Default::default() })
            .await
            .into_iter()
            .filter(|e| e.action == "session.input")
            .collect();
        assert_eq!(denied.len(), 1, "the refusal is logged once");
        assert_eq!(denied[0].reason, "CONTROL_NOT_CONSENTED");
        assert_eq!(denied[0].subject_id, world.acme.engineer.subject_id);
    }

    async fn revoking_consent_ends_the_engineers_stream_within_200_ms(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View, ConsentScope::Control]).await;
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        agent.send(output(b"$ ")).await;
        assert_eq!(engineer.output().await, b"$ ");

        let customer = world.server.as_actor(&world.acme.customer).await;
        let mut sessions = customer.sessions();
        let revoke = sessions.revoke_consent(RevokeConsentRequest { session_id: session_id.clone() });
        let asked = Instant::now();
        let (revoked, reason) = tokio::join!(revoke, engineer.end_reason());
        let took = asked.elapsed();
        assert_eq!(reason, SessionEndReason::ConsentRevoked);
        assert_eq!(revoked.unwrap().into_inner().state(), SessionState::Ended);
        assert!(took <= Duration::from_millis(200), "the engineer's stream ended {took:?} after the revocation was sent");
        assert_eq!(agent.end_reason().await, SessionEndReason::ConsentRevoked);

        let over = ended(&world, &session_id).await;
        assert_eq!(over.end_reason(), SessionEndReason::ConsentRevoked);
        let again = try_join(&world.server.as_actor(&world.acme.agent).await, &session_id, ParticipantRole::Agent, Purpose::ProvideSupport).await;
        crate::harness::assert_status(again.map(|p| p.joined), Code::FailedPrecondition, "SESSION_NOT_JOINABLE");
    }

    async fn the_consent_expiry_ends_the_session(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let session_id = request(&world, &acme.engineer, &acme.case, &[ConsentScope::View]).await;
        world
            .server
            .as_actor(&acme.customer)
            .await
            .sessions()
            .grant_consent(grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::seconds(2)))
            .await
            .unwrap();
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        assert_eq!(engineer.end_reason().await, SessionEndReason::ConsentExpired);
        assert_eq!(agent.end_reason().await, SessionEndReason::ConsentExpired);
        assert_eq!(ended(&world, &session_id).await.end_reason(), SessionEndReason::ConsentExpired);
    }

    async fn a_supervisor_watches_read_only_and_the_customer_sees_who_is_watching(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let session_id = consented(&world, &[ConsentScope::View, ConsentScope::Control]).await;
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        let mut observer = join(&world, &acme.quality, &session_id, ParticipantRole::Observer).await;
        assert_eq!(observer.joined.role(), ParticipantRole::Observer);
        assert!(!observer.joined.recording_id.is_empty(), "an observer joining a running session learns its recording");

        let watcher = agent.presence().await;
        assert!(watcher.joined);
        assert_eq!(watcher.role(), ParticipantRole::Observer);
        assert_eq!(watcher.subject_id, acme.quality.subject_id);
        assert_eq!(watcher.subject_name, acme.quality.name);
        let _ = engineer.presence().await;

        agent.send(output(b"uptime: 3 days")).await;
        assert_eq!(engineer.output().await, b"uptime: 3 days");
        assert_eq!(observer.output().await, b"uptime: 3 days");

        observer.send(chat("watching for quality")).await;
        match agent.next().await.unwrap() {
            Some(Kind::Chat(c)) => assert_eq!(c.from_role(), ParticipantRole::Observer),
            other => panic!("the agent should see the observer's chat, got {other:?}"),
        }

        observer.send(input(b"rm -rf /\r")).await;
        let refused = observer.status().await;
        assert_eq!((refused.code(), reason(&refused).as_deref()), (Code::PermissionDenied, Some("OBSERVER_READ_ONLY")));
        let left = agent.presence().await;
        assert!(!left.joined, "the customer sees the observer leave");

        // The session goes on without the observer.
        engineer.send(input(b"ls\r")).await;
        match agent.next().await.unwrap() {
            Some(Kind::Input(i)) => assert_eq!(&i.data[..], b"ls\r"),
            other => panic!("the session should go on, got {other:?}"),
        }
        engineer.send(end()).await;
        assert_eq!(agent.end_reason().await, SessionEndReason::EngineerEnded);

        let over = ended(&world, &session_id).await;
        let view = world
            .server
            .as_actor(&acme.customer)
            .await
            .recordings()
            .get_recording(supportgate::proto::GetRecordingRequest { recording_id: over.recording_id.clone(), purpose: Purpose::ProvideSupport as i32 })
            .await
            .unwrap()
            .into_inner();
        let mut who: Vec<(String, ParticipantRole)> = view.participants.iter().map(|p| (p.subject_id.clone(), p.role())).collect();
        who.sort();
        let mut expected = vec![
            (acme.agent.subject_id.clone(), ParticipantRole::Agent),
            (acme.engineer.subject_id.clone(), ParticipantRole::Engineer),
            (acme.quality.subject_id.clone(), ParticipantRole::Observer),
        ];
        expected.sort();
        assert_eq!(who, expected, "the recording names everyone who watched");
        assert!(view.participants.iter().all(|p| p.left_at.is_some()));
    }

    async fn an_assigned_engineer_may_observe_but_an_unassigned_one_may_not(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (_agent, _engineer) = paired(&world, &session_id).await;
        let second = join(&world, &acme.engineer, &session_id, ParticipantRole::Observer).await;
        assert_eq!(second.joined.role(), ParticipantRole::Observer);
        let stranger = try_join(&world.server.as_actor(&acme.other_engineer).await, &session_id, ParticipantRole::Observer, Purpose::ProvideSupport).await;
        let status = stranger.map(|p| p.joined).unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
    }

    async fn closing_the_case_ends_its_live_session(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        world
            .server
            .as_actor(&world.acme.engineer)
            .await
            .cases()
            .close_case(CloseCaseRequest { case_id: world.acme.case.clone() })
            .await
            .unwrap();
        assert_eq!(engineer.end_reason().await, SessionEndReason::CaseClosed);
        assert_eq!(agent.end_reason().await, SessionEndReason::CaseClosed);
    }

    async fn revoking_a_participants_credential_ends_the_session(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        world
            .server
            .admin()
            .await
            .admin()
            .revoke_credential(supportgate::proto::RevokeCredentialRequest { credential_id: world.acme.engineer.credential_id.clone() })
            .await
            .unwrap();
        assert_eq!(engineer.end_reason().await, SessionEndReason::CredentialRevoked);
        assert_eq!(agent.end_reason().await, SessionEndReason::CredentialRevoked);
        assert_eq!(ended(&world, &session_id).await.end_reason(), SessionEndReason::CredentialRevoked);
    }

    async fn a_revocation_stored_by_another_gateway_instance_ends_the_session_here(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        // Another instance shares the database: its RevokeConsent changes only the row.
        world
            .server
            .sql(&[&format!(
                "UPDATE sessions SET state = 'ended', end_reason = 'consent_revoked', revoked_at = {at}, \
                 ended_at = {at} WHERE id = '{session_id}'",
                at = server_micros(&world)
            )])
            .await;
        assert_eq!(engineer.end_reason().await, SessionEndReason::ConsentRevoked);
        assert_eq!(agent.end_reason().await, SessionEndReason::ConsentRevoked);
    }

    async fn the_agent_leaving_ends_the_session_and_completes_the_recording(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (agent, mut engineer) = paired(&world, &session_id).await;
        agent.send(output(b"bye")).await;
        assert_eq!(engineer.output().await, b"bye");
        drop(agent);
        assert_eq!(engineer.end_reason().await, SessionEndReason::Disconnected);
        let over = ended(&world, &session_id).await;
        let recording = world
            .server
            .as_actor(&world.acme.customer)
            .await
            .recordings()
            .get_recording(supportgate::proto::GetRecordingRequest { recording_id: over.recording_id.clone(), purpose: Purpose::ProvideSupport as i32 })
            .await
            .unwrap()
            .into_inner()
            .recording
            .unwrap();
        assert_eq!(recording.state(), supportgate::proto::RecordingState::Available);
        assert!(frames(&download(&world, &over.recording_id).await).len() >= 3);
    }

    async fn frames_sent_before_the_pair_is_complete_wait_and_are_relayed_in_order(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let agent = join(&world, &acme.agent, &session_id, ParticipantRole::Agent).await;
        for n in 0..5 {
            agent.send(output(format!("early-{n} ").as_bytes())).await;
        }
        let mut engineer = join(&world, &acme.engineer, &session_id, ParticipantRole::Engineer).await;
        for n in 0..5 {
            assert_eq!(engineer.output().await, format!("early-{n} ").as_bytes());
        }
    }

    async fn shutdown_ends_live_sessions_and_keeps_their_recordings(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (agent, mut engineer) = paired(&world, &session_id).await;
        agent.send(output(b"before shutdown")).await;
        assert_eq!(engineer.output().await, b"before shutdown");
        let mut agent = agent;
        let mut world = world;
        let (stopped, engineer_saw, agent_saw) =
            tokio::join!(world.server.stop_serving(), engineer.end_reason(), agent.end_reason());
        let () = stopped;
        assert_eq!(engineer_saw, SessionEndReason::Shutdown);
        assert_eq!(agent_saw, SessionEndReason::Shutdown);
        let drained = "SELECT COUNT(*) FROM recordings WHERE state = 'available' AND frame_count >= 3";
        assert!(crate::transfers::sql_count_is(&world.server, drained, 1).await, "the drained session's recording is complete");
        let ended = "SELECT COUNT(*) FROM sessions WHERE state = 'ended' AND end_reason = 'shutdown'";
        assert!(crate::transfers::sql_count_is(&world.server, ended, 1).await, "the session is stored as ended by the shutdown");
    }
}
