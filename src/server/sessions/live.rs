//! One live session on this gateway: who is connected, its recorder, the relay between
//! participants, and the end (End frames first, then the recording and the store).

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, Utc};
use supportgate_service::{Caller, JoinGrant, ParticipantKind, Services};
use supportgate_store::{EndReason, SessionRecord};
use supportgate_types::RecordingId;
use tokio::sync::{mpsc, Notify};
use tokio_util::sync::CancellationToken;

use super::end::{Ejected, Ejection, EndSignal};
use super::outbound::Outbound;
use super::recorder::Recorder;
use super::RelaySettings;
use crate::proto::{self, frame::Kind, FrameDirection};

/// Participants one session holds at most (agent, engineer and observers).
pub const MAX_PARTICIPANTS: usize = 10;

/// One connected participant, as the relay reaches it.
#[derive(Clone, Debug)]
pub struct Member {
    /// `agent-1`, `engineer-2`, `observer-3`: unique within the session.
    pub id: Arc<str>,
    /// As what it takes part.
    pub kind: ParticipantKind,
    /// Who it is.
    pub caller: Caller,
    /// Display name, for presence.
    pub name: Arc<str>,
    /// Frames to it.
    pub outbound: mpsc::Sender<Outbound>,
    /// Removes it while the session goes on.
    pub ejection: Ejection,
}

/// A participant attached.
#[derive(Debug)]
pub struct Attached {
    /// It, as the relay reaches it.
    pub member: Member,
    /// It completed the pair: the caller starts the session ([`LiveSession::activate`]).
    pub pairs: bool,
    /// The recording it joined, when the session was already running.
    pub recording: Option<RecordingId>,
}

/// Why a participant may not attach.
#[derive(Debug)]
pub enum AttachError {
    /// The role is taken (one agent and one engineer per session).
    Taken(ParticipantKind),
    /// The session holds [`MAX_PARTICIPANTS`] already.
    Full,
    /// The session is ending or was torn down.
    Closed,
}

#[derive(Debug, Default)]
struct Roster {
    joined: u64,
    /// Shared with the relay, which takes it for each frame without copying it;
    /// attaching and leaving copy it instead (rare).
    members: Arc<Vec<Member>>,
    activating: bool,
    recording: Option<RecordingId>,
    closed: bool,
}

/// Where a frame goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// To the engineer and observers.
    Viewers,
    /// To the agent.
    Agent,
    /// To everyone but the sender.
    Others,
}

impl Route {
    /// Whether a frame from `from` along this route goes to `member`.
    fn reaches(self, member: &Member, from: &Member) -> bool {
        member.id != from.id
            && match self {
                Route::Viewers => member.kind != ParticipantKind::Agent,
                Route::Agent => member.kind == ParticipantKind::Agent,
                Route::Others => true,
            }
    }
}

/// A session with at least one participant connected here.
#[derive(Debug)]
pub struct LiveSession {
    record: SessionRecord,
    control: bool,
    expires_at: DateTime<Utc>,
    services: Services,
    settings: RelaySettings,
    /// Ends the session (first reason wins).
    pub end: EndSignal,
    /// Cancelled once agent and engineer are paired and the recording runs.
    pub started: CancellationToken,
    /// Woken when the last participant leaves a session that never started.
    pub vacated: Notify,
    roster: Mutex<Roster>,
    /// Set once, when the session starts; it refuses frames once the session ends.
    recorder: OnceLock<Recorder>,
}

fn frame(kind: Kind) -> proto::Frame {
    proto::Frame { kind: Some(kind) }
}

/// The wire role of a participant kind.
pub fn role(kind: ParticipantKind) -> proto::ParticipantRole {
    match kind {
        ParticipantKind::Agent => proto::ParticipantRole::Agent,
        ParticipantKind::Engineer => proto::ParticipantRole::Engineer,
        ParticipantKind::Observer => proto::ParticipantRole::Observer,
    }
}

