//! One participant's `ConnectSession` stream: the Join, then its frames checked
//! against its role and the consent before they are recorded and relayed.
//!
//! A participant's frames are not read until the session is paired: what an agent
//! sends early waits in its stream (HTTP/2 flow control holds it back), so nothing is
//! lost and nothing is relayed unrecorded.

use futures::StreamExt;
use supportgate_service::ParticipantKind;
use supportgate_store::EndReason;
use supportgate_types::SessionId;
use tokio::sync::{mpsc, oneshot};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Code, Request, Status, Streaming};

use super::super::convert::{id, purpose};
use super::super::gate::Edge;
use super::super::pending::ServerStream;
use super::super::status::{stream_error, to_status, with_reason};
use super::end::Ejected;
use super::live::{AttachError, LiveSession, Member, Route};
use crate::proto::{self, frame::Kind, FrameDirection};

/// Largest Output or Input payload.
pub const MAX_FRAME_DATA: usize = 64 * 1024;
/// Largest chat text, in bytes.
pub const MAX_CHAT_BYTES: usize = 4 * 1024;
/// Largest terminal dimension, in cells.
const MAX_CELLS: u32 = 10_000;
/// Frames queued towards one participant.
const OUTBOUND: usize = 32;

const PATH: &str = "/supportgate.v1.SessionService/ConnectSession";

fn invalid(reason: &str, message: impl Into<String>) -> Status {
    with_reason(Code::InvalidArgument, reason, message)
}

fn too_large(what: &str, len: usize, max: usize) -> Status {
    with_reason(
        Code::ResourceExhausted,
        "FRAME_TOO_LARGE",
        format!(
            "{what} of {len} bytes is over the limit of {max} bytes; send it in smaller frames"
        ),
    )
}

fn kind_of(role: i32) -> Result<ParticipantKind, Status> {
    match proto::ParticipantRole::try_from(role) {
        Ok(proto::ParticipantRole::Agent) => Ok(ParticipantKind::Agent),
        Ok(proto::ParticipantRole::Engineer) => Ok(ParticipantKind::Engineer),
        Ok(proto::ParticipantRole::Observer) => Ok(ParticipantKind::Observer),
        _ => Err(invalid(
            "INVALID_ROLE",
            "Join.role must be AGENT, ENGINEER or OBSERVER",
        )),
    }
}

fn attach_status(error: AttachError) -> Status {
    match error {
        AttachError::Taken(kind) => with_reason(
            Code::AlreadyExists,
            "PARTICIPANT_ALREADY_CONNECTED",
            format!("an {} is already connected to this session", kind.as_str()),
        ),
        AttachError::Full => with_reason(
            Code::ResourceExhausted,
            "SESSION_FULL",
            format!(
                "the session already has {} participants",
                super::live::MAX_PARTICIPANTS
            ),
        ),
        AttachError::Closed => with_reason(
            Code::FailedPrecondition,
            "SESSION_NOT_JOINABLE",
            "the session is ending",
        ),
    }
}

/// Accepts a `ConnectSession` stream: authenticates, reads the Join, decides it
/// (logged), attaches the participant and starts relaying.
pub async fn connect(
    edge: &Edge,
    request: Request<Streaming<proto::Frame>>,
) -> Result<ServerStream<proto::Frame>, Status> {
    let caller = edge.caller(&request, PATH).await?;
    let request_id = caller.request_id;
    let mut inbound = request.into_inner();
    let wait = edge.limits.sessions.join_timeout;
    let first = tokio::time::timeout(wait, inbound.message())
        .await
        .map_err(|_| {
            with_reason(
                Code::DeadlineExceeded,
                "JOIN_TIMEOUT",
                format!(
                    "send a Join frame within {} s of opening the stream",
                    wait.as_secs()
                ),
            )
        })?
        .map_err(stream_error)?;
    let Some(Kind::Join(join)) = first.and_then(|f| f.kind) else {
        return Err(invalid(
            "JOIN_REQUIRED",
            "the first frame of the stream must be a Join",
        ));
    };
    let session = id("session_id", &join.session_id, SessionId::parse)?;
    let kind = kind_of(join.role)?;
    let grant = edge
        .services
        .session_join(&caller, session, kind, purpose(join.purpose))
        .await
        .map_err(|e| to_status(e, request_id))?;
    let (outbound, frames) = mpsc::channel(OUTBOUND);
    let (live, attached) = edge
        .sessions
        .attach(&grant, kind, caller, outbound)
        .map_err(attach_status)?;
    let (closing, closed) = oneshot::channel::<Status>();
    // The task lives as long as the participant, mostly idle in `participate`: the
    // steps that wait on the store are boxed, so that their futures take memory only
    // while they run, not for the whole session.
    tokio::spawn(async move {
        let me = attached.member;
        let announced = Box::pin(live.announce(&me, attached.recording)).await;
        if attached.pairs {
            Box::pin(live.activate()).await;
        }
        let outcome = if announced.is_ok() {
            participate(&live, &me, &mut inbound).await
        } else {
            Outcome::Ended
        };
        match outcome {
            Outcome::Ended => {}
            Outcome::Left => Box::pin(live.leave(&me)).await,
            Outcome::Refused(status) => {
                Box::pin(live.leave(&me)).await;
                let _ = closing.send(status);
            }
        }
    });
    let last = futures::stream::once(closed).filter_map(|r| std::future::ready(r.ok().map(Err)));
    let frames = ReceiverStream::new(frames).map(|frame| Ok(frame.into()));
    Ok(Box::pin(frames.chain(last)))
}

