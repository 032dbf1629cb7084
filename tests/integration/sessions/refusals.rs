//! Bad input to sessions: each gets a precise status, nothing is relayed that should
//! not be, and the session and its recording stay intact.

use supportgate::proto::{
    frame::Kind, ConsentScope, GrantConsentRequest, Join, ParticipantRole, Purpose,
    RequestSessionRequest, Resize, SessionEndReason,
};
use supportgate_testkit::backend_tests;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Code;

use super::support::*;
use crate::harness::{assert_status, reason, Clients, World};

/// Opens a stream, sends `first` and returns the status the gateway ends it with.
async fn first_frame_status(clients: &Clients, first: supportgate::proto::Frame) -> tonic::Status {
    let (tx, queue) = mpsc::channel(4);
    tx.send(first).await.unwrap();
    let opened = clients
        .sessions()
        .connect_session(ReceiverStream::new(queue))
        .await;
    let status = match opened {
        Err(status) => status,
        Ok(response) => {
            let mut rx = response.into_inner();
            loop {
                match rx.message().await {
                    Ok(Some(_)) => continue,
                    Ok(None) => panic!("the stream ended with OK"),
                    Err(status) => break status,
                }
            }
        }
    };
    drop(tx);
    status
}

/// What is sent, how it is refused, and whether the agent (else the engineer) sends it.
type BadFrame = (
    &'static str,
    Box<dyn Fn() -> supportgate::proto::Frame>,
    Code,
    &'static str,
    bool,
);

fn join_frame(session: &str, role: ParticipantRole, purpose: Purpose) -> supportgate::proto::Frame {
    frame(Kind::Join(Join {
        session_id: session.into(),
        role: role as i32,
        purpose: purpose as i32,
    }))
}