/// The wire value of an end reason.
pub fn end_reason(reason: EndReason) -> proto::SessionEndReason {
    use proto::SessionEndReason as R;
    match reason {
        EndReason::EngineerEnded => R::EngineerEnded,
        EndReason::AgentEnded => R::AgentEnded,
        EndReason::ConsentRevoked => R::ConsentRevoked,
        EndReason::ConsentExpired => R::ConsentExpired,
        EndReason::RecordingFailed => R::RecordingFailed,
        EndReason::CaseClosed => R::CaseClosed,
        EndReason::Shutdown => R::Shutdown,
        EndReason::CredentialRevoked => R::CredentialRevoked,
        EndReason::Disconnected => R::Disconnected,
    }
}

fn presence(member: &Member, joined: bool) -> proto::Frame {
    frame(Kind::Presence(proto::Presence {
        participant_id: member.id.to_string(),
        subject_id: member.caller.principal.subject.to_string(),
        subject_name: member.name.to_string(),
        role: role(member.kind) as i32,
        joined,
    }))
}

impl LiveSession {
    /// A live session for a granted join; nobody attached yet.
    pub fn new(grant: &JoinGrant, services: Services, settings: RelaySettings) -> LiveSession {
        LiveSession {
            record: grant.session.clone(),
            control: grant.control,
            expires_at: grant.expires_at,
            services,
            settings,
            end: EndSignal::default(),
            started: CancellationToken::new(),
            vacated: Notify::new(),
            roster: Mutex::new(Roster::default()),
            recorder: OnceLock::new(),
        }
    }

    /// The session as it was when it went live here.
    pub fn record(&self) -> &SessionRecord {
        &self.record
    }

