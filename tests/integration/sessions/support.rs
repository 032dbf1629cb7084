//! What every session test needs: a consented session, participants on live streams,
//! and readers for what they receive.

use std::time::Duration;

use supportgate::proto::{
    self, frame::Kind, ConsentScope, Frame, GrantConsentRequest, Join, Joined, ParticipantRole,
    Purpose, RequestSessionRequest,
};
use supportgate_types::Clock;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Status, Streaming};

use crate::harness::{Actor, Clients, World};

/// How long a test waits for a frame that must come.
pub const PATIENCE: Duration = Duration::from_secs(10);

/// A frame of this kind.
pub fn frame(kind: Kind) -> Frame {
    Frame { kind: Some(kind) }
}

pub fn output(data: &[u8]) -> Frame {
    frame(Kind::Output(proto::Output {
        data: data.to_vec().into(),
    }))
}

pub fn input(data: &[u8]) -> Frame {
    frame(Kind::Input(proto::Input {
        data: data.to_vec().into(),
    }))
}

pub fn chat(text: &str) -> Frame {
    frame(Kind::Chat(proto::Chat {
        text: text.into(),
        ..Default::default()
    }))
}

pub fn end() -> Frame {
    frame(Kind::End(proto::End::default()))
}

/// Requests a session on `case` as `engineer`; returns its id.
pub async fn request(
    world: &World,
    engineer: &Actor,
    case: &str,
    scopes: &[ConsentScope],
) -> String {
    world
        .server
        .as_actor(engineer)
        .await
        .sessions()
        .request_session(RequestSessionRequest {
            case_id: case.into(),
            capabilities: scopes.iter().map(|s| *s as i32).collect(),
        })
        .await
        .expect("request a session")
        .into_inner()
        .session_id
}

/// A grant of `scopes` for 30 minutes (by the server's clock), recording acknowledged.
pub fn grant(
    world: &World,
    session: &str,
    scopes: &[ConsentScope],
    lasts: chrono::Duration,
) -> GrantConsentRequest {
    let expires = Clock::now(&*world.server.clock) + lasts;
    GrantConsentRequest {
        session_id: session.into(),
        scopes: scopes.iter().map(|s| *s as i32).collect(),
        expires_at: Some(prost_types::Timestamp {
            seconds: expires.timestamp(),
            nanos: 0,
        }),
        recording_acknowledged: true,
    }
}

/// A session on acme's case, requested by its engineer and consented to by its
/// customer with `scopes`.
pub async fn consented(world: &World, scopes: &[ConsentScope]) -> String {
    let acme = &world.acme;
    let session = request(
        world,
        &acme.engineer,
        &acme.case,
        &[ConsentScope::View, ConsentScope::Control],
    )
    .await;
    world
        .server
        .as_actor(&acme.customer)
        .await
        .sessions()
        .grant_consent(grant(
            world,
            &session,
            scopes,
            chrono::Duration::minutes(30),
        ))
        .await
        .expect("grant consent");
    session
}

/// One side of a live session.
pub struct Peer {
    pub joined: Joined,
    pub tx: mpsc::Sender<Frame>,
    pub rx: Streaming<Frame>,
}

/// Opens ConnectSession and sends the Join; the gateway's answer to it.
pub async fn try_join(
    clients: &Clients,
    session: &str,
    role: ParticipantRole,
    purpose: Purpose,
) -> Result<Peer, Status> {
    let (tx, queue) = mpsc::channel(64);
    tx.send(frame(Kind::Join(Join {
        session_id: session.into(),
        role: role as i32,
        purpose: purpose as i32,
    })))
    .await
    .expect("queue the Join");
    let mut rx = clients
        .sessions()
        .connect_session(ReceiverStream::new(queue))
        .await?
        .into_inner();
    match rx.message().await?.and_then(|f| f.kind) {
        Some(Kind::Joined(joined)) => Ok(Peer { joined, tx, rx }),
        other => panic!("expected Joined, got {other:?}"),
    }
}

/// Joins as `actor` in `role` for PROVIDE_SUPPORT (or IMPROVE_SUPPORT for observers
/// who are support quality).
pub async fn join(world: &World, actor: &Actor, session: &str, role: ParticipantRole) -> Peer {
    let purpose = if actor.role == proto::Role::SupportQuality {
        Purpose::ImproveSupport
    } else {
        Purpose::ProvideSupport
    };
    try_join(&world.server.as_actor(actor).await, session, role, purpose)
        .await
        .expect("join the session")
}

impl Peer {
    pub async fn send(&self, frame: Frame) {
        self.tx.send(frame).await.expect("the stream is open");
    }

    /// The next frame that is not a Presence, or the status that ended the stream.
    pub async fn next(&mut self) -> Result<Option<Kind>, Status> {
        loop {
            let next = tokio::time::timeout(PATIENCE, self.rx.message())
                .await
                .expect("a frame or the end within the patience");
            match next? {
                Some(Frame {
                    kind: Some(Kind::Presence(_)),
                }) => continue,
                Some(frame) => return Ok(frame.kind),
                None => return Ok(None),
            }
        }
    }

    /// The next Presence frame (skipping nothing else: fails on any other frame).
    pub async fn presence(&mut self) -> proto::Presence {
        let next = tokio::time::timeout(PATIENCE, self.rx.message())
            .await
            .expect("a presence frame");
        match next.expect("stream open").and_then(|f| f.kind) {
            Some(Kind::Presence(p)) => p,
            other => panic!("expected Presence, got {other:?}"),
        }
    }