/// How a participant's stream ended.
enum Outcome {
    /// The session ended; the End frame is on its way to everyone.
    Ended,
    /// The participant went away (or, an observer, sent End).
    Left,
    /// The gateway ended its stream with this status.
    Refused(Status),
}

/// What to do after a frame.
enum Step {
    Continue,
    Leave,
    Ended,
}

/// What a frame asks for, once checked.
///
/// ## Why checking is apart from acting
/// The participant's task waits on one frame's action at a time for the whole
/// session; keeping the checks synchronous keeps that task small (its future holds
/// only the relay's state, not every branch's).
enum Action {
    /// Record it, then relay it.
    Relay(FrameDirection, Route, Kind),
    /// Input the consent does not allow: logged as denied, then refused.
    Refuse(&'static str),
    /// Dropped silently.
    Drop,
    /// An observer leaves.
    Leave,
    /// The agent or engineer ends the session.
    End(EndReason),
}

async fn participate(
    live: &LiveSession,
    me: &Member,
    inbound: &mut Streaming<proto::Frame>,
) -> Outcome {
    // Waited on for every frame: made once, not once per frame.
    let mut ended = std::pin::pin!(live.end.ended());
    let mut ejected_now = std::pin::pin!(me.ejection.ejected());
    let mut left = std::pin::pin!(me.outbound.closed());
    let mut running = std::pin::pin!(live.started.cancelled());
    let mut started = false;
    let mut reading = true;
    loop {
        let frame = tokio::select! {
            biased;
            () = &mut ended => return Outcome::Ended,
            () = &mut ejected_now => return Outcome::Refused(ejected(me.ejection.why(), live)),
            () = &mut left => return Outcome::Left,
            () = &mut running, if !started => {
                started = true;
                continue;
            }
            message = inbound.message(), if started && reading => match message {
                Ok(Some(frame)) => frame,
                // Half-closed: it sends no more but still watches.
                Ok(None) => {
                    reading = false;
                    continue;
                }
                Err(status) => return Outcome::Refused(stream_error(status)),
            },
        };
        let action = match check(live, me, frame) {
            Ok(action) => action,
            Err(status) => return Outcome::Refused(status),
        };
        let step = tokio::select! {
            biased;
            () = &mut ended => return Outcome::Ended,
            step = act(live, me, action) => step,
        };
        match step {
            Ok(Step::Continue) => {}
            Ok(Step::Leave) => return Outcome::Left,
            Ok(Step::Ended) => return Outcome::Ended,
            Err(status) => return Outcome::Refused(status),
        }
    }
}

fn ejected(why: Option<Ejected>, live: &LiveSession) -> Status {
    match why {
        Some(Ejected::CredentialRevoked) => with_reason(
            Code::Unauthenticated,
            "CREDENTIAL_REVOKED",
            "your credential was revoked while you were connected",
        ),
        _ => with_reason(
            Code::ResourceExhausted,
            "PARTICIPANT_NOT_READING",
            format!(
                "frames to this participant were not read (waited up to {} s); the relay does not buffer without limit",
                live.settings().peer_timeout.as_secs()
            ),
        ),
    }
}

/// Carries out what [`check`] decided.
async fn act(live: &LiveSession, me: &Member, action: Action) -> Result<Step, Status> {
    match action {
        Action::Relay(direction, route, kind) => {
            let frame = proto::Frame { kind: Some(kind) };
            match live.relay(me, direction, route, frame).await {
                Ok(()) => Ok(Step::Continue),
                // Not recorded, so not relayed: the session is ending.
                Err(()) => Ok(Step::Ended),
            }
        }
        // Boxed: the log write's future would otherwise be part of every frame's.
        Action::Refuse(reason) => Err(Box::pin(refuse(live, me, reason)).await),
        Action::Drop => Ok(Step::Continue),
        Action::Leave => Ok(Step::Leave),
        Action::End(reason) => {
            live.end.end(reason);
            Ok(Step::Ended)
        }
    }
}

/// Checks one frame against the sender's role and the consent.
fn check(live: &LiveSession, me: &Member, frame: proto::Frame) -> Result<Action, Status> {
    let Some(kind) = frame.kind else {
        return Err(invalid(
            "EMPTY_FRAME",
            "the frame carries nothing: set output, input, resize, chat or end",
        ));
    };
    match kind {
        Kind::Join(_) => Err(invalid(
            "ALREADY_JOINED",
            "Join is only the first frame of the stream",
        )),
        Kind::Joined(_) | Kind::Presence(_) => Err(invalid(
            "GATEWAY_FRAME",
            "Joined and Presence frames are sent by the gateway only",
        )),
        Kind::Output(output) => {
            if me.kind != ParticipantKind::Agent {
                return Err(invalid(
                    "OUTPUT_FROM_AGENT_ONLY",
                    "only the agent sends Output",
                ));
            }
            if output.data.len() > MAX_FRAME_DATA {
                return Err(too_large("Output", output.data.len(), MAX_FRAME_DATA));
            }
            Ok(Action::Relay(
                FrameDirection::AgentToViewers,
                Route::Viewers,
                Kind::Output(output),
            ))
        }
        Kind::Input(input) => {
            match me.kind {
                ParticipantKind::Agent => {
                    return Err(invalid(
                        "INPUT_FROM_ENGINEER_ONLY",
                        "only the engineer sends Input",
                    ))
                }
                ParticipantKind::Observer => return Ok(Action::Refuse("OBSERVER_READ_ONLY")),
                ParticipantKind::Engineer if !live.control() => {
                    return Ok(Action::Refuse("CONTROL_NOT_CONSENTED"))
                }
                ParticipantKind::Engineer => {}
            }
            if input.data.len() > MAX_FRAME_DATA {
                return Err(too_large("Input", input.data.len(), MAX_FRAME_DATA));
            }
            Ok(Action::Relay(
                FrameDirection::EngineerToAgent,
                Route::Agent,
                Kind::Input(input),
            ))
        }
        Kind::Resize(size) => {
            if !(1..=MAX_CELLS).contains(&size.cols) || !(1..=MAX_CELLS).contains(&size.rows) {
                return Err(invalid(
                    "INVALID_SIZE",
                    format!("a terminal is 1 to {MAX_CELLS} cells wide and high"),
                ));
            }
            match me.kind {
                ParticipantKind::Agent => Ok(Action::Relay(
                    FrameDirection::AgentToViewers,
                    Route::Viewers,
                    Kind::Resize(size),
                )),
                ParticipantKind::Engineer if live.control() => Ok(Action::Relay(
                    FrameDirection::EngineerToAgent,
                    Route::Agent,
                    Kind::Resize(size),
                )),
                // A wish about the customer's terminal that only CONTROL may act on:
                // without it, the engineer's window size stays the engineer's.
                ParticipantKind::Engineer => Ok(Action::Drop),
                ParticipantKind::Observer => Ok(Action::Refuse("OBSERVER_READ_ONLY")),
            }
        }
        Kind::Chat(mut chat) => {
            if chat.text.len() > MAX_CHAT_BYTES {
                return Err(too_large("a chat message", chat.text.len(), MAX_CHAT_BYTES));
            }
            if chat.text.is_empty() {
                return Err(invalid("EMPTY_CHAT", "a chat message needs text"));
            }
            chat.from_participant_id = me.id.to_string();
            chat.from_role = super::live::role(me.kind) as i32;
            chat.from_subject_id = me.caller.principal.subject.to_string();
            Ok(Action::Relay(
                FrameDirection::Broadcast,
                Route::Others,
                Kind::Chat(chat),
            ))
        }
        Kind::End(_) => match me.kind {
            ParticipantKind::Agent => Ok(Action::End(EndReason::AgentEnded)),
            ParticipantKind::Engineer => Ok(Action::End(EndReason::EngineerEnded)),
            ParticipantKind::Observer => Ok(Action::Leave),
        },
    }
}

/// Input the consent does not allow: logged as denied, refused, never relayed.
async fn refuse(live: &LiveSession, me: &Member, reason: &'static str) -> Status {
    if let Err(error) = live
        .services()
        .session_input_refused(&me.caller, live.record(), reason)
        .await
    {
        tracing::error!(error = %crate::error_chain(&error), "could not log refused session input");
    }
    let message = match reason {
        "OBSERVER_READ_ONLY" => "observers watch read-only: input and resize are refused",
        _ => "the customer did not consent to control: input is refused and was not relayed",
    };
    with_reason(Code::PermissionDenied, reason, message)
}