backend_tests! {
    async fn joins_that_do_not_fit_are_refused_precisely(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let agent = world.server.as_actor(&acme.agent).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;

        let status = first_frame_status(&agent, output(b"no join")).await;
        assert_eq!((status.code(), reason(&status).as_deref()), (Code::InvalidArgument, Some("JOIN_REQUIRED")));

        let unknown = uuid::Uuid::new_v4().to_string();
        let status = first_frame_status(&agent, join_frame(&unknown, ParticipantRole::Agent, Purpose::ProvideSupport)).await;
        assert_eq!(status.code(), Code::NotFound, "{status:?}");

        let status = first_frame_status(&agent, join_frame("not-a-uuid", ParticipantRole::Agent, Purpose::ProvideSupport)).await;
        assert_eq!((status.code(), reason(&status).as_deref()), (Code::InvalidArgument, Some("INVALID_ID")));

        let status = first_frame_status(&agent, join_frame(&session_id, ParticipantRole::Unspecified, Purpose::ProvideSupport)).await;
        assert_eq!((status.code(), reason(&status).as_deref()), (Code::InvalidArgument, Some("INVALID_ROLE")));

        let status = first_frame_status(&agent, join_frame(&session_id, ParticipantRole::Agent, Purpose::Unspecified)).await;
        assert_eq!((status.code(), reason(&status).as_deref()), (Code::InvalidArgument, Some("PURPOSE_REQUIRED")));

        let status = first_frame_status(&agent, join_frame(&session_id, ParticipantRole::Agent, Purpose::Marketing)).await;
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

        // The agent's credential cannot join as the engineer, nor the engineer as the agent.
        let status = first_frame_status(&agent, join_frame(&session_id, ParticipantRole::Engineer, Purpose::ProvideSupport)).await;
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        let engineer = world.server.as_actor(&acme.engineer).await;
        let status = first_frame_status(&engineer, join_frame(&session_id, ParticipantRole::Agent, Purpose::ProvideSupport)).await;
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");

        // Another tenant's agent does not find the session at all.
        let globex_agent = world.server.as_actor(&world.globex.agent).await;
        let status = first_frame_status(&globex_agent, join_frame(&session_id, ParticipantRole::Agent, Purpose::ProvideSupport)).await;
        assert_eq!(status.code(), Code::NotFound, "{status:?}");

        // A customer (not the agent) cannot connect at all.
        let customer = world.server.as_actor(&acme.customer).await;
        let status = first_frame_status(&customer, join_frame(&session_id, ParticipantRole::Agent, Purpose::ProvideSupport)).await;
        assert_eq!((status.code(), reason(&status).as_deref()), (Code::PermissionDenied, Some("ROLE_DENIED")));

        // A session still waiting for consent cannot be joined.
        let pending = request(&world, &acme.engineer, &acme.case, &[ConsentScope::View]).await;
        let status = first_frame_status(&agent, join_frame(&pending, ParticipantRole::Agent, Purpose::ProvideSupport)).await;
        assert_eq!((status.code(), reason(&status).as_deref()), (Code::FailedPrecondition, Some("SESSION_NOT_JOINABLE")));
    }

    async fn a_second_agent_is_refused_and_the_first_keeps_the_session(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (agent, mut engineer) = paired(&world, &session_id).await;
        let second = try_join(&world.server.as_actor(&world.acme.agent).await, &session_id, ParticipantRole::Agent, Purpose::ProvideSupport).await;
        assert_status(second.map(|p| p.joined), Code::AlreadyExists, "PARTICIPANT_ALREADY_CONNECTED");
        let second = try_join(&world.server.as_actor(&world.acme.engineer).await, &session_id, ParticipantRole::Engineer, Purpose::ProvideSupport).await;
        assert_status(second.map(|p| p.joined), Code::AlreadyExists, "PARTICIPANT_ALREADY_CONNECTED");
        agent.send(output(b"still mine")).await;
        assert_eq!(engineer.output().await, b"still mine");
    }

    async fn oversized_and_misdirected_frames_end_the_senders_stream(backend: Backend) {
        let world = World::build(backend).await;
        let cases: Vec<BadFrame> = vec![
            ("output over 64 KiB", Box::new(|| output(&vec![b'x'; 64 * 1024 + 1])), Code::ResourceExhausted, "FRAME_TOO_LARGE", true),
            ("chat over 4 KiB", Box::new(|| chat(&"y".repeat(4 * 1024 + 1))), Code::ResourceExhausted, "FRAME_TOO_LARGE", true),
            ("empty chat", Box::new(|| chat("")), Code::InvalidArgument, "EMPTY_CHAT", true),
            ("input from the agent", Box::new(|| input(b"ls")), Code::InvalidArgument, "INPUT_FROM_ENGINEER_ONLY", true),
            ("a second join", Box::new(|| join_frame(&uuid::Uuid::new_v4().to_string(), ParticipantRole::Agent, Purpose::ProvideSupport)), Code::InvalidArgument, "ALREADY_JOINED", true),
            ("a presence frame", Box::new(|| frame(Kind::Presence(Default::default()))), Code::InvalidArgument, "GATEWAY_FRAME", true),
            ("an empty frame", Box::new(|| supportgate::proto::Frame { kind: None }), Code::InvalidArgument, "EMPTY_FRAME", true),
            ("a zero-sized terminal", Box::new(|| frame(Kind::Resize(Resize { cols: 0, rows: 24 }))), Code::InvalidArgument, "INVALID_SIZE", true),
            ("output from the engineer", Box::new(|| output(b"fake")), Code::InvalidArgument, "OUTPUT_FROM_AGENT_ONLY", false),
        ];
        for (what, make, code, why, from_agent) in cases {
            let session_id = consented(&world, &[ConsentScope::View, ConsentScope::Control]).await;
            let (mut agent, mut engineer) = paired(&world, &session_id).await;
            let (sender, other) = if from_agent { (&mut agent, &mut engineer) } else { (&mut engineer, &mut agent) };
            sender.send(make()).await;
            let status = sender.status().await;
            assert_eq!((status.code(), reason(&status).as_deref()), (code, Some(why)), "{what}: {status:?}");
            loop {
                match other.next().await.unwrap() {
                    Some(Kind::End(e)) => {
                        assert_eq!(e.reason(), SessionEndReason::Disconnected, "{what}");
                        break;
                    }
                    Some(Kind::Output(o)) if !from_agent => panic!("{what}: relayed {:?}", o.data),
                    Some(Kind::Chat(_) | Kind::Input(_)) => panic!("{what}: a refused frame was relayed"),
                    Some(_) => continue,
                    None => panic!("{what}: closed without End"),
                }
            }
            let over = ended(&world, &session_id).await;
            let recorded = frames(&download(&world, &over.recording_id).await);
            assert!(
                recorded.iter().all(|f| !matches!(f.frame.as_ref().and_then(|f| f.kind.as_ref()), Some(Kind::Output(_) | Kind::Input(_) | Kind::Chat(_)))),
                "{what}: a refused frame is not recorded"
            );
        }
    }

    async fn consent_decisions_are_checked(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let session_id = request(&world, &acme.engineer, &acme.case, &[ConsentScope::View]).await;
        let customer = world.server.as_actor(&acme.customer).await;
        let mut sessions = customer.sessions();

        let mut unacknowledged = grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::minutes(5));
        unacknowledged.recording_acknowledged = false;
        assert_status(sessions.grant_consent(unacknowledged).await, Code::FailedPrecondition, "RECORDING_NOT_ACKNOWLEDGED");

        let beyond = grant(&world, &session_id, &[ConsentScope::Control], chrono::Duration::minutes(5));
        assert_status(sessions.grant_consent(beyond).await, Code::InvalidArgument, "SCOPES_NOT_REQUESTED");

        let unknown = GrantConsentRequest { scopes: vec![42], ..grant(&world, &session_id, &[], chrono::Duration::minutes(5)) };
        assert_status(sessions.grant_consent(unknown).await, Code::InvalidArgument, "UNKNOWN_SCOPE");

        let none = grant(&world, &session_id, &[], chrono::Duration::minutes(5));
        assert_status(sessions.grant_consent(none).await, Code::InvalidArgument, "FIELD_REQUIRED");

        let no_expiry = GrantConsentRequest { expires_at: None, ..grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::minutes(5)) };
        assert_status(sessions.grant_consent(no_expiry).await, Code::InvalidArgument, "FIELD_REQUIRED");

        let past = grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::minutes(-1));
        assert_status(sessions.grant_consent(past).await, Code::InvalidArgument, "CONSENT_EXPIRY_OUT_OF_RANGE");
        let too_long = grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::hours(9));
        assert_status(sessions.grant_consent(too_long).await, Code::InvalidArgument, "CONSENT_EXPIRY_OUT_OF_RANGE");

        // Another tenant's customer cannot see, let alone consent to, the session.
        let other = world.server.as_actor(&world.globex.customer).await;
        let foreign = other.sessions().grant_consent(grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::minutes(5))).await;
        assert_eq!(foreign.unwrap_err().code(), Code::NotFound);
        // Nor can the engineer consent on the customer's behalf.
        let engineer = world.server.as_actor(&acme.engineer).await;
        let own = engineer.sessions().grant_consent(grant(&world, &session_id, &[ConsentScope::View], chrono::Duration::minutes(5))).await;
        assert_status(own, Code::PermissionDenied, "ROLE_DENIED");

        // After all that the session is still waiting for the customer's decision.
        let still = session(&world, &session_id).await;
        assert_eq!(still.state(), supportgate::proto::SessionState::PendingConsent);
        assert!(still.consent.is_none());
    }

    async fn only_an_assigned_engineer_requests_sessions_on_open_cases(backend: Backend) {
        let world = World::build(backend).await;
        let acme = &world.acme;
        let ask = |case: &str| RequestSessionRequest { case_id: case.into(), capabilities: vec![ConsentScope::View as i32] };
        let unassigned = world.server.as_actor(&acme.other_engineer).await;
        assert_status(unassigned.sessions().request_session(ask(&acme.case)).await, Code::PermissionDenied, "NOT_ASSIGNED");
        let foreign = world.server.as_actor(&world.globex.engineer).await;
        assert_eq!(foreign.sessions().request_session(ask(&acme.case)).await.unwrap_err().code(), Code::NotFound);
        let engineer = world.server.as_actor(&acme.engineer).await;
        let empty = RequestSessionRequest { case_id: acme.case.clone(), capabilities: vec![] };
        assert_status(engineer.sessions().request_session(empty).await, Code::InvalidArgument, "FIELD_REQUIRED");
        let requested = engineer.sessions().request_session(ask(&acme.case)).await.unwrap().into_inner();
        assert_eq!(requested.requested_scopes, vec![ConsentScope::View as i32]);
    }
}
