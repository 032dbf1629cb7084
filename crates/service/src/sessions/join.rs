//! Who may join a live session, and as what. Every join is a decision in the log: the
//! engineer and observers read customer data, so the policy decides for them; the
//! agent is the customer's own host, bound to the tenant.

use chrono::{DateTime, Utc};
use supportgate_audit::Decision;
use supportgate_policy::RequestedPurpose;
use supportgate_store::{ConsentScope, SessionRecord, SessionState};
use supportgate_types::{DataClass, PurposeCode, Role, SessionId};

use crate::context::Event;
use crate::{Caller, ServiceError, Services};

/// How a participant takes part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParticipantKind {
    /// The customer's host: produces output, consumes input.
    Agent,
    /// The engineer: sees output, sends input with CONTROL consent.
    Engineer,
    /// A supervisor: sees output and chat, read-only.
    Observer,
}

/// An accepted join.
#[derive(Clone, Debug)]
pub struct JoinGrant {
    /// The session as it stands.
    pub session: SessionRecord,
    /// Whether the engineer's input may pass.
    pub control: bool,
    /// When the consent ends the session.
    pub expires_at: DateTime<Utc>,
    /// The joining subject's display name (for presence).
    pub subject_name: String,
}

/// Why `record` cannot be joined now, if it cannot.
fn not_joinable(record: &SessionRecord, now: DateTime<Utc>) -> Option<ServiceError> {
    let unexpired = record.consent_expires_at.is_some_and(|at| at > now);
    if matches!(record.state, SessionState::Ready | SessionState::Active) && unexpired {
        return None;
    }
    let state = match record.state {
        SessionState::Ready | SessionState::Active => "past its consent expiry",
        other => other.as_str(),
    };
    Some(ServiceError::FailedPrecondition {
        reason: NOT_JOINABLE,
        message: format!("the session is {state} and cannot be joined"),
    })
}

/// The reason code of a join refused for the session's state.
const NOT_JOINABLE: &str = "SESSION_NOT_JOINABLE";

impl Services {
    /// Decides (and logs) a join of `session` as `kind` for `purpose`.
    ///
    /// ## One decision, logged once
    /// Whether the session can be joined now (its state and consent expiry) is part of
    /// the decision: a join of a session that is pending consent or ended is logged as
    /// denied (`SESSION_NOT_JOINABLE`), never as allowed and then refused. The state is
    /// checked only for callers the policy would admit, so nobody else learns it.
    pub async fn session_join(
        &self,
        caller: &Caller,
        session: SessionId,
        kind: ParticipantKind,
        purpose: RequestedPurpose,
    ) -> Result<JoinGrant, ServiceError> {
        let tenant = caller
            .principal
            .tenant
            .ok_or(ServiceError::NotFound { what: "session" })?;
        let record = match self.inner.main.session_get(tenant, session).await {
            Ok(record) => Some(record),
            Err(supportgate_store::StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e.into()),
        };
        let record = match kind {
            ParticipantKind::Agent => self.agent_join(caller, session, record, purpose).await?,
            ParticipantKind::Engineer | ParticipantKind::Observer => {
                self.viewer_join(caller, session, record, kind, purpose)
                    .await?
            }
        };
        let subject_name = self
            .inner
            .main
            .subject_get(caller.principal.subject)
            .await
            .map(|s| s.name)
            .unwrap_or_default();
        Ok(JoinGrant {
            control: record.consent_scopes.contains(&ConsentScope::Control),
            expires_at: record.consent_expires_at.unwrap_or_else(|| self.now()),
            subject_name,
            session: record,
        })
    }

    async fn agent_join(
        &self,
        caller: &Caller,
        session: SessionId,
        record: Option<SessionRecord>,
        purpose: RequestedPurpose,
    ) -> Result<SessionRecord, ServiceError> {
        let case_id = record.as_ref().map(|r| r.case);
        let outcome = match (caller.principal.role, purpose, record) {
            (
                Role::CustomerAgent,
                RequestedPurpose::Named(PurposeCode::ProvideSupport),
                Some(r),
            ) => match not_joinable(&r, self.now()) {
                None => Ok(r),
                Some(refusal) => Err(refusal),
            },
            (Role::CustomerAgent, RequestedPurpose::Missing, _) => Err(ServiceError::invalid(
                "PURPOSE_REQUIRED",
                "a purpose is required: the agent joins to provide support",
            )),
            (Role::CustomerAgent, _, Some(_)) => Err(ServiceError::Denied {
                reason: "PURPOSE_NOT_PERMITTED_FOR_ROLE",
                message: "the agent joins a session of its tenant to provide support".into(),
            }),
            (Role::CustomerAgent, _, None) => Err(ServiceError::NotFound { what: "session" }),
            _ => Err(ServiceError::Denied {
                reason: "ROLE_DENIED",
                message: "only the tenant's customer agent joins as the agent".into(),
            }),
        };
        let (decision, reason) = match &outcome {
            Ok(_) => (Decision::Allowed, "OWN_TENANT"),
            Err(refusal) => (Decision::Denied, refusal.reason()),
        };
        let event = Event {
            action: "session.join.agent",
            data_class: DataClass::Customer,
            tenant: caller.principal.tenant,
            resource_id: Some(session.to_string()),
            case_id,
            decision,
            reason,
        };
        self.log_for(caller, event, purpose.code()).await?;
        outcome
    }

    async fn viewer_join(
        &self,
        caller: &Caller,
        session: SessionId,
        record: Option<SessionRecord>,
        kind: ParticipantKind,
        purpose: RequestedPurpose,
    ) -> Result<SessionRecord, ServiceError> {
        let action = if kind == ParticipantKind::Engineer {
            "session.join.engineer"
        } else {
            "session.join.observer"
        };
        if kind == ParticipantKind::Engineer && caller.principal.role != Role::SupportEngineer {
            let event = Event {
                action,
                data_class: DataClass::Customer,
                tenant: caller.principal.tenant,
                resource_id: Some(session.to_string()),
                case_id: record.as_ref().map(|r| r.case),
                decision: Decision::Denied,
                reason: "ROLE_DENIED",
            };
            self.log_for(caller, event, purpose.code()).await?;
            return Err(ServiceError::Denied {
                reason: "ROLE_DENIED",
                message: "only a support engineer joins as the engineer".into(),
            });
        }
        let ready = match &record {
            Some(r) => not_joinable(r, self.now()).map_or(Ok(()), Err),
            None => Ok(()),
        };
        let case = record.as_ref().map(|r| r.case);
        self.authorize_case_read(caller, case, action, purpose, session.to_string(), ready)
            .await?;
        record.ok_or(ServiceError::NotFound { what: "session" })
    }
}
