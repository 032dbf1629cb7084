//! When things go wrong under a live session: the recording cannot be written, or a
//! participant stops reading. The session ends with a clear reason, memory stays
//! bounded, and what was recorded stays readable.

use std::time::Duration;

use supportgate::proto::{self, ConsentScope, SessionEndReason};
use supportgate::server::sessions::RelaySettings;
use supportgate::server::Limits;
use supportgate_testkit::backend_tests;

use super::support::*;
use crate::harness::{TestServer, World};

/// The recording blob of `recording` (one per recording under the blob directory).
fn recording_blob(world: &World, recording: &str) -> std::path::PathBuf {
    let tenant = world.acme.id.clone();
    world
        .server
        .blob_dir()
        .join("recordings")
        .join(tenant)
        .join(recording)
}

backend_tests! {
    async fn a_recording_that_cannot_be_written_ends_the_session(backend: Backend) {
        let world = World::build(backend).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (agent, mut engineer) = paired(&world, &session_id).await;
        agent.send(output(b"recorded before the failure")).await;
        assert_eq!(engineer.output().await, b"recorded before the failure");
        let recording = session(&world, &session_id).await.recording_id;
        let blob = recording_blob(&world, &recording);
        assert!(blob.is_file(), "the recording is at {}", blob.display());
        // The disk "fails": the recording's file becomes something no one can write to.
        std::fs::remove_file(&blob).unwrap();
        std::fs::create_dir(&blob).unwrap();

        let mut agent = agent;
        let mut failed = None;
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut n = 0;
        while tokio::time::Instant::now() < deadline {
            n += 1;
            if agent.tx.send(output(format!("after the failure {n}").as_bytes())).await.is_err() {
                break;
            }
            match tokio::time::timeout(Duration::from_millis(50), engineer.rx.message()).await {
                Ok(Ok(Some(proto::Frame { kind: Some(proto::frame::Kind::End(end)) }))) => {
                    failed = Some(end.reason());
                    break;
                }
                Ok(Ok(Some(_))) | Err(_) => continue,
                Ok(Ok(None)) | Ok(Err(_)) => panic!("the engineer's stream closed without End"),
            }
        }
        assert_eq!(failed, Some(SessionEndReason::RecordingFailed), "the session ends when its recording fails");
        assert_eq!(agent.end_reason().await, SessionEndReason::RecordingFailed);
        let over = ended(&world, &session_id).await;
        assert_eq!(over.end_reason(), SessionEndReason::RecordingFailed);
        let view = world
            .server
            .as_actor(&world.acme.customer)
            .await
            .recordings()
            .get_recording(proto::GetRecordingRequest { recording_id: recording, purpose: proto::Purpose::ProvideSupport as i32 })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(view.recording.unwrap().state(), proto::RecordingState::Truncated);
    }

    async fn a_peer_that_stops_reading_ends_the_session_instead_of_filling_memory(backend: Backend) {
        let limits = Limits {
            sessions: RelaySettings { peer_timeout: Duration::from_millis(300), ..RelaySettings::default() },
            ..Limits::default()
        };
        let world = World::build_on(TestServer::start_with(backend, limits).await).await;
        let session_id = consented(&world, &[ConsentScope::View]).await;
        let (agent, engineer) = paired(&world, &session_id).await;
        // The engineer never reads again; the agent keeps producing 60 KiB frames.
        let chunk = vec![b'z'; 60 * 1024];
        let mut agent = agent;
        let mut sent = 0usize;
        let reason = loop {
            tokio::select! {
                frame = agent.rx.message() => match frame {
                    Ok(Some(proto::Frame { kind: Some(proto::frame::Kind::End(end)) })) => break end.reason(),
                    Ok(Some(_)) => continue,
                    other => panic!("the agent's stream ended without End: {other:?}"),
                },
                sent_ok = agent.tx.send(output(&chunk)) => {
                    assert!(sent_ok.is_ok());
                    sent += chunk.len();
                    assert!(sent < 1024 * 1024 * 1024, "the gateway kept accepting output nobody reads");
                }
            }
        };
        assert_eq!(reason, SessionEndReason::Disconnected);
        drop(engineer);
        assert_eq!(ended(&world, &session_id).await.end_reason(), SessionEndReason::Disconnected);
    }
}