    /// When its consent expires.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.expires_at
    }

    /// Whether the engineer's input may pass.
    pub fn control(&self) -> bool {
        self.control
    }

    /// The use cases.
    pub fn services(&self) -> &Services {
        &self.services
    }

    /// The relay's settings.
    pub fn settings(&self) -> &RelaySettings {
        &self.settings
    }

    /// Whether this relay runs without a recording (benchmark builds only).
    fn unrecorded(&self) -> bool {
        #[cfg(feature = "bench-unrecorded")]
        return self.settings.unrecorded;
        #[cfg(not(feature = "bench-unrecorded"))]
        false
    }

    fn roster(&self) -> MutexGuard<'_, Roster> {
        // A panic while holding the lock leaves plain data behind; keep serving.
        self.roster
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a participant and queues its Joined frame and the presence of everyone
    /// already here.
    pub fn attach(
        &self,
        kind: ParticipantKind,
        caller: Caller,
        name: &str,
        outbound: mpsc::Sender<Outbound>,
    ) -> Result<Attached, AttachError> {
        let mut roster = self.roster();
        if roster.closed || self.end.is_ended() {
            return Err(AttachError::Closed);
        }
        if kind != ParticipantKind::Observer && roster.members.iter().any(|m| m.kind == kind) {
            return Err(AttachError::Taken(kind));
        }
        if roster.members.len() >= MAX_PARTICIPANTS {
            return Err(AttachError::Full);
        }
        roster.joined += 1;
        let member = Member {
            id: format!("{}-{}", kind.as_str(), roster.joined).into(),
            kind,
            caller,
            name: name.into(),
            outbound,
            ejection: Ejection::default(),
        };
        let joined = proto::Joined {
            session_id: self.record.id.to_string(),
            participant_id: member.id.to_string(),
            role: role(kind) as i32,
            recording: true,
            scopes: super::scopes(&self.record.consent_scopes),
            consent_expires_at: Some(super::super::convert::timestamp(self.expires_at)),
            recording_id: roster.recording.map(|r| r.to_string()).unwrap_or_default(),
        };
        // The queue is new and larger than MAX_PARTICIPANTS + 1: these cannot fail.
        let _ = member.outbound.try_send(frame(Kind::Joined(joined)).into());
        for other in roster.members.iter() {
            let _ = member.outbound.try_send(presence(other, true).into());
        }
        Arc::make_mut(&mut roster.members).push(member.clone());
        let has = |k| roster.members.iter().any(|m| m.kind == k);
        let pairs = !roster.activating
            && roster.recording.is_none()
            && has(ParticipantKind::Agent)
            && has(ParticipantKind::Engineer);
        if pairs {
            roster.activating = true;
        }
        Ok(Attached {
            member,
            pairs,
            recording: roster.recording,
        })
    }

    /// Pairs the session: it becomes active, its recording starts with the presence
    /// of everyone here, and participants start being read.
    pub async fn activate(&self) {
        if self.unrecorded() {
            self.started.cancel();
            return;
        }
        let (record, writer) = match self.services.session_activate(&self.record).await {
            Ok(started) => started,
            Err(error) => {
                let reason = match self.services.session_end_due(&self.record).await {
                    Ok(Some(reason)) => reason,
                    _ => {
                        tracing::error!(session = %self.record.id, error = %crate::error_chain(&error),
                            "the session's recording could not be started: ending it (fail-closed)");
                        EndReason::RecordingFailed
                    }
                };
                self.end.end(reason);
                return;
            }
        };
        let recorder = Recorder::spawn(
            writer,
            self.services.clone(),
            self.settings.flush_interval,
            self.end.clone(),
        );
        let recording = recorder.id();
        // Under the roster's lock, so that whoever joins or leaves meanwhile is
        // recorded after the presence of everyone here.
        let (members, recorded) = {
            let mut roster = self.roster();
            if roster.closed {
                // Ended meanwhile: `finish` ran without a recorder to complete.
                recorder.abandon();
                return;
            }
            roster.recording = Some(recording);
            let recorded = roster
                .members
                .iter()
                .all(|member| recorder.record_start(&presence(member, true)).is_ok());
            let _ = self.recorder.set(recorder);
            (roster.members.clone(), recorded)
        };
        if !recorded {
            self.end.end(EndReason::RecordingFailed);
            return;
        }
        let now = self.services.now();
        for member in members.iter() {
            let noted = self
                .services
                .recording_participant_joined(
                    self.record.tenant,
                    recording,
                    &member.id,
                    member.caller.principal.subject,
                    member.kind,
                    now,
                )
                .await;
            if noted.is_err() {
                self.end.end(EndReason::RecordingFailed);
                return;
            }
        }
        tracing::info!(session = %record.id, recording = %recording, "session paired and recording");
        self.started.cancel();
    }

    /// Tells the others a participant joined (recorded once the session runs) and
    /// notes it among the recording's participants.
    pub async fn announce(
        &self,
        member: &Member,
        recording: Option<RecordingId>,
    ) -> Result<(), ()> {
        if let Some(recording) = recording {
            self.services
                .recording_participant_joined(
                    self.record.tenant,
                    recording,
                    &member.id,
                    member.caller.principal.subject,
                    member.kind,
                    self.services.now(),
                )
                .await
                .map_err(|_| self.end.end(EndReason::RecordingFailed))?;
        }
        self.broadcast(member, presence(member, true)).await;
        Ok(())
    }

    /// A participant left (or was dropped). Ends a running session when it was the
    /// agent or the engineer; tells the others otherwise.
    pub async fn leave(&self, member: &Member) {
        let (recording, empty) = {
            let mut roster = self.roster();
            let before = roster.members.len();
            Arc::make_mut(&mut roster.members).retain(|m| m.id != member.id);
            if roster.members.len() == before {
                return;
            }
            (roster.recording, roster.members.is_empty())
        };
        let started = self.started.is_cancelled();
        if started && member.kind != ParticipantKind::Observer {
            self.end.end(EndReason::Disconnected);
            return;
        }
        if let Some(recording) = recording {
            if let Err(error) = self
                .services
                .recording_participant_left(self.record.tenant, recording, &member.id)
                .await
            {
                tracing::warn!(session = %self.record.id, error = %crate::error_chain(&error), "could not note a participant leaving");
            }
        }
        self.broadcast(member, presence(member, false)).await;
        if empty && !started {
            self.vacated.notify_one();
        }
    }

    /// A gateway frame about `about` to everyone else, recorded once the session runs.
    async fn broadcast(&self, about: &Member, frame: proto::Frame) {
        if let Some(recorder) = self.recorder.get() {
            if recorder
                .record(FrameDirection::Broadcast, "", &frame)
                .await
                .is_err()
            {
                return;
            }
        }
        self.deliver_all(about, Route::Others, frame).await;
    }

    /// Records `frame` from `from`, then relays it along `route`. `Err` when it could
    /// not be recorded (the session is then ending and nothing was relayed).
    pub async fn relay(
        &self,
        from: &Member,
        direction: FrameDirection,
        route: Route,
        frame: proto::Frame,
    ) -> Result<(), ()> {
        if !self.unrecorded() {
            let Some(recorder) = self.recorder.get() else {
                return Err(());
            };
            recorder
                .record(direction, &from.id, &frame)
                .await
                .map_err(|_| ())?;
        }
        self.deliver_all(from, route, frame).await;
        Ok(())
    }

    /// Hands `frame` to everyone `route` names besides `from`.
    async fn deliver_all(&self, from: &Member, route: Route, frame: proto::Frame) {
        let members = self.roster().members.clone();
        // Each target but the last gets a copy; the last takes the frame itself.
        let mut previous: Option<&Member> = None;
        for member in members.iter() {
            if !route.reaches(member, from) {
                continue;
            }
            if let Some(target) = previous.replace(member) {
                self.deliver(target, frame.clone()).await;
            }
        }
        if let Some(target) = previous {
            self.deliver(target, frame).await;
        }
    }

    /// Hands `frame` to `target`. An observer that is not keeping up is dropped at
    /// once; the agent or engineer gets [`RelaySettings::peer_timeout`] before the
    /// session ends (`DISCONNECTED`): memory stays bounded either way.
    async fn deliver(&self, target: &Member, frame: proto::Frame) {
        let frame = match target.outbound.try_send(frame.into()) {
            Err(mpsc::error::TrySendError::Full(frame)) => frame,
            // Queued, or the participant is gone (its stream ends on its own).
            _ => return,
        };
        if target.kind == ParticipantKind::Observer {
            target.ejection.eject(Ejected::NotReading);
            return;
        }
        // Boxed: only a full queue gets here, and the wait's state would otherwise be
        // part of every participant's task for the whole session.
        let sent = Box::pin(tokio::time::timeout(
            self.settings.peer_timeout,
            target.outbound.send(frame),
        ))
        .await;
        if sent.is_err() {
            tracing::info!(session = %self.record.id, participant = %target.id,
                "participant stopped reading its frames: ending the session");
            target.ejection.eject(Ejected::NotReading);
            self.end.end(EndReason::Disconnected);
        }
    }

    /// If nobody is here and the session never started, closes it to new attaches and
    /// returns `true` (the hub then forgets it; the session stays ready in the store).
    pub fn close_if_vacant(&self) -> bool {
        let mut roster = self.roster();
        if roster.members.is_empty() && !self.started.is_cancelled() && !roster.activating {
            roster.closed = true;
            return true;
        }
        false
    }

    /// Ends the session for the reason it was given: End frames to everyone first
    /// (they stop within moments), then the recording is completed and the session's
    /// end stored and logged, then the streams close.
    pub async fn finish(&self) {
        let reason = self.end.reason().unwrap_or(EndReason::Disconnected);
        let (members, recording) = {
            let mut roster = self.roster();
            roster.closed = true;
            (std::mem::take(&mut roster.members), roster.recording)
        };
        let end = frame(Kind::End(proto::End {
            reason: end_reason(reason) as i32,
        }));
        for member in members.iter() {
            let _ = member.outbound.try_send(end.clone().into());
        }
        if let Some(recorder) = self.recorder.get() {
            if reason == EndReason::RecordingFailed {
                recorder.abandon();
            } else if !recorder.finish(&end).await {
                tracing::error!(session = %self.record.id, "the recording could not be completed");
            }
        }
        if let Some(recording) = recording {
            for member in members.iter() {
                if let Err(error) = self
                    .services
                    .recording_participant_left(self.record.tenant, recording, &member.id)
                    .await
                {
                    tracing::warn!(session = %self.record.id, error = %crate::error_chain(&error), "could not note a participant leaving");
                }
            }
        }
        let started = self.started.is_cancelled();
        let stays_ready =
            !started && matches!(reason, EndReason::Shutdown | EndReason::Disconnected);
        if !stays_ready {
            if let Err(error) = self.services.session_finish(&self.record, reason).await {
                tracing::error!(session = %self.record.id, error = %crate::error_chain(&error),
                    "could not store the end of the session");
            }
        }
        tracing::info!(session = %self.record.id, reason = reason.as_str(), "session ended");
    }

    /// Everyone connected, for the supervisor's credential checks.
    pub fn members(&self) -> Arc<Vec<Member>> {
        self.roster().members.clone()
    }
}
