//! The live session stream (`ConnectSession`) as both ends of the CLI use it: the
//! Join handshake, frame constructors, and the human texts for presence, chat and
//! the end of a session.

use std::collections::HashMap;
use std::io::Write;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Streaming;

use super::super::connect::Clients;
use super::super::error::{one_line, CliError};
use super::super::output::{enum_name, rfc3339};
use super::scope;
use crate::proto::{
    frame::Kind, Chat, End, Frame, Input, Join, Joined, Output, ParticipantRole, Presence, Purpose,
    Resize, SessionEndReason,
};

/// Frames queued for the gateway before the sender waits: enough to absorb a burst
/// of keystrokes or output without holding more than a few hundred KiB.
const OUTBOUND_QUEUE: usize = 64;

/// A joined session: what the gateway said about it, and both halves of the stream.
#[derive(Debug)]
pub struct Live {
    /// The gateway's answer to the Join.
    pub joined: Joined,
    /// Frames to the gateway. Dropping every clone closes our half of the stream.
    pub outbound: mpsc::Sender<Frame>,
    /// Frames from the gateway.
    pub inbound: Streaming<Frame>,
}

/// Opens `ConnectSession`, sends the Join and waits for the Joined.
///
/// A refused Join arrives as an error status (exit 1, the usual one-line error); an
/// End or anything else instead of Joined is reported as such.
pub async fn join(
    clients: &Clients,
    session_id: &str,
    role: ParticipantRole,
    purpose: Purpose,
) -> Result<Live, CliError> {
    let (outbound, queue) = mpsc::channel(OUTBOUND_QUEUE);
    let join = frame(Kind::Join(Join {
        session_id: session_id.to_owned(),
        role: role.into(),
        purpose: purpose.into(),
    }));
    outbound
        .send(join)
        .await
        .map_err(|_| CliError::failed("cannot queue the Join frame"))?;
    let mut inbound = clients
        .sessions()
        .connect_session(ReceiverStream::new(queue))
        .await?
        .into_inner();
    match inbound.message().await?.and_then(|f| f.kind) {
        Some(Kind::Joined(joined)) => Ok(Live {
            joined,
            outbound,
            inbound,
        }),
        Some(Kind::End(end)) => Err(CliError::failed(format!(
            "session {session_id} ended before it could be joined: {}",
            end_text(end.reason)
        ))),
        Some(other) => Err(CliError::failed(format!(
            "the gateway answered the Join with a {} frame instead of Joined",
            kind_name(&other)
        ))),
        None => Err(CliError::failed(
            "the gateway closed the session stream without answering the Join",
        )),
    }
}

/// What the gateway sent next on a live stream: the frame, or how the client is done.
/// A stream that closes after this client asked to end (`ending`) is a normal end;
/// closing otherwise, or failing, is an error.
pub fn received(
    message: Result<Option<Frame>, tonic::Status>,
    ending: bool,
) -> Result<Frame, Result<(), CliError>> {
    match message {
        Ok(Some(frame)) => Ok(frame),
        Ok(None) if ending => Err(Ok(())),
        Ok(None) => Err(Err(CliError::failed(
            "the gateway closed the session stream without saying why",
        ))),
        Err(status) => Err(Err(status.into())),
    }
}

/// A frame of this kind.
pub fn frame(kind: Kind) -> Frame {
    Frame { kind: Some(kind) }
}

/// An Output frame.
pub fn output(data: Vec<u8>) -> Frame {
    frame(Kind::Output(Output { data: data.into() }))
}

/// An Input frame.
pub fn input(data: Vec<u8>) -> Frame {
    frame(Kind::Input(Input { data: data.into() }))
}

/// A Resize frame.
pub fn resize(cols: u16, rows: u16) -> Frame {
    frame(Kind::Resize(Resize {
        cols: u32::from(cols),
        rows: u32::from(rows),
    }))
}

/// A Chat frame (the gateway fills in who sent it).
pub fn chat(text: String) -> Frame {
    frame(Kind::Chat(Chat {
        text,
        ..Chat::default()
    }))
}

/// An End frame (the gateway sets the reason from the sender's role).
pub fn end() -> Frame {
    frame(Kind::End(End {
        reason: SessionEndReason::Unspecified.into(),
    }))
}

/// The name of a frame kind, for messages.
pub fn kind_name(kind: &Kind) -> &'static str {
    match kind {
        Kind::Join(_) => "Join",
        Kind::Joined(_) => "Joined",
        Kind::Output(_) => "Output",
        Kind::Input(_) => "Input",
        Kind::Resize(_) => "Resize",
        Kind::Chat(_) => "Chat",
        Kind::Presence(_) => "Presence",
        Kind::End(_) => "End",
    }
}

/// `engineer`, `agent`, `observer`.
pub fn role_name(raw: i32) -> String {
    enum_name(
        ParticipantRole::try_from(raw).ok().map(|r| r.as_str_name()),
        "PARTICIPANT_ROLE_",
        raw,
    )
    .unwrap_or_else(|| "participant".to_owned())
}

/// The snake name of an end reason (`consent_revoked`), or `unspecified`.
pub fn end_reason_name(raw: i32) -> String {
    enum_name(
        SessionEndReason::try_from(raw)
            .ok()
            .map(|r| r.as_str_name()),
        "SESSION_END_REASON_",
        raw,
    )
    .unwrap_or_else(|| "unspecified".to_owned())
}

