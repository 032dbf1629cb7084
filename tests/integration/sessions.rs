//! Remote-access sessions (issue 5, DESIGN sections 4 and 8) through the real
//! interface: consent, the live relay over TLS, enforcement in the relay, fail-closed
//! recording, and what the recording holds afterwards.
//!
//! * this file: the whole story on both engines, and consent decisions;
//! * `relay`: view-only input, revocation, expiry, observers, case closure, shutdown;
//! * `refusals`: every bad frame, join and consent, with its precise status;
//! * `failures`: a recording that cannot be written, a peer that stops reading;
//! * `cli`: the real binary: `supportgate agent` and `supportgate terminal` as two
//!   processes sharing a shell, view-only input, revocation, the recording read back
//!   with `supportgate recording`, and a `serve --dev` gateway killed mid-session;
//! * `support`: sessions, peers and recordings for the tests.

use supportgate::proto::{
    frame::Kind, ConsentScope, FrameDirection, ParticipantRole, SessionEndReason, SessionState,
};
use supportgate_testkit::backend_tests;

use supportgate::proto::ListEntriesRequest;

use crate::harness::World;

mod cli;
mod failures;
mod refusals;
mod relay;
mod support;

pub use support::*;

backend_tests! {
    async fn a_consented_session_relays_both_ways_and_is_recorded_encrypted(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View, ConsentScope::Control]).await;
        let (mut agent, mut engineer) = paired(&world, &session_id).await;
        assert_eq!(agent.joined.role(), ParticipantRole::Agent);
        assert!(engineer.joined.recording, "the engineer is told the session is recorded");

        engineer.send(input(b"echo hello-$((6*7))\r")).await;
        match agent.next().await.unwrap() {
            Some(Kind::Input(i)) => assert_eq!(&i.data[..], b"echo hello-$((6*7))\r"),
            other => panic!("the agent should receive the input, got {other:?}"),
        }
        agent.send(output(b"hello-42\r\n")).await;
        assert_eq!(engineer.output().await, b"hello-42\r\n");

        engineer.send(chat("can you see this?")).await;
        match agent.next().await.unwrap() {
            Some(Kind::Chat(c)) => {
                assert_eq!(c.text, "can you see this?");
                assert_eq!(c.from_role(), ParticipantRole::Engineer);
                assert_eq!(c.from_subject_id, world.acme.engineer.subject_id);
            }
            other => panic!("the agent should receive the chat, got {other:?}"),
        }

        let live = session(&world, &session_id).await;
        assert_eq!(live.state(), SessionState::Active);
        assert!(!live.recording_id.is_empty());

        engineer.send(end()).await;
        assert_eq!(engineer.end_reason().await, SessionEndReason::EngineerEnded);
        assert_eq!(agent.end_reason().await, SessionEndReason::EngineerEnded);

        let over = ended(&world, &session_id).await;
        assert_eq!(over.end_reason(), SessionEndReason::EngineerEnded);
        let stored = download(&world, &over.recording_id).await;
        let frames = frames(&stored);
        let sequences: Vec<u64> = frames.iter().map(|f| f.sequence).collect();
        assert_eq!(sequences, (1..=frames.len() as u64).collect::<Vec<_>>(), "frames are numbered without gaps");
        let output_frame = frames
            .iter()
            .find(|f| matches!(f.frame.as_ref().and_then(|f| f.kind.as_ref()), Some(Kind::Output(_))))
            .expect("the output is recorded");
        assert_eq!(output_frame.direction(), FrameDirection::AgentToViewers);
        assert!(frames.iter().any(|f| f.direction() == FrameDirection::EngineerToAgent), "the input is recorded");
        assert!(
            matches!(frames.last().and_then(|f| f.frame.as_ref()).and_then(|f| f.kind.as_ref()), Some(Kind::End(_))),
            "the recording closes with the End frame"
        );
        assert!(frames.windows(2).all(|w| w[0].elapsed_micros <= w[1].elapsed_micros), "timestamps never go back");

        let cast = export(&world, &over.recording_id).await;
        assert!(cast.starts_with("{\"version\":2"), "an asciicast v2 header: {cast}");
        assert!(cast.contains("hello-42"), "the export holds the output: {cast}");
        assert_not_stored(&world, b"hello-42");

        let actions: Vec<String> = world
            .log(ListEntriesRequest { case_id: world.acme.case.clone(), ..Default::default() })
            .await
            .into_iter()
            .map(|e| e.action)
            .collect();
        for expected in [
            "session.request",
            "session.consent.grant",
            "session.join.agent",
            "session.join.engineer",
            "session.start",
            "session.end",
            "recording.download",
            "recording.export",
        ] {
            assert!(actions.iter().any(|a| a == expected), "{expected} is in the log: {actions:?}");
        }
    }

    async fn a_declined_session_cannot_be_joined_or_consented_later(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let session_id = request(&world, &acme.engineer, &acme.case, &[ConsentScope::View]).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let declined = customer
            .sessions()
            .decline_consent(supportgate::proto::DeclineConsentRequest { session_id: session_id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(declined.state(), SessionState::Declined);
        let late = customer
            .sessions()
            .grant_consent(grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::minutes(5)))
            .await;
        crate::harness::assert_status(late, tonic::Code::FailedPrecondition, "SESSION_NOT_PENDING");
        let joined = try_join(
            &world.server.as_actor(&acme.agent).await,
            &session_id,
            ParticipantRole::Agent,
            supportgate::proto::Purpose::ProvideSupport,
        )
        .await;
        crate::harness::assert_status(joined.map(|p| p.joined), tonic::Code::FailedPrecondition, "SESSION_NOT_JOINABLE");
    }

    async fn a_refused_join_is_logged_as_denied_with_its_purpose_never_as_allowed(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let pending = request(&world, &acme.engineer, &acme.case, &[ConsentScope::View]).await;
        for (actor, role) in [(&acme.agent, ParticipantRole::Agent), (&acme.engineer, ParticipantRole::Engineer)] {
            let joined = try_join(&world.server.as_actor(actor).await, &pending, role, supportgate::proto::Purpose::ProvideSupport).await;
            crate::harness::assert_status(joined.map(|p| p.joined), tonic::Code::FailedPrecondition, "SESSION_NOT_JOINABLE");
        }
        let joins: Vec<_> = world
            .log(ListEntriesRequest { case_id: acme.case.clone(), ..Default::default() })
            .await
            .into_iter()
            .filter(|e| e.action.starts_with("session.join.") && e.resource_id == pending)
            .collect();
        assert_eq!(joins.len(), 2, "one decision per attempt: {joins:?}");
        for entry in &joins {
            assert_eq!(entry.decision(), supportgate::proto::Decision::Denied, "{entry:?}");
            assert_eq!(entry.reason, "SESSION_NOT_JOINABLE", "{entry:?}");
            assert_eq!(entry.purpose(), supportgate::proto::Purpose::ProvideSupport, "{entry:?}");
        }

        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (_agent, _engineer) = paired(&world, &session_id).await;
        let agent_join = world
            .log(ListEntriesRequest { case_id: acme.case.clone(), action: "session.join.agent".into(), ..Default::default() })
            .await
            .into_iter()
            .find(|e| e.resource_id == session_id)
            .expect("the agent's join is logged");
        assert_eq!(agent_join.decision(), supportgate::proto::Decision::Allowed);
        assert_eq!(agent_join.purpose(), supportgate::proto::Purpose::ProvideSupport, "the agent's purpose is in the log");
    }
}
