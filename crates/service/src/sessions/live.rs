//! What the live relay asks of the use cases: starting a paired session with its
//! recording, noting who took part, and re-checking that a running session may go on.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_store::{
    CaseState, EndReason, LiveChanges, ParticipantRecord, RecordingKind, SessionRecord,
    SessionState,
};
use supportgate_types::{DataClass, RecordingId, SubjectId, TenantId};

use super::join::ParticipantKind;
use crate::context::Event;
use crate::recordings::RecordingWriter;
use crate::{ServiceError, Services};

impl ParticipantKind {
    /// The stored name of the role.
    pub fn as_str(self) -> &'static str {
        match self {
            ParticipantKind::Agent => "agent",
            ParticipantKind::Engineer => "engineer",
            ParticipantKind::Observer => "observer",
        }
    }
}

impl Services {
    /// Agent and engineer are paired: the session becomes active with a new recording.
    /// Fails (and leaves no recording behind) when the session stopped being ready
    /// meanwhile, e.g. because consent was revoked.
    pub async fn session_activate(
        &self,
        session: &SessionRecord,
    ) -> Result<(SessionRecord, RecordingWriter), ServiceError> {
        let writer = self
            .recording_start(session, RecordingKind::Terminal)
            .await?;
        let started = self
            .inner
            .main
            .session_start(session.tenant, session.id, self.now(), writer.id())
            .await;
        if !matches!(started, Ok(true)) {
            let object = writer.id().to_string();
            let main = &self.inner.main;
            main.object_key_delete(session.tenant, &object).await?;
            main.recording_abandon_unstarted(session.tenant, writer.id())
                .await?;
            let blob = supportgate_store::BlobKey::recording(session.tenant, &object)
                .map_err(ServiceError::internal)?;
            self.inner
                .blobs
                .delete(&blob)
                .await
                .map_err(ServiceError::internal)?;
            started?;
            return Err(ServiceError::FailedPrecondition {
                reason: "SESSION_NOT_JOINABLE",
                message: "the session ended before it could start".into(),
            });
        }
        self.log_system(Event {
            action: "session.start",
            data_class: DataClass::Metadata,
            tenant: Some(session.tenant),
            resource_id: Some(session.id.to_string()),
            case_id: Some(session.case),
            decision: Decision::Allowed,
            reason: "PAIRED",
        })
        .await?;
        let record = self
            .inner
            .main
            .session_get(session.tenant, session.id)
            .await?;
        Ok((record, writer))
    }

    /// Notes that `subject` joined the recorded session as `kind` (participant
    /// `participant`), so the recording says who watched.
    pub async fn recording_participant_joined(
        &self,
        tenant: TenantId,
        recording: RecordingId,
        participant: &str,
        subject: SubjectId,
        kind: ParticipantKind,
        at: DateTime<Utc>,
    ) -> Result<(), ServiceError> {
        let record = ParticipantRecord {
            participant: participant.to_owned(),
            subject,
            role: kind.as_str().into(),
            joined_at: at,
            left_at: None,
        };
        Ok(self
            .inner
            .main
            .recording_participant_join(tenant, recording, &record)
            .await?)
    }

    /// Notes that a participant left the recorded session.
    pub async fn recording_participant_left(
        &self,
        tenant: TenantId,
        recording: RecordingId,
        participant: &str,
    ) -> Result<(), ServiceError> {
        Ok(self
            .inner
            .main
            .recording_participant_leave(tenant, recording, participant, self.now())
            .await?)
    }

    /// Why a running session must end now, if it must: consent revoked or ended
    /// elsewhere (another gateway instance), consent expired, case closed. The relay
    /// asks this periodically, so a decision taken on another instance still ends it.
    pub async fn session_end_due(
        &self,
        session: &SessionRecord,
    ) -> Result<Option<EndReason>, ServiceError> {
        let current = self
            .inner
            .main
            .session_get(session.tenant, session.id)
            .await?;
        if current.revoked_at.is_some() {
            return Ok(Some(EndReason::ConsentRevoked));
        }
        if matches!(current.state, SessionState::Ended | SessionState::Declined) {
            return Ok(Some(
                current.end_reason.unwrap_or(EndReason::ConsentRevoked),
            ));
        }
        if current.consent_expires_at.is_none_or(|at| at <= self.now()) {
            return Ok(Some(EndReason::ConsentExpired));
        }
        let case = self
            .inner
            .main
            .case_meta_get(session.tenant, session.case)
            .await?;
        if case.state != CaseState::Open {
            return Ok(Some(EndReason::CaseClosed));
        }
        Ok(None)
    }

    /// What ended live sessions at or after `since`: sessions ended or revoked (on
    /// any instance), cases closed, credentials revoked. The relay polls this once per
    /// check interval for all its sessions together.
    pub async fn live_changes_since(
        &self,
        since: DateTime<Utc>,
    ) -> Result<LiveChanges, ServiceError> {
        Ok(self.inner.main.live_changes_since(since).await?)
    }
}

impl Services {
    /// Logs input refused by the relay (`CONTROL_NOT_CONSENTED` for an engineer
    /// without CONTROL consent, `OBSERVER_READ_ONLY` for an observer): an attempt to act
    /// on the customer's machine that the customer did not allow.
    pub async fn session_input_refused(
        &self,
        caller: &crate::Caller,
        session: &SessionRecord,
        reason: &'static str,
    ) -> Result<(), ServiceError> {
        let event = Event {
            action: "session.input",
            data_class: DataClass::Customer,
            tenant: Some(session.tenant),
            resource_id: Some(session.id.to_string()),
            case_id: Some(session.case),
            decision: Decision::Denied,
            reason,
        };
        self.log(caller, event).await.map(|_| ())
    }
}