/// Why a session ended, for people: `the customer revoked consent (consent_revoked)`.
pub fn end_text(raw: i32) -> String {
    let why = match SessionEndReason::try_from(raw) {
        Ok(SessionEndReason::EngineerEnded) => "the engineer ended it",
        Ok(SessionEndReason::AgentEnded) => "the customer's side ended it",
        Ok(SessionEndReason::ConsentRevoked) => "the customer revoked consent",
        Ok(SessionEndReason::ConsentExpired) => "the consent expired",
        Ok(SessionEndReason::RecordingFailed) => {
            "the recording could not be written (recording is fail-closed)"
        }
        Ok(SessionEndReason::CaseClosed) => "the case was closed",
        Ok(SessionEndReason::Shutdown) => "the gateway is shutting down",
        Ok(SessionEndReason::CredentialRevoked) => "a participant's credential was revoked",
        Ok(SessionEndReason::Disconnected) => {
            "a participant left or was disconnected (a refused frame, or it stopped reading)"
        }
        Ok(SessionEndReason::Unspecified) | Err(_) => "no reason given",
    };
    format!("{why} ({})", end_reason_name(raw))
}

/// Whether a session that ended for this reason ended normally: one of its two
/// parties (engineer or customer's agent) chose to end it. Everything else (revoked or
/// expired consent, a recording failure, a closed case, a shutdown, a revoked
/// credential, a lost participant) cut it short, and the command exits 1.
pub fn ended_normally(raw: i32) -> bool {
    matches!(
        SessionEndReason::try_from(raw),
        Ok(SessionEndReason::EngineerEnded | SessionEndReason::AgentEnded)
    )
}

/// One line describing the join, for stderr: role, scopes, recording, expiry.
pub fn joined_text(joined: &Joined) -> String {
    let scopes = scope::names(&joined.scopes);
    let scopes = if scopes.is_empty() {
        "none".to_owned()
    } else {
        scopes.join(",")
    };
    let expires = rfc3339(joined.consent_expires_at.as_ref()).unwrap_or_else(|| "-".to_owned());
    let recording = match (joined.recording, joined.recording_id.as_str()) {
        (_, "") if joined.recording => "this session is recorded".to_owned(),
        (_, "") => "the gateway did not confirm that it records this session".to_owned(),
        (_, id) => format!("this session is recorded (recording {id})"),
    };
    format!(
        "joined session {} as {}; consent: {scopes} until {expires}; {recording}",
        joined.session_id,
        role_name(joined.role)
    )
}

/// Who is in the session, learnt from Presence frames, so that chat can name its
/// sender.
#[derive(Debug, Default)]
pub struct Roster {
    names: HashMap<String, String>,
}

impl Roster {
    /// Records a Presence frame and returns the line to show for it.
    pub fn presence(&mut self, presence: &Presence) -> String {
        let name = display_name(&presence.subject_name, &presence.subject_id);
        let role = role_name(presence.role);
        if presence.joined {
            self.names
                .insert(presence.participant_id.clone(), name.clone());
            match ParticipantRole::try_from(presence.role) {
                Ok(ParticipantRole::Agent) => {
                    format!("{name} ({role}) joined: the shared shell is connected")
                }
                Ok(ParticipantRole::Observer) => format!("{name} ({role}) is watching, read-only"),
                _ => format!("{name} ({role}) is watching"),
            }
        } else {
            self.names.remove(&presence.participant_id);
            format!("{name} ({role}) left")
        }
    }

    /// The line to show for a chat message: `[chat] eve (engineer): text`, the text
    /// flattened to one line without control characters.
    pub fn chat(&self, chat: &Chat) -> String {
        let name = self
            .names
            .get(&chat.from_participant_id)
            .cloned()
            .unwrap_or_else(|| display_name("", &chat.from_subject_id));
        format!(
            "[chat] {name} ({}): {}",
            role_name(chat.from_role),
            one_line(&chat.text)
        )
    }
}

fn display_name(name: &str, subject_id: &str) -> String {
    let name = one_line(name);
    if !name.is_empty() {
        name
    } else if !subject_id.is_empty() {
        one_line(subject_id)
    } else {
        "someone".to_owned()
    }
}

/// Human notes on stderr while a session runs. In raw mode a line feed does not
/// return the carriage, so each note starts on a fresh line and ends with CR LF.
#[derive(Debug, Clone, Copy)]
pub struct Console {
    /// The terminal is in raw mode.
    pub raw: bool,
}

impl Console {
    /// Prints `[supportgate] text` on stderr.
    pub fn note(&self, text: &str) {
        self.line(&format!("[supportgate] {}", one_line(text)));
    }

    /// Starts a fresh line on a terminal's stderr, where the session's last output may
    /// have left the cursor mid-line (a shell prompt): the end of a session must not be
    /// glued to it. Raw-mode notes start fresh lines by themselves; pipes need none.
    pub fn fresh_line(&self) {
        use std::io::IsTerminal;
        let mut err = std::io::stderr().lock();
        if !self.raw && err.is_terminal() {
            let _ = write!(err, "\r\n");
            let _ = err.flush();
        }
    }

    /// Prints `text` as it is (already one clean line) on stderr.
    pub fn line(&self, text: &str) {
        let mut err = std::io::stderr().lock();
        let _ = if self.raw {
            write!(err, "\r\n{text}\r\n")
        } else {
            writeln!(err, "{text}")
        };
        let _ = err.flush();
    }
}