    /// Waits for the End frame (skipping anything before it) and returns its reason.
    pub async fn end_reason(&mut self) -> proto::SessionEndReason {
        loop {
            match self
                .next()
                .await
                .expect("the stream ends with End, not an error")
            {
                Some(Kind::End(end)) => return end.reason(),
                Some(_) => continue,
                None => panic!("the stream closed without an End frame"),
            }
        }
    }

    /// The next Output frame's data (skipping other kinds).
    pub async fn output(&mut self) -> Vec<u8> {
        loop {
            match self.next().await.expect("stream open") {
                Some(Kind::Output(o)) => return o.data.to_vec(),
                Some(Kind::End(end)) => panic!(
                    "session ended ({:?}) while waiting for output",
                    end.reason()
                ),
                Some(_) => continue,
                None => panic!("stream closed while waiting for output"),
            }
        }
    }

    /// Receives until the stream ends with a status; returns it.
    pub async fn status(&mut self) -> Status {
        loop {
            match tokio::time::timeout(PATIENCE, self.rx.message())
                .await
                .expect("the stream ends")
            {
                Ok(Some(_)) => continue,
                Ok(None) => panic!("the stream ended with OK, expected an error status"),
                Err(status) => return status,
            }
        }
    }
}

/// An agent and an engineer, joined and paired: both have seen each other's presence.
pub async fn paired(world: &World, id: &str) -> (Peer, Peer) {
    let acme = &world.acme;
    let agent = join(world, &acme.agent, id, ParticipantRole::Agent).await;
    let mut engineer = join(world, &acme.engineer, id, ParticipantRole::Engineer).await;
    let seen = engineer.presence().await;
    assert_eq!(seen.role(), ParticipantRole::Agent);
    let mut agent = agent;
    let seen = agent.presence().await;
    assert_eq!(seen.role(), ParticipantRole::Engineer);
    let deadline = tokio::time::Instant::now() + PATIENCE;
    while session(world, id).await.state() != proto::SessionState::Active {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the pair did not start the session"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    (agent, engineer)
}

/// The session as GetSession shows it to acme's customer.
pub async fn session(world: &World, session: &str) -> proto::Session {
    world
        .server
        .as_actor(&world.acme.customer)
        .await
        .sessions()
        .get_session(proto::GetSessionRequest {
            session_id: session.into(),
        })
        .await
        .expect("get the session")
        .into_inner()
}

/// Polls GetSession until the session has ended (the relay stores the end right
/// after telling the participants).
pub async fn ended(world: &World, id: &str) -> proto::Session {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let s = session(world, id).await;
        if s.state() == proto::SessionState::Ended {
            let recording = s.recording_id.clone();
            if recording.is_empty() || recording_settled(world, &recording).await {
                return s;
            }
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the session did not end: {s:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn recording_settled(world: &World, recording: &str) -> bool {
    let got = world
        .server
        .as_actor(&world.acme.customer)
        .await
        .recordings()
        .get_recording(proto::GetRecordingRequest {
            recording_id: recording.into(),
            purpose: Purpose::ProvideSupport as i32,
        })
        .await
        .expect("get the recording")
        .into_inner();
    got.recording
        .is_some_and(|r| r.state() != proto::RecordingState::Recording)
}

/// The stored form of a recording, as its customer downloads it.
pub async fn download(world: &World, recording: &str) -> Vec<u8> {
    use proto::download_recording_response::Part;
    let mut stream = world
        .server
        .as_actor(&world.acme.customer)
        .await
        .recordings()
        .download_recording(proto::DownloadRecordingRequest {
            recording_id: recording.into(),
            purpose: Purpose::ProvideSupport as i32,
            range: None,
        })
        .await
        .expect("download the recording")
        .into_inner();
    let mut data = Vec::new();
    while let Some(message) = stream.message().await.expect("download stream") {
        if let Some(Part::Chunk(chunk)) = message.part {
            assert_eq!(chunk.offset, data.len() as u64, "chunks arrive in order");
            data.extend_from_slice(&chunk.data);
        }
    }
    data
}

/// Every frame of a stored recording (the stream must be whole).
pub fn frames(stored: &[u8]) -> Vec<proto::RecordedFrame> {
    supportgate::recording::FrameReader::new(stored)
        .collect::<Result<Vec<_>, _>>()
        .expect("a well-formed recording")
}

/// The asciicast export of a recording, as its customer exports it.
pub async fn export(world: &World, recording: &str) -> String {
    use proto::export_recording_response::Part;
    let mut stream = world
        .server
        .as_actor(&world.acme.customer)
        .await
        .recordings()
        .export_recording(proto::ExportRecordingRequest {
            recording_id: recording.into(),
            purpose: Purpose::ProvideSupport as i32,
            format: proto::RecordingExportFormat::AsciicastV2 as i32,
            include_input: false,
        })
        .await
        .expect("export the recording")
        .into_inner();
    let mut data = Vec::new();
    while let Some(message) = stream.message().await.expect("export stream") {
        if let Some(Part::Chunk(chunk)) = message.part {
            data.extend_from_slice(&chunk.data);
        }
    }
    String::from_utf8(data).expect("asciicast is UTF-8")
}

/// Asserts `needle` occurs in no stored blob (the recording is encrypted at rest).
pub fn assert_not_stored(world: &World, needle: &[u8]) {
    let blobs = crate::transfers::stored_bytes(&world.server.blob_dir());
    assert!(!blobs.is_empty(), "the blob store holds the recording");
    for blob in &blobs {
        assert!(
            !blob.windows(needle.len()).any(|w| w == needle),
            "{} is stored in the clear",
            String::from_utf8_lossy(needle)
        );
    }
}

/// The server's clock now, as the store keeps times (microseconds since the epoch).
pub fn server_micros(world: &World) -> i64 {
    Clock::now(&*world.server.clock).timestamp_micros()
}
